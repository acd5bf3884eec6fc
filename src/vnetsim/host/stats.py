"""Honest latency statistics: every figure with its sample count, and the ones too few samples support.

The ``p``-quantile of ``n`` samples is read from the samples near rank ``n p``; how well it is
known depends on how many samples lie *above* it, about ``k = n (1 - p)``. The number of samples
above the true quantile is Binomial(n, 1 - p), about Poisson(k) in the tail, so a distribution-free
95 % interval for the quantile runs between the order statistics ``k +- 1.96 sqrt(k)`` places from
the top (the normal approximation of the binomial order-statistic interval, e.g. David and
Nagaraja, *Order Statistics*, 3rd ed., section 7.1). With ``k >= MIN_SAMPLES_ABOVE`` (10), that
interval spans the 4th to the 16th largest samples: the estimate is a tail figure of this run's
distribution, not the largest packet's. Below it the interval reaches the sample maximum (for
``k < 1.96^2 = 3.8`` it has no upper end inside the data at all): the figure is whatever the last
few packets did. So:

- ``p50, p90, p99, p999`` are *supported* when ``n (1 - p) >= 10``: p50 from 20 samples, p90 from
  100, p99 from 1,000, p99.9 from 10,000;
- ``mean`` when ``n >= 10``;
- ``max`` is exact for the run, but it is read as "the tail beyond p99.9": it is flagged whenever
  the run cannot support p99.9 either (``n < 10,000``), as the largest of a few samples says
  little about the tail.

``latency_ns`` in a host row carries ``samples`` (the delivered packets behind it) and
``unsupported`` (the names of the figures this rule flags, in report order; empty when all hold).
"""

from __future__ import annotations

MIN_SAMPLES_ABOVE = 10
QUANTILES = {"p50": 0.50, "p90": 0.90, "p99": 0.99, "p999": 0.999}


def samples_needed(name: str) -> int:
    """The fewest samples that support figure ``name`` (``mean``, ``p50`` .. ``p999``, ``max``)."""
    if name == "mean":
        return MIN_SAMPLES_ABOVE
    p = QUANTILES["p999" if name == "max" else name]
    return int(round(MIN_SAMPLES_ABOVE / (1.0 - p)))


def unsupported(names, samples: int) -> list[str]:
    """The figures among ``names`` that ``samples`` samples do not support (in ``names``' order)."""
    return [n for n in names if (n in QUANTILES or n in ("mean", "max")) and samples < samples_needed(n)]


def honest_summary(summary: dict, samples: int) -> dict:
    """``summary`` (mean, percentiles, max) with ``samples`` and ``unsupported`` added."""
    return {**summary, "samples": int(samples), "unsupported": unsupported(list(summary), int(samples))}
