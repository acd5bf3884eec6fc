"""Validated configuration of NIC steering, overlays and offloads (pydantic v2).

Every default names its source (docs/references.md, cited by heading in docs/models/nic.md);
values without a published source say "assumption" and "low confidence".
Cross-field checks (RETA entries versus queues, key length) raise ``ValueError`` whose text names
the field, so the scenario loader's one-line error says where; ``parse_config`` does that here.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vnetsim.errors import ScenarioError
from vnetsim.nic.rss_key import KEY_BYTES, MICROSOFT_KEY
from vnetsim.units import parse_cost
from vnetsim.units.fields import Bytes, CostSpec

HashChoice = Literal["sd", "sdfn"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RssFieldsConfig(_Model):
    """``ethtool -N ethX rx-flow-hash <type> sd|sdfn`` per protocol."""

    tcp4: HashChoice = Field("sdfn", description="TCP/IPv4 hash input; all drivers hash ports for TCP "
                             "(docs/references.md, RSS hash fields)")
    udp4: HashChoice = Field("sd", description="UDP/IPv4 hash input: 'sd' = IPs only, the ixgbe/igb default; "
                             "mlx4/mlx5/netvsc use 'sdfn' (docs/references.md, RSS hash fields)")
    tcp6: HashChoice = Field("sdfn", description="TCP/IPv6 hash input (as tcp4)")
    udp6: HashChoice = Field("sd", description="UDP/IPv6 hash input (as udp4: ixgbe default 'sd')")

    @classmethod
    def profile(cls, driver: str) -> RssFieldsConfig:
        """Driver defaults: ``ixgbe``/``igb`` hash UDP on IPs only; ``mlx5``/``mlx4``/``netvsc`` on IPs+ports."""
        if driver in ("ixgbe", "igb", "i40e"):
            return cls()
        if driver in ("mlx4", "mlx5", "netvsc"):
            return cls(udp4="sdfn", udp6="sdfn")
        raise ValueError(f"unknown driver profile {driver!r}; use ixgbe, igb, i40e, mlx4, mlx5 or netvsc")


class RssConfig(_Model):
    """Toeplitz RSS: key, hashed fields, layer and indirection table."""

    key: str = Field("microsoft", description="'microsoft' (the verification key, MS docs 'Verifying the RSS "
                     "Hash Calculation'), 'random' (Linux netdev_rss_key_fill, sysctl/net.rst) or the key as hex "
                     "(docs/references.md, RSS key)")
    key_bytes: Bytes = Field(KEY_BYTES, description="key length; 40 bytes (docs/references.md, RSS key)")
    key_seed: int = Field(0, description="seed of the 'random' key (reproducible runs)")
    reta_size: int = Field(128, description="indirection-table entries, a power of two; 128 on 82599/X540, "
                           "vmxnet3, virtio; 512 X550/i40e; 256 mlx5 (docs/references.md, RETA size)")
    reta: list[int] | None = Field(None, description="RETA contents (queue per entry); default round robin "
                                   "i % queues (Linux ethtool_rxfh_indir_default)")
    layer: Literal["outer", "inner"] = Field("outer", description="hash the outer headers, or the inner headers "
                                             "of tunneled packets (DPDK rss level 2; mlx5 yes, ixgbe/i40e no; "
                                             "docs/references.md, Inner RSS)")
    fields: RssFieldsConfig = Field(default_factory=RssFieldsConfig, description="sd/sdfn per protocol")

    @field_validator("reta_size")
    @classmethod
    def _reta_size(cls, v: int) -> int:
        if v < 1 or v & (v - 1) or v > 65536:
            raise ValueError(f"reta_size must be a power of two (128, 256, 512...), got {v}")
        return v

    @model_validator(mode="after")
    def _key_and_reta(self) -> RssConfig:
        if self.key not in ("microsoft", "random"):
            text = self.key.replace(":", "").replace(" ", "")
            try:
                raw = bytes.fromhex(text)
            except ValueError:
                raise ValueError("key: expected 'microsoft', 'random' or hex digits "
                                 f"(e.g. 6d5a56da...), got {self.key!r}") from None
            if len(raw) != self.key_bytes:
                raise ValueError(f"key: the RSS key has {len(raw)} bytes, expected {self.key_bytes} "
                                 f"({2 * self.key_bytes} hex digits)")
        elif self.key == "microsoft" and self.key_bytes != len(MICROSOFT_KEY):
            raise ValueError(f"key: the Microsoft key has {len(MICROSOFT_KEY)} bytes, key_bytes is {self.key_bytes}")
        if self.reta is not None and len(self.reta) != self.reta_size:
            raise ValueError(f"reta: has {len(self.reta)} entries, reta_size is {self.reta_size}")
        return self

    def key_material(self) -> bytes:
        """The key bytes this config means."""
        if self.key == "microsoft":
            return MICROSOFT_KEY
        if self.key == "random":
            rng = np.random.default_rng(self.key_seed)
            return rng.integers(0, 256, self.key_bytes, dtype=np.uint8).tobytes()
        return bytes.fromhex(self.key.replace(":", "").replace(" ", ""))

    def check_reta_queues(self, n_queues: int, path: str) -> None:
        """ValueError naming ``path.reta[i]`` if an entry points past ``n_queues``."""
        if self.reta is None:
            return
        for i, q in enumerate(self.reta):
            if not 0 <= q < n_queues:
                raise ValueError(f"{path}.reta[{i}]: entry {q} points past the {n_queues} RSS queues "
                                 f"(valid 0-{n_queues - 1}); use a queue index below {n_queues} or add queues")


class QueueFilterConfig(_Model):
    """A NetQueue filter on destination MAC, VLAN, or both."""

    mac: str | None = Field(None, description="destination MAC, e.g. '00:50:56:aa:bb:01'")
    vlan: int | None = Field(None, ge=0, le=4094, description="VLAN id")

    @model_validator(mode="after")
    def _one_of(self) -> QueueFilterConfig:
        if self.mac is None and self.vlan is None:
            raise ValueError("a filter needs mac, vlan, or both")
        if self.mac is not None:
            from vnetsim.net.ethernet import mac_to_int
            mac_to_int(self.mac)
        return self


class NetQueueConfig(_Model):
    """VMware NetQueue: filters on queues, the default queue, default-queue RSS."""

    filters: list[QueueFilterConfig] = Field(default_factory=list, description="extra filters (e.g. VM MACs)")
    vtep_filters: Literal["mac+vlan", "mac", "vlan", "none"] = Field(
        "mac+vlan", description="filter installed per VTEP; a VTEP has one MAC and one VLAN, so its traffic "
        "matches one filter (docs/references.md, VTEPs and teaming)")
    load_balancer: Literal["round_robin", "least_loaded"] = Field(
        "round_robin", description="how filters are placed on non-default queues (assumption: the ESXi "
        "balancer's exact policy is not published; least_loaded = largest load first)")
    max_filters_per_queue: int | None = Field(None, ge=1, description="filters beyond this stay on the "
                                              "default queue (None = unlimited; assumption)")
    default_queue_rss: int = Field(1, ge=1, description="queues of default-queue RSS (DRSS); 1 = off, "
                                   "e.g. 4 (docs/references.md, ESXi RX and TX threads)")
    filter_rss_queues: int = Field(1, ge=1, description="queues behind each filter, spread by RSS (NetQueue "
                                   "RSS, e.g. inner RSS for a VTEP); 1 = off (assumption: group size is "
                                   "driver-specific, e.g. 4)")


class SteeringConfig(_Model):
    """How the NIC picks an RX queue per flow."""

    mode: Literal["single", "rss", "netqueue"] = Field(
        "netqueue", description="'single': one queue; 'rss': Toeplitz over all queues (Linux-style); "
        "'netqueue': filters + default queue (ESXi-style, docs/references.md, NetQueue and the default queue)")
    queues: int = Field(8, ge=1, le=1024, description="RX queues of the port (assumption, low confidence: "
                        "no published default; drivers default to min(cores, hardware max))")
    rss: RssConfig = Field(default_factory=RssConfig, description="RSS for mode 'rss' and for default-queue RSS")
    netqueue: NetQueueConfig = Field(default_factory=NetQueueConfig, description="filters, default queue and "
                                     "DRSS for mode 'netqueue' (docs/references.md, NetQueue and the default queue)")

    @model_validator(mode="after")
    def _fit(self) -> SteeringConfig:
        if self.mode == "rss":
            self.rss.check_reta_queues(self.queues, "rss")
        elif self.mode == "netqueue":
            if self.netqueue.default_queue_rss > self.queues:
                raise ValueError(f"netqueue.default_queue_rss: {self.netqueue.default_queue_rss} queues do not fit "
                                 f"in {self.queues} RX queues; use at most {self.queues}")
            sets = [k for k in (self.netqueue.default_queue_rss, self.netqueue.filter_rss_queues) if k > 1]
            self.rss.check_reta_queues(min(sets) if sets else 1, "rss")
            used = self.netqueue.default_queue_rss + self.netqueue.filter_rss_queues
            if self.netqueue.filter_rss_queues > 1 and used > self.queues:
                raise ValueError(f"netqueue.filter_rss_queues: {self.netqueue.filter_rss_queues} queues per filter "
                                 f"do not fit beside {self.netqueue.default_queue_rss} default queue(s) in "
                                 f"{self.queues} RX queues")
        return self


class VtepConfig(_Model):
    """One VTEP (vmknic) of this host."""

    mac: str = Field(description="VTEP MAC")
    ip: str = Field(description="VTEP IP (IPv4 or IPv6; sets the outer IP version)")
    vlan: int | None = Field(None, ge=0, le=4094, description="transport VLAN (None = untagged)")

    @field_validator("mac")
    @classmethod
    def _mac(cls, v: str) -> str:
        from vnetsim.net.ethernet import mac_to_int
        mac_to_int(v)
        return v

    @field_validator("ip")
    @classmethod
    def _ip(cls, v: str) -> str:
        import ipaddress
        try:
            ipaddress.ip_address(v)
        except ValueError:
            raise ValueError(f"expected an IPv4 or IPv6 address, got {v!r}") from None
        return v


def _default_vteps() -> list[VtepConfig]:
    return [VtepConfig(mac="00:50:56:60:00:01", ip="172.16.0.1", vlan=None)]


class OverlayConfig(_Model):
    """Tunnel type, ports and this host's VTEPs."""

    tunnel: Literal["vxlan", "geneve"] = Field("vxlan", description="VXLAN (RFC 7348) or Geneve (RFC 8926)")
    vni: int = Field(5001, ge=0, le=(1 << 24) - 1, description="24-bit VNI (example value; any is valid)")
    dst_port: int | None = Field(None, ge=1, le=65535, description="outer UDP destination port; default 4789 for "
                                 "VXLAN (Linux legacy 8472) and 6081 for Geneve (docs/references.md, VXLAN; Geneve)")
    src_port_policy: Literal["rfc7348", "linux", "full", "range", "fixed"] = Field(
        "rfc7348", description="outer UDP source port: hash of inner headers into 49152-65535 (RFC 7348), "
        "32768-60999 (Linux include/net/udp.h), 0-65535 (Geneve allows the whole range), a given range, "
        "or one fixed port (no entropy) (docs/references.md, VXLAN source port)")
    src_port_fixed: int = Field(49152, ge=0, le=65535, description="the port of policy 'fixed'")
    src_port_range: tuple[int, int] | None = Field(None, description="(lo, hi) of policy 'range'")
    geneve_option_bytes: Bytes = Field(0, description="Geneve options length, multiple of 4, 0-252 (RFC 8926)")
    vteps: list[VtepConfig] = Field(default_factory=_default_vteps, min_length=1,
                                    description="this host's VTEPs (one or more)")
    remote_vteps: int = Field(16, ge=1, le=65536, description="VTEPs of the other hosts that send to this "
                              "one (flow i comes from remote VTEP i mod remote_vteps; example value)")
    vm_pinning: Literal["port_id", "mac_hash"] = Field(
        "port_id", description="VM -> VTEP under 'load balance by source' teaming "
        "(docs/references.md, VTEPs and teaming)")
    hash_seed: int = Field(0, description="seed of the inner-flow hash behind the source port")

    @model_validator(mode="after")
    def _check(self) -> OverlayConfig:
        if self.geneve_option_bytes % 4 or self.geneve_option_bytes > 252:
            raise ValueError(f"geneve_option_bytes: must be a multiple of 4 from 0 to 252, "
                             f"got {self.geneve_option_bytes}")
        if self.src_port_policy == "range":
            if self.src_port_range is None:
                raise ValueError("src_port_range: policy 'range' needs [lo, hi]")
            lo, hi = self.src_port_range
            if not 0 <= lo <= hi <= 65535:
                raise ValueError(f"src_port_range: need 0 <= lo <= hi <= 65535, got [{lo}, {hi}]")
        import ipaddress
        versions = {ipaddress.ip_address(v.ip).version for v in self.vteps}
        if len(versions) > 1:
            raise ValueError("vteps: all VTEPs of a host use the same IP version")
        return self

    def resolved_dst_port(self) -> int:
        if self.dst_port is not None:
            return self.dst_port
        return 4789 if self.tunnel == "vxlan" else 6081


