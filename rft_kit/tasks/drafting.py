"""Model-assisted task drafting: ``rft generate --from-docs DIR --spec spec.yaml -o tasks.jsonl``.

A model drafts question/answer items from each document, each with a verbatim ``evidence`` quote; then every draft
goes through filters, in this order, and the first one it fails is recorded as the reason it was dropped:

1. ``schema_invalid``: not an object with non-empty string ``question``, ``answer`` and ``evidence`` (or, for
   ``answer_format: number``, an answer that is not a number);
2. ``unsupported_evidence``: the quote is not in the document (whitespace-insensitive), i.e. the drafting model
   cannot support its reference from the document; ``answer_not_in_evidence``: the quote does not contain the answer;
3. ``duplicate`` / ``near_duplicate``: the question repeats a kept one exactly (after normalising case and spacing)
   or nearly (rapidfuzz ``token_set_ratio`` >= ``near_duplicate_threshold``); the detail names the kept item;
4. ``unanswerable`` / ``judge_disagrees``: a judge model, shown the document and the question but not the answer,
   says it cannot answer, or answers something else than the reference.

Kept items become RFT rows (developer prompt from the spec; the document and question as the user message; the
reference ``answer`` and its ``evidence`` as reference fields). Every draft, kept or dropped, gets one record in the
report (``<output stem>.report.jsonl``) with its reason. Models are reached with the official ``openai`` SDK at any
OpenAI-compatible endpoint (``base_url`` in the spec, else ``$OPENAI_BASE_URL``).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema

from ..config.files import format_path, read_document
from ..errors import ConfigError
from ..records import Item
from .base import stable_int
from .generate import write_items

__all__ = ["SPEC_SCHEMA", "DraftSummary", "draft_from_docs", "load_spec"]

SPEC_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "rft-kit drafting spec",
    "type": "object",
    "required": ["name", "model", "developer_prompt"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
        "domain": {"type": "string"},
        "model": {"type": "string", "minLength": 1},
        "judge_model": {"type": "string", "minLength": 1},
        "base_url": {"type": "string", "minLength": 1},
        "api_key_env": {"type": "string", "minLength": 1},
        "instructions": {"type": "string"},
        "developer_prompt": {"type": "string", "minLength": 1},
        "items_per_document": {"type": "integer", "minimum": 1, "maximum": 50},
        "answer_format": {"enum": ["short", "number"]},
        "near_duplicate_threshold": {"type": "number", "minimum": 50, "maximum": 100},
        "max_document_chars": {"type": "integer", "minimum": 200},
        "extensions": {"type": "array", "items": {"type": "string", "pattern": "^\\.[a-z0-9]+$"}, "minItems": 1},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "grader": {"type": "string", "description": "the grader file for the kept items (recorded in metadata)"},
    },
}
"""JSON Schema of a drafting spec file."""

_ITEMS_SCHEMA = {
    "type": "object",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["question", "answer", "evidence"],
                "additionalProperties": False,
                "properties": {
                    "question": {"type": "string"},
                    "answer": {"type": "string"},
                    "evidence": {"type": "string"},
                },
            },
        }
    },
}
_ANSWER_SCHEMA = {
    "type": "object",
    "required": ["explanation", "answerable", "answer"],
    "additionalProperties": False,
    "properties": {"explanation": {"type": "string"}, "answerable": {"type": "boolean"}, "answer": {"type": "string"}},
}
_DRAFT_ITEM = {
    "type": "object",
    "required": ["question", "answer", "evidence"],
    "properties": {
        "question": {"type": "string", "minLength": 5},
        "answer": {"type": "string", "minLength": 1},
        "evidence": {"type": "string", "minLength": 1},
    },
}
_PUNCT = re.compile(r"[\s.,;:!?\"'()]+$|^[\s\"'(]+")


@dataclass(frozen=True)
class Spec:
    """A validated drafting spec (see :data:`SPEC_SCHEMA`)."""

    name: str
    model: str
    judge_model: str
    developer_prompt: str
    instructions: str = ""
    domain: str = "document QA"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    items_per_document: int = 5
    answer_format: str = "short"
    near_duplicate_threshold: float = 90.0
    max_document_chars: int = 20000
    extensions: tuple[str, ...] = (".md", ".txt")
    temperature: float = 0.0
    grader: str | None = None


def load_spec(path: str | Path) -> Spec:
    """Read and validate a drafting spec.

    Raises:
        ConfigError: the file is unreadable or invalid (names the field and line).
    """
    doc, locate = read_document(path)
    errors = sorted(jsonschema.Draft202012Validator(SPEC_SCHEMA).iter_errors(doc), key=lambda e: len(e.absolute_path))
    if errors:
        at = list(errors[0].absolute_path)
        line = locate(at)
        raise ConfigError(errors[0].message, path=format_path(at), source=f"{path}:{line}" if line else str(path))
    values = dict(doc)
    values.setdefault("judge_model", values["model"])
    if "extensions" in values:
        values["extensions"] = tuple(values["extensions"])
    return Spec(**values)


@dataclass
class DraftSummary:
    """What a drafting run did."""

    output: str
    report: str
    documents: int = 0
    drafted: int = 0
    kept: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        """One paragraph for the terminal."""
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items()) if k != "kept")
        return (
            f"drafted {self.drafted} items from {self.documents} documents; kept {self.kept} -> {self.output}\n"
            f"dropped: {dropped or 'none'}\nevery decision: {self.report}"
        )


def _client(spec: Spec) -> Any:
    from ..openai_client import resolve_api_key, sync_client

    base_url = spec.base_url or os.environ.get("OPENAI_BASE_URL")
    key = resolve_api_key(base_url, spec.api_key_env)
    if key is None:
        raise ConfigError(f"set ${spec.api_key_env} (or point base_url at a local endpoint)", path="api_key_env")
    # the SDK's own timeout (drafting asks for long replies) and a couple of retries
    return sync_client(base_url, key, max_retries=2, timeout=600.0)


def _ask(client: Any, model: str, prompt: str, schema: dict[str, Any], name: str, spec: Spec, seed: int) -> Any:
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        response_format={"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}},
        temperature=spec.temperature,
        seed=seed,
    )
    content = response.choices[0].message.content
    if not content:
        raise ValueError(f"the model returned no content (finish_reason {response.choices[0].finish_reason})")
    return json.loads(content)


def _draft_prompt(spec: Spec, document: str, name: str) -> str:
    kind = "a number, copied as written" if spec.answer_format == "number" else "a short span copied from the document"
    return (
        f"Write exactly {spec.items_per_document} question-answer items for a training set, from the document "
        f"'{name}' below. Each item has a self-contained question, its answer ({kind}), and evidence: the sentence of "
        "the document that supports the answer, quoted verbatim. Do not use outside knowledge. "
        f"{spec.instructions}\n\n<document>\n{document}\n</document>"
    )


def _answer_prompt(document: str, question: str) -> str:
    return (
        "Answer the question using only the document. If the document does not answer it, set answerable to false. "
        f"Give the shortest exact answer.\n\n<document>\n{document}\n</document>\n\nQuestion: {question}"
    )


def _norm(text: str) -> str:
    return _PUNCT.sub("", " ".join(text.split()).casefold())


def _same_answer(a: str, b: str) -> bool:
    if _norm(a) == _norm(b):
        return True
    try:
        return Fraction(a.replace(",", "").strip()) == Fraction(b.replace(",", "").strip())
    except (ValueError, ZeroDivisionError):
        return False


def _check_draft(draft: Any, document: str, spec: Spec) -> tuple[str, str]:
    """The first filter (before dedup and judge) a draft fails, as (reason, detail); ("ok", "") when none."""
    errors = list(jsonschema.Draft202012Validator(_DRAFT_ITEM).iter_errors(draft))
    if errors:
        return "schema_invalid", errors[0].message
    if spec.answer_format == "number":
        try:
            Fraction(draft["answer"].replace(",", "").strip())
        except (ValueError, ZeroDivisionError):
            return "schema_invalid", f"answer {draft['answer']!r} is not a number"
    evidence = " ".join(draft["evidence"].split())
    if evidence.casefold() not in " ".join(document.split()).casefold():
        return "unsupported_evidence", "the evidence quote does not occur in the document"
    if _norm(draft["answer"]) not in evidence.casefold():
        return "answer_not_in_evidence", "the evidence quote does not contain the answer"
    return "ok", ""


def draft_from_docs(docs_dir: str | Path, spec_path: str | Path, output: str | Path, *, seed: int = 0) -> DraftSummary:
    """Draft, filter and write items from every document in ``docs_dir``.

    Raises:
        ConfigError: an invalid spec or an empty documents directory.
        DependencyError: the openai package is missing.
    """
    from rapidfuzz import fuzz

    spec = load_spec(spec_path)
    folder = Path(docs_dir)
    documents = (
        sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in spec.extensions) if folder.is_dir() else []
    )
    if not documents:
        raise ConfigError(f"no {'/'.join(spec.extensions)} documents under {folder}", path="--from-docs")
    client = _client(spec)
    out = Path(output)
    report_path = (
        out.with_suffix("").with_suffix(".report.jsonl") if out.suffix == ".jsonl" else Path(f"{out}.report.jsonl")
    )
    summary = DraftSummary(output=str(out), report=str(report_path), documents=len(documents))
    kept: list[Item] = []
    kept_questions: list[tuple[str, str]] = []  # (normalised question, item id)
    records: list[dict[str, Any]] = []
    for doc_path in documents:
        name = str(doc_path.relative_to(folder))
        document = doc_path.read_text(encoding="utf-8")[: spec.max_document_chars]
        try:
            drafted = _ask(
                client, spec.model, _draft_prompt(spec, document, name), _ITEMS_SCHEMA, "draft_items", spec, seed
            )
            drafts = drafted.get("items") if isinstance(drafted, dict) else None
            if not isinstance(drafts, list):
                raise ValueError("the reply has no 'items' list")
        except Exception as exc:  # a failed call for one document is recorded, and the run goes on
            records.append(
                {"document": name, "draft_index": None, "kept": False, "reason": "model_error", "detail": str(exc)}
            )
            summary.reasons["model_error"] += 1
            continue
        for index, draft in enumerate(drafts):
            summary.drafted += 1
            record: dict[str, Any] = {"document": name, "draft_index": index}
            if isinstance(draft, dict):
                record.update({k: draft.get(k) for k in ("question", "answer", "evidence")})
            reason, detail = _check_draft(draft, document, spec)
            if reason == "ok":
                question = _norm(draft["question"])
                for other, other_id in kept_questions:
                    if question == other:
                        reason, detail = "duplicate", f"same question as {other_id}"
                        break
                    score = fuzz.token_set_ratio(question, other)
                    if score >= spec.near_duplicate_threshold:
                        reason, detail = "near_duplicate", f"token_set_ratio {score:.0f} with {other_id}"
                        break
            if reason == "ok":
                try:
                    verdict = _ask(
                        client,
                        spec.judge_model,
                        _answer_prompt(document, draft["question"]),
                        _ANSWER_SCHEMA,
                        "answerability",
                        spec,
                        seed,
                    )
                except Exception as exc:
                    reason, detail = "judge_error", str(exc)
                else:
                    record["judge"] = verdict
                    if not verdict.get("answerable"):
                        reason, detail = "unanswerable", str(verdict.get("explanation", ""))
                    elif not _same_answer(str(verdict.get("answer", "")), draft["answer"]):
                        reason, detail = "judge_disagrees", f"judge answered {verdict.get('answer')!r}"
            if reason == "ok":
                item_id = f"{spec.name}-{seed}-{stable_int(name, draft['question']) % 16**10:010x}"
                kept.append(_row(spec, draft, document, name, item_id, seed, len(kept)))
                kept_questions.append((_norm(draft["question"]), item_id))
                record.update(kept=True, reason="kept", detail="", id=item_id)
            else:
                record.update(kept=False, reason=reason, detail=detail)
            summary.reasons[record["reason"]] += 1
            records.append(record)
    summary.kept = len(kept)
    write_items(kept, out)
    write_items(records, report_path)
    return summary


def _row(spec: Spec, draft: dict[str, Any], document: str, name: str, item_id: str, seed: int, index: int) -> Item:
    metadata: dict[str, Any] = {
        "template": f"from_docs:{spec.name}",
        "domain": spec.domain,
        "difficulty": "drafted",
        "seed": seed,
        "index": index,
        "version": "1",
        "source": name,
        "drafting_model": spec.model,
        "judge_model": spec.judge_model,
    }
    if spec.grader:
        metadata["grader"] = spec.grader
    return {
        "id": item_id,
        "messages": [
            {"role": "developer", "content": spec.developer_prompt},
            {"role": "user", "content": f"Document ({name}):\n\n{document.strip()}\n\nQuestion: {draft['question']}"},
        ],
        "answer": draft["answer"],
        "evidence": draft["evidence"],
        "metadata": metadata,
    }
