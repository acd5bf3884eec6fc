"""``inspect --esxcli`` on real published esxcli output (tests/data/esxcli, each sample cited)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vnetsim.cli import main
from vnetsim.errors import UserError
from vnetsim.inspect import inspect_esxcli
from vnetsim.inspect.esxcli import read_dir

DATA = Path(__file__).resolve().parents[1] / "data" / "esxcli"


def test_bnx2x_nic_get_and_parameters():
    found = read_dir(DATA / "bnx2x-vcdx200")
    get = found["nic_get"]["vmnic4"]
    assert (get["Driver"], get["Version"], get["Firmware Version"], get["Bus Info"]) == \
        ("bnx2x", "2.713.10.v60.4", "bc 7.13.75", "0000:05:00.0")
    params = found["module_parameters"]["bnx2x"]
    assert [p["name"] for p in params] == ["RSS", "autogreeen", "bnx2x_vf_passthru_wait_event_timeout", "debug",
                                           "debug_unhide_nics"]
    assert all(p["value"] is None for p in params)  # nothing set on that host
    assert params[0]["description"].startswith("Controls the number of queues in an RSS pool")


def test_bnx2x_verdict_is_the_seed_example():
    """QLogic 57810: step 1 passes (datasheet), step 2 needs the HCL (unknown), step 3 nothing to set."""
    report = inspect_esxcli(DATA / "bnx2x-vcdx200")
    nic = report["interfaces"][0]
    assert nic["name"] == "vmnic4" and nic["family"].startswith("QLogic / Broadcom 57810")
    tx = nic["verdict"]["vxlan"]["tx"]
    assert [s["result"] for s in tx["steps"]] == ["pass", "unknown", "pass"]
    assert "2.713.10.v60.4" in tx["steps"][1]["evidence"] and "CAP_ENCAP" in tx["steps"][1]["evidence"]
    assert tx["result"] == "unknown"
    assert nic["rss_parameters"] == {"RSS": None}
    assert nic["link"]["speed_mbps"] == 10000  # Advertised Link Modes: 10000BaseT/Full


def test_capability_file_decides_step_two(tmp_path):
    """The decision logic for a saved vsish capability; its value format (0/1) is NOT verified on a
    published sample (docs/inspect.md says so, and so does the evidence)."""
    for f in (DATA / "bnx2x-vcdx200").glob("*.txt"):
        (tmp_path / f.name).write_text(f.read_text())
    (tmp_path / "cap.txt").write_text("[root@esx:~] vsish -e get /net/pNics/vmnic4/hwCapabilities/CAP_ENCAP\n1\n")
    tx = inspect_esxcli(tmp_path)["interfaces"][0]["verdict"]["vxlan"]["tx"]
    assert tx["result"] == "pass" and "CAP_ENCAP = 1" in tx["steps"][1]["evidence"]
    assert "not verified" in tx["steps"][1]["evidence"]


def test_nic_list_and_vmkchdev_samples():
    rows = read_dir(DATA / "esxcfg-nics-pastebin")["nic_list"]
    assert rows == [{"name": "vmnic0", "pci": "0000:03:00.0", "driver": "r8168", "link": "Up", "speed_mbps": 100,
                     "mtu": 1500, "description": "Realtek Semiconductor Co., Ltd. P8P67 and other motherboards"}]
    ids = read_dir(DATA / "vmkchdev-grevink")["vmkchdev"]
    assert ids["vmhba0"] == {"address": "0000:00:1f.2", "vendor": "8086", "device": "3b22",
                             "subsystem_vendor": "103c", "subsystem_device": "3118"}
    report = inspect_esxcli(DATA / "esxcfg-nics-pastebin")
    assert report["interfaces"][0]["family"] is None  # a Realtek NIC is not in the table: step 1 unknown
    assert report["interfaces"][0]["verdict"]["vxlan"]["tx"]["steps"][0]["result"] == "unknown"


def test_cli_json_and_errors(tmp_path, capsys):
    out = tmp_path / "r.json"
    main(["inspect", "--esxcli", str(DATA / "bnx2x-vcdx200"), "--json", str(out)])
    assert json.loads(out.read_text())["interfaces"][0]["name"] == "vmnic4"
    with pytest.raises(UserError):
        inspect_esxcli(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as e:
        main(["inspect", "--esxcli", str(tmp_path / "empty")])
    assert e.value.code == 2 and "holds no esxcli output" in capsys.readouterr().err
