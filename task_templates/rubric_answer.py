"""Long-form writing graded by a rubric judge: a post-incident summary for a named audience.

The prompt gives incident facts (service, start and end times, impact, root cause, fix, follow-up action, and at
harder levels irrelevant distractor facts and a word limit). The item carries a HealthBench-style ``rubric``: points
for stating each required fact, and negative points for unwanted behaviour (blaming a person, repeating a distractor,
promising a date nobody gave). Each required fact has a quoted key phrase, so a judge (and a reader) can check it
verbatim. Graded by ``rft:tasks/rubric_answer`` (``graders/tasks/rubric_answer.yaml``: ``rubric_judge`` with
``rubric_from``), which ships wired to the SIMULATED judge so its golden cases run offline.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from rft_kit.errors import ConfigError
from rft_kit.records import Item
from rft_kit.tasks.base import Draft, Levels, TaskConfig, TaskGenerator

DEVELOPER = (
    "You are an experienced site-reliability lead who writes incident communications. Use only the facts you are "
    "given; do not invent dates, names or numbers. Write in full sentences."
)


@cache
def _data() -> dict[str, Any]:
    path = Path(__file__).with_name("data") / "incidents.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, kw_only=True)
class RubricConfig(TaskConfig):
    """Config of :class:`RubricAnswer`.

    Attributes:
        facts: required facts the answer must state (2-5: duration, impact, cause, fix, follow-up).
        negative_criteria: how many penalised behaviours the rubric lists (0-3).
        distractors: irrelevant facts mixed into the brief (0-3).
        word_limit: a word limit stated in the prompt, or 0 for none.
    """

    facts: int = 4
    negative_criteria: int = 1
    distractors: int = 0
    word_limit: int = 0

    def validate(self) -> None:
        checks = (("facts", 2, 5), ("negative_criteria", 0, 3), ("distractors", 0, 3))
        for name, low, high in checks:
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"must be between {low} and {high}, got {value}", path=name)
        if self.word_limit and self.word_limit < 80:
            raise ConfigError(f"must be 0 (no limit) or >= 80, got {self.word_limit}", path="word_limit")


class RubricAnswer(TaskGenerator[RubricConfig]):
    """Post-incident summaries scored against a per-item rubric by a judge model."""

    name = "rubric_answer"
    domain = "technical communication (incident management)"
    version = "1.0"
    description = "write a post-incident summary for an audience; graded by a rubric judge (points per criterion)"
    grader = "rft:tasks/rubric_answer"
    config_cls = RubricConfig
    levels: ClassVar[Levels] = {
        "easy": {"facts": 3, "negative_criteria": 0, "distractors": 0, "word_limit": 0},
        "medium": {"facts": 4, "negative_criteria": 1, "distractors": 1, "word_limit": 0},
        "hard": {"facts": 5, "negative_criteria": 3, "distractors": 3, "word_limit": 150},
    }

    def draft(self, rng: random.Random, config: RubricConfig) -> Draft:
        data = _data()
        service = rng.choice(data["services"])
        cause = rng.choice(data["causes"])
        audience = rng.choice(data["audiences"])
        start = dt.datetime(2025, 1, 1, 0, 0) + dt.timedelta(days=rng.randrange(300), minutes=rng.randrange(0, 1440, 5))
        minutes = rng.randint(12, 190)
        end = start + dt.timedelta(minutes=minutes)
        share = rng.choice((5, 10, 15, 20, 30, 40, 60))
        duration = f"{minutes} minutes"
        impact = f"{share} percent of {service['users']}"
        facts = [
            (
                "duration",
                f"The incident lasted {duration} ({start:%H:%M} to {end:%H:%M} UTC on {start:%d %B %Y}).",
                f'States that the incident lasted "{duration}".',
                duration,
            ),
            (
                "impact",
                f"About {impact} could not use the {service['name']} during that time.",
                f'States the impact: "{impact}" were affected.',
                impact,
            ),
            (
                "cause",
                f"The root cause was {cause['cause']}.",
                f'Names the root cause: "{cause["cause"]}".',
                cause["cause"],
            ),
            (
                "fix",
                f"The {service['team']} team {cause['fix']}.",
                f'Explains the fix: the team "{cause["fix"]}".',
                cause["fix"],
            ),
            (
                "action",
                f"Follow-up action agreed: {cause['action']}.",
                f'Commits to the follow-up action: "{cause["action"]}".',
                cause["action"],
            ),
        ]
        # the duration and the cause are always asked for: a summary without them is not a summary
        chosen = [facts[0], facts[2], *rng.sample([facts[1], facts[3], facts[4]], config.facts - 2)]
        chosen.sort(key=lambda f: [x[0] for x in facts].index(f[0]))
        brief_lines = [f[1] for f in facts]
        picked_distractors = rng.sample(data["distractors"], config.distractors)
        brief_lines += [d["text"] for d in picked_distractors]
        rng.shuffle(brief_lines)
        rubric: list[dict[str, Any]] = [
            {
                "criterion": f[2],
                "points": rng.choice((2, 3, 4)) if f[0] in ("cause", "duration") else rng.choice((1, 2)),
                "tags": [f"fact:{f[0]}"],
            }
            for f in chosen
        ]
        negatives: list[dict[str, Any]] = [
            {
                "criterion": 'Blames an individual, for example by saying the outage was "caused by human error".',
                "points": -3,
                "tags": ["tone:blame"],
            },
            {
                "criterion": 'Promises a specific completion date for the follow-up, such as "by next week".',
                "points": -2,
                "tags": ["accuracy:invented"],
            },
        ]
        if picked_distractors:
            # penalise repeating a distractor that is actually in this brief, never one the writer has not seen
            phrase = rng.choice(picked_distractors)["phrase"]
            negatives.insert(
                1,
                {
                    "criterion": f'Mentions the irrelevant detail about the "{phrase}".',
                    "points": -1,
                    "tags": ["focus:distractor"],
                },
            )
        rubric += negatives[: config.negative_criteria]
        limit = f" Keep it under {config.word_limit} words." if config.word_limit else ""
        user = (
            f"Write {audience['style']} about the incident on the {service['name']} described below. The audience is "
            f"{audience['name']}.{limit}\n\nIncident facts:\n" + "\n".join(f"- {line}" for line in brief_lines)
        )
        answer = (
            f"On {start:%d %B %Y} the {service['name']} was unavailable for {duration}, from {start:%H:%M} to "
            f"{end:%H:%M} UTC; {impact} were affected. The root cause was {cause['cause']}. To restore service, the "
            f"team {cause['fix']}. To stop this happening again we will {cause['action']}. We apologise for the "
            "disruption."
        )
        return Draft(
            messages=[{"role": "developer", "content": DEVELOPER}, {"role": "user", "content": user}],
            reference={"rubric": rubric, "reference_answer": answer},
            info={"audience": audience["name"], "criteria": len(rubric)},
        )

    def reference_sample(self, item: Item) -> str:
        return str(item["reference_answer"])
