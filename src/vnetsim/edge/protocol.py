"""Header overhead of one IoT message, computed from the protocol headers.

A message of ``payload`` bytes travels as one IP packet:
``link + IP + TCP/UDP + security record + application header + payload``.

- MQTT 3.1.1 PUBLISH (OASIS MQTT 3.1.1, section 3.3): fixed header = 1 byte (type and flags) +
  the Remaining Length as a variable-length integer of 1 to 4 bytes (7 bits per byte); variable
  header = 2-byte topic length + the topic name + a 2-byte packet identifier when QoS > 0.
- CoAP (RFC 7252, section 3): 4-byte header + token (0-8 bytes) + options + a 0xFF payload marker
  when there is a payload. The topic is sent as Uri-Path options (number 11), one per ``/``
  segment: 1 byte of delta/length nibbles, plus 1 extended length byte for 13-268 bytes or 2 for
  269-65804 bytes, plus the segment itself (the first option's delta, 11, fits its nibble).
- TLS 1.3 (RFC 8446, 5.2) with AES-128-GCM: 5-byte record header + 1 byte inner content type +
  16-byte tag = 22 bytes. DTLS 1.2 (RFC 6347, 4.1) with AES-GCM (RFC 5288): 13-byte record header
  + 8-byte explicit nonce + 16-byte tag = 37 bytes.
- TCP 20 bytes + options (RFC 9293; 12 with the RFC 7323 timestamps option), UDP 8 (RFC 768),
  IPv4 20 (RFC 791), IPv6 40 (RFC 8200): the constants of ``vnetsim.net``.

Assumptions: one message per packet (no coalescing of several messages into one TCP segment, no
segmentation: a message must fit in one ``MTU_BYTES`` packet); acknowledgements and the downlink
are not counted (this is the uplink's volume).
"""

from __future__ import annotations

from dataclasses import dataclass

from vnetsim.errors import ModelError
from vnetsim.net.ipv4 import IPV4_HDR_BYTES
from vnetsim.net.ipv6 import IPV6_HDR_BYTES
from vnetsim.net.tcp import TCP_HDR_BYTES
from vnetsim.net.udp import UDP_HDR_BYTES

MTU_BYTES = 1500                    # Ethernet payload (RFC 894); the IP packet's largest size
TLS13_RECORD_BYTES = 5 + 1 + 16     # header, inner content type, AES-GCM tag
DTLS12_RECORD_BYTES = 13 + 8 + 16   # header, explicit nonce, AES-GCM tag
SECURITY_BYTES = {"none": 0, "tls13": TLS13_RECORD_BYTES, "dtls12": DTLS12_RECORD_BYTES}
MQTT_MAX_REMAINING = 268_435_455
COAP_HEADER_BYTES = 4
COAP_URI_PATH = 11


def mqtt_remaining_length_bytes(remaining: int) -> int:
    """Bytes of MQTT's variable-length Remaining Length field (7 bits per byte, at most 4)."""
    if remaining < 0 or remaining > MQTT_MAX_REMAINING:
        raise ModelError("protocol", f"an MQTT packet carries at most {MQTT_MAX_REMAINING} bytes",
                         "send smaller messages")
    n = 1
    while remaining >= 128:
        remaining //= 128
        n += 1
    return n


def mqtt_publish_header_bytes(topic_bytes: int, payload_bytes: int, qos: int) -> int:
    """MQTT 3.1.1 PUBLISH bytes before the payload."""
    variable = 2 + topic_bytes + (2 if qos > 0 else 0)
    return 1 + mqtt_remaining_length_bytes(variable + payload_bytes) + variable


def coap_option_bytes(delta: int, length: int) -> int:
    """One CoAP option: the delta/length byte, extended delta and length bytes, the value."""
    def ext(v: int) -> int:
        return 0 if v <= 12 else (1 if v <= 268 else 2)

    if length > 65804:
        raise ModelError("protocol.topic", "a CoAP option value is at most 65804 bytes", "shorten the path")
    return 1 + ext(delta) + ext(length) + length


def coap_header_bytes(uri_path: str, token_bytes: int, payload_bytes: int) -> int:
    """CoAP bytes before the payload: header, token, Uri-Path options, payload marker."""
    total = COAP_HEADER_BYTES + token_bytes
    delta = COAP_URI_PATH
    for segment in (s for s in uri_path.split("/") if s):
        total += coap_option_bytes(delta, len(segment.encode()))
        delta = 0
    return total + (1 if payload_bytes > 0 else 0)


@dataclass(frozen=True)
class Framing:
    """Bytes of each layer of one message."""

    payload: int
    application: int
    security: int
    transport: int
    ip: int
    link: int

    @property
    def packet_bytes(self) -> int:
        """The IP packet: everything but the link layer."""
        return self.ip + self.transport + self.security + self.application + self.payload

    @property
    def total_bytes(self) -> int:
        return self.packet_bytes + self.link

    @property
    def overhead_bytes(self) -> int:
        return self.total_bytes - self.payload

    @property
    def efficiency(self) -> float:
        """Payload share of the bytes sent."""
        return self.payload / self.total_bytes

    def to_dict(self) -> dict:
        return {"payload_bytes": self.payload, "application_bytes": self.application,
                "security_bytes": self.security, "transport_bytes": self.transport, "ip_bytes": self.ip,
                "link_bytes": self.link, "total_bytes": self.total_bytes, "overhead_bytes": self.overhead_bytes,
                "efficiency": self.efficiency}


def framing(protocol, payload_bytes: int, field: str = "protocol") -> Framing:
    """The layers of one message of ``payload_bytes`` sent with ``protocol`` (a config ``Protocol``)."""
    topic = protocol.topic.encode()
    if protocol.application == "mqtt":
        app = mqtt_publish_header_bytes(len(topic), payload_bytes, protocol.qos)
    elif protocol.application == "coap":
        app = coap_header_bytes(protocol.topic, protocol.token_bytes, payload_bytes)
    else:
        app = 0
    tcp = protocol.transport_name == "tcp"
    transport = TCP_HDR_BYTES + protocol.tcp_options_bytes if tcp else UDP_HDR_BYTES
    ip = IPV4_HDR_BYTES if protocol.ip_version == 4 else IPV6_HDR_BYTES
    f = Framing(payload_bytes, app, SECURITY_BYTES[protocol.security], transport, ip, protocol.link_bytes)
    if f.packet_bytes > MTU_BYTES:
        raise ModelError(field, f"a message of {payload_bytes} payload bytes is a {f.packet_bytes}-byte IP packet, "
                         f"more than the {MTU_BYTES}-byte MTU", "send fewer samples per message (or a smaller "
                         "message_bytes)")
    return f
