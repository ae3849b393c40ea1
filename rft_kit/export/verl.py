"""``rft export verl``: Parquet rows in verl's format plus a ``compute_score.py`` that grades with the grader.

Rows (verl's ``examples/data_preprocess`` convention)::

    {"data_source": str, "prompt": [{"role", "content"}...], "ability": str,
     "reward_model": {"style": "rule", "ground_truth": str}, "extra_info": {"index": int, "id": str, "item": <JSON>}}

``extra_info.item`` is the full task row as JSON (Arrow cannot type heterogeneous rows; JSON keeps them exact).
``ground_truth`` is the grader's reference field rendered as text. Point verl at the module with
``custom_reward_function.path=OUT/compute_score.py`` (function name ``compute_score``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DependencyError
from ..graders.loading import build_grader, read_grader_file
from ..io.escape import escape_value, json_text
from .chat import check_prompt, reference_field, to_chat
from .issues import Issues
from .tasks import read_tasks

__all__ = ["VerlExport", "export_verl"]

_MODULE = '''"""verl custom reward function written by rft-kit: grades with grader.json beside this file.

verl: custom_reward_function.path={path}  custom_reward_function.name=compute_score
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
    field = reference or reference_field(grader.templates)
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
    return VerlExport(out_dir, len(records), field, issues)
