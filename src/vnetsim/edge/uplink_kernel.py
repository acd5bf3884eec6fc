"""The uplink's compiled pass over one chunk: the queue recursion with loss, outages, jitter,
counters and histograms, fused with the first half of putting the departures in time order.

``serve`` decides every message in arrival order (the semantics are in ``uplink.py``) and files
each delivered one in a time bucket of its exit: ``floor((exit - base) / width)``, a monotone map,
so the buckets are in time order and only a bucket's own members can be out of order. The width
is the chunk's mean gap between arrivals, so a bucket holds about one message; exits past the
last bucket (long outages, the jitter's tail) share an overflow bucket. ``place`` then counts the
buckets, scatters each delivered message's index into its bucket's next slot, gathers the keys
(time, id) by it and orders each bucket on them, the index carried: a big one (a cluster after
an outage, the overflow) by ``timeorder.order_by_time``, the rest by one insertion pass over the
whole output, which moves only within buckets; the other columns are gathered last, one at a
time. The order is by (time, id), the one
``engine.merge.time_order`` gives.

Per queue, the ring of (departure, bytes) of the messages still in the buffer is updated at
arrival, lazily: the messages that left are drained only when the buffer's exact bytes can
matter (a possible drop, a possible new maximum, a full ring), the ring's bytes bounding them
from above otherwise; an empty queue resets it in O(1). The jitter is drawn in a loop of its own
before the queue's (``jitter_draws``: a ziggurat exponential, no logarithm on its common path).
"""

from __future__ import annotations

import numba
import numpy as np

from vnetsim.edge.timeorder import order_by_time
from vnetsim.engine.histogram import SUB_BITS, hist_add, stats_load, stats_store
from vnetsim.engine.rng import GOLDEN_GAMMA, exponential, mix64, unit_open

MAX_ATTEMPTS = 16
BIG_BUCKET = 24          # buckets larger than this are ordered by the bucket sort, not insertion

# per queue, the float64 columns of ``state``: the queue's own, then its counters (the stage
# derives in, sent and attempts from them)
STATE_COLS = ("last_departure_ns", "next_outage_ns", "backlog_bytes", "max_backlog_bytes")
ACC_COLS = ("dropped_messages", "dropped_bytes", "lost_messages", "lost_bytes", "accepted_messages",
            "accepted_bytes", "late_messages", "late_bytes", "extra_attempts", "busy_window_ns", "wait_ns")
(_LAST, _NEXT_OUT, _BACKLOG, _MAX_BACKLOG) = range(len(STATE_COLS))
(_DR_M, _DR_B, _LO_M, _LO_B, _AC_M, _AC_B, _LT_M, _LT_B, _EXTRA, _BUSY, _WAIT) = range(len(STATE_COLS),
                                                                                  len(STATE_COLS) + len(ACC_COLS))
# per queue, the int64 columns of ``ring_at``: the ring's first slot, its entries, the next outage
RING_AT_COLS = ("ring_head", "ring_count", "outage_index")
(_HEAD, _COUNT, _OUT_PTR) = range(len(RING_AT_COLS))
_M1 = np.uint64(0xBF58476D1CE4E5B9)


@numba.njit(cache=True, nogil=True, inline="always")
def loss_draw(seed, pid, attempt):
    """A uniform in (0, 1) for (seed, message id, attempt): splitmix64's finalizer of their mix
    (attempts 1.. decide losses; attempt 0's state seeds the jitter)."""
    z = np.uint64(seed) ^ (np.uint64(pid) * GOLDEN_GAMMA) ^ (np.uint64(attempt) * _M1)
    return unit_open(mix64(z + GOLDEN_GAMMA))


@numba.njit(cache=True, nogil=True)
def jitter_draws(seed, pid, out):
    """Each message's jitter in units of its mean: ``engine.rng.exponential`` (a ziggurat) of the
    splitmix64 stream at the message's attempt-0 state, the one ``loss_draw`` uses for attempt 0."""
    for i in range(pid.shape[0]):
        out[i] = exponential(np.uint64(seed) ^ (np.uint64(pid[i]) * GOLDEN_GAMMA))


