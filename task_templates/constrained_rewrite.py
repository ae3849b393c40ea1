"""Constrained rewriting: turn a wordy announcement into a JSON notice that meets stated format and content rules.

Rules are the kind an editor gives: a headline with a keyword and a length cap, a summary within a word range that
keeps named facts verbatim and drops banned marketing words, and exactly N short bullet points. Every rule is
compiled into the item's JSON Schema (``maxLength``, ``minItems``/``maxItems``, and ``pattern`` lookaheads), so the
grader (``graders/tasks/constrained_rewrite.yaml``, json_schema with partial credit per field) checks them
deterministically. The reference rewrite is built first and the word range is drawn around it, so every item is
satisfiable. Passages live in ``data/announcements.yaml``.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from rft_kit.errors import ConfigError
from rft_kit.records import Item
from rft_kit.tasks.base import Draft, Levels, TaskConfig, TaskGenerator

DEVELOPER = (
    "You are a communications editor. Rewrite the passage you are given exactly to the stated rules. Reply with one "
    'JSON object with the keys "headline" (a string), "summary" (a string) and "bullets" (a list of strings, empty '
    "when no bullets are asked for), and nothing else."
)


@cache
def _data() -> list[dict[str, Any]]:
    path = Path(__file__).with_name("data") / "announcements.yaml"
    data: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["announcements"]
    return data


@dataclass(frozen=True, kw_only=True)
class RewriteConfig(TaskConfig):
    """Config of :class:`ConstrainedRewrite`.

    Attributes:
        required_phrases: facts whose key phrase must appear verbatim in the summary (1-4).
        banned_words: marketing words the summary must not use (0-4).
        bullets: exact number of bullet points (0 for none).
        bullet_max_words: word cap per bullet.
        slack_words: half-width of the allowed summary word range around the reference's length.
        headline_slack: extra characters allowed on top of the reference headline's length.
    """

    required_phrases: int = 2
    banned_words: int = 1
    bullets: int = 3
    bullet_max_words: int = 12
    slack_words: int = 10
    headline_slack: int = 20

    def validate(self) -> None:
        for name, low, high in (("required_phrases", 1, 4), ("banned_words", 0, 4), ("bullets", 0, 4)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"must be between {low} and {high}, got {value}", path=name)
        for name in ("bullet_max_words", "slack_words", "headline_slack"):
            if getattr(self, name) < 2:
                raise ConfigError(f"must be >= 2, got {getattr(self, name)}", path=name)


def words(text: str) -> int:
    """Word count as the rules state it: whitespace-separated tokens."""
    return len(text.split())


def _word_range(low: int, high: int) -> str:
    # whitespace-separated tokens, low..high of them, over the whole string
    return rf"^\s*(?:\S+\s+){{{low - 1},{high - 1}}}\S+\s*$"


def _content_pattern(phrases: list[str], banned: list[str]) -> str:
    ahead = "".join(f"(?=[\\s\\S]*{re.escape(p)})" for p in phrases)
    not_ahead = "".join(f"(?![\\s\\S]*\\b{re.escape(b)}\\b)" for b in banned)
    return f"(?i)^{ahead}{not_ahead}"


class ConstrainedRewrite(TaskGenerator[RewriteConfig]):
    """Rewrite under deterministic format and content constraints."""

    name = "constrained_rewrite"
    domain = "editing and communications"
    version = "1.0"
    description = "rewrite an announcement as JSON under length, keyword, banned-word and bullet-count rules"
    grader = "rft:tasks/constrained_rewrite"
    config_cls = RewriteConfig
    levels: ClassVar[Levels] = {
        "easy": {"required_phrases": 1, "banned_words": 0, "bullets": 0, "slack_words": 15, "headline_slack": 30},
        "medium": {"required_phrases": 2, "banned_words": 2, "bullets": 2, "bullet_max_words": 12, "slack_words": 8},
        "hard": {
            "required_phrases": 3,
            "banned_words": 4,
            "bullets": 3,
            "bullet_max_words": 8,
            "slack_words": 4,
            "headline_slack": 8,
        },
    }

    def draft(self, rng: random.Random, config: RewriteConfig) -> Draft:
        source = rng.choice(_data())
        facts = list(source["facts"])
        sentences = [f["text"] for f in facts] + list(source["fluff"])
        rng.shuffle(sentences)
        passage = f"{source['org']} would like to share news about {source['topic']}. " + " ".join(sentences)
        required = rng.sample(facts, config.required_phrases)
        banned = rng.sample(source["banned"], config.banned_words)
        keyword = source["keyword"]
        # the reference: the required facts first, then the others until the summary has some body
        summary_facts = required + [f for f in facts if f not in required][: max(0, 3 - len(required))]
        summary = f"{source['org']} announces {source['topic']}. " + " ".join(f["text"] for f in summary_facts)
        headline = f"{source['org']}: {keyword} update"
        bullets = [_bullet(f["text"], config.bullet_max_words) for f in facts[: config.bullets]]
        n = words(summary)
        low = max(5, n - rng.randint(2, config.slack_words))
        high = n + rng.randint(2, config.slack_words)
        max_chars = len(headline) + rng.randint(max(2, config.headline_slack // 2), config.headline_slack)
        rules = [
            f'Headline: at most {max_chars} characters, containing "{keyword}", with no full stop at the end.',
            f"Summary: between {low} and {high} words.",
            "Keep these phrases exactly as written in the summary: " + "; ".join(f'"{f["phrase"]}"' for f in required),
        ]
        if banned:
            rules.append("Do not use these words anywhere in the summary: " + ", ".join(banned) + ".")
        if config.bullets:
            rules.append(
                f"Bullets: exactly {config.bullets} bullet points, each at most {config.bullet_max_words} words."
            )
        else:
            rules.append("Bullets: none (an empty list).")
        schema = {
            "type": "object",
            "required": ["headline", "summary", "bullets"],
            "properties": {
                "headline": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": max_chars,
                    "pattern": f"(?i)^(?=.*\\b{re.escape(keyword)}\\b)(?![\\s\\S]*\\.\\s*$)",
                },
                "summary": {
                    "type": "string",
                    "allOf": [
                        {"pattern": _word_range(low, high)},
                        {"pattern": _content_pattern([f["phrase"] for f in required], banned)},
                    ],
                },
                "bullets": {
                    "type": "array",
                    "minItems": config.bullets,
                    "maxItems": config.bullets,
                    "items": {"type": "string", "pattern": _word_range(1, config.bullet_max_words)},
                },
            },
        }
        user = "Rewrite this passage.\n\nRules:\n" + "\n".join(f"- {r}" for r in rules) + f"\n\nPassage:\n{passage}"
        return Draft(
            messages=[{"role": "developer", "content": DEVELOPER}, {"role": "user", "content": user}],
            reference={
                "schema": schema,
                "constraints": {
                    "keyword": keyword,
                    "headline_max_chars": max_chars,
                    "summary_words": [low, high],
                    "required_phrases": [f["phrase"] for f in required],
                    "banned_words": banned,
                    "bullets": config.bullets,
                    "bullet_max_words": config.bullet_max_words,
                },
                "reference_rewrite": {"headline": headline, "summary": summary, "bullets": bullets},
            },
            info={"source": source["org"]},
        )

    def reference_sample(self, item: Item) -> str:
        return json.dumps(item["reference_rewrite"], ensure_ascii=False)


def _bullet(text: str, max_words: int) -> str:
    """A fact shortened to at most ``max_words`` words (dropping a trailing full stop), for the reference bullets."""
    tokens = text.rstrip(".").split()
    return " ".join(tokens[:max_words])
