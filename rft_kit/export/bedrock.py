"""``rft export bedrock``: a Bedrock / Nova RFT dataset and a reward-Lambda package that grades with the grader.

Dataset (Bedrock's RFT format: OpenAI chat-completion rows, "Prepare data for Amazon Nova models" and Nova 2's
"Preparing data for RFT")::

    {"id", "messages": [{"role": "system"|"user"|"assistant", "content"}], "reference_answer": {...}, "tools"?: [...]}

``developer`` becomes ``system`` (Bedrock's roles); ``reference_answer`` is every other field of the task row (the
references the grader reads, the agentic ``environment``, ``oracle_plan``, ``metadata``), so the Lambda rebuilds the
exact item. Bedrock asks for at least 100 training records: fewer is a warning.

Lambda package (``lambda/``): ``handler.py`` (``lambda_handler(event, context)``, see
:mod:`rft_kit.integrations.bedrock`), ``grader.json``, and rft-kit's own code vendored as ``rft_kit/`` so the zip
needs no rft-kit install. Its third-party dependencies are listed in ``requirements.txt``: install them into the
package before zipping (``pip install -r requirements.txt -t lambda/``, on Linux x86_64 / arm64 matching the Lambda
architecture) or attach them as a Lambda layer. ``README.md`` in the output says the same.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from ..graders.loading import build_grader, read_grader_file
from .agentic_rows import check_agentic_row
from .chat import check_prompt
from .issues import Issues
from .tasks import read_tasks

__all__ = ["MIN_TRAIN_RECORDS", "BedrockExport", "bedrock_record", "export_bedrock"]

MIN_TRAIN_RECORDS: Final = 100
_NOT_REFERENCE: Final = frozenset({"id", "messages", "tools"})
# Vendored with the handler: rft-kit's own code, without what a reward Lambda never runs.
_SKIP: Final = ("__pycache__", "*.pyc", "static", "viewer", "local_openai", "cli", "starter", "notebooks")

_HANDLER = '''"""AWS Lambda reward function written by rft-kit: grades Bedrock RFT samples with grader.json beside it.

Handler: handler.lambda_handler. Event: a list of {id, messages (generated assistant turn appended),
reference_answer, metadata?}; result: a list of {id, aggregate_reward_score, metrics_list}.
"""

from pathlib import Path

from rft_kit.integrations.bedrock import make_handler

lambda_handler = make_handler(Path(__file__).with_name("grader.json"))
'''

_README = """# Bedrock RFT export (rft-kit {version})

- `train.jsonl`: {rows} records in Bedrock's RFT format (`messages`, `reference_answer`{tools}). Upload to S3.
- `lambda/`: the reward function. Handler `handler.lambda_handler`; runtime Python 3.11+.
  rft-kit's code is vendored in `lambda/rft_kit/`; its third-party dependencies are in `lambda/requirements.txt`.
  Install them into the package before zipping, for the Lambda's architecture:

      pip install -r lambda/requirements.txt -t lambda/ --platform manylinux2014_x86_64 --only-binary=:all:
      (cd lambda && zip -r ../reward.zip .)

  or publish them as a Lambda layer. Raise the Lambda timeout from the default 3 s (up to 15 minutes).
- Bedrock's Lambda reward path is single-turn: agentic rows are graded on the tool calls of the generated turn,
  replayed on the row's environment.
"""


@dataclass
class BedrockExport:
    """What was written."""

    out_dir: Path
    rows: int
    issues: Issues


def bedrock_record(row: Mapping[str, Any], index: int) -> dict[str, Any]:
    """One task row in Bedrock's RFT dataset format."""
    messages = []
    for message in row.get("messages") or []:
        if isinstance(message, Mapping):
            role = message.get("role")
            messages.append({**message, "role": "system" if role == "developer" else role})
    record: dict[str, Any] = {
        "id": str(row.get("id", index)),
        "messages": messages,
        "reference_answer": {k: v for k, v in row.items() if k not in _NOT_REFERENCE},
    }
    if row.get("tools"):
        record["tools"] = row["tools"]
    return record


def _requirements() -> list[str]:
    """rft-kit's core (non-extra) dependencies, as installed metadata lists them."""
    try:
        requires = metadata.requires("rft-kit") or []
    except metadata.PackageNotFoundError:
        return []
    return [r for r in requires if "extra ==" not in r]


def export_bedrock(tasks: Path, grader_file: Path, out_dir: Path) -> BedrockExport:
    """Write ``train.jsonl``, ``lambda/`` (handler, grader, vendored rft_kit, requirements) and ``README.md``.

    Raises:
        ExportError: a row cannot be used (nothing is written).
        ConfigError: the grader file is invalid.
    """
    file = read_grader_file(grader_file, placement="any")
    build_grader(file.config, source=file.source)  # a grader that cannot be built fails here, not in the Lambda
    issues = Issues()
    read = read_tasks(tasks, issues)
    for where, row in read:
        check_prompt(row, where, issues)
        if isinstance(row, Mapping) and ("environment" in row or row.get("tools")):
            check_agentic_row(row, where, issues)
    if len(read) < MIN_TRAIN_RECORDS:
        issues.warn("tasks", f"{len(read)} records; Bedrock requires at least {MIN_TRAIN_RECORDS} training records")
    issues.raise_if_errors()
    records = [bedrock_record(row, index) for index, (_, row) in enumerate(read)]

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    package = out_dir / "lambda"
    if (package / "rft_kit").exists():
        shutil.rmtree(package / "rft_kit")
    package.mkdir(exist_ok=True)
    source = Path(__file__).resolve().parents[1]
    shutil.copytree(source, package / "rft_kit", ignore=shutil.ignore_patterns(*_SKIP))
    (package / "handler.py").write_text(_HANDLER, encoding="utf-8")
    (package / "grader.json").write_text(json.dumps(file.config, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (package / "requirements.txt").write_text("".join(f"{r}\n" for r in _requirements()), encoding="utf-8")
    from .._version import __version__

    has_tools = any("tools" in r for r in records)
    (out_dir / "README.md").write_text(
        _README.format(version=__version__, rows=len(records), tools=", `tools`" if has_tools else ""),
        encoding="utf-8",
    )
    return BedrockExport(out_dir, len(records), issues)
