"""``rft export verl``: Parquet rows in verl's format plus a ``compute_score.py`` that grades with the grader.

Rows (verl's ``examples/data_preprocess`` convention)::

    {"data_source": str, "prompt": [{"role", "content"}...], "ability": str,
     "reward_model": {"style": "rule", "ground_truth": str}, "extra_info": {"index": int, "id": str, "item": <JSON>}}

``extra_info.item`` is the full task row as JSON (Arrow cannot type heterogeneous rows; JSON keeps them exact).
``ground_truth`` is the grader's reference field rendered as text: the first ``{{item.<field>}}`` its templates
read, else, for ``python`` graders, the first ``item["<field>"]`` / ``item.get("<field>")`` in their source, else
``--reference``. compute_score grades from ``extra_info.item`` either way; ``ground_truth`` is for verl's logs and
for rows without ``extra_info``.

Which config key loads the module depends on the verl version (read from verl's wheels on PyPI):

* verl 0.7.1 and later (checked up to 0.9.1) read ``reward.custom_reward_function.{path,name}``
  (``verl/trainer/ppo/reward.py: get_custom_reward_fn``). The legacy top-level ``custom_reward_function`` is still
  accepted by the config but migrated only by ``migrate_legacy_reward_impl``: in 0.7.1-0.8.0 main_ppo calls it;
  in 0.9.x only the fully-async entry point does, so with ``verl.trainer.main_ppo`` the legacy key is silently
  ignored and verl's default reward is used.
* verl 0.7.0 and earlier read the top-level ``custom_reward_function.{path,name}``.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..errors import DependencyError
from ..graders.loading import build_grader, read_grader_file
from ..io.escape import escape_value, json_text
from .chat import check_prompt, reference_field, to_chat
from .issues import Issues
from .tasks import read_tasks

__all__ = ["VerlExport", "export_verl", "verl_config_hint"]

# verl versions whose config layout was read (their wheels on PyPI) for the hint below.
VERL_CHECKED: Final = ("0.6.1", "0.7.0", "0.7.1", "0.8.0", "0.9.1")


def verl_config_hint(module: Path) -> str:
    """The command-line overrides that make verl load ``module`` (current layout first)."""
    return (
        f"reward.custom_reward_function.path={module} reward.custom_reward_function.name=compute_score "
        f"(verl >= 0.7.1; verl <= 0.7.0: custom_reward_function.path={module})"
    )


_MODULE = '''"""verl custom reward function written by rft-kit: grades with grader.json beside this file.

verl >= 0.7.1 (checked up to 0.9.1):
    reward.custom_reward_function.path={path} reward.custom_reward_function.name=compute_score
verl <= 0.7.0:
    custom_reward_function.path={path} custom_reward_function.name=compute_score
(verl 0.9's main_ppo ignores the second form: it would train on verl's default reward.)
"""

from pathlib import Path

from rft_kit.integrations.verl import make_compute_score

compute_score = make_compute_score(Path(__file__).with_name("grader.json"), reference_field={field!r})
'''


@dataclass
class VerlExport:
    """What was written."""

    out_dir: Path
    rows: int
    reference_field: str | None
    issues: Issues
    reference_origin: str = "template"  # template | python source | --reference | none

    def describe_reference(self) -> str:
        """What ``ground_truth`` holds, in words for the CLI."""
        if self.reference_field is None:
            return (
                "ground_truth left empty: the grader reads no item field rft-kit could find (no {{item.*}} "
                "template, no item[...] in python source); compute_score grades from extra_info.item (the full "
                "row); pass --reference FIELD to fill ground_truth"
            )
        origin = {"python source": " (read from the python grader's source)", "--reference": ""}.get(
            self.reference_origin, ""
        )
        return f"ground_truth = item.{self.reference_field}{origin}"


def python_item_keys(source: str) -> list[str]:
    """The item keys a python grader's source reads: ``item["k"]`` and ``item.get("k")``, where ``item`` is the
    second parameter of ``grade``; in order of appearance."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = {"item"}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "grade" and len(node.args.args) >= 2:
            names = {node.args.args[1].arg}
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in names:
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
            and node.args
        ):
            key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value != "messages":
            found.append((key.lineno, key.col_offset, key.value))
    return list(dict.fromkeys(k for *_, k in sorted(found)))


def _python_sources(config: Mapping[str, Any]) -> list[str]:
    if config.get("type") == "python" and isinstance(config.get("source"), str):
        return [config["source"]]
    subs = config.get("graders")
    if isinstance(subs, Mapping):
        return [src for sub in subs.values() if isinstance(sub, Mapping) for src in _python_sources(sub)]
    return []


def _ground_truth(row: Any, field: str | None) -> str:
    if field is None or not isinstance(row, dict) or field not in row:
        return ""
    value = row[field]
    return value if isinstance(value, str) else json_text(value)


def export_verl(
    tasks: Path,
    grader_file: Path,
    out_dir: Path,
    *,
    data_source: str | None = None,
    ability: str = "rft",
    reference: str | None = None,
) -> VerlExport:
    """Write ``train.parquet``, ``grader.json`` and ``compute_score.py`` under ``out_dir``.

    Args:
        reference: item field used as ``ground_truth`` (default: the first ``{{item.*}}`` the grader reads).

    Raises:
        ExportError: a row cannot be used as a prompt.
        ConfigError: the grader file is invalid.
        DependencyError: pyarrow is not installed.
    """
    try:  # optional dependency without type information: imported as a module object
        pa = importlib.import_module("pyarrow")
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise DependencyError("verl export writes Parquet: pip install 'rft-kit[hf]'") from None
    file = read_grader_file(grader_file, placement="any")
    grader = build_grader(file.config, source=file.source)
    field, origin = reference, "--reference"
    if field is None:
        field, origin = reference_field(grader.templates), "template"
    if field is None:
        keys = [k for src in _python_sources(file.config) for k in python_item_keys(src)]
        field, origin = (keys[0], "python source") if keys else (None, "none")
    issues = Issues()
    read = read_tasks(tasks, issues)
    for where, row in read:
        check_prompt(row, where, issues)
    issues.raise_if_errors()
    source = data_source or f"rft_kit/{grader.name}"
    records = [
        {
            "data_source": source,
            "prompt": to_chat(row.get("messages")),
            "ability": ability,
            "reward_model": {"style": "rule", "ground_truth": _ground_truth(row, field)},
            "extra_info": {
                "index": index,
                "id": str(row.get("id", index)),
                "item": json_text(row),
            },
        }
        for index, (_, row) in enumerate(read)
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    # Arrow stores UTF-8: an unpaired surrogate in a prompt is written as its escape (see rft_kit.io.escape)
    pq.write_table(pa.Table.from_pylist(escape_value(records)[0]), out_dir / "train.parquet")
    (out_dir / "grader.json").write_text(json_text(file.config, indent=2) + "\n", encoding="utf-8")
    module = _MODULE.format(path=out_dir / "compute_score.py", field=field or "answer")
    (out_dir / "compute_score.py").write_text(module, encoding="utf-8")
    return VerlExport(out_dir, len(records), field, issues, origin)
