"""``python``: the hosted python grader, run locally in the sandbox (docs/hosted-semantics.md: python).

The source must define ``grade(sample, item)`` taking exactly two positional arguments; ``sample`` has exactly the
hosted keys (``choices, output_text, output_json, output_tools, output_audio``). It runs per sample in a fresh
hardened process of :mod:`rft_kit.sandbox` (no network, private temp dir, scrubbed environment) with the hosted
limits by default: 120 s and 2 GB, configurable in ``rft_options`` (``timeout_s``, ``memory_mb``, ``output_bytes``).
Each sample's process is forked from the worker's pre-hardened candidate pool, so it starts from the same pristine
interpreter state as every other sample (nothing one sample sets, patches or leaves behind reaches the next); a
batch travels to the sandbox in chunks, and the limits apply to each sample of a chunk on its own
(:mod:`rft_kit.sandbox.harness_python`).

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

import dataclasses
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Final

from ..errors import ConfigError, DependencyError, ErrorKind, HostedFlag
from ..records import GradeError, GradeResult, Sample
from ..sandbox import ExecResult, Limits, get_sandbox
from ..sandbox.grade_call import check_reward
from .base import Grader, SampleLike, as_sample

__all__ = ["PythonGrader", "SandboxedGrader", "uses_sandbox"]

MAX_SOURCE_BYTES = 256 * 1024
_RUNTIME: Final = "python_grader_runtime_error"
_SERVER: Final = "python_grader_server_error"
_CHUNK_MAX = 16
"""Most samples one sandbox job grades (one after another, each in its own fresh process)."""
_SAMPLE_STATUSES = {"ok", "timeout", "memory", "output_limit", "crashed", "sandbox_error"}


def _sample_ms(value: Any, default: float) -> float:
    ms = value.get("ms") if isinstance(value, dict) else None
    return float(ms) if isinstance(ms, int | float) and not isinstance(ms, bool) else default


Prepared = tuple[dict[str, Any], Limits]


class SandboxedGrader(Grader):
    """Shared plumbing of graders that run code in the sandbox: chunked batches and error results.

    A subclass says how one pair becomes a job (:meth:`_prepare`) and how a job's outcome becomes a result
    (:meth:`_finish`); ``grade`` and ``grade_batch`` are built on those two.
    """

    parallel_inside: bool = True
    harness: ClassVar[str]

    def _prepare(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult | Prepared:
        """The harness's payload and the job's limits, or the result when there is nothing to run."""
        raise NotImplementedError

    def _finish(self, res: ExecResult) -> GradeResult:
        """The result of one sample's outcome (the job's, or its entry of a chunk: see :meth:`_sample_result`)."""
        raise NotImplementedError

    def _sample_result(self, res: ExecResult, value: Any, default_ms: float) -> ExecResult:
        """One sample's outcome: ``value`` is its entry in the chunk job ``res``'s ``batch`` (or, for a job of one
        sample, ``res.value`` itself)."""
        return dataclasses.replace(res, value=value, duration_ms=_sample_ms(value, default_ms))

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        prepared = self._prepare(sample, item)
        if isinstance(prepared, GradeResult):
            return prepared
        payload, limits = prepared
        res = self._run(self.harness, payload, limits)
        if res.status == "ok":
            res = self._sample_result(res, res.value, res.duration_ms)
        return self._finish(res)

    def grade_batch(
        self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]
    ) -> list[GradeResult]:
        """Grade pairs in chunks: one sandbox job runs several samples one after another, each still in its own
        fresh process with its own limits. Results equal per-pair :meth:`grade`; anything unusual (a bad sample,
        nothing to run, a chunk that failed as a whole) takes the per-pair path."""
        if len(samples) != len(items):
            raise ValueError(f"a batch needs as many items as samples ({len(samples)} != {len(items)})")
        if len(samples) <= 1:
            return [self.grade(s, i) for s, i in zip(samples, items, strict=True)]
        results: list[GradeResult | None] = [None] * len(samples)
        workers = get_sandbox().workers
        taken = 0
        lock = threading.Lock()

        def take() -> range:
            # Guided chunks: large while much is left (the job overhead is paid once per chunk), shrinking towards
            # the end so that no server idles while another works through a last big chunk.
            nonlocal taken
            with lock:
                size = max(1, min(_CHUNK_MAX, (len(samples) - taken) // (2 * workers)))
                start, taken = taken, min(len(samples), taken + size)
                return range(start, taken)

        def work() -> None:
            # each thread prepares its own chunks, so rendering overlaps the servers' work from the first chunk on
            while indices := take():
                chunk: list[tuple[int, dict[str, Any], Limits]] = []
                for index in indices:
                    try:
                        smp = as_sample(samples[index])
                        item = items[index]
                        prepared = None if smp.error else self._prepare(smp, item if item is not None else {})
                    except Exception:  # reported exactly as the per-pair path reports it
                        prepared = None
                    if isinstance(prepared, tuple):
                        chunk.append((index, *prepared))
                if chunk:
                    for (index, _, _), result in zip(chunk, self._run_chunk(chunk), strict=True):
                        results[index] = result

        # more threads than servers, so that our side (rendering, JSON) overlaps the servers' work
        threads = [
            threading.Thread(target=work, name=f"rft-{self.type}") for _ in range(min(len(samples), 2 * workers))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [r if r is not None else self.grade(s, i) for r, s, i in zip(results, samples, items, strict=True)]

    def _run_chunk(self, chunk: list[tuple[int, dict[str, Any], Limits]]) -> list[GradeResult | None]:
        """One sandbox job for a chunk; ``None`` for each sample when the job failed as a whole."""
        if len(chunk) == 1:
            _, payload, limits = chunk[0]
            res = self._run(self.harness, payload, limits)
            return [self._finished(self._sample_result(res, res.value, res.duration_ms) if res.status == "ok" else res)]
        wall = sum(limits.wall_s for _, _, limits in chunk)
        cpu = max(limits.cpu_s for _, _, limits in chunk)
        memory = max(limits.memory_mb for _, _, limits in chunk)
        res = self._run(
            self.harness, _chunk_payload([p for _, p, _ in chunk]), Limits(wall_s=wall, cpu_s=cpu, memory_mb=memory)
        )
        values = res.value.get("batch") if res.status == "ok" and isinstance(res.value, dict) else None
        if not isinstance(values, list) or len(values) > len(chunk):
            return [None] * len(chunk)
        # fewer results than samples: the worker had to be replaced mid-chunk (a sample left more than its clean-up
        # could delete in time); the samples after it did not run and take the per-pair path
        share = res.duration_ms / len(chunk)
        done = [self._finished(self._sample_result(res, v, share)) for v in values]
        return done + [None] * (len(chunk) - len(done))

    def _finished(self, res: ExecResult) -> GradeResult | None:
        """:meth:`_finish` plus what :meth:`grade` adds; ``None`` (take the per-pair path) if it raised."""
        try:
            result = self._finish(res)
        except Exception:
            return None
        result.duration_ms = res.duration_ms
        result.grader_name = self.name
        result.grader_type = self.type
        return result

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


def _walk(grader: Grader) -> Iterator[Grader]:
    """``grader`` and its sub-graders (a ``multi``'s), depth first."""
    yield grader
    for sub in getattr(grader, "graders", {}).values():
        if isinstance(sub, Grader):
            yield from _walk(sub)


def uses_sandbox(grader: Grader) -> bool:
    """Whether ``grader`` (or one of a ``multi``'s sub-graders) runs code in the sandbox."""
    return any(isinstance(g, SandboxedGrader) for g in _walk(grader))


def _chunk_payload(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"batch": [...]}``, with what every payload holds as the very same object (a python grader's source, the
    options) sent once under ``"shared"`` (the runner merges it back into each sample's payload)."""
    first = payloads[0]
    shared = {k: v for k, v in first.items() if all(k in p and p[k] is v for p in payloads[1:])}
    if not shared:
        return {"batch": payloads}
    return {"shared": shared, "batch": [{k: v for k, v in p.items() if k not in shared} for p in payloads]}


def _exec_metadata(res: ExecResult) -> dict[str, Any]:
    meta: dict[str, Any] = {"isolation": res.isolation, "sandbox_ms": round(res.duration_ms, 3)}
    if res.stdout:
        meta["stdout"] = res.stdout[-2000:]
    if res.stderr:
        meta["stderr"] = res.stderr[-2000:]
    return meta


def _death(res: ExecResult) -> str:
    if res.signal:
        how = f"signal {res.signal}"
    else:
        how = f"exit code {res.exit_code}" if res.exit_code is not None else "its result channel closed"
    tail = res.stderr.strip()[-1500:]
    return f"the grader process ended ({how}) without returning a result" + (f"; stderr: {tail}" if tail else "")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _code(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class PythonGrader(SandboxedGrader):
    """Runs user ``grade(sample, item)`` code per sample in the sandbox; the reward is its return value."""

    type: ClassVar[str] = "python"
    harness: ClassVar[str] = "python_grader"

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
        # The runner enforces the sample's own wall limit (from its process's start); the job's is a backstop with
        # room for the process start and the result's way back.
        self._job_limits = Limits(
            wall_s=timeout + 10.0, cpu_s=timeout, memory_mb=self.limits.memory_mb, output_bytes=1 << 20
        )
        # the very same objects in every payload: a chunk sends them once (see _chunk_payload)
        self._timeout: float = timeout
        self._output_bytes: int = self.limits.output_bytes
        self._wanted: list[str] | None = None

    def _prepare(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult | Prepared:
        payload: dict[str, Any] = {
            "format": "python_grader",
            "source": self.source,
            "sample": sample.hosted_namespace(),
            "item": dict(item),
        }
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
        payload["timeout_s"] = self._timeout
        payload["output_bytes"] = self._output_bytes
        payload["preload"] = self._preload()
        return payload, self._job_limits

    def _preload(self) -> list[str]:
        """The sandbox's grader preloads that this source mentions (the candidate pool imports those, once; a
        grader that never names rapidfuzz does not make every pool import it)."""
        if self._wanted is None:
            self._wanted = [m for m in get_sandbox().preload if m.split(".")[0] in self.source]
        return self._wanted

    def _sample_result(self, res: ExecResult, value: Any, default_ms: float) -> ExecResult:
        """The runner's report on one sample (see :mod:`rft_kit.sandbox.harness_python`) as that sample's outcome."""
        duration = _sample_ms(value, default_ms)
        if not isinstance(value, dict) or value.get("status") not in _SAMPLE_STATUSES:
            detail = value.get("config_error") if isinstance(value, dict) else None
            return ExecResult(
                "sandbox_error",
                error=str(detail or "the sandbox's runner sent a malformed report"),
                isolation=res.isolation,
                duration_ms=duration,
            )
        return ExecResult(
            status=value["status"],
            value=value.get("value"),
            stdout=_text(value.get("stdout")),
            stderr=_text(value.get("stderr")),
            exit_code=_code(value.get("exit_code")),
            signal=_code(value.get("signal")),
            duration_ms=duration,
            isolation=res.isolation,
            error=_text(value.get("error")),
        )

    def _finish(self, res: ExecResult) -> GradeResult:
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
