"""Mutations of real captures, shared by the fuzz tests (tests/io/test_pcap_fuzz.py) and the longer
fuzzer (benchmarks/fuzz_pcap.py).

Seeds are the real captures in tests/data (tcpdump's, classic pcap) and pcapng files built from
their frames (two sections in both byte orders, interfaces with if_tsresol and if_tsoffset,
Enhanced, obsolete and Simple Packet Blocks, a statistics block). A mutation is a short list of
operations, each ``(kind, where, value)`` with two integers the operation reads as it needs:

- ``field``: set a header field (a record's or block's length, an option's code or length, an
  if_tsresol byte, ...) to an interesting value (0, 1, 2^31, 2^32 - 1, 127, 255, ...) or ``value``;
- ``bit`` / ``byte``: flip a bit, set a byte, anywhere;
- ``truncate``, ``cut``, ``dup``, ``insert``: shorten the file, remove, repeat or insert a slice.

``outcome(data, path)`` reads the mutated bytes as a capture and, if that works, as traffic
(``as_traffic``, then a looped ``TraceArrivals`` for a short horizon), checking the invariants of a
good read; it returns ``"ok"`` or ``"error"`` (an ``InputFileError``) and lets anything else through.
"""

from __future__ import annotations

import random
import struct
import sys
import traceback
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
REAL = ("vxlan.pcap", "vxlan_port_8472.pcap", "geneve.pcap")
INTERESTING = (0, 1, 2, 3, 4, 7, 8, 11, 12, 15, 16, 20, 28, 31, 32, 59, 60, 63, 64, 0x7F, 0x80, 0xBF, 0xC0, 0xFF,
               1023, 1024, 1025, 9088, 65535, 65536, 262144, 262145, 1 << 24, (1 << 24) + 1, 1 << 31,
               (1 << 31) - 1, (1 << 32) - 1, (1 << 32) - 4)
KINDS = ("field", "field", "field", "bit", "byte", "truncate", "cut", "dup", "insert")
MAX_BYTES = 1 << 16  # mutated files stay small: a fuzz input is read in well under a millisecond


def _records(pcap: bytes) -> list[tuple[int, int, bytes]]:
    """(seconds, microseconds, frame) of each record of a little-endian microsecond pcap."""
    out, off = [], 24
    while off + 16 <= len(pcap):
        sec, usec, cap, _ = struct.unpack_from("<IIII", pcap, off)
        out.append((sec, usec, pcap[off + 16:off + 16 + cap]))
        off += 16 + cap
    return out


def _block(btype: int, body: bytes, order: str) -> bytes:
    body += bytes(-len(body) % 4)
    n = len(body) + 12
    return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)


def _option(code: int, value: bytes, order: str) -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def pcapng_from(pcap: bytes) -> bytes:
    """A pcapng of a pcap's frames: little-endian section (two interfaces: microseconds and
    nanoseconds with an offset; Enhanced and obsolete Packet Blocks, a statistics block), then a
    big-endian section (2^-20 s resolution, Simple Packet Blocks)."""
    recs = _records(pcap)
    out = b""
    for order in ("<", ">"):
        out += _block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1), order)
        if order == "<":
            out += _block(1, struct.pack("<HHI", 1, 0, 65535) + _option(9, b"\x06", "<") + _option(0, b"", "<"), "<")
            out += _block(1, struct.pack("<HHI", 1, 0, 0) + _option(9, b"\x09", "<")
                          + _option(14, struct.pack("<q", 100), "<") + _option(0, b"", "<"), "<")
            for k, (sec, usec, frame) in enumerate(recs):
                ts = (sec * 10**6 + usec) * (1 if k % 2 == 0 else 1000)
                btype = 6 if k % 3 else 2
                ifc = struct.pack("<I", k % 2) if btype == 6 else struct.pack("<HH", k % 2, 0)
                out += _block(btype, ifc + struct.pack("<III", ts >> 32, ts & 0xFFFFFFFF, len(frame))
                              + struct.pack("<I", len(frame)) + frame, "<")
            out += _block(5, struct.pack("<IIIII", 0, 0, 0, 0, 0), "<")
        else:
            out += _block(1, struct.pack(">HHI", 1, 0, 96) + _option(9, b"\x94", ">") + _option(0, b"", ">"), ">")
            for _, _, frame in recs[:4]:
                out += _block(3, struct.pack(">I", len(frame)) + frame, ">")
    return out


def seeds() -> list[tuple[str, bytes]]:
    """The real captures and pcapngs built from them."""
    out = []
    for name in REAL:
        raw = (DATA / name).read_bytes()
        out.append((name, raw))
        out.append((name.replace(".pcap", ".pcapng"), pcapng_from(raw)))
    return out


def fields(data: bytes) -> list[tuple[int, int]]:
    """(byte offset, width) of every header field of a pcap or pcapng, for targeted mutations."""
    out: list[tuple[int, int]] = []
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        off = 0
        order = "<"
        while off + 12 <= len(data):
            if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
                order = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            btype, blen = struct.unpack_from(order + "II", data, off)
            if blen < 12 or off + blen > len(data):
                break
            out += [(off, 4), (off + 4, 4), (off + blen - 4, 4)]
            body, end = off + 8, off + blen - 4
            if btype == 1:
                out += [(body, 2), (body + 4, 4)]
                p = body + 8
                while p + 4 <= end:
                    code, olen = struct.unpack_from(order + "HH", data, p)
                    out += [(p, 2), (p + 2, 2)] + ([(p + 4, 1)] if code == 9 else [])
                    out += [(p + 4, 4), (p + 8, 4)] if code == 14 else []
                    if code == 0:
                        break
                    p += 4 + (olen + 3) // 4 * 4
            elif btype in (2, 6):
                out += [(body + k, 4) for k in (0, 4, 8, 12, 16)]
            elif btype == 3:
                out.append((body, 4))
            elif btype == 0x0A0D0D0A:
                out += [(body + 4, 2), (body + 6, 2)]
            off += blen
        return out
    out += [(4, 2), (16, 4), (20, 4)]
    off = 24
    while off + 16 <= len(data):
        out += [(off + k, 4) for k in (0, 4, 8, 12)]
        cap = struct.unpack_from("<I", data, off + 8)[0]
        off += 16 + cap
    return out


