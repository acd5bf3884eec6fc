"""The three steps on saved outputs: a NIC whose tunnel table is the published --show-tunnels
example, with the features of a real veth changed one at a time."""

from __future__ import annotations

import copy

from conftest import sample

from vnetsim.inspect import capabilities
from vnetsim.inspect.ethtool import parse_features, parse_tunnels
from vnetsim.inspect.verdict import combine, verdict

FEATURES = parse_features(sample("ethtool-k-veth.txt"))
TUNNELS = parse_tunnels(sample("show-tunnels-netdev-2020.txt"))
X710 = capabilities.by_pci("8086", "1572")


def _nic_features():
    """A NIC's: the veth's list with the tunnel port offload changeable and on."""
    f = copy.deepcopy(FEATURES)
    f["rx-udp_tunnel-port-offload"] = {"on": True, "fixed": False, "requested": None}
    f["receive-hashing"] = {"on": True, "fixed": False, "requested": None}
    return f


def _steps(v, tunnel, cap):
    return [s["result"] for s in v[tunnel][cap]["steps"]]


def test_registered_geneve_port_passes_and_unregistered_vxlan_fails():
    v = verdict("eth0", X710, _nic_features(), TUNNELS)
    assert _steps(v, "geneve", "rx_csum") == ["pass", "pass", "pass"]  # port 6081, geneve, is in table 1
    assert v["geneve"]["rx_csum"]["result"] == "pass"
    vx = v["vxlan"]["rx_csum"]["steps"][2]
    assert vx["result"] == "fail" and "4789" in vx["evidence"]
    assert vx["command"].startswith("ip link add vxlan0 type vxlan id 1 dstport 4789 dev eth0")
    assert _steps(v, "vxlan", "inner_rss") == ["unknown", "unknown", "fail"]  # i40e: no source for inner RSS
    assert v["vxlan"]["tx"]["result"] == "pass"


def test_each_step_can_fail_on_its_own():
    f = _nic_features()
    f["tx-udp_tnl-csum-segmentation"]["on"] = False
    s = verdict("eth0", X710, f, TUNNELS)["vxlan"]["tx"]["steps"]
    assert [x["result"] for x in s] == ["pass", "pass", "fail"]
    assert s[2]["command"] == "ethtool -K eth0 tx-udp_tnl-csum-segmentation on"
    f["tx-udp_tnl-segmentation"] = {"on": False, "fixed": True, "requested": None}
    assert _steps(verdict("eth0", X710, f, TUNNELS), "vxlan", "tx")[1] == "fail"
    ixgbe = capabilities.by_pci("8086", "10fb")
    assert _steps(verdict("eth0", ixgbe, _nic_features(), TUNNELS), "vxlan", "rx_csum")[0] == "fail"
    g = _nic_features()
    g["rx-checksumming"]["on"] = False
    s = verdict("eth0", X710, g, TUNNELS)["geneve"]["rx_csum"]["steps"][2]
    assert s["result"] == "fail" and s["command"] == "ethtool -K eth0 rx on"


def test_unknowns():
    v = verdict("eth0", None, None, None)
    assert all(v[t][c]["result"] == "unknown" for t in v for c in v[t])
    no_table = verdict("eth0", X710, _nic_features(), None)["geneve"]["rx_csum"]["steps"][2]
    assert no_table["result"] == "unknown" and "not readable" in no_table["evidence"]
    f = _nic_features()
    del f["tx-udp_tnl-csum-segmentation"]
    assert _steps(verdict("eth0", X710, f, TUNNELS), "vxlan", "tx")[1] == "unknown"


def test_combine():
    assert combine([{"result": "pass"}, {"result": "unknown"}]) == "unknown"
    assert combine([{"result": "unknown"}, {"result": "fail"}]) == "fail"
    assert combine([{"result": "pass"}] * 3) == "pass"