@numba.njit(cache=True, nogil=True)
def _outage_start(q, start, svc, out_start, out_end, state, ring_at):
    """The start after queue ``q``'s outages (one that covers it, or would cut the transmission,
    moves it to its end); advances the queue's outage pointer and its next outage start."""
    n_out = out_start.shape[1]
    k = ring_at[q, _OUT_PTR]
    while k < n_out and out_end[q, k] <= start:
        k += 1
    while k < n_out:
        os = out_start[q, k]
        if start >= os or start + svc > os:
            oe = out_end[q, k]
            if oe > start:
                start = oe
            k += 1
        else:
            break
    ring_at[q, _OUT_PTR] = k
    state[q, _NEXT_OUT] = out_start[q, k] if k < n_out else np.inf
    return start


@numba.njit(cache=True, nogil=True, inline="always")
def _with_zeros(counts, st, zeros):
    """``zeros`` waits of exactly 0 added at once: what ``hist_add`` of each gives, bit for bit
    (bucket 0; adding 0.0 leaves the sums as they are)."""
    if zeros == 0:
        return st
    counts[0] += zeros
    n, total, lo, hi, sq = st
    return n + zeros, total, min(lo, 0.0), max(hi, 0.0), sq


@numba.njit(cache=True, nogil=True)
def serve(t, t0, size, flow, pid, jit, exit_t, bucket, queue_of_flow, seed, ns_per_byte, cap_bytes, out_start,
          out_end, state, ring_at, ring, loss, tcp, rto_ns, latency_ns, jitter_ns, lo, hi,
          wait_counts, wait_stats, base_ns, per_bucket, n_buckets, n_ok, drop_pid, n_drop, waits, n_wait):
    """Serve the (time-ordered) messages ``t, t0, size, flow, pid``, for the wait histogram of
    messages produced from ``lo`` on counting the waits of exactly 0 and writing the others to
    ``waits[n_wait..]`` (the caller records them after the loop, in this order: a histogram
    update inside this loop cost it about 3 ns, its registers crowding out the queue's;
    ``record_sojourns`` records the sojourns after it too). ``state`` (``STATE_COLS`` then
    ``ACC_COLS``) and ``ring_at`` are per queue, ``ring[q, slot]`` a queue's (departure, bytes) of
    the messages in its buffer. A delivered message's exit goes to ``exit_t[i]`` and its bucket
    (``floor((exit - base_ns) * per_bucket)`` within ``[0, n_buckets]``) to ``bucket[i]``; others
    get bucket -1, an overflowed one's id goes to ``drop_pid``. ``jit`` holds the messages'
    ``jitter_draws`` when ``jitter_ns`` > 0. Returns (index it stopped at, n_ok, n_drop, n_wait):
    ``len(t)`` when all were served, less when that message's queue ring is full of messages
    still in the buffer and must grow (the caller grows it and calls again from there).

    Indices that come from data (queue, ring slot, bucket) are made unsigned where they index,
    so no negative-index wraparound is compiled in; the message index counts from 0 for the same
    reason."""
    n = t.shape[0]
    width = ring.shape[1]
    top = float(n_buckets)
    stop = n
    zero_waits = 0
    for i in range(n):
        q = np.uintp(queue_of_flow[np.uintp(flow[i])])
        a = t[i]
        s = float(size[i])
        start = state[q, _LAST]
        if start <= a:                      # the queue is empty: every message in it left
            start = a
            h = 0
            c = 0
            b = 0.0
            ring_at[q, _HEAD] = 0
            ring_at[q, _COUNT] = 0
            state[q, _BACKLOG] = 0.0
        else:
            h = ring_at[q, _HEAD]
            c = ring_at[q, _COUNT]
            b = state[q, _BACKLOG]
            # the ring's bytes ``b`` bound the buffer's from above: drain the messages that left
            # only when the exact figure can matter (a drop, a new maximum, a full ring)
            limit = state[q, _MAX_BACKLOG]
            if cap_bytes > 0 and cap_bytes < limit:
                limit = cap_bytes
            if b + s > limit or c == width:
                while ring[q, np.uintp(h), 0] <= a:     # stops at the last entry at the latest (it leaves after a)
                    b -= ring[q, np.uintp(h), 1]
                    h += 1
                    if h == width:
                        h = 0
                    c -= 1
                ring_at[q, _HEAD] = h
                ring_at[q, _COUNT] = c
                state[q, _BACKLOG] = b
        if cap_bytes > 0 and b + s > cap_bytes:
            state[q, _DR_M] += 1.0
            state[q, _DR_B] += s
            drop_pid[np.uintp(n_drop)] = pid[i]
            n_drop += 1
            bucket[i] = -1
            continue
        if c == width:
            stop = i
            break
        attempts = 1
        lost = False
        if loss > 0.0:
            while loss_draw(seed, pid[i], attempts) < loss:
                if not tcp:
                    lost = True
                    break
                if attempts == MAX_ATTEMPTS:
                    break
                attempts += 1
            if attempts > 1:
                state[q, _EXTRA] += attempts - 1
        svc = s * ns_per_byte * attempts
        if not start + svc < state[q, _NEXT_OUT]:
            start = _outage_start(q, start, svc, out_start, out_end, state, ring_at)
        dep = start + svc
        state[q, _LAST] = dep
        tail = h + c
        if tail >= width:
            tail -= width
        ring[q, np.uintp(tail), 0] = dep
        ring[q, np.uintp(tail), 1] = s
        ring_at[q, _COUNT] = c + 1
        b += s
        state[q, _BACKLOG] = b
        if b > state[q, _MAX_BACKLOG]:
            state[q, _MAX_BACKLOG] = b
        state[q, _AC_M] += 1.0
        state[q, _AC_B] += s
        if dep > hi:
            state[q, _LT_M] += 1.0
            state[q, _LT_B] += s
        b0 = start if start > lo else lo
        b1 = dep if dep < hi else hi
        if b1 > b0:
            state[q, _BUSY] += b1 - b0
        window = t0[i] >= lo
        if window:
            if start == a:
                zero_waits += 1             # most waits: counted, recorded once after the loop
            else:
                waits[np.uintp(n_wait)] = start - a     # recorded after the loop, in this order
                n_wait += 1
        if a >= lo:
            state[q, _WAIT] += start - a
        if lost:
            state[q, _LO_M] += 1.0
            state[q, _LO_B] += s
            bucket[i] = -1
            continue
        ex = dep + latency_ns
        if attempts > 1:
            ex = dep + (attempts - 1) * rto_ns + latency_ns
        if jitter_ns > 0.0:
            ex += jit[i] * jitter_ns
        exit_t[i] = ex
        f = (ex - base_ns) * per_bucket     # clamped to [0, top] without branches (a branch
        f = f if f > 0.0 else 0.0           # mispredicted on every exit far past the span cost
        f = f if f < top else top           # about 2 ns a message); NaN (no span, an exit at
        bucket[i] = int(f)                  # infinity) to bucket 0, as before
        n_ok += 1
    stats_store(wait_stats, _with_zeros(wait_counts, stats_load(wait_stats), zero_waits))
    return stop, n_ok, n_drop, n_wait


