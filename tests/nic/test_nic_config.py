"""Config models: defaults with sources, and one clear line for every bad input."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vnetsim.errors import ScenarioError
from vnetsim.nic.config import (
    NetQueueConfig,
    NicConfig,
    OffloadConfig,
    OffloadCostConfig,
    OverlayConfig,
    QueueFilterConfig,
    RssConfig,
    RssFieldsConfig,
    SteeringConfig,
    VtepConfig,
    parse_config,
)
from vnetsim.nic.toeplitz import MICROSOFT_KEY


def test_defaults_and_their_sources():
    c = NicConfig()
    assert c.steering.rss.reta_size == 128 and c.steering.rss.key_material() == MICROSOFT_KEY
    assert c.steering.rss.fields.udp4 == "sd" and c.steering.rss.fields.tcp4 == "sdfn"
    for model in (RssConfig, RssFieldsConfig, SteeringConfig, OverlayConfig, OffloadConfig, NicConfig,
                  NetQueueConfig, OffloadCostConfig, VtepConfig, QueueFilterConfig):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description/source"
    assert OverlayConfig().resolved_dst_port() == 4789
    assert OverlayConfig(tunnel="geneve").resolved_dst_port() == 6081


def test_driver_profiles():
    assert RssFieldsConfig.profile("mlx5").udp4 == "sdfn"
    assert RssFieldsConfig.profile("ixgbe").udp4 == "sd"


def test_random_key_is_reproducible_and_hex_keys_parse():
    a = RssConfig(key="random", key_seed=3).key_material()
    assert a == RssConfig(key="random", key_seed=3).key_material() and len(a) == 40
    assert RssConfig(key=MICROSOFT_KEY.hex()).key_material() == MICROSOFT_KEY


def _one_line(data, model=NicConfig):
    with pytest.raises(ScenarioError) as err:
        parse_config(model, data, "host.nic")
    msg = str(err.value)
    assert "\n" not in msg and err.value.exit_status == 2
    return msg


def test_key_of_wrong_length():
    msg = _one_line({"steering": {"rss": {"key": "6d5a56da"}}})
    assert msg == "host.nic.steering.rss: key: the RSS key has 4 bytes, expected 40 (80 hex digits)"


def test_reta_entry_past_the_queues():
    msg = _one_line({"steering": {"mode": "rss", "queues": 4,
                                  "rss": {"reta_size": 4, "reta": [0, 1, 2, 7]}}})
    assert msg == ("host.nic.steering: rss.reta[3]: entry 7 points past the 4 RSS queues (valid 0-3); "
                   "use a queue index below 4 or add queues")


def test_reta_checked_against_drss_queues_in_netqueue_mode():
    msg = _one_line({"steering": {"queues": 8, "netqueue": {"default_queue_rss": 2},
                                  "rss": {"reta_size": 2, "reta": [0, 3]}}})
    assert "rss.reta[1]: entry 3 points past the 2 RSS queues" in msg


def test_reta_size_not_power_of_two_and_unknown_fields():
    assert "power of two" in _one_line({"steering": {"rss": {"reta_size": 100}}})
    assert "Extra inputs are not permitted" in _one_line({"steering": {"rss": {"bogus": 1}}})


def test_tso_needs_checksum_offload():
    msg = _one_line({"offloads": {"tx_checksum": False}})
    assert "TSO needs tx_checksum" in msg


def test_bad_vtep_and_geneve_options():
    assert "IPv4 or IPv6" in _one_line({"overlay": {"vteps": [{"mac": "00:50:56:00:00:01", "ip": "nope"}]}})
    assert "multiple of 4" in _one_line({"overlay": {"tunnel": "geneve", "geneve_option_bytes": 6}})


def test_units_parse_at_the_edge():
    c = OffloadConfig(mss_bytes="1448B", tso_max_bytes="64KiB")
    assert c.mss_bytes == 1448 and c.tso_max_bytes == 65536
    with pytest.raises(ValidationError):
        OffloadConfig(mss_bytes="fast")


def test_filter_rss_group_must_fit():
    msg = _one_line({"steering": {"queues": 4, "netqueue": {"filter_rss_queues": 4}}})
    assert "filter_rss_queues: 4 queues per filter do not fit beside 1 default queue(s) in 4 RX queues" in msg
