"""Bad captures: one clear line (file, record, byte offset, what, fix), exit status 2; never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.errors import InputFileError
from vnetsim.io import read_pcap, write_pcap
from vnetsim.net.flows import FlowTable


@pytest.fixture
def good(tmp_path):
    f = FlowTable.build(ip_src="10.0.0.1", ip_dst="10.0.0.2", ip_proto=17, src_port=1, dst_port=2)
    path = tmp_path / "good.pcap"
    write_pcap(path, np.arange(3) * 1000, np.zeros(3, int), np.array([100, 200, 300]), f)
    return path


def _error(path, **kw) -> str:
    with pytest.raises(InputFileError) as err:
        read_pcap(path, **kw)
    msg = str(err.value)
    assert "\n" not in msg and err.value.exit_status == 2
    return msg


def test_truncated_last_record(tmp_path, good):
    raw = good.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(raw[:-10])
    # records: 24-byte file header, then 16 + 96, 16 + 196, 16 + 296 bytes
    assert _error(cut) == (f"{cut}: record 2 at byte {24 + 112 + 212}: captured length 296 runs past the end of "
                           "the file (the file was cut short: copy it again, or read with allow_truncated=True to "
                           "drop the partial tail)")
    trace = read_pcap(cut, allow_truncated=True)
    assert len(trace) == 2 and trace.orig_len.tolist() == [96, 196]


def test_truncated_record_header(tmp_path, good):
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(good.read_bytes()[:24 + 112 + 5])
    assert _error(cut).startswith(f"{cut}: record 1 at byte 136: record header cut short (5 of 16 bytes)")


def test_truncated_file_header_and_empty(tmp_path, good):
    p = tmp_path / "h.pcap"
    p.write_bytes(good.read_bytes()[:10])
    assert "pcap file header cut short (10 of 24 bytes)" in _error(p)
    p.write_bytes(b"")
    assert "too short for a capture header" in _error(p)


def test_not_a_capture(tmp_path):
    p = tmp_path / "x.pcap"
    p.write_text("hello world, not a capture")
    assert _error(p) == (f"{p}: byte 0: magic 0x68656c6c is neither pcap nor pcapng (give a .pcap or .pcapng "
                         "capture (tcpdump -w, tshark -w))")


def test_missing_file(tmp_path):
    assert "cannot open" in _error(tmp_path / "nope.pcap")


def test_absurd_captured_length(tmp_path, good):
    raw = bytearray(good.read_bytes())
    raw[24 + 8:24 + 12] = (10**7).to_bytes(4, "little")
    p = tmp_path / "big.pcap"
    p.write_bytes(bytes(raw))
    assert "captured length 10000000 is larger than any snap length" in _error(p)


def test_unsupported_link_type(tmp_path, good):
    raw = bytearray(good.read_bytes())
    raw[20:24] = (127).to_bytes(4, "little")  # 802.11 radiotap
    p = tmp_path / "wifi.pcap"
    p.write_bytes(bytes(raw))
    assert _error(p).startswith(f"{p}: record 0 at byte 24: link type 127 is not supported (capture on an Ethernet")


def _block(btype: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    n = len(body) + 12
    return btype.to_bytes(4, "little") + n.to_bytes(4, "little") + body + n.to_bytes(4, "little")


def _shb() -> bytes:
    return _block(0x0A0D0D0A, (0x1A2B3C4D).to_bytes(4, "little") + (1).to_bytes(2, "little") + bytes(2)
                  + (-1).to_bytes(8, "little", signed=True))


def test_pcapng_truncated_block(tmp_path):
    idb = _block(1, (1).to_bytes(2, "little") + bytes(2) + (65535).to_bytes(4, "little"))
    frame = bytes(60)
    epb = _block(6, bytes(4) + bytes(8) + (60).to_bytes(4, "little") * 2 + frame)
    data = _shb() + idb + epb + epb
    p = tmp_path / "t.pcapng"
    p.write_bytes(data[:-7])
    off = len(_shb() + idb + epb)
    assert _error(p) == (f"{p}: record 1 at byte {off}: pcapng block of {len(epb)} bytes runs past the end of the "
                         "file (the file was cut short: copy it again, or read with allow_truncated=True to drop "
                         "the partial tail)")
    assert len(read_pcap(p, allow_truncated=True)) == 1


def test_pcapng_packet_before_interface(tmp_path):
    epb = _block(6, bytes(4) + bytes(8) + (60).to_bytes(4, "little") * 2 + bytes(60))
    p = tmp_path / "n.pcapng"
    p.write_bytes(_shb() + epb)
    assert "refers to interface 0, which no Interface Description Block declared" in _error(p)


def test_pcapng_bad_trailer(tmp_path):
    idb = bytearray(_block(1, (1).to_bytes(2, "little") + bytes(6)))
    idb[-4:] = (999).to_bytes(4, "little")
    p = tmp_path / "b.pcapng"
    p.write_bytes(_shb() + bytes(idb))
    assert "trailer does not repeat the block length" in _error(p)


def test_pcapng_captured_length_past_its_block(tmp_path):
    idb = _block(1, (1).to_bytes(2, "little") + bytes(2) + (65535).to_bytes(4, "little"))
    epb = _block(6, bytes(4) + bytes(8) + (200).to_bytes(4, "little") * 2 + bytes(60))
    p = tmp_path / "c.pcapng"
    p.write_bytes(_shb() + idb + epb)
    assert "captured length 200 does not fit in its pcapng block; the file is corrupt" in _error(p)
