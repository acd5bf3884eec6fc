"""The fabric's jitter in the I/O path: each network leg of a host pair draws its fabric time from
that pair's measured distribution instead of taking the pair's mean.

- **What is measured** (``frame_fabric_ns``): a fabric run hands every delivered frame to the
  fabric kind's public ``on_deliver`` hook with its offer time ``t0`` and delivery time ``t``.
  The I/O path's NIC stage already queues and serializes a message at the source's NIC, so each
  frame's time at its source's NIC link is taken out frame by frame: that link is a FIFO at the
  NIC's rate fed in offer order, so its departure is Lindley's recursion ``d_i = max(t0_i,
  d_{i-1}) + S_i`` over the source's frames (``S_i = (frame + 20 B) * 8 / nic_bps``), and the
  frame's fabric time is ``t_i - d_i``: switches, cables and the queues of the switch ports.
- **The distribution** (``pair_atoms``): per pair, ``JITTER_ATOMS`` (64) values, the sample's
  quantiles at the middles of a grid of probability cells: ``BODY_ATOMS`` (48) cells of 2 % up
  to ``BODY_P`` (0.96), then ``TAIL_ATOMS`` (16) of 0.25 % in the tail (the p99 and p99.5 a write
  of two legs turns on are resolved; the p99.9 lies between two). Each value is taken with its
  cell's probability; their weighted mean is taken out: deviations around the pair's mean
  ``pair_ns`` (which keeps its own formula, ``onfabric``), so a leg's fabric time is ``pair_ns +
  atom``, clipped at 0 (the atom is stored clipped: ``max(atom, -pair_ns)``). 64 float32 values
  are 256 B a pair: a cluster's tables stay in the core's cache; 512 equally likely values (the
  first version) cost several times as much per I/O, mostly in cache misses.
- **The draw** (``draw_pair_jitter``; the device stage draws the replies' in its draw pass): leg
  ``pid``'s cell is that of ``u``, the counter-based uniform of the leg (``draws.leg_uniform``,
  splitmix64 of the run's key, the id and the direction: 0 the request, 1 the reply), so it does
  not depend on how the legs are chunked, and is the same for a seed.
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.storage.iopath.draws import leg_uniform
from vnetsim.storage.iopath.spec import JITTER_ATOMS, PairJitter

BODY_P = 0.96             # the body's cells cover [0, BODY_P), the tail's [BODY_P, 1)
BODY_ATOMS = 48           # cells of 2 % in the body
TAIL_ATOMS = JITTER_ATOMS - BODY_ATOMS   # 16 cells of 0.25 % in the tail


def cell_edges() -> np.ndarray:
    """The ``JITTER_ATOMS + 1`` probability edges of the atoms' cells (a copy of ``_EDGES``)."""
    return _EDGES.copy()


def _cell_edges() -> np.ndarray:
    return np.concatenate([np.linspace(0.0, BODY_P, BODY_ATOMS + 1)[:-1], np.linspace(BODY_P, 1.0, TAIL_ATOMS + 1)])


_EDGES = _cell_edges()          # computed once: a fabric run takes them for each of its hundreds of pairs
_MIDDLES = (_EDGES[:-1] + _EDGES[1:]) / 2
_WIDTHS = np.diff(_EDGES)


@numba.njit(cache=True, nogil=True, inline="always")
def cell_of(u):
    """The cell of a uniform ``u`` in (0, 1) (``cell_edges``)."""
    if u < BODY_P:
        m = int(u * (BODY_ATOMS / BODY_P))
        return m if m < BODY_ATOMS else BODY_ATOMS - 1
    m = BODY_ATOMS + int((u - BODY_P) * (TAIL_ATOMS / (1.0 - BODY_P)))
    return m if m < JITTER_ATOMS else JITTER_ATOMS - 1
REQUEST, REPLY = 0, 1     # the counter of a leg's draw: its request's fabric time, its reply's


@numba.njit(cache=True, nogil=True)
def _lindley(order, src, t0, t, service_ns, out):
    """Fabric time ``t - d`` of each frame, ``d`` its departure from its source's FIFO NIC link;
    frames visited in ``order`` (by source, then offer time)."""
    prev_src = -1
    last = 0.0
    for k in range(order.shape[0]):
        i = order[k]
        a = t0[i]
        if src[i] != prev_src:
            prev_src = src[i]
            last = -np.inf
        start = a if a > last else last
        last = start + service_ns[i]
        out[i] = t[i] - last


def frame_fabric_ns(src: np.ndarray, t0_ns: np.ndarray, t_ns: np.ndarray, frame_bytes: np.ndarray,
                    nic_bps: float, wire_gap_bytes: int) -> np.ndarray:
    """Per delivered frame: its time in the fabric after its source's NIC link (module docstring).
    Frames lost in the fabric are not seen; their source link's time is then slightly undercounted."""
    src = np.ascontiguousarray(src, np.int64)
    t0 = np.ascontiguousarray(t0_ns, np.float64)
    order = np.lexsort((t0, src)).astype(np.int64)
    out = np.empty(len(src), np.float64)
    service = (np.asarray(frame_bytes, np.float64) + wire_gap_bytes) * 8e9 / nic_bps
    _lindley(order, src, t0, np.ascontiguousarray(t_ns, np.float64), service, out)
    return out


def pair_atoms(samples_ns: np.ndarray, mean_ns: float) -> np.ndarray:
    """The ``JITTER_ATOMS`` deviations from ``mean_ns`` of a pair's samples: their quantiles at the
    cells' middles less the cell-weighted mean, clipped at ``-mean_ns`` (a time is never
    negative), in float32 (0.06 ns resolution at a millisecond)."""
    q = np.quantile(np.asarray(samples_ns, np.float64), _MIDDLES)
    return clip_atoms(q - np.dot(q, _WIDTHS), mean_ns)


