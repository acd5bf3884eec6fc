"""Record walking for pcap and pcapng: where each packet's bytes are, its lengths and timestamp.

Compiled walkers run over the whole file buffer twice (count, then fill), touching only record
headers. Problems come back as an error code with the record number and byte offset, and
``check`` turns them into one-line ``InputFileError``s.

Formats: pcap (magic a1b2c3d4 = microseconds, a1b23c4d = nanoseconds, either byte order);
pcapng (Section Header, Interface Description with if_tsresol/if_tsoffset, Enhanced, Simple and
obsolete Packet blocks; other blocks skipped; several sections and interfaces allowed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.errors import InputFileError

PCAP_HDR_BYTES = 24
PCAP_REC_BYTES = 16
MAX_CAPLEN_BYTES = 262144  # libpcap's MAXIMUM_SNAPLEN: larger means corruption
MAX_INTERFACES = 1024

# error codes
(OK, E_REC_HDR, E_REC_DATA, E_CAPLEN, E_BLOCK_LEN, E_BLOCK_PAST, E_BLOCK_TRAILER, E_IFACE, E_NO_SHB, E_BOM,
 E_BLOCK_DATA) = range(11)


@dataclass
class Records:
    """Per packet: byte offset of its data, captured/original length, timestamp, link type."""

    offset: np.ndarray
    cap_len: np.ndarray
    orig_len: np.ndarray
    t_ns: np.ndarray
    link_type: np.ndarray


@numba.njit(cache=True, nogil=True)
def _u32(buf, off, swapped):
    if swapped:
        return ((np.int64(buf[off]) << 24) | (np.int64(buf[off + 1]) << 16) | (np.int64(buf[off + 2]) << 8)
                | buf[off + 3])
    return (np.int64(buf[off + 3]) << 24) | (np.int64(buf[off + 2]) << 16) | (np.int64(buf[off + 1]) << 8) | buf[off]


@numba.njit(cache=True, nogil=True)
def _u16(buf, off, swapped):
    if swapped:
        return (np.int64(buf[off]) << 8) | buf[off + 1]
    return (np.int64(buf[off + 1]) << 8) | buf[off]


@numba.njit(cache=True, nogil=True)
def walk_pcap(buf, swapped, nanos, fill, offset, cap_len, orig_len, t_ns):
    """Walk classic pcap records from byte 24. Returns ``(count, err, err_record, err_offset, detail)``."""
    size = buf.shape[0]
    off = PCAP_HDR_BYTES
    i = 0
    scale = 1 if nanos else 1000
    while off < size:
        if size - off < PCAP_REC_BYTES:
            return i, E_REC_HDR, i, off, size - off
        sec = _u32(buf, off, swapped)
        frac = _u32(buf, off + 4, swapped)
        cap = _u32(buf, off + 8, swapped)
        orig = _u32(buf, off + 12, swapped)
        if cap > MAX_CAPLEN_BYTES:
            return i, E_CAPLEN, i, off, cap
        if off + PCAP_REC_BYTES + cap > size:
            return i, E_REC_DATA, i, off, cap
        if fill:
            offset[i] = off + PCAP_REC_BYTES
            cap_len[i] = cap
            orig_len[i] = orig
            t_ns[i] = sec * 1_000_000_000 + frac * scale
        i += 1
        off += PCAP_REC_BYTES + cap
    return i, OK, i, off, 0


@numba.njit(cache=True, nogil=True)
def _ts_to_ns(ts, res_code, offset_s):
    """pcapng timestamp units -> ns. ``res_code``: if_tsresol byte (MSB 0: 10^-v s, MSB 1: 2^-v s)."""
    v = res_code & 0x7F
    if res_code & 0x80:
        whole = ts >> v
        part = ts & ((np.int64(1) << v) - 1)
        if v <= 30:
            frac_ns = (part * 1_000_000_000) >> v
        else:
            frac_ns = np.int64(np.float64(part) * 1e9 / np.float64(np.int64(1) << v))
        ns = whole * 1_000_000_000 + frac_ns
    elif v <= 9:
        mult = np.int64(1)
        for _ in range(9 - v):
            mult *= 10
        ns = ts * mult
    else:
        div = np.int64(1)
        for _ in range(v - 9):
            div *= 10
        ns = ts // div
    return ns + offset_s * 1_000_000_000


@numba.njit(cache=True, nogil=True)
def walk_pcapng(buf, fill, offset, cap_len, orig_len, t_ns, link_type):
    """Walk pcapng blocks. Returns ``(count, err, err_record, err_offset, detail)``."""
    size = buf.shape[0]
    off = 0
    i = 0
    swapped = False
    iface_base = 0
    n_if = 0
    if_link = np.zeros(MAX_INTERFACES, np.int64)
    if_res = np.full(MAX_INTERFACES, 6, np.int64)
    if_off = np.zeros(MAX_INTERFACES, np.int64)
    if_snap = np.zeros(MAX_INTERFACES, np.int64)
    seen_shb = False
    while off < size:
        if size - off < 12:
            return i, E_BLOCK_LEN, i, off, size - off
        btype_le = _u32(buf, off, False)
        if btype_le == 0x0A0D0D0A:
            bom_le = _u32(buf, off + 8, False)
            if bom_le == 0x1A2B3C4D:
                swapped = False
            elif bom_le == 0x4D3C2B1A:
                swapped = True
            else:
                return i, E_BOM, i, off, bom_le
            seen_shb = True
            iface_base = n_if
        elif not seen_shb:
            return i, E_NO_SHB, i, off, btype_le
        btype = _u32(buf, off, swapped)
        blen = _u32(buf, off + 4, swapped)
        if blen < 12 or blen % 4:
            return i, E_BLOCK_LEN, i, off, blen
        if off + blen > size:
            return i, E_BLOCK_PAST, i, off, blen
        if _u32(buf, off + blen - 4, swapped) != blen:
            return i, E_BLOCK_TRAILER, i, off, blen
        body = off + 8
        end = off + blen - 4
        if btype == 1:  # Interface Description Block
            if n_if >= MAX_INTERFACES:
                return i, E_IFACE, i, off, n_if
            if_link[n_if] = _u16(buf, body, swapped)
            if_snap[n_if] = _u32(buf, body + 4, swapped)
            p = body + 8
            while p + 4 <= end:
                code = _u16(buf, p, swapped)
                olen = _u16(buf, p + 2, swapped)
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    if_res[n_if] = buf[p + 4]
                elif code == 14 and olen == 8:
                    lo = _u32(buf, p + 4, swapped)
                    hi = _u32(buf, p + 8, swapped)
                    if_off[n_if] = (hi << 32) | lo if not swapped else (lo << 32) | hi
                p += 4 + ((olen + 3) // 4) * 4
            n_if += 1
        elif btype == 6 or btype == 2:  # Enhanced / obsolete Packet Block
            if btype == 6:
                ifc = _u32(buf, body, swapped)
                ts_hi = _u32(buf, body + 4, swapped)
                ts_lo = _u32(buf, body + 8, swapped)
                cap = _u32(buf, body + 12, swapped)
                orig = _u32(buf, body + 16, swapped)
                data = body + 20
            else:
                ifc = _u16(buf, body, swapped)
                ts_hi = _u32(buf, body + 4, swapped)
                ts_lo = _u32(buf, body + 8, swapped)
                cap = _u32(buf, body + 12, swapped)
                orig = _u32(buf, body + 16, swapped)
                data = body + 20
            ifc += iface_base
            if ifc >= n_if:
                return i, E_IFACE, i, off, ifc - iface_base
            if data + cap > end:
                return i, E_BLOCK_DATA, i, off, cap
            if fill:
                offset[i] = data
                cap_len[i] = cap
                orig_len[i] = orig
                t_ns[i] = _ts_to_ns((ts_hi << 32) | ts_lo, if_res[ifc], if_off[ifc])
                link_type[i] = if_link[ifc]
            i += 1
        elif btype == 3:  # Simple Packet Block: no timestamp, interface 0 of the section
            if iface_base >= n_if:
                return i, E_IFACE, i, off, 0
            orig = _u32(buf, body, swapped)
            cap = orig
            room = end - (body + 4)
            if cap > room:
                cap = room
            snap = if_snap[iface_base]
            if snap > 0 and cap > snap:
                cap = snap
            if fill:
                offset[i] = body + 4
                cap_len[i] = cap
                orig_len[i] = orig
                t_ns[i] = 0
                link_type[i] = if_link[iface_base]
            i += 1
        off += blen
    return i, OK, i, off, 0


_FIX_TRUNCATED = "the file was cut short: copy it again, or read with allow_truncated=True to drop the partial tail"


def check(path: str, err: int, record: int, offset: int, detail: int) -> None:
    """Raise the one-line InputFileError an error code stands for."""
    where = f"{path}: record {record} at byte {offset}"
    if err == OK:
        return
    if err == E_REC_HDR:
        raise InputFileError(where, f"record header cut short ({detail} of 16 bytes)", _FIX_TRUNCATED)
    if err == E_REC_DATA:
        raise InputFileError(where, f"captured length {detail} runs past the end of the file", _FIX_TRUNCATED)
    if err == E_CAPLEN:
        raise InputFileError(where, f"captured length {detail} is larger than any snap length "
                             f"({MAX_CAPLEN_BYTES}); the file is corrupt", "re-capture or repair it (pcapfix)")
    if err == E_BLOCK_LEN:
        raise InputFileError(where, f"pcapng block length {detail} is invalid (needs >= 12 and a multiple of 4)",
                             "the file is corrupt or cut short; repair it (pcapfix) or copy it again")
    if err == E_BLOCK_PAST:
        raise InputFileError(where, f"pcapng block of {detail} bytes runs past the end of the file", _FIX_TRUNCATED)
    if err == E_BLOCK_TRAILER:
        raise InputFileError(where, "pcapng block trailer does not repeat the block length; the file is corrupt",
                             "repair it (pcapfix) or copy it again")
    if err == E_BLOCK_DATA:
        raise InputFileError(where, f"captured length {detail} does not fit in its pcapng block; the file is corrupt",
                             "repair it (pcapfix) or copy it again")
    if err == E_IFACE:
        raise InputFileError(where, f"packet refers to interface {detail}, which no Interface Description Block "
                             "declared", "the file is corrupt; repair it (pcapfix)")
    if err == E_NO_SHB:
        raise InputFileError(where, "pcapng data before any Section Header Block", "the file is corrupt")
    if err == E_BOM:
        raise InputFileError(where, f"pcapng byte-order magic 0x{detail:08x} is neither 1a2b3c4d nor 4d3c2b1a",
                             "the file is corrupt")
    raise InputFileError(where, f"unreadable (error {err})")


def _alloc(n: int):
    return (np.empty(n, np.int64), np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int64),
            np.empty(n, np.int32))


def _trim(arrays, n: int) -> Records:
    """Views of the first ``n`` entries (the untouched tail of an upper-bound allocation is never
    resident, so no copy is needed)."""
    return Records(*(a[:n] for a in arrays))


def walk(buf: np.ndarray, path: str, allow_truncated: bool = False) -> Records:
    """Find every packet in a pcap/pcapng file buffer (one pass; arrays sized by an upper bound)."""
    if buf.shape[0] < 4:
        raise InputFileError(f"{path}: byte 0", f"file has {buf.shape[0]} bytes, too short for a capture header",
                             "give a pcap or pcapng file")
    magic = bytes(buf[:4])
    if magic == b"\x0a\x0d\x0d\x0a":
        arrays = _alloc(buf.shape[0] // 16 + 1)  # a packet block takes >= 16 bytes
        n, err, rec, off, detail = walk_pcapng(buf, True, *arrays)
        if err != OK and not (allow_truncated and err in (E_BLOCK_PAST, E_BLOCK_LEN)):
            check(path, err, rec, off, detail)
        return _trim(arrays, n)
    table = {b"\xd4\xc3\xb2\xa1": (False, False), b"\xa1\xb2\xc3\xd4": (True, False),
             b"\x4d\x3c\xb2\xa1": (False, True), b"\xa1\xb2\x3c\x4d": (True, True)}
    if magic not in table:
        raise InputFileError(f"{path}: byte 0", f"magic 0x{magic.hex()} is neither pcap nor pcapng",
                             "give a .pcap or .pcapng capture (tcpdump -w, tshark -w)")
    swapped, nanos = table[magic]
    if buf.shape[0] < PCAP_HDR_BYTES:
        raise InputFileError(f"{path}: byte 0", f"pcap file header cut short ({buf.shape[0]} of 24 bytes)",
                             "the file is truncated; copy it again")
    link = _u32(buf, 20, swapped) & 0x0FFFFFFF
    arrays = _alloc((buf.shape[0] - PCAP_HDR_BYTES) // PCAP_REC_BYTES + 1)
    n, err, rec, off, detail = walk_pcap(buf, swapped, nanos, True, *arrays[:4])
    if err != OK and not (allow_truncated and err in (E_REC_HDR, E_REC_DATA)):
        check(path, err, rec, off, detail)
    out = _trim(arrays, n)
    out.link_type[:] = link
    return out
