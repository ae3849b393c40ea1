"""``sql_analysis``: answer a question about a bundled SQLite database with ``run_sql``, then ``submit_answer``.

Every query is model-written code, so it runs in rft-kit's sandbox (the ``sql`` harness), against a private
in-memory copy of the database made for that query: nothing the agent runs can change the data, reach the network
or outlive the call. An SQL error comes back as a tool result with SQLite's message; a sandbox that cannot run at
all is an :class:`EnvironmentFailure` (the episode ends with ``env_error``).

Spec: ``{"name": "sql_analysis", "database": "retail-2025"}``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar, Final

from ..errors import DependencyError
from ..sandbox import Limits, get_sandbox
from .base import Environment, EnvironmentFailure, ToolError, tool
from .retail_data import DATABASES, SCHEMA, database_image

__all__ = ["SqlAnalysis", "normalize_answer"]

MAX_ROWS: Final = 50
MAX_STEPS: Final = 50_000_000
LIMITS: Final = Limits(wall_s=10.0, cpu_s=5.0, memory_mb=512, output_bytes=256 * 1024)
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")


def normalize_answer(text: str) -> float | str:
    """A number (``$1,234.50``, ``12.5%`` -> 1234.5, 12.5; rounded to cents) or case-folded, trimmed text."""
    stripped = text.strip()
    bare = stripped.replace(",", "").replace("$", "").rstrip("%").strip()
    if _NUMBER.match(bare):
        return round(float(bare), 2)
    return " ".join(stripped.casefold().split())


@cache
def _encoded(database: str) -> str:
    return base64.b64encode(database_image(database)).decode("ascii")


def _table(columns: list[str], rows: list[list[Any]], truncated: bool) -> str:
    lines = [" | ".join(columns)] if columns else []
    lines.extend(" | ".join("NULL" if v is None else str(v) for v in row) for row in rows)
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
    lines.append(count + (f" shown; more rows were cut at {MAX_ROWS}, add a LIMIT or aggregate)" if truncated else ")"))
    return "\n".join(lines)


class SqlAnalysis(Environment):
    """A read-only analytics database behind ``run_sql``."""

    name: ClassVar[str] = "sql_analysis"

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        database = spec.get("database")
        if database not in DATABASES:
            raise EnvironmentFailure(
                f"environment 'sql_analysis': unknown database {database!r}; known: {', '.join(DATABASES)}"
            )
        self.database = str(database)
        self.queries = 0
        self.failed = 0
        self.answers: list[float | str] = []

    @tool
    def list_tables(self) -> str:
        """List the database's tables and their columns (with SQL types)."""
        return "\n".join(
            f"{table}({', '.join(f'{c} {t.split()[0]}' for c, t in cols)})" for table, cols in SCHEMA.items()
        )

    @tool
    def run_sql(self, query: str) -> str:
        """Run one read-only SQLite SELECT query; returns up to 50 rows as text.

        Args:
            query: the SQL query (SQLite dialect; dates are TEXT in YYYY-MM-DD form, money is integer cents).
        """
        self.queries += 1
        if len(query) > 20_000:
            self.failed += 1
            raise ToolError("the query is over 20,000 characters; write a shorter one")
        try:
            result = get_sandbox().run(
                "sql",
                {"db": _encoded(self.database), "sql": query, "max_rows": MAX_ROWS, "max_steps": MAX_STEPS},
                LIMITS,
            )
        except DependencyError as exc:
            raise EnvironmentFailure(f"the SQL sandbox cannot run: {exc}") from exc
        if result.status == "timeout":
            self.failed += 1
            raise ToolError(f"the query ran past {LIMITS.wall_s:g} s and was stopped; add filters or a LIMIT")
        if result.status == "memory":
            self.failed += 1
            raise ToolError("the query ran out of memory; aggregate in SQL instead of selecting everything")
        if result.status != "ok" or not isinstance(result.value, dict):
            raise EnvironmentFailure(
                f"the SQL sandbox failed ({result.status}): {result.error or result.stderr[-500:]}"
            )
        value = result.value
        if not value.get("ok"):
            self.failed += 1
            raise ToolError(f"SQL error: {value.get('error')}")
        return _table(value["columns"], value["rows"], bool(value["truncated"]))

    @tool
    def submit_answer(self, answer: str) -> str:
        """Submit the final answer to the question (a number or a name, exactly as asked).

        Args:
            answer: the answer; numbers may carry $, % and thousands separators.
        """
        self.answers.append(normalize_answer(answer))
        return "answer recorded"

    def snapshot(self) -> dict[str, Any]:
        """The last submitted answer (normalised), how many were submitted, and the query counts."""
        return {
            "answer": self.answers[-1] if self.answers else None,
            "submissions": len(self.answers),
            "queries": self.queries,
            "failed_queries": self.failed,
        }
