"""``python``: the hosted python grader, run locally in the sandbox (docs/hosted-semantics.md: python).

The source must define ``grade(sample, item)`` taking exactly two positional arguments; ``sample`` has exactly the
hosted keys (``choices, output_text, output_json, output_tools, output_audio``). It runs per sample in a fresh
hardened process of :mod:`rft_kit.sandbox` (no network, private temp dir, scrubbed environment) with the hosted
limits by default: 120 s and 2 GB, configurable in ``rft_options`` (``timeout_s``, ``memory_mb``, ``output_bytes``).

Outcomes, as the hosted service reports them (reward 0 for every error):

* ``grade`` raises, exits, returns a non-number (``bool``, ``None``, a string, even ``"0.5"``), NaN or an infinity,
  or the process dies or runs out of memory: kind ``runtime``, flag ``python_grader_runtime_error``, with the
  traceback tail in the message (the envelope's ``python_grader_runtime_error_details``).
* It exceeds its time: kind ``timeout``, flag ``python_grader_runtime_error``.
* The sandbox itself fails (cannot start, no isolation available): kind ``sandbox``, flag
  ``python_grader_server_error``.
* The sample holds what JSON cannot carry (NaN, an infinity): kind ``parse``, flag ``sample_parse_error``; the same
  in the item is kind ``config``.

Rewards outside [0, 1] are not clamped (the hosted behaviour is undocumented); a warning goes to
``metadata["warnings"]``. ``metadata["isolation"]`` says how the sample was isolated.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from ..errors import ConfigError, DependencyError, ErrorKind, HostedFlag
from ..records import GradeError, GradeResult, Sample
from ..sandbox import ExecResult, Limits, get_sandbox
from ..sandbox.harness_python import check_reward
from .base import Grader, SampleLike

__all__ = ["PythonGrader", "SandboxedGrader"]

MAX_SOURCE_BYTES = 256 * 1024
_RUNTIME: Final = "python_grader_runtime_error"
_SERVER: Final = "python_grader_server_error"


class SandboxedGrader(Grader):
    """Shared plumbing of graders that run code in the sandbox: concurrent batches and error results."""

    parallel_inside: bool = True

    def grade_batch(
        self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]
    ) -> list[GradeResult]:
        """Grade pairs concurrently over the sandbox pool; results equal per-pair :meth:`grade` in input order."""
        if len(samples) != len(items):
            raise ValueError(f"a batch needs as many items as samples ({len(samples)} != {len(items)})")
        if len(samples) <= 1:
            return [self.grade(s, i) for s, i in zip(samples, items, strict=True)]
        # more threads than servers, so that our side (rendering, JSON) overlaps the servers' work
        threads = min(len(samples), 2 * get_sandbox().workers)
        with cf.ThreadPoolExecutor(threads, thread_name_prefix=f"rft-{self.type}") as pool:
            return list(pool.map(self.grade, samples, items))

    def _run(self, harness: str, payload: dict[str, Any], limits: Limits) -> ExecResult:
        try:
            return get_sandbox().run(harness, payload, limits)
        except DependencyError as exc:
            return ExecResult("sandbox_error", error=str(exc))

    def _error(self, kind: ErrorKind, flag: HostedFlag, message: str, res: ExecResult | None = None) -> GradeResult:
        result = GradeResult.failed(GradeError(kind, flag, message, self.name))
        if res is not None:
            result.metadata.update(_exec_metadata(res))
        return result


def _exec_metadata(res: ExecResult) -> dict[str, Any]:
    meta: dict[str, Any] = {"isolation": res.isolation, "sandbox_ms": round(res.duration_ms, 3)}
    if res.stdout:
        meta["stdout"] = res.stdout[-2000:]
    if res.stderr:
        meta["stderr"] = res.stderr[-2000:]
    return meta


def _death(res: ExecResult) -> str:
    how = f"signal {res.signal}" if res.signal else f"exit code {res.exit_code}"
    tail = res.stderr.strip()[-1500:]
    return f"the grader process ended ({how}) without returning a result" + (f"; stderr: {tail}" if tail else "")


class PythonGrader(SandboxedGrader):
    """Runs user ``grade(sample, item)`` code per sample in the sandbox; the reward is its return value."""

    type: ClassVar[str] = "python"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self.source: str = self._config["source"]
        field = f"{path}.source" if path else "source"
        if len(self.source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
            raise ConfigError(f"the source is over {MAX_SOURCE_BYTES // 1024} kB (the hosted limit)", path=field)
        try:
            compile(self.source, "grader.py", "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise ConfigError(f"the source does not compile: {exc.msg} (line {exc.lineno})", path=field) from None
        options = self._config.get("rft_options") or {}
        timeout = float(options.get("timeout_s", 120.0))
        self.limits = Limits(
            wall_s=timeout,
            cpu_s=timeout,
            memory_mb=int(options.get("memory_mb", 2048)),
            output_bytes=int(options.get("output_bytes", 1 << 20)),
        )

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        payload = {"source": self.source, "sample": sample.hosted_namespace(), "item": dict(item)}
        # Blame the side that holds the value: NaN or an infinity (a model can write 1e999 in its JSON) in the
        # sample is a sample that cannot be graded, not a problem of the grader's configuration.
        blame: tuple[tuple[str, ErrorKind, HostedFlag], ...] = (
            ("sample", "parse", "sample_parse_error"),
            ("item", "config", "other_error"),
        )
        for side, kind, flag in blame:
            try:
                json.dumps(payload[side], allow_nan=False)
            except (TypeError, ValueError) as exc:
                return self._error(kind, flag, f"the {side} is not JSON data (NaN and infinities are not): {exc}")
        res = self._run("python_grader", payload, self.limits)
        if res.status == "ok" and isinstance(res.value, dict):
            value = res.value
            if value.get("ok") is True:
                reward = check_reward(value.get("reward"))
                if isinstance(reward, str):
                    return self._error("runtime", _RUNTIME, reward, res)
                result = GradeResult(reward=reward, metadata=_exec_metadata(res))
                if not 0.0 <= reward <= 1.0:
                    result.metadata["warnings"] = [f"reward {reward!r} is outside [0, 1]; it was not clamped"]
                return result
            message = str(value.get("error") or "grade() failed")
            tb = str(value.get("traceback") or "")
            return self._error("runtime", _RUNTIME, f"{message}\n{tb}".strip(), res)
        if res.status == "timeout":
            return self._error("timeout", _RUNTIME, f"grade() did not finish within {self.limits.wall_s:g} s", res)
        if res.status == "memory":
            return self._error("runtime", _RUNTIME, f"grade() ran out of memory ({self.limits.memory_mb} MiB)", res)
        if res.status == "output_limit":
            cap = self.limits.output_bytes
            return self._error("runtime", _RUNTIME, f"grade() printed more than {cap} bytes", res)
        if res.status in ("crashed", "ok", "error"):
            return self._error("runtime", _RUNTIME, _death(res), res)
        return self._error("sandbox", _SERVER, res.error or "the sandbox failed", res)
