"""The exported Azure job, played as Azure plays it, against `rft serve-tools` (the acceptance of issue 14 item 3).

For each row, every oracle call is POSTed to the ``server_url`` job.json names for that tool, with the ``headers``
job.json gives it, in Azure's function_call body; then the endpoint grader's ``url`` gets ``{sample, item,
trace_id}``. The outputs must be the local rollout's and the score the local grade. Runs once the tool server
(branch ``serve``) is in the tree; skipped before.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from rft_kit import load_grader
from rft_kit.environments.episode import play, split_plan
from rft_kit.export.azure_agentic import AzureAgenticOptions, export_azure
from rft_kit.tasks import generate, get_template

from .conftest import REPO, write_jsonl

tool_server = pytest.importorskip("rft_kit.tool_server")
pytest.importorskip("starlette.testclient")

GRADER = REPO / "graders" / "tasks" / "support_desk.yaml"
BASE = "https://tools.example.com"


def test_every_exported_tool_url_and_header_works_and_grades_like_local(tmp_path: Path, monkeypatch) -> None:
    from starlette.testclient import TestClient

    from rft_kit.serving import ServeSettings

    monkeypatch.setenv("RFT_SERVE_TOKEN", "t0k3n")
    rows = [dict(r) for r in generate(get_template("support_desk"), 6, seed=21)]
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    export_azure(tasks, GRADER, tmp_path / "job", AzureAgenticOptions(tools_url=BASE, grader_url=BASE))
    job = json.loads((tmp_path / "job" / "job.json").read_text())
    reinforcement = job["method"]["reinforcement"]
    tools = {t["name"]: t for t in reinforcement["tools"]}
    grader_cfg = reinforcement["grader"]
    local = load_grader(GRADER, placement="any")
    config = tool_server.ToolServerConfig(grader=local, workers=0, settings=ServeSettings(token="t0k3n"))
    with TestClient(tool_server.build_app(config)) as client:
        for index, row in enumerate(rows):
            trace_id = f"trace_{index}"
            calls, answer = split_plan(row["oracle_plan"])
            expected = [
                m["content"] for m in play(row["environment"], calls, answer)["trajectory"] if m["role"] == "tool"
            ]
            outputs = []
            for number, call in enumerate(calls):
                tool = tools[call["name"]]
                body = {
                    "type": "function_call",
                    "id": f"fc_{number}",
                    "call_id": f"call_{number}",
                    "name": call["name"],
                    "arguments": json.dumps(call["arguments"]),
                    "trace_id": trace_id,
                    "item": row,
                }
                reply = client.post(urlsplit(tool["server_url"]).path, json=body, headers=tool["headers"])
                assert reply.status_code == 200, reply.text
                assert reply.json()["call_id"] == f"call_{number}"
                outputs.append(reply.json()["output"])
            assert outputs == expected
            graded = client.post(
                urlsplit(grader_cfg["url"]).path,
                json={"sample": {"output_text": answer}, "item": row, "trace_id": trace_id},
                headers=grader_cfg["headers"],
            )
            assert graded.status_code == 200, graded.text
            assert graded.json()["score"] == 1.0
        refused = client.post(urlsplit(grader_cfg["url"]).path, json={}, headers={"Authorization": "Bearer wrong"})
        assert refused.status_code == 401
