"""--emit-scenario from parsed real outputs: RSS key and table, coalescing, offloads, C-states."""

from __future__ import annotations

from conftest import sample

from vnetsim.host import Host
from vnetsim.inspect.emit import host_fragment
from vnetsim.inspect.ethtool import parse_channels, parse_coalesce, parse_features, parse_rings, parse_rss


def _entry(**over):
    e = {"name": "eth0", "type": "physical", "family": None, "driver": {"driver": "x"},
         "link": {"speed_mbps": 25000}, "channels": {"current": {"combined": 8}},
         "rings": parse_rings(sample("ethtool-g-virtio.txt")),
         "coalesce": parse_coalesce(sample("ethtool-c-virtio.txt")),
         "rss": parse_rss(sample("ethtool-x-sysctl-net-rst.txt")),
         "flow_hash": {"udp4": {"letters": "sdfn"}, "tcp4": {"letters": "sdfn"}},
         "features": parse_features(sample("ethtool-k-veth.txt"))}
    e.update(over)
    return e


HOST = {"cstates": [{"name": "C1", "exit_latency_us": 2, "target_residency_us": 2, "disabled": False},
                    {"name": "C6", "exit_latency_us": 133, "target_residency_us": 600, "disabled": True}]}


def test_fragment_is_a_valid_host_with_what_was_read():
    frag, skipped = host_fragment(_entry(), HOST)
    host = Host.model_validate(frag)
    assert host.pnic.line_rate == 25e9 and host.pnic.rx_queues == 8 and host.pnic.ring_size == 256
    rss = host.pnic.steering.rss
    assert rss.key_material()[:4] == bytes([0x84, 0x50, 0xF4, 0x00]) and rss.reta == list(range(8))
    assert rss.fields.udp4 == "sdfn"
    assert host.pnic.coalescing.scheme == "off"            # rx-usecs 0, rx-frames 1
    assert host.pnic.offloads.tunnel_tso is True and host.pnic.offloads.lro is False
    assert [c.name for c in host.service.cstates] == ["C1"]  # the disabled C6 is left out
    assert skipped == []


def test_what_the_model_cannot_take_is_listed():
    coal = {"adaptive-rx": True, "rx-usecs": 50, "rx-frames": 0}
    frag, skipped = host_fragment(_entry(coalesce=coal, link={}, channels={"current": {"combined": 4}}), {})
    host = Host.model_validate(frag)
    assert host.pnic.coalescing.scheme == "timer" and host.pnic.coalescing.usecs == 50e3
    assert host.pnic.steering.rss.reta is None             # 8 entries point past 4 queues: left at default
    assert any("adaptive" in s for s in skipped) and any("link speed" in s for s in skipped)
    assert any("RSS table" in s for s in skipped)
    assert parse_channels(sample("ethtool-l-virtio.txt"))["current"]["combined"] == 1
