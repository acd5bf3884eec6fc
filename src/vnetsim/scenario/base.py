"""What every scenario kind's model shares: the variants list, as the schema documents it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Variant(BaseModel):
    """A named set of overrides, merged over the base scenario by the one merge rule
    (``vnetsim.scenario.merge``): lists of named items merge by name; ``KEY+:`` adds items and
    ``KEY-:`` removes them."""

    model_config = ConfigDict(extra="allow")

    name: str
    description: str = ""


VariantsField: Any = Field(default_factory=list, description="side-by-side alternatives, merged over the base "
                      "(lists of named items merge by name; add with 'KEY+:', remove with 'KEY-:')")