class OffloadConfig(_Model):
    """Offloads on (True) or off, by their ``ethtool -k`` names (docs/references.md, Offloads)."""

    tx_checksum: bool = Field(True, description="tx-checksum-*: NIC computes TX L4 checksums")
    rx_checksum: bool = Field(True, description="rx-checksum: NIC validates RX L4 checksums")
    tso: bool = Field(True, description="tcp-segmentation-offload; needs tx_checksum (docs/references.md, Offloads)")
    gso: bool = Field(True, description="generic-segmentation-offload: segment late, in software")
    lro: bool = Field(False, description="large-receive-offload: NIC aggregates (off when bridging/"
                      "routing; docs/references.md, Latency Sensitivity High)")
    gro: bool = Field(True, description="generic-receive-offload: software aggregation in NAPI")
    tunnel_tso: bool = Field(True, description="tx-udp_tnl-segmentation: TSO of encapsulated packets")
    tunnel_csum: bool = Field(True, description="tx-udp_tnl-csum-segmentation: inner checksums of "
                              "encapsulated packets in the NIC")
    rx_udp_tunnel_port: bool = Field(True, description="rx-udp_tunnel-port-offload: NIC knows the VXLAN/"
                                     "Geneve port and parses inner headers (inner RX checksum, LRO, inner RSS)")
    mss_bytes: Bytes = Field(1460, description="TCP MSS: 1500 MTU - 40 B of IPv4+TCP headers (derived)")
    tso_max_bytes: Bytes = Field(65536, description="largest TSO/GSO/GRO super-packet, 64 KiB (Linux "
                                 "GSO_MAX_SIZE; assumption for the NIC)")

    @model_validator(mode="after")
    def _deps(self) -> OffloadConfig:
        if self.tso and not self.tx_checksum:
            raise ValueError("tso: TSO needs tx_checksum on (docs/references.md, Offloads); "
                             "turn tx_checksum on or tso off")
        if self.mss_bytes < 1:
            raise ValueError("mss_bytes: must be at least 1 byte")
        return self


