"""Driver profiles and adaptive interrupt moderation: the exact mapping of each profile to the
engine's ring parameters, explicit settings winning, and what adaptive moderation does against the
fixed 20,000/s limit (closed forms of the steady levels)."""

import pytest
from pydantic import ValidationError

from vnetsim.api import load
from vnetsim.host.config import Coalescing, Host, Pnic, Vnic
from vnetsim.host.path import HostPath
from vnetsim.host.service import ring_spec


def pnic_ring(pnic: Pnic):
    return ring_spec(pnic.ring_size, 0, pnic.coalescing)


@pytest.mark.parametrize("driver", ["ixgbe", "i40e"])
def test_ixgbe_and_i40e_profiles_take_the_packet_count_itr(driver):
    """Since Linux 4.17 ixgbe (and i40e) moderate by packets per interrupt: no levels, the interval
    from IXGBE_20K_ITR (50 us); on a link of 2.5 Gb/s or below the size formula's other scale."""
    spec = pnic_ring(Pnic(driver=driver))
    assert spec.capacity == 512
    assert spec.adaptive_algorithm == "ixgbe-itr"
    assert (spec.adaptive_levels_ns, spec.adaptive_thresholds_bpus, spec.adaptive_smoothing) == ((), (), False)
    assert spec.coalesce_min_interval_ns == 50e3 and spec.adaptive_slow_link is False
    p = Pnic(driver=driver, line_rate="1Gbps")
    assert ring_spec(p.ring_size, 0, p.coalescing, p.line_rate).adaptive_slow_link is True


def test_ixgbe_aim_maps_to_the_drivers_three_levels():
    """The scheme before 4.17, by name (and the generic profile's): IXGBE_100K_ITR 40, IXGBE_20K_ITR
    200, IXGBE_12K_ITR 336 in quarter microseconds: 10, 50, 84 us; 10 and 20 bytes per microsecond
    between them; the ring starts at the middle (20,000/s)."""
    spec = pnic_ring(Pnic(driver="ixgbe", coalescing={"scheme": "adaptive", "algorithm": "ixgbe-aim"}))
    assert spec == pnic_ring(Pnic())
    assert spec.capacity == 512 and spec.adaptive_algorithm == "levels"
    assert spec.adaptive_levels_ns == (10e3, 50e3, 84e3)
    assert spec.adaptive_thresholds_bpus == (10.0, 20.0)
    assert spec.adaptive_smoothing is True
    assert spec.coalesce_min_interval_ns == 50e3 == spec.adaptive_levels_ns[spec.adaptive_start_level]
    assert (spec.coalesce_delay_ns, spec.coalesce_frames) == (0.0, 1)


def test_generic_pnic_is_ixgbe_before_4_17():
    """The default 10G pNIC takes ixgbe's ring size and hashing, and its adaptive moderation before
    the packet-count rework (the three levels)."""
    generic, ixgbe = Pnic(), Pnic(driver="ixgbe")
    assert (generic.ring_size, generic.steering) == (ixgbe.ring_size, ixgbe.steering)
    assert Host().pnic.coalescing.scheme == "adaptive" and Host().pnic.coalescing.algorithm == "ixgbe-aim"


@pytest.mark.parametrize("driver, ring, udp", [("ixgbe", 512, "sd"), ("i40e", 512, "sd"), ("ice", 2048, "sd"),
                                               ("mlx5", 1024, "sdfn")])
def test_profiles_ring_sizes_and_udp_hashing(driver, ring, udp):
    p = Pnic(driver=driver)
    assert p.ring_size == ring
    assert (p.steering.rss.fields.udp4, p.steering.rss.fields.udp6) == (udp, udp)
    assert p.steering.rss.fields.tcp4 == "sdfn"


def test_mlx5_profile_is_its_static_moderation():
    """MLX5E_PARAMS_DEFAULT_RX_CQ_MODERATION_USEC 0x10, _PKTS 0x20: 16 us after the first packet or 32."""
    spec = pnic_ring(Pnic(driver="mlx5"))
    assert (spec.coalesce_delay_ns, spec.coalesce_frames, spec.coalesce_min_interval_ns) == (16e3, 32, 0.0)
    assert spec.adaptive_levels_ns == ()


def test_explicit_settings_override_the_profile():
    p = Pnic.model_validate({"driver": "ice", "ring_size": 4096, "coalescing": {"scheme": "rate", "rate": "8000/s"},
                             "steering": {"rss": {"fields": {"udp4": "sdfn"}}}})
    assert p.ring_size == 4096
    assert pnic_ring(p).coalesce_min_interval_ns == pytest.approx(125e3)
    assert pnic_ring(p).adaptive_levels_ns == ()
    assert p.steering.rss.fields.udp4 == "sdfn" and p.steering.rss.fields.udp6 == "sd"


def test_own_levels_and_thresholds():
    c = Coalescing.model_validate({"scheme": "adaptive", "levels": ["4us", "20us", "100us", "200us"],
                                   "thresholds_bpus": [5, 15, 50], "smoothing": False})
    spec = ring_spec(256, 0, c)
    assert spec.adaptive_levels_ns == (4e3, 20e3, 100e3, 200e3)
    assert spec.adaptive_thresholds_bpus == (5.0, 15.0, 50.0)
    assert spec.adaptive_smoothing is False
    assert spec.coalesce_min_interval_ns == 20e3          # the middle level, (4 - 1) // 2 = 1


