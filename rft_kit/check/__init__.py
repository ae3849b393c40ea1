"""Validating graders for CI: golden cases, determinism, time budgets, metamorphic and reward-hacking probes."""

from .cases import Case, Expectation, parse_cases
from .runner import CheckOutcome, FileReport, check_file, check_paths, discover

__all__ = ["Case", "CheckOutcome", "Expectation", "FileReport", "check_file", "check_paths", "discover", "parse_cases"]
