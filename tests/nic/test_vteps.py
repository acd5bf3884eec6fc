"""VTEPs: VM pinning, outer source-port policies, encapsulation columns and overhead."""

from __future__ import annotations

import numpy as np
import pytest

from vnetsim.net import encap
from vnetsim.net.flows import FlowTable
from vnetsim.net.ipaddr import ip_to_row
from vnetsim.net.synth import vm_flows
from vnetsim.nic.vtep import encapsulate, inner_flow_hash, outer_src_ports, pin_vms


def test_pin_by_port_id_and_by_mac():
    assert pin_vms(6, 4).tolist() == [0, 1, 2, 3, 0, 1]
    assert pin_vms(3, 2, "mac_hash", np.array([10, 11, 13])).tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="MACs"):
        pin_vms(3, 2, "mac_hash")


@pytest.fixture(scope="module")
def inner():
    return vm_flows(5000, 8, np.random.default_rng(7))[0]


@pytest.mark.parametrize("policy,lo,hi", [("rfc7348", 49152, 65535), ("linux", 32768, 60999), ("full", 0, 65535)])
def test_source_ports_stay_in_their_range_and_vary(inner, policy, lo, hi):
    p = outer_src_ports(inner, policy).astype(int)
    assert p.min() >= lo and p.max() <= hi
    assert np.unique(p).size > 0.8 * len(inner) * (1 - len(inner) / (2 * (hi - lo + 1)))  # few birthday repeats


def test_source_port_is_a_function_of_the_inner_flow(inner):
    both = FlowTable.concat([inner, inner])
    p = outer_src_ports(both)
    assert (p[:len(inner)] == p[len(inner):]).all()
    assert (inner_flow_hash(inner, 1) != inner_flow_hash(inner, 2)).mean() > 0.99


def test_fixed_and_range_policies(inner):
    assert (outer_src_ports(inner, "fixed", fixed_port=4242) == 4242).all()
    p = outer_src_ports(inner, "range", port_range=(1000, 1003))
    assert set(np.unique(p).tolist()) == {1000, 1001, 1002, 1003}
    with pytest.raises(ValueError, match="unknown"):
        outer_src_ports(inner, "ephemeral")


def test_encapsulate_sets_outer_columns_and_overhead(inner):
    row, v = ip_to_row("fd00::1")
    f = encapsulate(inner, tunnel="vxlan", vni=77, outer_eth_src=1, outer_eth_dst=2, outer_ip_src=row,
                    outer_ip_dst=row, outer_ip_version=v, outer_src_port=50000)
    assert (f.tunnel == encap.TUNNEL_VXLAN).all() and (f.vni == 77).all() and (f.outer_dst_port == 4789).all()
    assert (f.encap_overhead_bytes() == 70).all()
    assert (f.src_port == inner.src_port).all()  # inner untouched
    g = encapsulate(inner, tunnel="geneve", vni=1, outer_eth_src=1, outer_eth_dst=2, outer_ip_src=ip_to_row(
        "1.1.1.1")[0], outer_ip_dst=ip_to_row("1.1.1.2")[0], outer_ip_version=4, outer_src_port=1,
        geneve_opt_bytes=8)
    assert (g.outer_dst_port == 6081).all() and (g.encap_overhead_bytes() == 58).all()
    with pytest.raises(ValueError, match="24 bits"):
        encapsulate(inner, vni=1 << 24, outer_eth_src=1, outer_eth_dst=2, outer_ip_src=row, outer_ip_dst=row,
                    outer_ip_version=6, outer_src_port=1)
