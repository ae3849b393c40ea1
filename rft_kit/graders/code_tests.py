"""``code_tests`` (rft-kit extension): run the program in the sample against tests, in the sandbox.

Formats:

* ``humaneval``: ``prompt``, ``test`` (defines ``check(candidate)``) and ``entry_point``. The program is
  prompt + completion, or the completion alone (plus the prompt's imports) when it defines ``entry_point`` itself.
  Each top-level statement of ``check``'s body that contains an ``assert`` is one test (a loop of asserts is one);
  other statements run in order as setup.
* ``asserts`` (MBPP style): ``tests`` renders to a JSON list of assert statements, each one test; ``setup`` is
  trusted code run first.
* ``stdio``: ``tests`` renders to a JSON list of ``{"input", "output"}``; the program runs once per case with that
  stdin, and its stdout is compared by the runner (``compare``: tokens, exact, lines). Expected outputs never enter
  the candidate's process.

The tests run in a trusted runner; the candidate lives in another process and only plain values cross back (see
:mod:`rft_kit.sandbox.harness_tests`), so exiting early, printing "PASS", forged ``__eq__`` or patched builtins
cannot produce a pass. Reward is 1.0/0.0 (``all_or_nothing``) or the fraction of tests passed; per-test outcomes are
in ``metadata["tests"]`` and the isolation level in ``metadata["isolation"]``. No code, a program that does not load,
timeouts, crashes and resource limits are wrong answers (reward 0, status scored, ``metadata["reason"]``); only an
unusable item (kind ``config``) or a sandbox failure (kind ``sandbox``) is an error.

Time limit: ``timeout_per_test_s`` bounds each test, and loading the program (its top-level code) counts against
the test that needs it: the first test, and any test that follows a timeout or crash (the program is then loaded
afresh). Loading has no window of its own, so a program gets at most ``timeout_per_test_s`` times the number of tests.

Not exportable to OpenAI yet: the hosted service has no such type; exporting would mean compiling it into a
``python`` grader.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from ..errors import GradeFailure
from ..records import GradeResult, Sample
from ..sandbox import ExecResult, Limits
from ..templating import Template
from .python_grader import SandboxedGrader, _exec_metadata

__all__ = ["CodeTestsGrader", "assemble_humaneval", "extract_code"]

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PY_LABELS = {"", "python", "py", "python3", "py3"}
_SERVER: Final = "python_grader_server_error"
_STATUSES = {"passed", "failed", "timeout", "error"}


def extract_code(text: str, mode: str) -> str:
    """The program in a model answer: ``auto`` (last python/unlabelled fenced block, else the whole text),
    ``fenced`` (that block or ``""``) or ``whole``."""
    if mode == "whole":
        return text
    blocks: list[str] = [body for label, body in _FENCE.findall(text) if label.lower() in _PY_LABELS]
    if blocks:
        return blocks[-1]
    return "" if mode == "fenced" else text


_DEF_NAMES = re.compile(r"\bdef[\s\\]+(\w+)")
"""Every function definition has ``def``, blanks or line continuations, then its name: a cheap test that a
completion cannot define ``entry_point`` (most completions are bodies, which do not parse on their own)."""


@functools.lru_cache(maxsize=1024)
def _top_level_def(name: str) -> re.Pattern[str]:
    return re.compile(rf"^def\s+{re.escape(name)}\s*\(", re.MULTILINE)


def _defines(code: str, name: str) -> bool:
    if name not in _DEF_NAMES.findall(code):
        return False
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return _top_level_def(name).search(code) is not None
    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name for n in tree.body)


def assemble_humaneval(prompt: str, completion: str, entry_point: str) -> str:
    """HumanEval program assembly: prompt + completion, unless the completion defines ``entry_point`` itself (then
    the completion with the prompt's top-level imports in front)."""
    if entry_point and _defines(completion, entry_point):
        imports = [line for line in prompt.splitlines() if line.startswith(("import ", "from "))]
        return "\n".join([*imports, completion]) if imports else completion
    return prompt + completion


class CodeTestsGrader(SandboxedGrader):
    """Unit tests or stdin/stdout cases against the program in the sample; reward 1/0 or the fraction passed."""

    type: ClassVar[str] = "code_tests"
    harness: ClassVar[str] = "code_tests"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        cfg = self._config
        self.format: str = cfg["format"]
        cfg.setdefault("code", "{{sample.output_text}}")
        self.code: Template = self._template("code")
        self.extract: str = cfg.get("extract", "auto")
        self.compare: str = cfg.get("compare", "tokens")
        self.scoring: str = cfg.get("scoring", "all_or_nothing")
        self.timeout: float = float(cfg.get("timeout_per_test_s", 5.0))
        self.memory_mb: int = int(cfg.get("memory_mb", 1024))
        self._optional: dict[str, Template] = {
            key: self._template(key) for key in ("prompt", "test", "entry_point", "tests", "setup") if key in cfg
        }

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.code, *self._optional.values())

    def _render(self, key: str, sample: Mapping[str, Any], item: Mapping[str, Any]) -> str:
        template = self._optional.get(key)
        return "" if template is None else template.render(sample, item)

    def _tests(self, ns: Mapping[str, Any], item: Mapping[str, Any]) -> list[Any]:
        text = self._render("tests", ns, item)
        try:
            tests = json.loads(text)
        except ValueError:
            raise GradeFailure(
                "config", "other_error", f"tests did not render to a JSON list: {text[:100]!r}"
            ) from None
        if not isinstance(tests, list) or not tests:
            raise GradeFailure("config", "other_error", "tests must render to a non-empty JSON list")
        if self.format == "asserts":
            if not all(isinstance(t, str) for t in tests):
                raise GradeFailure("config", "other_error", "asserts tests must be a list of strings")
        elif not all(
            isinstance(t, dict) and isinstance(t.get("input"), str) and isinstance(t.get("output"), str) for t in tests
        ):
            raise GradeFailure("config", "other_error", 'stdio tests must be a list of {"input": str, "output": str}')
        return tests

    def _prepare(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult | tuple[dict[str, Any], Limits]:
        """The runner's payload and the job's limits, or the result when there is nothing to run. Samples of a batch
        travel in chunks (:meth:`SandboxedGrader.grade_batch`), each still in its own fresh candidate process."""
        ns = sample.namespace()
        code = extract_code(self.code.render(ns, item), self.extract)
        payload: dict[str, Any] = {"format": self.format, "timeout_s": self.timeout, "output_bytes": 1 << 20}
        if self.format == "humaneval":
            entry = self._render("entry_point", ns, item).strip()
            if not entry.isidentifier():
                raise GradeFailure("config", "other_error", f"entry_point {entry!r} is not a function name")
            prompt = self._render("prompt", ns, item)
            payload.update(prompt=prompt, test=self._render("test", ns, item), entry_point=entry)
            n_tests = max(1, payload["test"].count("assert"))
            program = assemble_humaneval(prompt, code, entry) if code.strip() else ""
        else:
            payload["tests"] = self._tests(ns, item)
            n_tests = len(payload["tests"])
            if self.format == "asserts":
                payload["setup"] = self._render("setup", ns, item)
            else:
                payload["compare"] = self.compare
            program = code
        if not code.strip():
            return GradeResult(reward=0.0, metadata={"reason": "no code found in the sample", "tests": []})
        payload["program"] = program
        # room for every test to time out, plus process start-up; the runner enforces the per-test limit itself
        wall = self.timeout * (n_tests + 1) + 10.0
        return payload, Limits(wall_s=wall, cpu_s=wall, memory_mb=self.memory_mb)

    def _finish(self, res: ExecResult) -> GradeResult:
        if res.status == "sandbox_error":
            return self._error("sandbox", _SERVER, res.error or "the sandbox failed", res)
        meta = _exec_metadata(res)
        if res.status != "ok":
            reasons = {
                "timeout": "the tests did not finish within the job's time limit",
                "memory": f"out of memory ({self.memory_mb} MiB)",
                "output_limit": "the program printed more than the output limit",
                "crashed": "the test runner was killed (by the program?) before reporting",
            }
            meta.update(reason=reasons.get(res.status, res.status), tests=[])
            return GradeResult(reward=0.0, metadata=meta)
        return self._verdict(res.value, meta)

    def _verdict(self, value: Any, meta: dict[str, Any]) -> GradeResult:
        if not isinstance(value, dict) or not isinstance(value.get("tests"), list):
            return self._error("sandbox", _SERVER, "the test runner sent a malformed report")
        if value.get("config_error"):
            raise GradeFailure("config", "other_error", str(value["config_error"]))
        tests = [t for t in value["tests"] if isinstance(t, dict) and t.get("status") in _STATUSES]
        if len(tests) != len(value["tests"]):
            return self._error("sandbox", _SERVER, "the test runner sent a malformed report")
        passed = sum(1 for t in tests if t["status"] == "passed")
        meta["tests"] = tests
        meta["passed"] = passed
        meta["total"] = len(tests)
        if value.get("load_error"):
            meta["reason"] = str(value["load_error"])
        if isinstance(value.get("stderr"), str) and value["stderr"]:
            meta["stderr"] = value["stderr"][-2000:]  # what the candidates wrote to stderr (the end of it)
        if not tests:
            return GradeResult(reward=0.0, metadata=meta)
        if self.scoring == "fraction":
            return GradeResult(reward=passed / len(tests), metadata=meta)
        return GradeResult(reward=1.0 if passed == len(tests) else 0.0, metadata=meta)