class OffloadCostConfig(_Model):
    """CPU cost of the work offloads move on or off the CPU (cycles of the core paying)."""

    rx_packet: CostSpec = Field(parse_cost("500cycles"), description="kernel RX per packet through the stack, "
                                "~500 cycles (docs/references.md, Kernel and DPDK per-packet cost)")
    tx_packet: CostSpec = Field(parse_cost("440cycles"), description="kernel TX per packet, ~440 cycles "
                                "(docs/references.md, Kernel and DPDK per-packet cost)")
    segment: CostSpec = Field(parse_cost("400cycles"), description="software segmentation (GSO) per segment "
                              "made, taken as one skb allocation ~400 cycles (docs/references.md, Offload CPU costs; "
                              "applied to GSO: low confidence)")
    checksum_per_byte: CostSpec = Field(parse_cost("0.25cycles"), description="software Internet checksum per "
                                        "byte (assumption, low confidence; calibrate)")
    gro_merge: CostSpec = Field(parse_cost("150cycles"), description="software GRO per merged segment "
                                "(assumption, low confidence; calibrate)")
    encap: CostSpec = Field(parse_cost("300cycles"), description="software VXLAN/Geneve encap or decap per "
                            "packet through the tunnel device (assumption, low confidence; calibrate)")


class NicConfig(_Model):
    """A NIC port: steering, overlay and offloads."""

    steering: SteeringConfig = Field(default_factory=SteeringConfig, description="RX queue selection")
    overlay: OverlayConfig | None = Field(None, description="tunnel and VTEPs; None = plain traffic")
    offloads: OffloadConfig = Field(default_factory=OffloadConfig, description="offloads on/off (ethtool -k)")
    offload_costs: OffloadCostConfig = Field(default_factory=OffloadCostConfig, description="CPU costs of "
                                             "the work offloads move")


def parse_config(model: type[BaseModel], data: dict, where: str = "nic") -> BaseModel:
    """Validate ``data`` as ``model``; a failure becomes one ScenarioError line naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        path = f"{where}.{loc}" if loc else where
        raise ScenarioError(path, msg) from None
