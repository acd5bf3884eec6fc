"""Toeplitz: the verification suite exactly; vectorized == bit-serial for random keys and inputs."""

from __future__ import annotations

import ipaddress

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nic_vectors import MS_IPV4, MS_IPV6

from vnetsim.errors import ScenarioError, UserError
from vnetsim.nic.toeplitz import (
    MICROSOFT_KEY,
    Toeplitz,
    check_key,
    hash_rows,
    random_key,
    toeplitz_bitserial,
    toeplitz_tables,
)


def _input(dst, dport, src, sport, ports):
    raw = ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed
    if ports:
        raw += sport.to_bytes(2, "big") + dport.to_bytes(2, "big")
    return raw


@pytest.mark.parametrize("row", MS_IPV4 + MS_IPV6, ids=lambda r: r[0])
def test_verification_suite_exact(row):
    dst, dport, src, sport, h_ip, h_ports = row
    t = Toeplitz(MICROSOFT_KEY)
    for ports, want in ((False, h_ip), (True, h_ports)):
        data = _input(dst, dport, src, sport, ports)
        assert toeplitz_bitserial(MICROSOFT_KEY, data) == want
        assert t.hash_bytes(data) == want


def test_vectorized_batch_equals_suite():
    t = Toeplitz(MICROSOFT_KEY)
    rows = np.array([list(_input(*r[:4], True)) for r in MS_IPV4], np.uint8)
    assert t.hash(rows).tolist() == [r[5] for r in MS_IPV4]


@settings(max_examples=200, deadline=None)
@given(key=st.binary(min_size=40, max_size=40),
       rows=st.lists(st.binary(min_size=12, max_size=12), min_size=1, max_size=8),
       length=st.sampled_from([8, 12, 32, 36]))
def test_vectorized_equals_bitserial(key, rows, length):
    data = [(r * 4)[:length] for r in rows]
    arr = np.array([list(d) for d in data], np.uint8)
    got = hash_rows(toeplitz_tables(key, length), arr)
    assert got.tolist() == [toeplitz_bitserial(key, d) for d in data]


@settings(max_examples=50, deadline=None)
@given(key=st.binary(min_size=52, max_size=52), data=st.binary(min_size=1, max_size=48))
def test_longer_keys_and_any_length(key, data):
    """52-byte keys (i40e) hash up to 48 input bytes; any length works."""
    assert Toeplitz(key).hash_bytes(data) == toeplitz_bitserial(key, data)


def test_linearity_over_gf2():
    """hash(a ^ b) == hash(a) ^ hash(b): the property the table method rests on."""
    rng = np.random.default_rng(3)
    t = Toeplitz(random_key(rng))
    a = rng.integers(0, 256, (1000, 36), dtype=np.uint8)
    b = rng.integers(0, 256, (1000, 36), dtype=np.uint8)
    assert (t.hash(a ^ b) == (t.hash(a) ^ t.hash(b))).all()


def test_key_of_wrong_length_is_one_clear_line():
    with pytest.raises(ScenarioError) as err:
        check_key(bytes(39), 40, "host.nic.rss.key")
    msg = str(err.value)
    assert msg == ("host.nic.rss.key: the RSS key has 39 bytes, expected 40 (give 40 bytes as 80 hex digits, "
                   "or 'microsoft' or 'random')")
    assert "\n" not in msg and isinstance(err.value, UserError) and err.value.exit_status == 2


def test_key_too_short_for_input():
    with pytest.raises(ScenarioError, match="can hash at most 12 input bytes"):
        Toeplitz(bytes(16)).hash(np.zeros((1, 36), np.uint8))
