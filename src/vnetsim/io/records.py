"""Record walking for pcap and pcapng: where each packet's bytes are, its lengths and timestamp.

Compiled walkers run over the whole file buffer once, touching only record headers. Every value
read from the file is checked before it is used (lengths against the block and the file, option
lengths, interface numbers, timestamp resolutions, offsets and the resulting nanoseconds against
int64): a problem comes back as an error code with the record number, byte offset and details,
and ``check`` turns it into a one-line ``InputFileError``. Nothing from a file reaches arithmetic
that could trap (no division or shift by a file's value) or an array index unchecked.

Formats: pcap (magic a1b2c3d4 = microseconds, a1b23c4d = nanoseconds, either byte order);
pcapng (Section Header, Interface Description with if_tsresol/if_tsoffset, Enhanced, Simple and
obsolete Packet blocks; other blocks skipped; several sections and up to 1024 interfaces).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from vnetsim.errors import InputFileError

PCAP_HDR_BYTES = 24
PCAP_REC_BYTES = 16
MAX_CAPLEN_BYTES = 262144  # libpcap's MAXIMUM_SNAPLEN: larger means corruption
MAX_ORIG_LEN_BYTES = 1 << 24  # 16 MiB: 32x the largest segmentation-offload super-frame (BIG TCP, 512 KiB)
MAX_INTERFACES = 1024
MAX_TSRESOL_DEC = 19      # if_tsresol 10^-0 .. 10^-19 s
MAX_TSRESOL_BIN = 63      # if_tsresol 2^-0 .. 2^-63 s
INT64_MAX = np.iinfo(np.int64).max
MAX_TSOFFSET_S = INT64_MAX // 1_000_000_000  # if_tsoffset in seconds whose nanoseconds fit int64

# pcapng block types and the least length of each (12 bytes of framing + the fixed body)
SHB, IDB, PB, SPB, EPB = 0x0A0D0D0A, 1, 2, 3, 6
BLOCK_NAMES = {SHB: "Section Header Block", IDB: "Interface Description Block", PB: "Packet Block",
               SPB: "Simple Packet Block", EPB: "Enhanced Packet Block"}
MIN_BLOCK_BYTES = {SHB: 28, IDB: 20, PB: 32, SPB: 16, EPB: 32}

# error codes
(OK, E_REC_HDR, E_REC_DATA, E_CAPLEN, E_BLOCK_LEN, E_BLOCK_PAST, E_BLOCK_TRAILER, E_IFACE, E_NO_SHB, E_BOM,
 E_BLOCK_DATA, E_BLOCK_SHORT, E_OPTION, E_TSRESOL, E_TSOFFSET, E_TOO_MANY_IFACES, E_TIMESTAMP, E_ORIG_LEN,
 E_ORIG_BELOW_CAP, E_BOUND) = range(20)


@dataclass
class Records:
    """Per packet: byte offset of its data, captured/original length, timestamp, link type, and the
    byte offset of its record (pcap record header or pcapng block), for messages."""

    offset: np.ndarray
    cap_len: np.ndarray
    orig_len: np.ndarray
    t_ns: np.ndarray
    link_type: np.ndarray
    start: np.ndarray


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
def _lengths_error(cap, orig):
    """The error code of a record's captured and original lengths (OK when they make sense)."""
    if cap > MAX_CAPLEN_BYTES:
        return E_CAPLEN
    if orig > MAX_ORIG_LEN_BYTES:
        return E_ORIG_LEN
    if orig < cap:
        return E_ORIG_BELOW_CAP
    return OK


@numba.njit(cache=True, nogil=True)
def walk_pcap(buf, swapped, nanos, offset, cap_len, orig_len, t_ns, start):
    """Walk classic pcap records from byte 24. Returns ``(count, err, err_record, err_offset, detail, detail2)``."""
    size = buf.shape[0]
    off = PCAP_HDR_BYTES
    i = 0
    scale = 1 if nanos else 1000
    while off < size:
        if size - off < PCAP_REC_BYTES:
            return i, E_REC_HDR, i, off, size - off, 0
        sec = _u32(buf, off, swapped)
        frac = _u32(buf, off + 4, swapped)
        cap = _u32(buf, off + 8, swapped)
        orig = _u32(buf, off + 12, swapped)
        if cap > MAX_CAPLEN_BYTES:
            return i, E_CAPLEN, i, off, cap, 0
        if off + PCAP_REC_BYTES + cap > size:
            return i, E_REC_DATA, i, off, cap, 0
        err = _lengths_error(cap, orig)
        if err != OK:
            return i, err, i, off, orig, cap
        if i >= offset.shape[0]:  # cannot happen: a record takes >= 16 bytes
            return i, E_BOUND, i, off, 0, 0
        offset[i] = off + PCAP_REC_BYTES
        cap_len[i] = cap
        orig_len[i] = orig
        t_ns[i] = sec * 1_000_000_000 + frac * scale  # < 2^32 * 1e9 + 2^32 * 1e3 < 2^63
        start[i] = off
        i += 1
        off += PCAP_REC_BYTES + cap
    return i, OK, i, off, 0, 0


