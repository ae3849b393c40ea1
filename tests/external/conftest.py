"""External validation: the grader library against material nobody here wrote (issue 19).

Every test here records its agreement figures with :func:`record`; they are printed at the end of the run (in the
terminal summary, so they show without ``-s``).
"""

from __future__ import annotations

from typing import Any

_FIGURES: list[str] = []


def record(line: str) -> None:
    """Keep one line of agreement figures for the summary."""
    _FIGURES.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("external validation: agreement figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