@numba.njit(cache=True, nogil=True)
def record_sojourns(exit_t, t, t0, bucket, lo, counts, stats):
    """The sojourn (exit - arrival) of every delivered message (``bucket`` >= 0) produced from
    ``lo`` on, in arrival order as ``serve`` saw them: a pass of its own, a few ns a message
    cheaper than inside the queue's loop, where its registers crowd out the queue's."""
    st = stats_load(stats)
    for i in range(bucket.shape[0]):
        if bucket[i] >= 0 and t0[i] >= lo:
            st = hist_add(counts, st, exit_t[i] - t[i], SUB_BITS)
    stats_store(stats, st)


@numba.njit(cache=True, nogil=True)
def ring_grow(ring, ring_at, new):
    """Copy each queue's live ring entries, from its head, to slot 0.. of ``new`` (wider) and
    set the heads to 0: only the live entries are touched (the rest of ``new`` stays as it is),
    where copying whole rings in order cost tens of ms once they are thousands deep."""
    width = ring.shape[1]
    for q in range(ring.shape[0]):
        h = ring_at[q, _HEAD]
        for r in range(ring_at[q, _COUNT]):
            new[q, r, 0] = ring[q, h, 0]
            new[q, r, 1] = ring[q, h, 1]
            h += 1
            if h == width:
                h = 0
        ring_at[q, _HEAD] = 0