@numba.njit(cache=True, nogil=True)
def tsresol_ok(res_code):
    """Whether an if_tsresol byte is one we convert exactly (10^-0..10^-19 s, 2^-0..2^-63 s)."""
    v = res_code & 0x7F
    return v <= MAX_TSRESOL_BIN if res_code & 0x80 else v <= MAX_TSRESOL_DEC


@numba.njit(cache=True, nogil=True)
def ts_to_ns(ts_hi, ts_lo, res_code, offset_s):
    """pcapng timestamp (two 32-bit words) in units of ``res_code`` (if_tsresol, checked by
    ``tsresol_ok``: MSB 0: 10^-v s, MSB 1: 2^-v s) plus ``offset_s`` (|offset| <= MAX_TSOFFSET_S)
    -> ``(ns since the epoch, ok)``; ``ok`` is False when it does not fit 0..2^63-1 ns."""
    if ts_hi >= (np.int64(1) << 31):
        return np.int64(0), False
    ts = (ts_hi << 32) | ts_lo
    v = res_code & 0x7F
    if res_code & 0x80:
        whole = ts >> v
        part = ts - (whole << v)
        if v <= 33:  # part < 2^33: part * 1e9 < 2^63
            frac_ns = (part * 1_000_000_000) >> v
        else:  # exact floor(part * 1e9 / 2^v) in two 32-bit halves (the low 32 bits cannot carry)
            hi_ns = (part >> 32) * 1_000_000_000
            lo_ns = (part & 0xFFFFFFFF) * 1_000_000_000
            frac_ns = (hi_ns + (lo_ns >> 32)) >> (v - 32)
        if whole > (INT64_MAX - frac_ns) // 1_000_000_000:
            return np.int64(0), False
        ns = whole * 1_000_000_000 + frac_ns
    elif v <= 9:
        mult = np.int64(1)
        for _ in range(9 - v):
            mult *= 10
        if ts > INT64_MAX // mult:
            return np.int64(0), False
        ns = ts * mult
    else:
        div = np.int64(1)
        for _ in range(v - 9):
            div *= 10
        ns = ts // div
    off_ns = offset_s * 1_000_000_000
    if off_ns > 0 and ns > INT64_MAX - off_ns:
        return np.int64(0), False
    ns += off_ns
    if ns < 0:
        return np.int64(0), False
    return ns, True


