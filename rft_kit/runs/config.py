"""The pipeline file of ``rft run``: which tasks, which model, which grader, compared with which earlier run.

::

    name: arithmetic-base            # the run folder: <runs dir>/<name>/
    tasks: {template: arithmetic_word, n: 40, seed: 7, difficulty: mixed}   # or {path: tasks.jsonl}
    model:
      name: sim-base                 # a SIMULATED solver model runs on a local in-process server
      base_url: null                 # any OpenAI-compatible endpoint; null: the local server for sim-*, else OpenAI
      n: 4                           # samples per item
      temperature: 1.0
      max_tokens: 512
      concurrency: 8
    grader: rft:tasks/arithmetic_word   # optional with a template (its own grader); rft:NAME or a file path
    baseline: arithmetic-previous    # optional: a run name in the runs dir, or a run folder path
    rollout:                         # optional: roll out multi-turn episodes instead of sampling one reply
      max_turns: 12                  #   model turns per episode at most (default 10)
      token_budget: 20000            #   total tokens per episode (default: none)

Relative paths (a tasks file, a user template ``.yaml``, a grader file) are relative to the pipeline file's
directory; ``rft:NAME`` names a grader of rft-kit's library.

**Agentic tasks roll out.** When the task rows carry an ``environment`` (an agentic template such as
``support_refunds``, or a file of such rows), the samples stage runs ``rft rollout`` instead of ``rft sample``: each
of the ``n`` samples per item is an episode whose tool calls are executed in the row's environment, written to the
same samples.jsonl (with ``trajectory``, ``final_state``, ``stop_reason``, ...). The ``rollout`` key sets the episode
limits, and forces rollouts even for rows without an environment (they then fail as ``env_error``, recorded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.files import parse_document
from ..errors import ConfigError
from ..library import is_library_ref
from ..sampling import SamplingParams

__all__ = ["ModelSpec", "PipelineConfig", "RolloutSettings", "TaskSource", "load_pipeline", "parse_pipeline"]

_MODEL_CLIENT_KEYS = ("name", "base_url", "api_key_env")
_TOP_LEVEL_KEYS = ("name", "tasks", "model", "grader", "baseline", "rollout")


@dataclass(frozen=True)
class TaskSource:
    """Where tasks come from: a template drawn with a seed, or an existing JSONL file."""

    template: str | None = None
    n: int = 0
    seed: int = 0
    difficulty: str | None = None
    path: Path | None = None

    def describe(self) -> dict[str, Any]:
        """The source as recorded in run.json."""
        if self.path is not None:
            return {"path": str(self.path)}
        return {"template": self.template, "n": self.n, "seed": self.seed, "difficulty": self.difficulty}


@dataclass(frozen=True)
class ModelSpec:
    """The model to sample: where it is served and with which parameters."""

    params: SamplingParams
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"


@dataclass(frozen=True)
class RolloutSettings:
    """Episode limits of the rollout stage (see :class:`rft_kit.rollout.RolloutParams`)."""

    max_turns: int = 10
    token_budget: int | None = None


@dataclass(frozen=True)
class PipelineConfig:
    """A parsed pipeline file. ``rollout`` is ``None`` unless the file has a ``rollout`` key (agentic rows roll out
    with the default limits anyway)."""

    name: str
    tasks: TaskSource
    model: ModelSpec
    grader: Path | None
    baseline: str | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    rollout: RolloutSettings | None = None


def _require(mapping: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in mapping:
        raise ConfigError(f"'{key}' is required", path=f"{where}.{key}" if where else key)
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"must be {names}, got {value!r}", path=f"{where}.{key}" if where else key)
    return value


def _tasks(raw: Any, base: Path) -> TaskSource:
    if not isinstance(raw, Mapping):
        raise ConfigError("must be {template, n, seed, difficulty} or {path}", path="tasks")
    if "path" in raw:
        return TaskSource(path=base / str(_require(raw, "path", str, "tasks")))
    unknown = set(raw) - {"template", "n", "seed", "difficulty"}
    if unknown:
        raise ConfigError(
            f"unknown key '{sorted(unknown)[0]}' (known: template, n, seed, difficulty, path)", path="tasks"
        )
    n = _require(raw, "n", int, "tasks")
    if n < 1:
        raise ConfigError(f"must be >= 1, got {n}", path="tasks.n")
    difficulty = raw.get("difficulty")
    template = _require(raw, "template", str, "tasks")
    if template.endswith((".yaml", ".yml")):  # a user template file, not a built-in name
        template = str(base / template)
    return TaskSource(
        template=template,
        n=n,
        seed=int(raw.get("seed", 0)),
        difficulty=None if difficulty is None else str(difficulty),
    )


def _model(raw: Any) -> ModelSpec:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a model name or {name, base_url, n, temperature, ...}", path="model")
    name = _require(raw, "name", str, "model")
    fields = {k: v for k, v in raw.items() if k not in _MODEL_CLIENT_KEYS}
    if "samples_per_item" in fields:
        fields["n"] = fields.pop("samples_per_item")
    try:
        params = SamplingParams(model=name, **fields)
    except TypeError as exc:
        raise ConfigError(f"unknown model setting ({exc})", path="model") from None
    except ValueError as exc:
        raise ConfigError(str(exc), path="model") from None
    base_url = raw.get("base_url")
    return ModelSpec(
        params=params,
        base_url=None if base_url is None else str(base_url),
        api_key_env=str(raw.get("api_key_env", "OPENAI_API_KEY")),
    )


def _grader_path(raw: Any, base: Path) -> Path:
    if not isinstance(raw, str):
        raise ConfigError(f"must be a grader file path or rft:NAME, got {type(raw).__name__}", path="grader")
    return Path(raw) if is_library_ref(raw) else base / raw


def _rollout(raw: Any) -> RolloutSettings | None:
    if raw is None or raw is False:
        return None
    if raw is True:
        return RolloutSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError("must be true or {max_turns, token_budget}", path="rollout")
    unknown = set(raw) - {"max_turns", "token_budget"}
    if unknown:
        raise ConfigError(f"unknown key '{sorted(unknown)[0]}' (known: max_turns, token_budget)", path="rollout")
    max_turns = raw.get("max_turns", 10)
    if not isinstance(max_turns, int) or isinstance(max_turns, bool) or max_turns < 1:
        raise ConfigError(f"must be an integer >= 1, got {max_turns!r}", path="rollout.max_turns")
    budget = raw.get("token_budget")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1):
        raise ConfigError(f"must be an integer >= 1 or null, got {budget!r}", path="rollout.token_budget")
    return RolloutSettings(max_turns=max_turns, token_budget=budget)


def parse_pipeline(raw: Any, *, base_dir: Path, source: str | None = None) -> PipelineConfig:
    """Validate a pipeline document (already parsed from YAML/JSON).

    Raises:
        ConfigError: naming the bad field.
    """
    try:
        if not isinstance(raw, Mapping):
            raise ConfigError("a pipeline file must be a mapping with name, tasks, model and grader")
        unknown = sorted(str(key) for key in raw if key not in _TOP_LEVEL_KEYS)
        if unknown:
            # a misspelt key ("graders", "baseline_run") would otherwise be ignored and the run use a default
            raise ConfigError(f"unknown key '{unknown[0]}' (known: {', '.join(_TOP_LEVEL_KEYS)})", path=unknown[0])
        name = _require(raw, "name", str, "")
        if not name or "/" in name or name in (".", ".."):
            raise ConfigError(f"must be a folder name, got {name!r}", path="name")
        tasks = _tasks(raw.get("tasks"), base_dir)
        grader = raw.get("grader")
        if grader is None and tasks.template is None:
            raise ConfigError("'grader' is required when tasks come from a file", path="grader")
        baseline = raw.get("baseline")
        return PipelineConfig(
            name=name,
            tasks=tasks,
            model=_model(raw.get("model")),
            grader=None if grader is None else _grader_path(grader, base_dir),
            baseline=None if baseline is None else str(baseline),
            base_dir=base_dir,
            rollout=_rollout(raw.get("rollout")),
        )
    except ConfigError as exc:
        if source is not None and exc.source is None:
            raise ConfigError(exc.detail, path=exc.path, source=source) from None
        raise


def load_pipeline(path: str | Path) -> PipelineConfig:
    """Read and validate a pipeline YAML (or JSON) file.

    Raises:
        ConfigError: unreadable, not YAML, or invalid (names the field).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", source=str(file)) from None
    # the grader files' reader: duplicate keys and alias bombs are refused with their line
    raw, _ = parse_document(text, source=str(file), as_json=file.suffix.lower() == ".json")
    return parse_pipeline(raw, base_dir=file.resolve().parent, source=str(file))
