"""User-facing errors: one line that says where, what is wrong and how to fix it.

Every error a user can cause (a bad scenario, a bad pcap, a bad option) is raised as
``UserError``; the CLI prints ``str(error)`` on stderr and exits with status 2. Nothing else
should reach the user as a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input, reported as ``where: what (fix)``."""

    exit_status = 2

    def __init__(self, where: str, what: str, fix: str = "") -> None:
        self.where = where
        self.what = what
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text += f" ({self.fix})"
        return " ".join(text.split())


class ScenarioError(UserError):
    """A scenario file or override that does not validate."""


class InputFileError(UserError):
    """An input file (pcap, trace) that cannot be read as what it claims to be."""


class ModelError(ScenarioError):
    """Raised by a mechanism (steering, routing, a stage) that cannot run what it was given.

    It names the model field it is about as a dotted path (``rss.key``), what is wrong and how to
    fix it; it knows nothing of files or variants. Whoever composes the mechanism into a model
    places the field (``within("host.pnic.steering")``), and the scenario kind's boundary
    (``vnetsim.kinds``) adds the file and variant: ``file: variant 'v': field: what (fix)``.
    """

    def __init__(self, field: str, what: str, fix: str = "") -> None:
        self.field = field
        super().__init__(field, what, fix)

    def within(self, prefix: str) -> ModelError:
        """The same error, its field placed under ``prefix``."""
        return ModelError(f"{prefix}.{self.field}" if self.field else prefix, self.what, self.fix)

    def at(self, where: str) -> ScenarioError:
        """The user-facing error, ``where`` being the file and variant."""
        parts = [p for p in (where, self.field) if p]
        return ScenarioError(": ".join(parts), self.what, self.fix)