@numba.njit(cache=True, nogil=True)
def ring_buffered(ring, ring_at, t_ns, messages, nbytes):
    """Per queue, the messages and bytes of its live ring entries departing after ``t_ns``."""
    width = ring.shape[1]
    for q in range(ring.shape[0]):
        h = ring_at[q, _HEAD]
        m = 0
        b = 0.0
        for _ in range(ring_at[q, _COUNT]):
            if ring[q, h, 0] > t_ns:
                m += 1
                b += ring[q, h, 1]
            h += 1
            if h == width:
                h = 0
        messages[q] = m
        nbytes[q] = b


@numba.njit(cache=True, nogil=True, inline="always")
def _before(ta, pa, tb, pb):
    return ta < tb or (ta == tb and pa < pb)


@numba.njit(cache=True, nogil=True)
def place(exit_t, bucket, t0, size, flow, pid, counts, n_buckets, o_t, o_t0, o_size, o_flow, o_pid, ts, ks, ix, t2,
          k2, i2, sort_counts, stack, perm):
    """Write the delivered messages of ``serve`` into ``o_t .. o_pid`` (as long as there are
    delivered messages) ordered by (exit time, id).

    ``counts[0..n_buckets]`` is scratch (zero on entry: the bucket sizes, then their ends),
    ``perm`` (as long as the output) the index of the message in each output slot; ``ts .. stack``
    the scratch of ``timeorder.order_by_time`` (``timeorder.OrderScratch``), for buckets of more
    than ``BIG_BUCKET`` messages.

    Each message's slot is its bucket's next (stably, in arrival order); only the index is
    scattered there, the two keys (time, id) gathered by it, the buckets ordered on the keys with
    the index carried, and the other three columns gathered last: one column at a time, each
    loop reading or writing one stream, and the ordering moving three columns instead of five
    (about 6 ns a message less than scattering the five columns together and ordering them)."""
    n_ok = o_t.shape[0]
    big = np.empty(n_ok // BIG_BUCKET + 1, np.int64)
    n_big = 0
    total = 0
    for i in range(bucket.shape[0]):
        k = bucket[i]
        if k >= 0:
            counts[np.uintp(k)] += 1        # bucket sizes
    for k in range(n_buckets + 1):          # exclusive prefix sums: each bucket's first slot
        c = counts[k]
        counts[k] = total
        total += c
        if c > BIG_BUCKET:
            big[n_big] = k
            n_big += 1
    for i in range(bucket.shape[0]):        # each slot's message, stably in arrival order
        k = bucket[i]
        if k >= 0:
            slot = counts[np.uintp(k)]
            counts[np.uintp(k)] = slot + 1
            perm[np.uintp(slot)] = i
    for j in range(n_ok):
        o_t[j] = exit_t[np.uintp(perm[j])]
    for j in range(n_ok):
        o_pid[j] = pid[np.uintp(perm[j])]
    for j in range(n_big):                  # counts[k] is now the end of bucket k
        k = big[j]
        lo = counts[k - 1] if k > 0 else 0
        m = counts[k] - lo
        order_by_time(o_t[lo:lo + m], o_pid[lo:lo + m], m, ts, ks, ix, t2, k2, i2, sort_counts, stack)
        for r in range(m):
            i2[r] = perm[lo + ix[r]]
        for r in range(m):
            o_t[lo + r] = ts[r]
            o_pid[lo + r] = ks[r]
            perm[lo + r] = i2[r]
    for j in range(1, n_ok):                # insertion: only within the small buckets
        tj = o_t[j]
        pj = o_pid[j]
        if not _before(tj, pj, o_t[j - 1], o_pid[j - 1]):
            continue
        xj = perm[j]
        r = j - 1
        while r >= 0 and _before(tj, pj, o_t[r], o_pid[r]):
            o_t[r + 1] = o_t[r]
            o_pid[r + 1] = o_pid[r]
            perm[r + 1] = perm[r]
            r -= 1
        o_t[r + 1] = tj
        o_pid[r + 1] = pj
        perm[r + 1] = xj
    for j in range(n_ok):
        o_t0[j] = t0[np.uintp(perm[j])]
    for j in range(n_ok):
        o_size[j] = size[np.uintp(perm[j])]
    for j in range(n_ok):
        o_flow[j] = flow[np.uintp(perm[j])]
