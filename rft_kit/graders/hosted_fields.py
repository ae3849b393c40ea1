"""Fields the hosted service accepts on a grader although the ``openai`` SDK's param types leave them out.

The SDK's ``*GraderParam`` TypedDicts are generated from the OpenAPI spec, and the spec is not the whole truth of what
``/v1/fine_tuning/alpha/graders/validate`` and ``fine_tuning.jobs.create`` accept. Each entry here names where that
knowledge comes from (docs/hosted-semantics-export.md has the details). This table is the one place both
``rft grader validate`` (through the JSON schemas, which a test holds equal to SDK fields plus this table) and
``rft export openai`` (through :mod:`rft_kit.export.sdk_check`) read, so the two cannot disagree about a field.
Every field listed has its evidence in ``EVIDENCE`` (a test holds both tables together).

What the service *does* with these fields in RFT is not documented; rft-kit passes them through and does not model
them (``pass_threshold`` only sets ``rft check``'s default pass threshold locally).
"""

from __future__ import annotations

from typing import Final

__all__ = ["ACCEPTED_BEYOND_SDK", "EVIDENCE", "accepted_beyond_sdk"]

ACCEPTED_BEYOND_SDK: Final[dict[str, frozenset[str]]] = {
    "string_check": frozenset({"pass_threshold"}),
    "text_similarity": frozenset({"pass_threshold"}),
    "python": frozenset({"pass_threshold"}),
    "score_model": frozenset({"pass_threshold"}),
    "label_model": frozenset({"pass_threshold", "sampling_params"}),
    "multi": frozenset({"pass_threshold"}),
}

EVIDENCE: Final[dict[str, str]] = {
    "pass_threshold": (
        "OpenAI cookbook 'Exploring Model Graders for Reinforcement Fine-Tuning' (examples/Reinforcement_Fine_Tuning"
        ".ipynb): its final score_model grader carries pass_threshold: 0.75, passed /fine_tuning/alpha/graders/"
        "validate ('Grader validated') and a fine_tuning.jobs.create call was made with it; the RFT and graders "
        "guides show pass_threshold inside RFT graders; Evals testing criteria define it for text_similarity, "
        "python and score_model"
    ),
    "sampling_params": (
        "label_model: earlier versions of OpenAI's graders guide show sampling_params on label_model graders "
        "(inside multi); the current SDK types dropped the field"
    ),
}


def accepted_beyond_sdk(grader_type: str) -> frozenset[str]:
    """The fields of ``grader_type`` that the service accepts beyond the SDK's param type (empty if unknown)."""
    return ACCEPTED_BEYOND_SDK.get(grader_type, frozenset())