def cell_quantiles(samples: list[np.ndarray]) -> np.ndarray:
    """Each sample's quantiles at the cells' middles, one row each: ``np.quantile(s, middles)``
    (its default linear method, Hyndman and Fan's 7th) bit for bit, for all samples in one sort
    instead of a call per pair (a fabric run has hundreds of pairs; a call costs about 0.1 ms)."""
    n = np.array([len(s) for s in samples], np.int64)
    if len(n) == 0:
        return np.zeros((0, JITTER_ATOMS))
    if n.min() < 1:
        raise ValueError("every sample needs a value")
    ordered = np.concatenate([np.sort(np.asarray(s, np.float64)) for s in samples])   # each sorted, in order
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    virtual = (n - 1)[:, None] * _MIDDLES[None, :]      # numpy's (n - 1) * q
    prev = np.floor(virtual)
    top = virtual >= (n - 1)[:, None]                   # at or past the last value: the last value
    lo = np.where(top, n[:, None] - 1, prev).astype(np.int64)
    hi = np.where(top, n[:, None] - 1, prev + 1).astype(np.int64)
    gamma = virtual - np.where(top, -1, lo)             # numpy's gamma (with its -1 for the last)
    a, b = ordered[start[:, None] + lo], ordered[start[:, None] + hi]
    diff = b - a
    out = a + diff * gamma                              # numpy's lerp, the upper half from b
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), out)


def clip_atoms(deviation_ns: np.ndarray, mean_ns: float) -> np.ndarray:
    """Deviations as float32 atoms, none below ``-mean_ns`` after rounding."""
    lo = np.float32(-mean_ns)
    if lo < -mean_ns:
        lo = np.nextafter(lo, np.float32(0))
    return np.maximum(np.asarray(deviation_ns, np.float64).astype(np.float32), lo)


def pair_jitter(hosts: int, samples: dict[tuple[int, int], np.ndarray], pair_ns: np.ndarray) -> PairJitter | None:
    """The ``PairJitter`` of the pairs with samples and a finite ``pair_ns`` (None: none)."""
    keys = sorted(k for k, v in samples.items() if len(v) and np.isfinite(pair_ns[k]))
    if not keys:
        return None
    row = np.full((hosts, hosts), -1, np.int64)
    table = np.empty((len(keys), JITTER_ATOMS), np.float32)
    quantiles = cell_quantiles([samples[k] for k in keys])
    for r, (k, q) in enumerate(zip(keys, quantiles)):
        row[k] = r
        table[r] = clip_atoms(q - np.dot(q, _WIDTHS), float(pair_ns[k]))     # ``pair_atoms`` of its samples
    return PairJitter(row, table)


def flow_rows(jitter: PairJitter | None, src: np.ndarray, dst: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Per flow: the atoms row of its pair ``(src, dst)`` where ``on`` (else, or without jitter, -1)."""
    if jitter is None:
        return np.full(len(src), -1, np.int64)
    return np.where(on, np.asarray(jitter.row, np.int64)[src, dst], -1).astype(np.int64)


@numba.njit(cache=True, nogil=True)
def draw_pair_jitter(pid, flow, row_of_flow, atoms, key, direction, out):
    """Each leg's drawn deviation into ``out`` (``atoms[row, cell_of(u)]``, module docstring; 0 for
    legs of flows without a row: they keep their fixed time)."""
    for i in range(pid.shape[0]):
        r = row_of_flow[flow[i]]
        out[i] = atoms[r, cell_of(leg_uniform(key, pid[i], direction))] if r >= 0 else 0.0


def drawn_quantile(atoms: np.ndarray, q: float) -> float:
    """The ``q`` quantile of one pair's draws: the atom of the cell holding ``q``."""
    return float(atoms[min(int(np.searchsorted(_EDGES, q, side="right")) - 1, JITTER_ATOMS - 1)])


def jitter_args(jitter: LegJitter | None) -> tuple:
    """A kernel's arguments for a ``LegJitter`` (``on``, atoms, key, direction; each flow's row is
    in the kernel's per-flow table); None: off, with placeholders of the same types."""
    if jitter is None:
        return False, np.zeros((1, JITTER_ATOMS), np.float32), np.uint64(0), 0
    return True, jitter.atoms, jitter.key, jitter.direction


def jitter_rows(jitter: LegJitter | None, n_flows: int) -> np.ndarray:
    """Each flow's atoms row of ``jitter`` (-1: a fixed time; all -1 without one)."""
    return np.full(n_flows, -1, np.int64) if jitter is None else jitter.row_of_flow


class LegJitter:
    """One direction's draw for a stage: per flow its row, the atoms, the run's key, the direction."""

    def __init__(self, row_of_flow: np.ndarray, atoms_ns: np.ndarray, key: int, direction: int) -> None:
        self.row_of_flow = np.ascontiguousarray(row_of_flow, np.int32)     # 4 bytes a flow: in cache
        self.atoms = np.ascontiguousarray(atoms_ns, np.float32)
        self.key = np.uint64(key)
        self.direction = direction

    def add(self, t: np.ndarray, pid: np.ndarray, flow: np.ndarray) -> None:
        """Add each leg's draw to ``t`` in place."""
        out = np.empty(len(t))
        self.draw(out, pid, flow)
        t += out

    def draw(self, out: np.ndarray, pid: np.ndarray, flow: np.ndarray) -> None:
        """Each leg's draw into ``out`` (0: a fixed time)."""
        draw_pair_jitter(pid, flow, self.row_of_flow, self.atoms, self.key, self.direction, out)