@pytest.mark.parametrize("bad, words", [
    ({"scheme": "adaptive", "levels": ["10us", "50us"]}, "thresholds_bpus"),
    ({"scheme": "adaptive", "levels": ["10us", "50us"], "thresholds_bpus": [20, 10, 5]}, "thresholds_bpus"),
    ({"scheme": "adaptive", "levels": ["10us", "50us", "84us"], "thresholds_bpus": [20, 10]}, "decrease"),
    ({"scheme": "adaptive", "levels": ["0us", "50us", "84us"]}, "> 0"),
    ({"scheme": "rate", "rate": "4000/s", "algorithm": "ixgbe-aim"}, "adaptive"),
    ({"scheme": "adaptive", "algorithm": "ixgbe-itr", "levels": ["10us"]}, "ixgbe-itr has no levels"),
])
def test_bad_adaptive_settings_are_refused(bad, words):
    with pytest.raises(ValidationError, match=words):
        Coalescing.model_validate(bad)


def test_vnic_types():
    assert Vnic(type="vmxnet3").resolved_ring_size() == 1024
    assert Vnic(type="vmxnet3").resolved_coalescing() == Coalescing(scheme="rate", rate=4000.0)
    assert Vnic(type="virtio").resolved_ring_size() == 256
    assert Vnic(type="virtio").resolved_coalescing() == Coalescing()


def run_pnic(coalescing, rate, size):
    """The host stage at ``rate``: (packets per host interrupt, mean pNIC ring wait in ns); the vNIC
    interrupts at once so the guest does not shape the host's figures."""
    doc = {"name": "t", "duration": "30ms", "warmup": "10ms", "seed": 3,
           "traffic": {"flows": [{"name": "f", "count": 64, "rate": rate, "size": size}]},
           "host": {"pnic": {"coalescing": coalescing}, "vswitch": {"per_packet": "400cycles", "per_byte": "0ns"},
                    "service": {"cstates": "none"},
                    "vms": [{"name": "vm", "vnic": {"coalescing": {"scheme": "off"}},
                             "guest": {"service": {"cstates": "none"}}}]}}
    r = HostPath(load(doc)[2][0].model).run()
    hc = r.host_counters
    return float(hc["packets"].sum() / hc["interrupts"].sum()), float(r.stages["pnic_ring"].mean)


FIXED = {"scheme": "rate", "rate": "20000/s"}
ADAPTIVE = {"scheme": "adaptive"}


def test_adaptive_at_1mpps_settles_at_the_bulk_level():
    """1 Mpps of 128 B frames take 128 B/us > 20: the bulk level, one interrupt per 84 us at most, so
    about 84 packets per interrupt against the fixed limit's 50 (both: rate x interval)."""
    fixed_ppi, _ = run_pnic(FIXED, "1Mpps", 128)
    adapt_ppi, _ = run_pnic(ADAPTIVE, "1Mpps", 128)
    assert fixed_ppi == pytest.approx(50.0, rel=0.03)
    assert adapt_ppi == pytest.approx(84.0, rel=0.03)


def test_adaptive_at_low_throughput_takes_the_lowest_latency_level():
    """50 kpps of 64 B frames are 3.2 B/us < 10: the 10 us level. Packets 20 us apart then each get
    their own interrupt (1 per interrupt), where the fixed 50 us slot collects about 2.5 and each waits
    about half a slot longer."""
    fixed_ppi, fixed_wait = run_pnic(FIXED, "50kpps", 64)
    adapt_ppi, adapt_wait = run_pnic(ADAPTIVE, "50kpps", 64)
    assert adapt_ppi < 1.3 and fixed_ppi > 2.0
    assert fixed_ppi / adapt_ppi > 1.8
    assert adapt_wait < 0.5 * fixed_wait


ITR = {"scheme": "adaptive", "algorithm": "ixgbe-itr"}


def test_packet_count_itr_keeps_50us_at_1mpps():
    """ixgbe since 4.17 at 1 Mpps of 128 B frames: the 50 us start gives about 50 packets per
    interrupt, inside the 48-95 band that keeps the interval, so it stays (the three-level scheme's
    byte rate takes the 84 us bulk level instead)."""
    ppi, _ = run_pnic(ITR, "1Mpps", 128)
    assert ppi == pytest.approx(50.0, rel=0.03)
    assert ppi < 0.7 * run_pnic(ADAPTIVE, "1Mpps", 128)[0]


def test_packet_count_itr_climbs_to_its_cap_below_48_packets_per_interrupt():
    """At 300 kpps the 50 us start collects 15 packets: 4-47 per update adds 2 us each time, up to
    IXGBE_ITR_ADAPTIVE_MAX_USECS (126 us), where 300 kpps x 126 us = 37.8 packets are still fewer
    than 48: it stays at the cap (the byte-rate levels stop at 84 us, 25 packets)."""
    ppi, wait = run_pnic(ITR, "300kpps", 64)
    assert ppi == pytest.approx(0.3 * 126, rel=0.05)
    assert wait > 1.5 * run_pnic(ADAPTIVE, "300kpps", 64)[1]


def test_packet_count_itr_at_low_throughput_is_near_one_packet_per_interrupt():
    """50 kpps of 64 B frames: one packet per update (< 4): latency mode by size, 12 us (the hand
    computation in tests/engine/test_ixgbe_itr.py), so packets 20 us apart mostly get their own
    interrupt, as with the three-level scheme's 10 us, and wait far less than behind 20,000/s."""
    ppi, wait = run_pnic(ITR, "50kpps", 64)
    fixed_ppi, fixed_wait = run_pnic(FIXED, "50kpps", 64)
    assert ppi < 1.4 and fixed_ppi / ppi > 1.8
    assert wait < 0.5 * fixed_wait
