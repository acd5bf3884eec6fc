"""From a result (a Result, a RESULT.json file or a results store) to the report's sections.

A section is one scenario's figures: whatever its kind's ``report`` hook returns (no kind is
named here), plus the warnings its rows carry. A results store adds its sweep figures (metric
against parameter with confidence bands, ``vnetsim.report.sweep``).
"""

from __future__ import annotations

import json
from pathlib import Path

from vnetsim.errors import UserError
from vnetsim.report.sections import Section, figures_of, warnings_of
from vnetsim.results.result import Result

__all__ = ["Section", "figures_of", "load_result_json", "result_from_dict", "sections_of", "warnings_of"]


def result_from_dict(doc: dict, where: str = "result") -> Result:
    """A Result from its JSON document (the envelope of docs/results.md)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("variants"), list) or "kind" not in doc:
        raise UserError(where, "is not a vnetsim result (no 'kind' and 'variants')",
                        "give a file written by `vnetsim run --json` or a results store")
    extra = {k: v for k, v in doc.items() if k not in ("scenario", "kind", "variants", "source")}
    return Result(str(doc.get("scenario", "")), str(doc["kind"]), doc["variants"], str(doc.get("source", "")), extra)


def load_result_json(path: Path) -> Result:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(str(path), f"cannot be read as a result: {exc}",
                        "give a file written by `vnetsim run --json`") from None
    return result_from_dict(doc, str(path))


def _is_json(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(64).lstrip()
    return head.startswith(b"{")


def sections_of(source: Result | str | Path) -> tuple[str, list[Section]]:
    """(title, sections) for a Result, a RESULT.json path or a results store path."""
    if isinstance(source, Result):
        return source.scenario, [(source.scenario, figures_of(source), warnings_of(source))]
    path = Path(source)
    if not path.is_file():
        raise UserError(str(path), "does not exist", "give a RESULT.json or a results store")
    if _is_json(path):
        r = load_result_json(path)
        return r.scenario, [(r.scenario, figures_of(r), warnings_of(r))]
    from vnetsim.report.sweep import store_sections

    return store_sections(path)
