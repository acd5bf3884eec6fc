"""A profile round-trips through `vnetsim run`, and the host model run with it gives the
calibration model's terms: the wake-up in the pNIC ring, the path cost per packet and per byte in
the vSwitch stage, the tunnel's cost with VXLAN."""

from __future__ import annotations

import json

import pytest
import yaml

from vnetsim.calibrate.model import Costs
from vnetsim.calibrate.profile import profile_text
from vnetsim.cli import main

COSTS = Costs(per_packet_ns=2000.0, per_byte_ns=1.0, encap_ns=700.0, wakeup_ns=5000.0,
              rate_per_packet_ns=9000.0, rate_per_byte_ns=0.0, rate_vxlan_ns=0.0)
SCENARIO = """
name: calibrated
duration: 50ms
traffic: {flows: [{name: a, count: 4, rate: 1kpps, size: 128}]}
host:
  profile: %s
  pnic: {line_rate: 100Gbps}
  vms: [{name: vm0, vnic: {coalescing: {scheme: "off"}}, guest: {service: {mode: poll}}}]
variants:
  - name: plain
  - name: vxlan
    host: {pnic: {overlay: {tunnel: vxlan}}}
"""


def test_profile_round_trip(tmp_path):
    sub = tmp_path / "profiles"
    sub.mkdir()
    (sub / "p.yaml").write_text(profile_text(COSTS, {"date": "test"}))
    doc = yaml.safe_load((sub / "p.yaml").read_text())
    assert doc["vnetsim_profile"] == 1 and doc["host"]["service"]["wakeup"] == "5000ns"
    (tmp_path / "s.yaml").write_text(SCENARIO % "profiles/p.yaml")  # relative to the scenario file
    main(["run", str(tmp_path / "s.yaml"), "-q", "--json", str(tmp_path / "r.json")])
    plain, vxlan = json.loads((tmp_path / "r.json").read_text())["variants"]
    st, sv = plain["stage_latency_ns"], vxlan["stage_latency_ns"]
    assert st["pnic_ring"] == pytest.approx(COSTS.wakeup_ns, rel=0.03)       # every packet wakes the thread
    poll_ns = 32.0                                                           # host.service poll_cost default
    assert st["vswitch"] - poll_ns == pytest.approx(COSTS.per_packet_ns + COSTS.per_byte_ns * 128, rel=0.03)
    # VXLAN: the tunnel's cost plus 50 more bytes on the wire at the per-byte cost
    assert sv["vswitch"] - st["vswitch"] == pytest.approx(COSTS.encap_ns + 50 * COSTS.per_byte_ns, rel=0.05)


def test_scenario_values_win_and_bad_profiles(tmp_path, capsys):
    (tmp_path / "p.yaml").write_text(profile_text(COSTS, {}))
    from vnetsim.api import load

    (tmp_path / "s.yaml").write_text("traffic: {flows: [{name: a, count: 1, rate: 1kpps}]}\n"
                                     "host: {profile: p.yaml, service: {wakeup: 2us}}\n")
    _, _, variants = load(tmp_path / "s.yaml")
    host = variants[0].model.host
    assert host.service.wakeup.to_ns(host.cpu_clock) == 2000.0
    assert host.service.per_packet.to_ns(host.cpu_clock) == 2000.0 and host.profile == str(tmp_path / "p.yaml")
    (tmp_path / "bad.yaml").write_text("name: not a profile\n")
    for target, message in (("missing.yaml", "no such file"), ("bad.yaml", "not a vnetsim calibration profile")):
        (tmp_path / "s.yaml").write_text(f"traffic: {{flows: [{{name: a, count: 1, rate: 1kpps}}]}}\n"
                                         f"host: {{profile: {target}}}\n")
        with pytest.raises(SystemExit) as e:
            main(["run", str(tmp_path / "s.yaml"), "-q"])
        err = capsys.readouterr().err
        assert e.value.code == 2 and "host.profile" in err and message in err and "Traceback" not in err
