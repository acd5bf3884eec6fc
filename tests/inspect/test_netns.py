"""Real kernel devices in a network namespace: inspect reports exactly what was set with ip and
ethtool, and the verdict follows the settings."""

from __future__ import annotations

import json

import pytest
import yaml


def _iface(report: dict, name: str) -> dict:
    return next(e for e in report["interfaces"] if e["name"] == name)


def _setup(ns):
    ns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
    ns.ip("addr", "add", "10.77.0.1/24", "dev", "v0")
    ns.ip("link", "set", "v0", "up")
    ns.ip("link", "set", "v1", "up")
    ns.ip("link", "add", "vx0", "type", "vxlan", "id", "4242", "dstport", "4789", "dev", "v0",
          "local", "10.77.0.1", "srcport", "40000", "50000")
    ns.ip("link", "add", "br0", "type", "bridge")
    ns.ip("link", "set", "v1", "master", "br0")


def test_types_tunnel_details_and_settings(netns):
    _setup(netns)
    netns.ip("link", "set", "v0", "mtu", "1400")
    netns.ethtool("-L", "v0", "rx", "2", "tx", "2")
    report = netns.inspect()
    v0, vx0, br0, v1 = (_iface(report, n) for n in ("v0", "vx0", "br0", "v1"))
    assert v0["type"] == "veth" and vx0["type"] == "vxlan" and br0["type"] == "bridge"
    assert v0["link"]["mtu"] == 1400
    assert v0["channels"]["current"]["rx"] == 2 and v0["channels"]["current"]["tx"] == 2
    assert v0["driver"]["driver"] == "veth" and v0["family"].startswith("veth")
    assert vx0["tunnel"]["vni"] == 4242 and vx0["tunnel"]["port"] == 4789 and vx0["tunnel"]["link"] == "v0"
    assert vx0["tunnel"]["port_range"] == {"low": 40000, "high": 50000}
    assert vx0["verdict"] is None and "v0" in vx0["verdict_note"]
    assert br0["relations"]["bridge_ports"] == ["v1"] and v1["relations"]["master"] == "br0"
    assert v0["tunnel_devices"] == [{"name": "vx0", "type": "vxlan", "port": 4789, "vni": 4242}]
    assert set(report["host"]["sysctls"]) >= {"busy_poll_us", "busy_read_us", "dev_weight"}  # some are init-netns only


def test_tx_offload_verdict_follows_ethtool(netns):
    _setup(netns)
    tx = _iface(netns.inspect("v0"), "v0")["verdict"]["vxlan"]["tx"]
    assert tx["result"] == "pass", tx
    netns.ethtool("-K", "v0", "tx-udp_tnl-segmentation", "off")
    v0 = _iface(netns.inspect("v0"), "v0")
    assert v0["features"]["tx-udp_tnl-segmentation"]["on"] is False
    tx = v0["verdict"]["vxlan"]["tx"]
    assert tx["result"] == "fail" and [s["result"] for s in tx["steps"]] == ["pass", "pass", "fail"]
    assert tx["steps"][2]["command"] == "ethtool -K v0 tx-udp_tnl-segmentation on"
    netns.ethtool("-K", "v0", "tx-udp_tnl-segmentation", "on")
    assert _iface(netns.inspect("v0"), "v0")["verdict"]["vxlan"]["tx"]["result"] == "pass"
    # on veth the NIC never parses the tunnel: the driver step fails on receive
    rx = v0["verdict"]["vxlan"]["rx_csum"]
    assert rx["result"] == "fail" and rx["steps"][1]["result"] == "fail"


def test_optional_devices(netns):
    """VLAN, macvlan and Geneve devices where this kernel has them (skipped, saying so, where not)."""
    _setup(netns)
    made = []
    for name, args in (("v0.10", ("link", "add", "link", "v0", "name", "v0.10", "type", "vlan", "id", "10")),
                       ("mv0", ("link", "add", "mv0", "link", "v0", "type", "macvlan", "mode", "bridge")),
                       ("gn0", ("link", "add", "gn0", "type", "geneve", "id", "7", "remote", "10.77.0.2"))):
        if netns.ip(*args, check=False).returncode == 0:
            made.append(name)
    if not made:
        pytest.skip("this kernel has none of vlan, macvlan, geneve")
    report = netns.inspect()
    kinds = {"v0.10": "vlan", "mv0": "macvlan", "gn0": "geneve"}
    for name in made:
        assert _iface(report, name)["type"] == kinds[name]
    if "v0.10" in made:
        assert _iface(report, "v0.10")["link"]["vlan"]["id"] == 10
    if "gn0" in made:
        assert _iface(report, "gn0")["tunnel"]["vni"] == 7


def test_emitted_scenario_runs(netns, tmp_path):
    _setup(netns)
    netns.ethtool("-K", "v0", "tx-udp_tnl-segmentation", "off")
    out = tmp_path / "host.yaml"
    netns.vnetsim("inspect", "v0", "--emit-scenario", str(out), "--json", str(tmp_path / "r.json"))
    doc = yaml.safe_load(out.read_text())
    assert doc["host"]["pnic"]["offloads"]["tunnel_tso"] is False
    assert doc["host"]["pnic"]["rx_queues"] == 1
    from vnetsim.cli import main

    main(["run", str(out), "-q", "--json", str(tmp_path / "run.json")])
    assert json.loads((tmp_path / "run.json").read_text())


def test_bad_and_missing_interface_names(capsys):
    """Checked before anything runs: one line, exit status 2, no traceback (no namespace needed)."""
    from vnetsim.cli import main
    from vnetsim.inspect.run import valid_iface

    assert not any(valid_iface(n) for n in ("-x", "..", ".", "", "a;b", "$(id)")) and valid_iface("eth0.10")
    for bad, message in (("a/b", "not a valid interface name"), ("x" * 16, "not a valid interface name"),
                         ("a b", "not a valid interface name"), ("..", "not a valid interface name"),
                         ("nosuch0", "does not exist")):
        with pytest.raises(SystemExit) as e:
            main(["inspect", bad])
        err = capsys.readouterr().err
        assert e.value.code == 2 and message in err and "Traceback" not in err and len(err.splitlines()) == 1