@numba.njit(cache=True, nogil=True)
def walk_pcapng(buf, offset, cap_len, orig_len, t_ns, link_type, start):
    """Walk pcapng blocks. Returns ``(count, err, err_record, err_offset, detail, detail2)``."""
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
            return i, E_BLOCK_LEN, i, off, size - off, 0
        btype_le = _u32(buf, off, False)
        if btype_le == SHB:
            bom_le = _u32(buf, off + 8, False)
            if bom_le == 0x1A2B3C4D:
                swapped = False
            elif bom_le == 0x4D3C2B1A:
                swapped = True
            else:
                return i, E_BOM, i, off, bom_le, 0
            seen_shb = True
            iface_base = n_if
        elif not seen_shb:
            return i, E_NO_SHB, i, off, btype_le, 0
        btype = _u32(buf, off, swapped)
        blen = _u32(buf, off + 4, swapped)
        if blen < 12 or blen % 4:
            return i, E_BLOCK_LEN, i, off, blen, 0
        if off + blen > size:
            return i, E_BLOCK_PAST, i, off, blen, 0
        if _u32(buf, off + blen - 4, swapped) != blen:
            return i, E_BLOCK_TRAILER, i, off, blen, 0
        need = 12
        if btype == SHB:
            need = 28
        elif btype == IDB:
            need = 20
        elif btype == EPB or btype == PB:
            need = 32
        elif btype == SPB:
            need = 16
        if blen < need:
            return i, E_BLOCK_SHORT, i, off, blen, btype
        body = off + 8
        end = off + blen - 4
        if btype == IDB:
            if n_if >= MAX_INTERFACES:
                return i, E_TOO_MANY_IFACES, i, off, n_if - iface_base, 0
            if_link[n_if] = _u16(buf, body, swapped)
            if_snap[n_if] = _u32(buf, body + 4, swapped)
            if_res[n_if] = 6
            if_off[n_if] = 0
            p = body + 8
            while p + 4 <= end:
                code = _u16(buf, p, swapped)
                olen = _u16(buf, p + 2, swapped)
                if code == 0:
                    break
                if p + 4 + olen > end:
                    return i, E_OPTION, i, off, code, olen
                if code == 9 and olen >= 1:
                    res = np.int64(buf[p + 4])
                    if not tsresol_ok(res):
                        return i, E_TSRESOL, i, off, res, n_if - iface_base
                    if_res[n_if] = res
                elif code == 14 and olen == 8:
                    lo = _u32(buf, p + 4, swapped)
                    hi = _u32(buf, p + 8, swapped)
                    if swapped:
                        lo, hi = hi, lo
                    value = (hi << 32) | lo  # two's complement: if_tsoffset is signed
                    if value > MAX_TSOFFSET_S or value < -MAX_TSOFFSET_S:
                        return i, E_TSOFFSET, i, off, value, n_if - iface_base
                    if_off[n_if] = value
                p += 4 + ((olen + 3) // 4) * 4
            n_if += 1
        elif btype == EPB or btype == PB:
            if btype == EPB:
                ifc = _u32(buf, body, swapped)
            else:
                ifc = _u16(buf, body, swapped)
            ts_hi = _u32(buf, body + 4, swapped)
            ts_lo = _u32(buf, body + 8, swapped)
            cap = _u32(buf, body + 12, swapped)
            orig = _u32(buf, body + 16, swapped)
            data = body + 20
            if ifc >= n_if - iface_base:
                return i, E_IFACE, i, off, ifc, n_if - iface_base
            ifc += iface_base
            if cap > MAX_CAPLEN_BYTES:
                return i, E_CAPLEN, i, off, cap, 0
            if data + cap > end:
                return i, E_BLOCK_DATA, i, off, cap, 0
            err = _lengths_error(cap, orig)
            if err != OK:
                return i, err, i, off, orig, cap
            ns, ok = ts_to_ns(ts_hi, ts_lo, if_res[ifc], if_off[ifc])
            if not ok:
                return i, E_TIMESTAMP, i, off, ifc - iface_base, 0
            if i >= offset.shape[0]:  # cannot happen: a packet block takes >= 16 bytes
                return i, E_BOUND, i, off, 0, 0
            offset[i] = data
            cap_len[i] = cap
            orig_len[i] = orig
            t_ns[i] = ns
            link_type[i] = if_link[ifc]
            start[i] = off
            i += 1
        elif btype == SPB:  # Simple Packet Block: no timestamp, interface 0 of the section
            if iface_base >= n_if:
                return i, E_IFACE, i, off, 0, 0
            orig = _u32(buf, body, swapped)
            if orig > MAX_ORIG_LEN_BYTES:
                return i, E_ORIG_LEN, i, off, orig, 0
            cap = orig
            room = end - (body + 4)  # >= 0: the block has at least 16 bytes
            if cap > room:
                cap = room
            snap = if_snap[iface_base]
            if snap > 0 and cap > snap:
                cap = snap
            if i >= offset.shape[0]:
                return i, E_BOUND, i, off, 0, 0
            offset[i] = body + 4
            cap_len[i] = cap
            orig_len[i] = orig
            t_ns[i] = 0
            link_type[i] = if_link[iface_base]
            start[i] = off
            i += 1
        off += blen
    return i, OK, i, off, 0, 0


_FIX_TRUNCATED = "the file was cut short: copy it again, or read with allow_truncated=True to drop the partial tail"
_FIX_CORRUPT = "the file is corrupt; repair it (pcapfix) or copy it again"
_BLOCK_LEVEL = (E_BLOCK_SHORT, E_OPTION, E_TSRESOL, E_TSOFFSET, E_TOO_MANY_IFACES)


def _tsresol_text(res: int) -> str:
    v = res & 0x7F
    return f"2^-{v} s" if res & 0x80 else f"10^-{v} s"


def check(path: str, err: int, record: int, offset: int, detail: int, detail2: int = 0) -> None:
    """Raise the one-line InputFileError an error code stands for."""
    if err == OK:
        return
    where = f"{path}: record {record} at byte {offset}"
    if err == E_BLOCK_SHORT:
        name = BLOCK_NAMES.get(detail2, f"block of type {detail2}")
        where = f"{path}: record {record} at byte {offset}" if detail2 in (EPB, PB, SPB) else f"{path}: byte {offset}"
        raise InputFileError(where, f"{name} of {detail} bytes is too short (it needs at least "
                             f"{MIN_BLOCK_BYTES[detail2]} bytes); the file is corrupt",
                             "repair it (pcapfix) or copy it again")
    if err in (E_TSRESOL, E_TSOFFSET):
        where = f"{path}: interface {detail2} (Interface Description Block at byte {offset})"
    elif err in _BLOCK_LEVEL:
        where = f"{path}: Interface Description Block at byte {offset}"
    if err == E_REC_HDR:
        raise InputFileError(where, f"record header cut short ({detail} of 16 bytes)", _FIX_TRUNCATED)
    if err == E_REC_DATA:
        raise InputFileError(where, f"captured length {detail} runs past the end of the file", _FIX_TRUNCATED)
    if err == E_CAPLEN:
        raise InputFileError(where, f"captured length {detail} is larger than any snap length "
                             f"({MAX_CAPLEN_BYTES}); the file is corrupt", "re-capture or repair it (pcapfix)")
    if err == E_ORIG_LEN:
        raise InputFileError(where, f"original length {detail} is larger than any frame (at most "
                             f"{MAX_ORIG_LEN_BYTES} bytes); the file is corrupt", "re-capture or repair it (pcapfix)")
    if err == E_ORIG_BELOW_CAP:
        raise InputFileError(where, f"original length {detail} is shorter than the captured length {detail2}; "
                             "the file is corrupt", "re-capture or repair it (pcapfix)")
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
        declared = f"(the section declares {detail2})" if detail2 else "(the section declares none)"
        raise InputFileError(where, f"packet refers to interface {detail}, which no Interface Description Block "
                             f"declared {declared}", "the file is corrupt; repair it (pcapfix)")
    if err == E_TOO_MANY_IFACES:
        raise InputFileError(where, f"more than {MAX_INTERFACES} interfaces: at most {MAX_INTERFACES} interfaces "
                             "are supported in one file", "split the capture (editcap) or merge its interfaces")
    if err == E_OPTION:
        raise InputFileError(where, f"option {detail} of {detail2} bytes runs past the end of its block; "
                             "the file is corrupt", "repair it (pcapfix) or copy it again")
    if err == E_TSRESOL:
        raise InputFileError(where, f"timestamp resolution if_tsresol 0x{detail:02x} "
                             f"({_tsresol_text(detail)}) is out of range (supported: 10^-0 to 10^-{MAX_TSRESOL_DEC} s "
                             f"and 2^-0 to 2^-{MAX_TSRESOL_BIN} s)", _FIX_CORRUPT)
    if err == E_TSOFFSET:
        raise InputFileError(where, f"timestamp offset if_tsoffset {detail} s is out of range "
                             f"(at most {MAX_TSOFFSET_S} s either way, about 292 years)", _FIX_CORRUPT)
    if err == E_TIMESTAMP:
        raise InputFileError(where, f"timestamp (interface {detail}) is out of range: before 1970 or after 2262 "
                             "in nanoseconds since the epoch", "the file is corrupt, or its interface's "
                             "if_tsresol/if_tsoffset are wrong; repair it (pcapfix, editcap -t)")
    if err == E_NO_SHB:
        raise InputFileError(where, "pcapng data before any Section Header Block", "the file is corrupt")
    if err == E_BOM:
        raise InputFileError(where, f"pcapng byte-order magic 0x{detail:08x} is neither 1a2b3c4d nor 4d3c2b1a",
                             "the file is corrupt")
    raise InputFileError(where, f"unreadable (error {err})", _FIX_CORRUPT)


def _alloc(n: int):
    return (np.empty(n, np.int64), np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int64),
            np.empty(n, np.int32), np.empty(n, np.int64))


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
        n, err, rec, off, detail, detail2 = walk_pcapng(buf, *arrays)
        if err != OK and not (allow_truncated and err in (E_BLOCK_PAST, E_BLOCK_LEN)):
            check(path, err, rec, off, detail, detail2)
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
    offset, cap_len, orig_len, t_ns, link_type, start = arrays
    n, err, rec, off, detail, detail2 = walk_pcap(buf, swapped, nanos, offset, cap_len, orig_len, t_ns, start)
    if err != OK and not (allow_truncated and err in (E_REC_HDR, E_REC_DATA)):
        check(path, err, rec, off, detail, detail2)
    out = _trim(arrays, n)
    out.link_type[:] = link
    return out
