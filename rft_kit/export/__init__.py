"""Package task sets and graders for trainers: OpenAI/Azure RFT jobs, TRL, verl and Hugging Face datasets.

* :func:`~rft_kit.export.openai_job.export_openai`: ``train.jsonl``, ``valid.jsonl``, ``grader.json``, ``job.json``,
  validated against everything the hosted service would reject; :mod:`.submit` and :mod:`.job_metrics` submit it and
  pull its metrics back.
* :mod:`.trl`, :mod:`.verl`: datasets in those trainers' formats (their reward functions are in
  :mod:`rft_kit.integrations`).
* :mod:`.hf`: task sets and graded runs to and from ``datasets``.

Submodules are imported on use so that ``import rft_kit.export`` stays cheap (no SDK, no ``datasets``).
"""

from __future__ import annotations

from .issues import ExportError, Issue, Issues

__all__ = ["ExportError", "Issue", "Issues"]
