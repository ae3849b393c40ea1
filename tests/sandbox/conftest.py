"""Fixtures for the sandbox tests.

These tests need bubblewrap: CI installs it (``apt-get install -y bubblewrap``). When it is missing they fail loudly
instead of skipping, except the tests that are about refusing to run without isolation.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rft_kit import load_grader
from rft_kit.graders.base import Grader
from rft_kit.sandbox import detect, get_sandbox, reset_default_sandbox


def require_bwrap() -> None:
    """Fail (not skip) when the machine cannot run the real sandbox."""
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed; install it with `apt-get install -y bubblewrap`", pytrace=False)
    report = detect()
    if report.level != "bwrap":
        pytest.fail(f"bubblewrap cannot isolate here: {report.reason}: {report.probe_error}", pytrace=False)


def live_processes_of(uids: set[int]) -> list[int]:
    """Host processes running as one of ``uids``; zombies (dead, waiting to be reaped) are not counted."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        if int(fields["Uid"].split()[0]) in uids and fields["State"].split()[0] not in ("Z", "X"):
            found.append(int(entry))
    return found


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """The shared default sandbox, started once for the session (graders use it through get_sandbox())."""
    require_bwrap()
    reset_default_sandbox()
    sb = get_sandbox()
    sb.warm_up()
    yield sb
    reset_default_sandbox()


@pytest.fixture
def python_grader(sandbox: Any) -> Callable[..., Grader]:
    def make(source: str, **rft_options: Any) -> Grader:
        config: dict[str, Any] = {"type": "python", "name": "py", "source": source}
        if rft_options:
            config["rft_options"] = rft_options
        return load_grader(config)

    return make


@pytest.fixture
def asserts_grader(sandbox: Any) -> Callable[..., Grader]:
    def make(**extra: Any) -> Grader:
        config: dict[str, Any] = {
            "type": "code_tests",
            "name": "tests",
            "format": "asserts",
            "tests": "{{item.tests}}",
            "timeout_per_test_s": 2,
        }
        config.update(extra)
        return load_grader(config)

    return make


@pytest.fixture
def stdio_grader(sandbox: Any) -> Callable[..., Grader]:
    def make(**extra: Any) -> Grader:
        config: dict[str, Any] = {
            "type": "code_tests",
            "name": "io",
            "format": "stdio",
            "tests": "{{item.tests}}",
            "timeout_per_test_s": 2,
        }
        config.update(extra)
        return load_grader(config)

    return make


@pytest.fixture
def humaneval_grader(sandbox: Any) -> Callable[..., Grader]:
    def make(**extra: Any) -> Grader:
        config: dict[str, Any] = {
            "type": "code_tests",
            "name": "he",
            "format": "humaneval",
            "prompt": "{{item.prompt}}",
            "test": "{{item.test}}",
            "entry_point": "{{item.entry_point}}",
            "timeout_per_test_s": 2,
        }
        config.update(extra)
        return load_grader(config)

    return make
