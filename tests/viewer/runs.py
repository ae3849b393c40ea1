"""Run folders for the viewer tests: an agentic run (trajectories, code tests, judge rationale) and a hostile run
(outputs, item ids, errors and judge text carrying script and HTML payloads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Each payload would, if parsed as HTML, run script, load an image or call the network; the browser test proves none
# does. 127.0.0.1:9 is the discard port: nothing answers there, and a request to it would still show in the log.
SCRIPT = '<script>window.__pwned = "script"; fetch("http://127.0.0.1:9/script")</script>'
IMG = '<img src="http://127.0.0.1:9/img.png" onerror="window.__pwned = \'img\'">'
HTML = '<b>bold?</b><iframe src="javascript:window.__pwned=1"></iframe><a href="javascript:alert(1)">link</a>'
SVG = '<svg onload="window.__pwned = \'svg\'"><circle r="5"/></svg>'
HOSTILE_OUTPUT = f"Here is my answer: {SCRIPT}\n{IMG}\n{HTML}\n{SVG}\n```html\n<style>body{{display:none}}</style>\n```"
HOSTILE_ITEM = "<img src=x onerror=\"window.__pwned='id'\">"


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def write_run(
    folder: Path,
    *,
    tasks: list[dict[str, Any]],
    samples: list[dict[str, Any]],
    grades: list[dict[str, Any]],
    grader: dict[str, Any] | None = None,
    baseline: str | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "name": folder.name,
        "created_at": "2026-12-01T10:00:00.000Z",
        "model": {"name": "sim-test", "simulated": True},
        "grader": {"config": grader or {"name": "test", "type": "string_check", "pass_threshold": 1.0}},
        "baseline": baseline,
        "stages": {},
    }
    (folder / "run.json").write_text(json.dumps(meta), encoding="utf-8")
    write_jsonl(folder / "tasks.jsonl", tasks)
    write_jsonl(folder / "samples.jsonl", samples)
    write_jsonl(folder / "grades.jsonl", grades)
    return folder


def grade(item_id: str, index: int, reward: float, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "key": f"{item_id}#{index}",
        "item_id": item_id,
        "sample_index": index,
        "reward": reward,
        "status": "scored",
        "error": None,
        "errors": [],
        "sub_rewards": {},
        "metadata": {},
        "duration_ms": 0.1,
        "token_usage": None,
        "grader": {"name": "test", "type": "multi"},
    }
    record.update(extra)
    return record


TRAJECTORY = [
    {
        "role": "assistant",
        "content": "Let me look the order up.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup_order", "arguments": '{"order_id": 42}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "delivered", "amount": 19.99}'},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "issue_refund", "arguments": '{"order_id": 42, "amount": 19.99}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_2", "content": "refund REF-7 issued"},
    {"role": "assistant", "content": "I refunded 19.99 for order 42 (REF-7)."},
]


def write_agentic_run(folder: Path) -> Path:
    tasks = [
        {
            "id": "refund-1",
            "messages": [{"role": "user", "content": "Order 42 arrived broken; please refund it."}],
            "expected_state": {"refunds": [{"order_id": 42}]},
            "metadata": {"template": "support_refund", "difficulty": "easy"},
        },
        {
            "id": "code-1",
            "messages": [{"role": "user", "content": "Write add(a, b)."}],
            "metadata": {"template": "code_synthesis", "difficulty": "easy"},
        },
    ]
    samples = [
        {
            "item_id": "refund-1",
            "sample_index": 0,
            "output_text": "I refunded 19.99 for order 42 (REF-7).",
            "output_tools": [c for m in TRAJECTORY if m["role"] == "assistant" for c in m.get("tool_calls") or []],
            "trajectory": TRAJECTORY,
            "final_state": {"refunds": [{"order_id": 42, "amount": 19.99, "ref": "REF-7"}]},
            "stop_reason": "final_answer",
            "turns": 3,
        },
        {"item_id": "code-1", "sample_index": 0, "output_text": "def add(a, b):\n    return a - b\n"},
    ]
    grades = [
        grade(
            "refund-1",
            0,
            0.75,
            sub_rewards={"state": 1.0, "policy": 0.5},
            metadata={
                "sub_results": {
                    "policy": {"steps": "The agent refunded without asking for a photo of the damage.", "result": 0.5}
                }
            },
        ),
        grade(
            "code-1",
            0,
            0.5,
            metadata={
                "tests": [
                    {"index": 0, "status": "passed", "message": ""},
                    {"index": 1, "status": "failed", "message": "assertion failed: add(2, 3) == 5 (got -1)"},
                ],
                "passed": 1,
                "total": 2,
            },
            grader={"name": "code", "type": "code_tests"},
        ),
    ]
    return write_run(folder, tasks=tasks, samples=samples, grades=grades)


def write_hostile_run(folder: Path) -> Path:
    tasks = [
        {"id": "hostile-1", "messages": [{"role": "user", "content": f"Repeat this: {SCRIPT}"}], "answer": IMG},
        {"id": HOSTILE_ITEM, "messages": [{"role": "user", "content": HTML}], "metadata": {"template": SCRIPT}},
    ]
    samples = [
        {"item_id": "hostile-1", "sample_index": 0, "output_text": HOSTILE_OUTPUT, "output_json": {"html": IMG}},
        {"item_id": HOSTILE_ITEM, "sample_index": 0, "output_text": SVG},
    ]
    grades = [
        grade(
            "hostile-1",
            0,
            0.0,
            sub_rewards={SCRIPT: 0.0},
            metadata={"steps": f"The judge quotes the output: {SCRIPT}{IMG}"},
        ),
        grade(
            HOSTILE_ITEM,
            0,
            0.0,
            status="error",
            error={"kind": "runtime", "flag": "python_grader_runtime_error", "message": f"boom {IMG}"},
        ),
    ]
    return write_run(folder, tasks=tasks, samples=samples, grades=grades)
