"""Parsers on saved real outputs (each file names where it comes from)."""

from __future__ import annotations

from conftest import sample

from vnetsim.inspect import ethtool, iplink, irqs


def test_show_tunnels_published_example():
    tables = ethtool.parse_tunnels(sample("show-tunnels-netdev-2020.txt"))
    assert tables == [{"size": 4, "types": ["vxlan"], "entries": []},
                      {"size": 4, "types": ["geneve", "vxlan-gpe"],
                       "entries": [{"port": 1230, "type": "vxlan-gpe"}, {"port": 6081, "type": "geneve"}]}]


def test_rss_table_and_key_kernel_doc_example():
    rss = ethtool.parse_rss(sample("ethtool-x-sysctl-net-rst.txt"))
    assert rss["ring_count"] == 8 and rss["table"] == list(range(8))
    assert bytes.fromhex(rss["key"].replace(":", ""))[:4] == bytes([0x84, 0x50, 0xF4, 0x00])
    assert len(bytes.fromhex(rss["key"].replace(":", ""))) == 40


def test_rss_not_supported_virtio():
    rss = ethtool.parse_rss(sample("ethtool-x-virtio.txt"))
    assert rss == {"ring_count": 1, "table": None, "key": None, "hash_function": "toeplitz"}


def test_features_veth():
    f = ethtool.parse_features(sample("ethtool-k-veth.txt"))
    assert f["tx-udp_tnl-segmentation"] == {"on": True, "fixed": False, "requested": None}
    assert f["rx-udp_tunnel-port-offload"] == {"on": False, "fixed": True, "requested": None}
    assert f["tx-checksum-ip-generic"]["on"] and f["large-receive-offload"]["fixed"]
    assert len(f) > 50


def test_channels_rings_coalesce_driver_virtio():
    ch = ethtool.parse_channels(sample("ethtool-l-virtio.txt"))
    assert ch["current"]["combined"] == 1 and ch["max"]["rx"] is None
    rings = ethtool.parse_rings(sample("ethtool-g-virtio.txt"))
    assert rings["current"]["rx"] == 256 and rings["max"]["tx"] == 256
    c = ethtool.parse_coalesce(sample("ethtool-c-virtio.txt"))
    assert c["rx-usecs"] == 0 and c["rx-frames"] == 1 and c["adaptive-rx"] is False and c["rx-usecs-irq"] is None
    drv = ethtool.parse_driver(sample("ethtool-i-virtio.txt"))
    assert drv["driver"] == "virtio_net" and drv["firmware-version"] is None


def test_flow_hash_letters():
    text = ("UDP over IPV4 flows use these fields for computing Hash flow key:\nIP SA\nIP DA\n"
            "L4 bytes 0 & 1 [TCP/UDP src port]\nL4 bytes 2 & 3 [TCP/UDP dst port]\n")
    assert ethtool.parse_flow_hash(text)["letters"] == "sdfn"
    assert ethtool.parse_flow_hash(text.split("L4")[0])["letters"] == "sd"


def test_ip_link_json():
    links = iplink.parse_links(sample("ip-d-j-link.txt"))
    assert links["vx0"]["kind"] == "vxlan"
    assert links["vx0"]["tunnel"]["vni"] == 42 and links["vx0"]["tunnel"]["port"] == 4789
    assert links["vx0"]["tunnel"]["link"] == "v0" and links["vx0"]["tunnel"]["udp_csum"] is True
    assert links["v0"]["kind"] == "veth" and links["br0"]["kind"] == "bridge"
    assert iplink.parse_links("not json") == {}


def test_interrupts():
    table = irqs.parse_interrupts(sample("proc-interrupts.txt"))
    assert table and all(len(r["counts"]) == 2 for r in table)
    names = {r["name"] for r in table}
    assert any(n.startswith("virtio") for n in names)
