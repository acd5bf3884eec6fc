"""``vnetsim edge breakeven``: per variant, the reduction ratio where edge processing pays off.

Analytic (no simulation): the variant's monthly demand and central ingest's demand of the same
sensors (``simulate.plan_volumes`` / ``demands``), and ``cost.breakeven_ratio``.
"""

from __future__ import annotations

from pathlib import Path

from vnetsim.edge.config import EdgeScenario
from vnetsim.edge.cost import breakeven_ratio, monthly_cost
from vnetsim.edge.simulate import demands, plan_volumes
from vnetsim.errors import ModelError, ScenarioError
from vnetsim.scenario.loader import load_variants, read_yaml


def breakeven_row(name: str, sc: EdgeScenario) -> dict:
    v = plan_volumes(sc)
    mine, central = demands(sc, v)
    cost = monthly_cost(mine, sc.prices)["total"]
    central_cost = monthly_cost(central, sc.prices)["total"]
    ratio = v["relay_bytes"] / v["up_bytes"] if v["up_bytes"] > 0 else None
    be = None if sc.edge.relay else breakeven_ratio(central, mine, sc.prices)
    return {"name": name, "mode": "relay" if sc.edge.relay else "edge", "edge_cores": mine.edge_cores,
            "reduction_ratio": ratio, "breakeven_ratio": be, "cost_usd_month": cost,
            "central_ingest_cost_usd_month": central_cost, "pays_off": cost < central_cost}


def breakeven_rows(file: Path | str, overrides: list[str] | tuple[str, ...] = (),
                   only: str | None = None) -> list[dict]:
    """One row per variant of an edge scenario file."""
    source = str(file)
    doc = read_yaml(file)
    kind = doc.get("kind")
    if kind not in (None, "edge") or (kind is None and "sensors" not in doc):
        raise ScenarioError(source, "is not an edge scenario", "give a file with 'kind: edge' and 'sensors'")
    rows = []
    for lv in load_variants(doc, source, EdgeScenario, list(overrides), only=only):
        try:
            rows.append(breakeven_row(lv.name, lv.model))
        except ModelError as exc:
            raise exc.at(lv.where) from None
    return rows
