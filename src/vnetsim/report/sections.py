"""What one result contributes to a report: its kind's figures (``Kind.report``) and its warnings."""

from __future__ import annotations

from vnetsim.kinds import all_kinds
from vnetsim.results.figures import Figure
from vnetsim.results.result import Result

Section = tuple[str, list[Figure], list[str]]


def figures_of(result: Result) -> list[Figure]:
    """The figures the result's kind draws (``Kind.report``); none for a kind without the hook."""
    kind = all_kinds().get(result.kind.split(".")[0])
    if kind is None or kind.report is None:
        return []
    return list(kind.report(result))


def warnings_of(result: Result) -> list[str]:
    """Every row's ``warnings``, prefixed with the row's name."""
    return [f"{v.get('name', '')}: {w}" for v in result.variants for w in v.get("warnings", [])]
