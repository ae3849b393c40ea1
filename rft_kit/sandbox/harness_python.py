"""Harness for the hosted-style ``python`` grader: each sample's ``grade(sample, item)`` in a fresh candidate process.

Runs, like code tests, in the worker's persistent trusted runner (``CANDIDATES``; see
:mod:`rft_kit.sandbox.harness_tests`), which gets one fresh process per sample from the candidate pool
(:mod:`rft_kit.sandbox.zygote`): forked from a pre-hardened process whose memory never held a payload, as the
candidate uid, in the candidate sandbox, with the sample's rlimits. Only that process ever holds the sample; it execs
the grader source as a fresh module, calls ``grade`` (:mod:`rft_kit.sandbox.grade_call`) and sends back the outcome.
The runner enforces the sample's wall-clock limit and output cap, and at the end of the sample the pool kills every
process the sample left and empties its working directory, so the next sample (of the same chunk or not) starts from
the pool's pristine state: a fresh interpreter state, fresh limits.

Payload (one sample; a chunk is ``{"batch": [...], "shared": {...}}`` of these, see ``runner_main``)::

    {"format": "python_grader", "source": str, "sample": dict, "item": dict, "timeout_s": float, "output_bytes": int,
     "preload": [the sandbox's grader preloads the source names: the pool imports them once]}

Result: ``{"status": ok|timeout|memory|output_limit|crashed|sandbox_error, "value": the grade_call outcome or None,
"stdout", "stderr" (tails), "exit_code", "signal", "error"}``. The parent trusts nothing but the shape; the reward is
validated again in our process (:func:`check_reward`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import Any

from .grade_call import check_reward
from .harness_tests import (
    Candidate,
    CandidateDied,
    CandidateOutputLimit,
    CandidatePool,
    CandidateTimeout,
    runner_main,
)

__all__ = ["CANDIDATES", "check_reward", "grade_in_pool", "runner_main"]

CANDIDATES = True
"""Tells the server to run this harness in its persistent test runner."""

_TAIL = 4096


def _tail(buf: bytearray) -> str:
    return bytes(buf[-_TAIL:]).decode("utf-8", "replace")


def _drain_all(cand: Candidate) -> None:
    """Take what the candidate printed and has not been read yet (it wrote it before its reply, or before dying)."""
    for fd in (cand.out, cand.err):
        if fd >= 0 and fd in cand.open_outputs:
            cand._drain(fd)


def _how_it_ended(status: int | None, stderr: str) -> tuple[str, int | None, int | None]:
    """``(status, exit_code, signal)`` of a candidate that died without a result, classified as the fork-server
    classifies a job child that did (``forkserver.Server._supervise``)."""
    if status is None:
        return "crashed", None, None
    code = os.waitstatus_to_exitcode(status)
    sig = -code if code < 0 else None
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and "SIGXCPU" in stderr):
        return "timeout", None, sig
    if "MemoryError" in stderr or sig == signal.SIGKILL:
        return "memory", None, sig
    return "crashed", code if code >= 0 else None, sig


def grade_in_pool(payload: dict[str, Any], pool: CandidatePool) -> dict[str, Any]:
    """One sample: a fresh candidate runs ``grade``; its time starts once the process exists."""
    timeout = float(payload.get("timeout_s", 120.0))
    cap = int(payload.get("output_bytes", 1 << 20))
    result: dict[str, Any] = {"status": "crashed", "value": None, "exit_code": None, "signal": None, "error": ""}
    try:
        cand = pool.fork(cap)
    except CandidateDied as exc:
        if pool.broken:
            raise  # the pool itself failed: the runner reports the job (or the rest of the chunk) as not graded
        result.update(status="sandbox_error", error=str(exc), stdout="", stderr="")
        return result
    deadline = time.monotonic() + timeout
    try:
        request = {"op": "grade", "source": payload["source"], "sample": payload["sample"], "item": payload["item"]}
        cand.send(request, deadline)
        reply = cand.recv(deadline)
        _drain_all(cand)
        result.update(status="ok", value=reply)
    except CandidateTimeout:
        result["status"] = "timeout"
    except CandidateOutputLimit:
        result["status"] = "output_limit"
    except CandidateDied as exc:
        with contextlib.suppress(CandidateOutputLimit):
            _drain_all(cand)
        status = pool.wait_status(cand.pid)  # raises CandidateDied if the pool itself is gone
        result["status"], result["exit_code"], result["signal"] = _how_it_ended(status, _tail(cand.stderr))
        result["error"] = str(exc)
    finally:
        cand.kill(final=True)  # the pool kills every process of the sample at its end (OP_END) anyway
    result["stdout"] = _tail(cand.stdout)
    result["stderr"] = _tail(cand.stderr)
    return result
