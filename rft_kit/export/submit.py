"""Submit an exported job folder through the ``openai`` SDK: upload both files, then create the job.

The SDK talks to ``base_url`` (``--base-url``, else ``OPENAI_BASE_URL``, else OpenAI) with ``OPENAI_API_KEY``. The
ids returned replace the ``upload:<file>`` placeholders in ``job.json``; ``submitted.json`` records the job id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..io.escape import json_text
from .openai_job import load_job_dir, upload_placeholder

if TYPE_CHECKING:
    import openai

__all__ = ["make_client", "submit_job_dir"]


def make_client(base_url: str | None = None, api_key: str | None = None) -> openai.OpenAI:
    """An SDK client; ``None`` values fall back to ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``."""
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key)


def submit_job_dir(job_dir: Path, client: openai.OpenAI) -> dict[str, Any]:
    """Upload ``train.jsonl``/``valid.jsonl`` and create the job; returns the created job object as a dict.

    Raises:
        ConfigError: the folder is not an export (no ``job.json`` or a missing file).
        openai.APIError: the service refused a request (its message says why).
    """
    job = load_job_dir(job_dir)
    for key, filename in (("training_file", "train.jsonl"), ("validation_file", "valid.jsonl")):
        if job.get(key) != upload_placeholder(filename):
            continue  # already an uploaded file id (a re-submit reuses it)
        path = job_dir / filename
        if not path.is_file():
            raise ConfigError(f"{path} is missing; re-run rft export")
        with open(path, "rb") as handle:
            uploaded = client.files.create(file=(filename, handle), purpose="fine-tune")
        job[key] = uploaded.id
    (job_dir / "job.json").write_text(json_text(job, indent=2) + "\n", encoding="utf-8")
    created = client.fine_tuning.jobs.create(**job)
    result: dict[str, Any] = created.model_dump(mode="json", warnings=False)
    record = {
        "job_id": created.id,
        "training_file": job["training_file"],
        "validation_file": job.get("validation_file"),
    }
    (job_dir / "submitted.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return result