def apply(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    """The bytes after the operations (each ``(kind, where, value)``), at most ``MAX_BYTES`` long."""
    buf = bytearray(data)
    for kind, where, value in ops:
        n = len(buf)
        if kind == "field":
            targets = fields(bytes(buf)) or [(0, 4)]
            off, width = targets[where % len(targets)]
            v = INTERESTING[value % len(INTERESTING)] if value % 4 else value >> 2
            v &= (1 << (8 * width)) - 1
            order = "big" if (value >> 1) % 7 == 0 else "little"
            buf[off:off + width] = v.to_bytes(width, order)
        elif not n:
            buf += bytes([value & 0xFF])
        elif kind == "bit":
            buf[where % n] ^= 1 << (value % 8)
        elif kind == "byte":
            buf[where % n] = value & 0xFF
        elif kind == "truncate":
            del buf[where % n:]
        elif kind == "cut":
            a = where % n
            del buf[a:a + 1 + value % 64]
        elif kind == "dup":
            a = where % n
            buf[a:a] = buf[a:a + 1 + value % 256]
        elif kind == "insert":
            buf[where % (n + 1):where % (n + 1)] = random.Random(value).randbytes(1 + value % 32)
    return bytes(buf[:MAX_BYTES])


def random_ops(rng: random.Random) -> list[tuple[str, int, int]]:
    return [(rng.choice(KINDS), rng.getrandbits(32), rng.getrandbits(32)) for _ in range(rng.randint(1, 4))]


def outcome(data: bytes, path: Path) -> str:
    """Read ``data`` (written to ``path``) as a capture and as traffic; ``"ok"`` or ``"error"``."""
    import numpy as np

    from vnetsim.errors import InputFileError
    from vnetsim.io import read_pcap
    from vnetsim.traffic.arrivals import TraceArrivals
    from vnetsim.traffic.config import MAX_FRAME_BYTES, MIN_FRAME_BYTES

    path.write_bytes(data)
    try:
        trace = read_pcap(path, vxlan_ports=(4789, 8472))
        n = len(trace)
        assert (trace.cap_len >= 0).all() and (trace.orig_len >= trace.cap_len).all()
        assert (trace.t_ns >= 0).all() and (trace.flow >= 0).all() and (trace.flow < max(1, len(trace.flows))).all()
        at = trace.record_offset
        assert at is not None and ((at >= 0) & (at < len(data))).all()
        assert trace.status.shape == (n,) and trace.link_type.shape == (n,)
        replay = trace.as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES)
    except InputFileError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
        return "error"
    assert (np.diff(replay.t_ns) >= 0).all()
    sizes = replay.orig_len.astype(np.int64) + 4
    assert ((sizes >= MIN_FRAME_BYTES) & (sizes <= MAX_FRAME_BYTES)).all()
    arrivals = TraceArrivals(replay.t_ns, replay.flow, sizes, 1.0, True)
    t, f, s = arrivals.until(1e5)
    t2, _, _ = arrivals.until(2e5)
    assert len(t) <= 1e5 + len(replay) and (np.diff(np.concatenate([t, t2])) >= 0).all()
    assert (t2 >= 1e5).all() and (t < 1e5).all() and (s >= MIN_FRAME_BYTES).all()
    return "ok"


def batch(seed: int, count: int, work: Path, crashes: Path | None = None) -> dict[str, int]:
    """Try ``count`` random mutations (from ``seed``); each input is written to ``work`` (and its
    number to ``work`` with suffix ``.idx``) before it is read, so after a hard crash (a signal)
    that file is the reproducer. An exception other than ``InputFileError`` is a crash: saved to
    ``crashes`` (``.pcap`` and ``.txt`` with the traceback) when given, re-raised otherwise."""
    rng = random.Random(seed)
    pool = seeds()
    tally = {"tried": 0, "ok": 0, "error": 0, "crash": 0}
    progress = work.with_suffix(".idx")
    for k in range(count):
        name, data = pool[rng.randrange(len(pool))]
        mutated = apply(data, random_ops(rng))
        progress.write_text(str(k))
        try:
            tally[outcome(mutated, work)] += 1
        except Exception:
            if crashes is None:
                raise
            tally["crash"] += 1
            crashes.mkdir(parents=True, exist_ok=True)
            stem = crashes / f"crash-{seed}-{k}"
            stem.with_suffix(".pcap").write_bytes(mutated)
            stem.with_suffix(".txt").write_text(f"seed {seed}, input {k}, from {name}\n{traceback.format_exc()}")
        tally["tried"] += 1
    return tally


if __name__ == "__main__":  # python pcapfuzz.py SEED COUNT WORKFILE [CRASHDIR]: one batch, prints the tally
    args = sys.argv[1:]
    result = batch(int(args[0]), int(args[1]), Path(args[2]), Path(args[3]) if len(args) > 3 else None)
    print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)
