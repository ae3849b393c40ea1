"""Problems found while preparing an export: each names the file, row and field, says what is wrong and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import RftKitError

__all__ = ["ExportError", "Issue", "Issues"]

Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem.

    Attributes:
        level: ``error`` blocks the export (the hosted service would reject it); ``warning`` does not.
        where: the place, e.g. ``train.jsonl row 12: messages[2].role`` or ``grader: graders.name.rft_options``.
        message: what is wrong.
        fix: how to fix it (may be empty).
    """

    level: Level
    where: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} (fix: {self.fix})" if self.fix else text

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "where": self.where, "message": self.message, "fix": self.fix}


@dataclass
class Issues:
    """Collects issues; past ``max_errors`` errors it only counts them so a broken 50,000-row file stays readable."""

    max_errors: int = 200
    items: list[Issue] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0

    def error(self, where: str, message: str, fix: str = "") -> None:
        self.error_count += 1
        if self.error_count <= self.max_errors:
            self.items.append(Issue("error", where, message, fix))

    def warn(self, where: str, message: str, fix: str = "") -> None:
        self.warning_count += 1
        if self.warning_count <= self.max_errors:
            self.items.append(Issue("warning", where, message, fix))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.items if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.items if i.level == "warning"]

    def raise_if_errors(self) -> None:
        """Raise :class:`ExportError` when any error was recorded."""
        if self.error_count:
            raise ExportError(self)


class ExportError(RftKitError):
    """The export was refused; ``issues`` lists every problem found (errors first)."""

    def __init__(self, issues: Issues) -> None:
        self.issues = issues
        errors = issues.errors
        shown = "\n".join(f"  - {e}" for e in errors[:20])
        more = issues.error_count - min(len(errors), 20)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"export refused: {issues.error_count} problem(s) the hosted service would reject\n{shown}{tail}"
        )
