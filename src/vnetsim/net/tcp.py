"""TCP header (RFC 9293), 20 bytes without options: compiled writer.

Written segments carry ACK set, sequence/ack numbers 0 and a 65535 window: the simulator
models sizes and timing, not TCP state. Ports are read with ``udp.read_ports`` (same layout).
"""

from __future__ import annotations

import numba

TCP_HDR_BYTES = 20
FLAG_ACK = 0x10
CHECKSUM_OFFSET = 16


@numba.njit(cache=True, nogil=True)
def write_tcp(buf, off, sport, dport):
    buf[off] = (sport >> 8) & 0xFF
    buf[off + 1] = sport & 0xFF
    buf[off + 2] = (dport >> 8) & 0xFF
    buf[off + 3] = dport & 0xFF
    for k in range(4, 20):
        buf[off + k] = 0
    buf[off + 12] = (TCP_HDR_BYTES // 4) << 4
    buf[off + 13] = FLAG_ACK
    buf[off + 14] = 0xFF
    buf[off + 15] = 0xFF
    return off + TCP_HDR_BYTES
