"""Hostile captures, one class per test: a one-line error naming the file, the record (or block)
and its byte offset, what is wrong and how to fix it; or a documented repair that is counted.
Nothing from a file reaches a compiled kernel unchecked (docs/models/nic.md, Captures)."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from vnetsim.errors import InputFileError, UserError
from vnetsim.io import read_pcap
from vnetsim.io.records import MAX_INTERFACES
from vnetsim.traffic.config import MAX_FRAME_BYTES, MIN_FRAME_BYTES

FRAME = bytes.fromhex("02000000000102000000000208004500002e0000000040110000"
                      "0a0000010a000002045708ae001a0000") + bytes(18)  # 60 bytes: Ethernet/IPv4/UDP


def pcap(*records, link=1, nanos=False) -> bytes:
    """A little-endian pcap; each record ``(seconds, fraction, caplen, origlen, data)``."""
    out = struct.pack("<IHHiIII", 0xA1B23C4D if nanos else 0xA1B2C3D4, 2, 4, 0, 0, 65535, link)
    for sec, frac, cap, orig, data in records:
        out += struct.pack("<IIII", sec, frac, cap, orig) + data
    return out


def block(btype: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


SHB = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + bytes(-len(value) % 4)


def idb(link=1, tsresol=None, tsoffset=None, raw_options=b"") -> bytes:
    opts = raw_options
    if tsresol is not None:
        opts += option(9, bytes([tsresol]))
    if tsoffset is not None:
        opts += option(14, struct.pack("<q", tsoffset))
    if opts:
        opts += option(0, b"")
    return block(1, struct.pack("<HHI", link, 0, 65535) + opts)


def epb(ts=0, cap=None, orig=None, data=FRAME, iface=0) -> bytes:
    cap = len(data) if cap is None else cap
    orig = cap if orig is None else orig
    return block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, cap, orig) + data)


@pytest.fixture
def write(tmp_path):
    def _write(data: bytes, name: str = "hostile.pcap"):
        p = tmp_path / name
        p.write_bytes(data)
        return p
    return _write


def error(path, **kw) -> str:
    with pytest.raises(InputFileError) as err:
        read_pcap(path, **kw)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}: ") and err.value.exit_status == 2
    assert err.value.fix, "every message says how to fix it"
    return msg


def traffic_error(path) -> str:
    with pytest.raises(InputFileError) as err:
        read_pcap(path).as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}") and err.value.fix
    return msg


# -- lengths: from the record header to Packets.size_bytes (int32) ----------------------------------

@pytest.mark.parametrize("orig", [2**31, 2**32 - 1, (1 << 24) + 1])
def test_original_length_beyond_any_frame(write, orig):
    p = write(pcap((1, 0, 60, 60, FRAME), (1, 5, 60, orig, FRAME)))
    assert error(p) == (f"{p}: record 1 at byte {24 + 76}: original length {orig} is larger than any frame (at most "
                        "16777216 bytes); the file is corrupt (re-capture or repair it (pcapfix))")
    q = write(SHB + idb() + epb(orig=orig), "hostile.pcapng")
    assert f"{q}: record 0 at byte {len(SHB) + len(idb())}: original length {orig} is larger" in error(q)


def test_original_length_below_captured_length(write):
    p = write(pcap((1, 0, 60, 10, FRAME)))
    assert error(p) == (f"{p}: record 0 at byte 24: original length 10 is shorter than the captured length 60; the "
                        "file is corrupt (re-capture or repair it (pcapfix))")
    q = write(SHB + idb() + epb(orig=59), "hostile.pcapng")
    assert "original length 59 is shorter than the captured length 60" in error(q)


def test_captured_length_beyond_any_snap_length_in_pcapng(write):
    big = bytes(262148)
    q = write(SHB + idb() + epb(data=big), "hostile.pcapng")
    assert "captured length 262148 is larger than any snap length (262144)" in error(q)


def test_lengths_are_never_negative_and_fit_int32(write):
    """Every length a reader accepts fits int32 and the frame sizes the engine computes from it."""
    p = write(pcap((1, 0, 60, (1 << 24), FRAME)))
    t = read_pcap(p)
    assert t.orig_len.dtype == np.int32 and t.orig_len.tolist() == [1 << 24]
    assert t.to_packets().size_bytes.tolist() == [(1 << 24) + 4]
    assert "larger than the largest frame the model carries" in traffic_error(p)


def test_zero_captured_length_is_a_frame_without_headers(write):
    """Documented: a record with caplen 0 keeps its original length; its headers are unknown (status 1)."""
    p = write(pcap((1, 0, 0, 200, b""), (1, 5, 0, 0, b"")))
    t = read_pcap(p)
    assert t.cap_len.tolist() == [0, 0] and t.orig_len.tolist() == [200, 0] and t.status.tolist() == [1, 1]
    replay = t.as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES)
    assert replay.orig_len.tolist() == [200, 60] and replay.repairs["padded"] == 1


def test_runts_are_padded_to_the_ethernet_minimum(write):
    """Documented repair: frames shorter than 64 bytes with FCS (a sender's capture sees them before
    the NIC pads them) are replayed as 64-byte frames, and counted."""
    p = write(pcap((1, 0, 42, 42, FRAME[:42]), (1, 5, 60, 60, FRAME), (1, 9, 14, 14, FRAME[:14])))
    t = read_pcap(p)
    assert t.orig_len.tolist() == [42, 60, 14], "the capture as the file has it"
    replay = t.as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES)
    assert replay.orig_len.tolist() == [60, 60, 60] and replay.repairs == {"reordered": 0, "padded": 2, "untimed": 0}
    assert replay.to_packets().size_bytes.min() == MIN_FRAME_BYTES


def test_frame_over_the_models_largest(write):
    p = write(pcap((1, 0, 60, 1500, FRAME), (1, 5, 60, 65226, FRAME), (1, 6, 60, 9085, FRAME)))
    assert traffic_error(p) == (
        f"{p}: record 1 at byte {24 + 76}: frame of 65230 bytes (with its FCS) is larger than the largest frame "
        f"the model carries, {MAX_FRAME_BYTES} bytes; 1 more record is too (a capture on a host with segmentation "
        "offloads holds merged super-frames: capture with them off (ethtool -K IFACE gro off lro off tso off gso off) "
        "or on the wire)")
    ok = write(pcap((1, 0, 60, MAX_FRAME_BYTES - 4, FRAME)), "ok.pcap")
    assert read_pcap(ok).as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES).orig_len.tolist() == [MAX_FRAME_BYTES - 4]
    over = read_pcap(ok)
    with pytest.raises(InputFileError, match="with its FCS, 50 more with the overlay's headers"):
        over.as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES, np.full(len(over.flows), 50))


def test_empty_capture_is_no_traffic(write):
    for p in (write(pcap(), "empty.pcap"), write(SHB + idb(), "empty.pcapng")):
        assert len(read_pcap(p)) == 0, "an empty capture reads as no packets"
        assert traffic_error(p) == (f"{p}: the capture has no packets, so it cannot be replayed as traffic "
                                    "(give a capture with at least one packet)")


# -- time ----------------------------------------------------------------------------------------

def test_timestamps_going_backwards_are_sorted_and_counted(write):
    recs = [(5, 0, 60, 60, FRAME), (3, 0, 60, 61, FRAME + b"x"), (4, 0, 60, 62, FRAME + b"xy"),
            (4, 0, 60, 63, FRAME + b"xyz"), (6, 0, 60, 64, FRAME + b"xyzw")]
    p = write(pcap(*[(s, f, len(d), len(d), d) for s, f, _, _, d in recs]))
    t = read_pcap(p)
    assert t.t_ns.tolist() == [5e9, 3e9, 4e9, 4e9, 6e9], "file order"
    replay = t.as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES)
    assert replay.t_ns.tolist() == [3e9, 4e9, 4e9, 5e9, 6e9]
    assert replay.orig_len.tolist() == [61, 62, 63, 60, 64], "stable: equal times keep the file's order"
    assert replay.record_offset.tolist() == t.record_offset[[1, 2, 3, 0, 4]].tolist(), "records move whole"
    assert replay.repairs["reordered"] == 3, "three records came earlier than one before them"


def test_one_timestamp_for_every_packet_is_spaced_and_counted(write):
    p = write(pcap(*[(7, 0, 60, 60, FRAME)] * 4))
    replay = read_pcap(p).as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES)
    assert np.diff(replay.t_ns).tolist() == [1000] * 3 and replay.repairs["untimed"] == 4
    single = read_pcap(write(pcap((7, 0, 60, 60, FRAME)), "one.pcap")).as_traffic(MIN_FRAME_BYTES, MAX_FRAME_BYTES)
    assert single.repairs["untimed"] == 0


@pytest.mark.parametrize("res, ts, ns", [
    (19, (1 << 63) - 1, ((1 << 63) - 1) // 10**10), (0x80 | 40, (1 << 40) * 7 + (1 << 39), 7_500_000_000),
    (0x80 | 63, (1 << 63) - 1, 999_999_999), (0x80 | 31, 3 << 31, 3_000_000_000),
    (0, 9_223_372_036, 9_223_372_036 * 10**9), (0x80, 5, 5 * 10**9), (3, 1, 1_000_000)])
def test_timestamp_resolution_extremes(write, res, ts, ns):
    p = write(SHB + idb(tsresol=res) + epb(ts=ts), "r.pcapng")
    assert read_pcap(p).t_ns.tolist() == [ns]


@pytest.mark.parametrize("res", [20, 0x7F, 0x80 | 64, 0x80 | 70, 0xFF])
def test_timestamp_resolution_out_of_range(write, res):
    """10^-127 s or a shift by >= 64 used to kill the process with a floating-point trap."""
    p = write(SHB + idb(tsresol=res) + epb(ts=12345), "r.pcapng")
    text = (f"2^-{res & 0x7F}" if res & 0x80 else f"10^-{res}")
    assert error(p) == (f"{p}: interface 0 (Interface Description Block at byte {len(SHB)}): timestamp resolution "
                        f"if_tsresol 0x{res:02x} ({text} s) is out of range (supported: 10^-0 to 10^-19 s and 2^-0 to "
                        "2^-63 s) (the file is corrupt; repair it (pcapfix) or copy it again)")


@pytest.mark.parametrize("offset", [2**62, -(2**62), 9_223_372_037])
def test_timestamp_offset_out_of_range(write, offset):
    p = write(SHB + idb(tsoffset=offset) + epb(ts=1), "o.pcapng")
    assert f"timestamp offset if_tsoffset {offset} s is out of range (at most 9223372036 s" in error(p)


@pytest.mark.parametrize("res, ts, offset", [(6, (1 << 63) + 5, None), (6, (1 << 64) - 1, None),
                                             (0, 9_223_372_037, None), (9, 1, -5), (0x80, (1 << 62), None),
                                             (9, (1 << 63) - 10, 1)])
def test_timestamp_out_of_int64_nanoseconds(write, res, ts, offset):
    p = write(SHB + idb(tsresol=res, tsoffset=offset) + epb(ts=ts), "t.pcapng")
    assert error(p).startswith(f"{p}: record 0 at byte {len(SHB) + len(idb(tsresol=res, tsoffset=offset))}: "
                               "timestamp (interface 0) is out of range: before 1970 or after 2262")


def test_negative_offset_within_range(write):
    p = write(SHB + idb(tsresol=9, tsoffset=-1) + epb(ts=3 * 10**9), "t.pcapng")
    assert read_pcap(p).t_ns.tolist() == [2 * 10**9]


# -- pcapng structure ----------------------------------------------------------------------------

@pytest.mark.parametrize("btype, name, least, is_record", [
    (6, "Enhanced Packet Block", 32, True), (2, "Packet Block", 32, True), (3, "Simple Packet Block", 16, True),
    (1, "Interface Description Block", 20, False)])
def test_block_with_an_empty_body_says_what_it_is(write, btype, name, least, is_record):
    p = write(SHB + idb() + block(btype, b""), "e.pcapng")
    where = f"record 0 at byte {len(SHB) + len(idb())}" if is_record else f"byte {len(SHB) + len(idb())}"
    assert error(p) == (f"{p}: {where}: {name} of 12 bytes is too short (it needs at least {least} bytes); the file "
                        "is corrupt (repair it (pcapfix) or copy it again)")


def test_section_header_too_short(write):
    p = write(block(0x0A0D0D0A, struct.pack("<I", 0x1A2B3C4D)) + idb(), "s.pcapng")
    assert "Section Header Block of 16 bytes is too short (it needs at least 28 bytes)" in error(p)


def test_simple_packet_block_cannot_have_a_negative_captured_length(write):
    p = write(SHB + idb() + block(3, struct.pack("<I", 1500)), "s.pcapng")
    t = read_pcap(p)
    assert t.cap_len.tolist() == [0] and t.orig_len.tolist() == [1500] and t.status.tolist() == [1]


def test_more_interfaces_than_supported(write):
    p = write(SHB + idb() * (MAX_INTERFACES + 1) + epb(iface=MAX_INTERFACES), "i.pcapng")
    assert error(p) == (f"{p}: Interface Description Block at byte {len(SHB) + MAX_INTERFACES * len(idb())}: more "
                        "than 1024 interfaces: at most 1024 interfaces are supported in one file (split the capture "
                        "(editcap) or merge its interfaces)")
    assert len(read_pcap(write(SHB + idb() * MAX_INTERFACES + epb(iface=MAX_INTERFACES - 1), "j.pcapng"))) == 1


def test_interface_not_declared(write):
    p = write(SHB + idb() + epb(iface=2**32 - 1), "i.pcapng")
    assert "packet refers to interface 4294967295, which no Interface Description Block declared (the section " \
        "declares 1)" in error(p)


def test_interfaces_are_per_section(write):
    p = write(SHB + idb() + idb() + epb(iface=1) + SHB + idb() + epb(iface=1), "i.pcapng")
    assert "record 1 at byte" in error(p) and "(the section declares 1)" in error(p)


def test_option_running_past_its_block(write):
    p = write(SHB + idb(raw_options=struct.pack("<HH", 9, 200) + b"\x06\x00\x00\x00") + epb(), "o.pcapng")
    assert error(p) == (f"{p}: Interface Description Block at byte {len(SHB)}: option 9 of 200 bytes runs past the "
                        "end of its block; the file is corrupt (repair it (pcapfix) or copy it again)")


@pytest.mark.parametrize("link", [0, 105, 127, 65535])
def test_unsupported_link_type_in_pcapng(write, link):
    p = write(SHB + idb(link=link) + epb(), "l.pcapng")
    assert error(p).startswith(f"{p}: record 0 at byte {len(SHB) + len(idb())}: link type {link} is not supported")


# -- not files, not ports --------------------------------------------------------------------------

def test_fifo_and_directory_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo.pcap"
    os.mkfifo(fifo)
    assert error(fifo) == f"{fifo}: not a regular file (give a pcap or pcapng file)"
    assert error(tmp_path).startswith(f"{tmp_path}: ")


@pytest.mark.parametrize("ports", [[70000], [-1], [10**30], ["x"], [1.5]])
def test_tunnel_ports_out_of_range(write, ports):
    p = write(pcap((1, 0, 60, 60, FRAME)))
    with pytest.raises(UserError) as err:
        read_pcap(p, vxlan_ports=ports)
    assert str(err.value).startswith(f"{p}: vxlan_ports: ") and "0 to 65535" in str(err.value)
