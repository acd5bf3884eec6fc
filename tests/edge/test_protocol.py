"""Header overhead against hand-computed header sums and against packets scapy builds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vnetsim.edge.config import Protocol
from vnetsim.edge.protocol import coap_header_bytes, framing, mqtt_remaining_length_bytes
from vnetsim.errors import ModelError


def test_mqtt_small_publish_over_tcp_ipv4_by_hand():
    # PUBLISH QoS 0, topic "a/b", 10-byte payload: 1 (type) + 1 (remaining length 15) + 2 + 3 (topic)
    # = 7; TCP 20 + 12 (timestamps) = 32; IPv4 20: 69 bytes for 10 of payload
    f = framing(Protocol(application="mqtt", topic="a/b"), 10)
    assert (f.application, f.transport, f.ip, f.security, f.link) == (7, 32, 20, 0, 0)
    assert f.total_bytes == 69 and f.overhead_bytes == 59
    assert f.efficiency == pytest.approx(10 / 69)
    assert framing(Protocol(application="mqtt", topic="a/b", qos=1), 10).application == 9
    assert framing(Protocol(topic="a/b", ip_version=6, tcp_options_bytes=0), 10).total_bytes == 10 + 7 + 20 + 40


@pytest.mark.parametrize("remaining,expected", [(0, 1), (127, 1), (128, 2), (16383, 2), (16384, 3),
                                                (2097151, 3), (2097152, 4), (268435455, 4)])
def test_mqtt_remaining_length_table(remaining, expected):
    """MQTT 3.1.1 section 2.2.3: the boundaries of the 1- to 4-byte Remaining Length."""
    assert mqtt_remaining_length_bytes(remaining) == expected


def test_mqtt_remaining_length_grows_with_the_payload():
    small = framing(Protocol(topic="t"), 100).application        # remaining 103: 1 byte
    large = framing(Protocol(topic="t"), 200).application        # remaining 203: 2 bytes
    assert (small, large) == (1 + 1 + 3, 1 + 2 + 3)


def test_coap_over_udp_ipv6_by_hand():
    # header 4 + token 2 + Uri-Path "s" (1 + 1) + Uri-Path "t" (1 + 1) + payload marker 1 = 11
    f = framing(Protocol(application="coap", topic="s/t", token_bytes=2, ip_version=6), 4)
    assert (f.application, f.transport, f.ip) == (11, 8, 40) and f.total_bytes == 63
    # a 13-byte segment needs an extended length byte; 269 bytes two
    assert coap_header_bytes("abcdefghijklm", 0, 0) == 4 + 1 + 1 + 13
    assert coap_header_bytes("x" * 269, 0, 0) == 4 + 1 + 2 + 269


def test_security_records():
    assert framing(Protocol(topic="a/b", security="tls13"), 10).security == 5 + 1 + 16
    assert framing(Protocol(application="coap", topic="s", security="dtls12"), 10).security == 13 + 8 + 16


def test_headers_equal_what_scapy_builds():
    """The same messages built by scapy (MQTT and CoAP contrib layers): same byte counts."""
    scapy = pytest.importorskip("scapy.all")
    from scapy.contrib.coap import CoAP
    from scapy.contrib.mqtt import MQTT, MQTTPublish

    ts = [("NOP", None), ("NOP", None), ("Timestamp", (1, 2))]
    for topic, payload in (("a/b", 10), ("factory/line1/vibration", 200), ("t", 1000)):
        publish = MQTTPublish(topic=topic.encode(), value=b"x" * payload)
        pkt = scapy.IP() / scapy.TCP(options=ts) / MQTT(type=3) / publish
        assert len(scapy.raw(pkt)) == framing(Protocol(topic=topic), payload).total_bytes, topic
    for path, payload in (("s/t", 4), ("sensors/temperature-and-humidity", 50)):
        opts = [("Uri-Path", seg.encode()) for seg in path.split("/")]
        pkt = scapy.IPv6() / scapy.UDP() / CoAP(type=1, code=2, token=b"ab", options=opts, paymark=b"\xff") / (
            b"y" * payload)
        expected = framing(Protocol(application="coap", topic=path, token_bytes=2, ip_version=6), payload)
        assert len(scapy.raw(pkt)) == expected.total_bytes, path


def test_bad_protocols():
    with pytest.raises(ValidationError, match="MQTT runs over TCP"):
        Protocol(application="mqtt", transport="udp")
    with pytest.raises(ValidationError, match="CoAP"):
        Protocol(application="coap", transport="tcp")
    with pytest.raises(ValidationError, match="DTLS runs over UDP"):
        Protocol(security="dtls12")
    with pytest.raises(ModelError, match="MTU"):
        framing(Protocol(topic="a"), 1500)
