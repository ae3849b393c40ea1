"""``rft export verifiers``: the package installs offline, loads with the real verifiers 0.4.0, and an evaluation of
sim-agent-oracle (the local server, through a streaming adapter) runs verifiers' own chat program against the
package's MCP tool server and scores the oracle's maximum with the rft-kit grader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rft_kit.cli import app
from rft_kit.environments.episode import play, split_plan
from rft_kit.export import ExportError
from rft_kit.export.verifiers_pkg import export_verifiers
from rft_kit.tasks import generate, get_template

pytest.importorskip("verifiers.v1")

REPO = Path(__file__).resolve().parents[2]
GRADER = REPO / "graders" / "tasks" / "support_desk.yaml"
HERE = Path(__file__).resolve().parent

# Runs in a fresh interpreter with the installed package on the path: what vf-eval does, in Python.
_EVAL = """
import asyncio, json, os, sys
sys.path.insert(0, {here!r})
from _sse_adapter import SSEAdapter
from rft_kit.local_openai import LocalServer
import verifiers.v1 as vf
from verifiers.v1.cli.eval.runner import run_eval
from verifiers.v1.configs.cli.eval import EvalConfig
import {module} as pkg

env = pkg.load_environment()
tasks = list(env.taskset)
out = {{"env": type(env).__name__, "tasks": [t.data.item["id"] for t in tasks], "episodes": []}}
os.environ["RFT_LOCAL_KEY"] = "local"
with LocalServer() as server:
    for index, task in enumerate(tasks[:{n}]):
        row = task.data.item
        reference = {{k: v for k, v in row.items() if k not in ("messages", "tools", "environment")}}
        with SSEAdapter(server.base_url, {{"rft_reference": reference}}) as adapter:
            config = EvalConfig.model_validate({{
                "env": {{"taskset": {{"id": {module!r}}}, "agent": {{"runtime": {{"type": "subprocess"}}}}}},
                "model": "sim-agent-oracle",
                "client": {{"base_url": adapter.base_url, "api_key_var": "RFT_LOCAL_KEY"}},
                "select": {{"include": {{"idx": [f"{{index}}:{{index + 1}}"]}}}},
                "num_rollouts": 1, "push": False, "rich": None, "output_dir": {outdir!r},
            }})
            (episode,) = asyncio.run(run_eval(config))
        trace = json.loads(episode.model_dump_json())["traces"][0]
        out["episodes"].append({{"id": row["id"], "trace": trace, "requests": len(adapter.requests)}})
print(json.dumps(out))
"""


def _rows(n: int) -> list[dict[str, Any]]:
    return [dict(r) for r in generate(get_template("support_desk"), n, seed=9)]


def _install(package_dir: Path, target: Path) -> None:
    """pip install the package offline (no index, no build isolation: setuptools from this environment)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(package_dir)],
        check=True, timeout=300,
    )  # fmt: skip


@pytest.mark.slow
def test_package_installs_loads_and_an_oracle_evaluation_scores_the_maximum(tmp_path):
    rows = _rows(3)
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = export_verifiers(tasks, GRADER, tmp_path / "pkg")
    assert result.module == "rft_support_desk" and result.environment == "support_store"
    site = tmp_path / "site"
    _install(tmp_path / "pkg", site)
    assert (site / "rft_support_desk" / "tasks.jsonl").exists()
    script = _EVAL.format(here=str(HERE), module=result.module, n=2, outdir=str(tmp_path / "vfout"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["env"] == "SingleAgentEnv"
    assert out["tasks"] == [r["id"] for r in rows]
    for row, episode in zip(rows, out["episodes"], strict=False):
        trace = episode["trace"]
        assert trace["errors"] == [], trace["errors"]
        assert trace["rewards"]["rft_grade"]["score"] == 1.0  # the rft-kit grader's maximum for the oracle
        assert trace["metrics"] == {"grade_error": 0.0, "sub/state": 1.0, "sub/calls": 1.0, "sub/answer": 1.0}
        messages = [n["message"] for n in trace["nodes"]]
        # the tool server's outputs are the strings a local rollout gets for the same calls
        calls, answer = split_plan(row["oracle_plan"])
        local = play(row["environment"], calls, answer)
        assert [m["content"] for m in messages if m["role"] == "tool"] == [
            m["content"] for m in local["trajectory"] if m["role"] == "tool"
        ]
        made = [
            (c["name"], json.loads(c["arguments"]))
            for m in messages
            if m["role"] == "assistant"
            for c in m.get("tool_calls") or []
        ]
        assert made == [(c["name"], c["arguments"]) for c in calls]
        assert messages[-1]["content"] == answer
        assert episode["requests"] == len(calls) + 1  # one model turn per call, then the answer


def test_the_package_rubric_scores_a_wrong_trace_below_the_oracle():
    from rft_kit import load_grader
    from rft_kit.integrations.verifiers import episode_of

    row = _rows(1)[0]
    grader = load_grader(GRADER, placement="any")
    calls, answer = split_plan(row["oracle_plan"])
    as_messages = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c", "name": c["name"], "arguments": json.dumps(c["arguments"])}],
        }
        for c in calls
    ]
    full = episode_of([*as_messages, {"role": "assistant", "content": answer}], row)
    short = episode_of([*as_messages[:1], {"role": "assistant", "content": answer}], row)
    assert grader.grade(full, row).reward == 1.0
    assert grader.grade(short, row).reward < 1.0


def test_rows_of_two_environments_are_refused(tmp_path):
    rows = _rows(1) + [dict(r) for r in generate(get_template("calendar_scheduling"), 1, seed=1)]
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ExportError, match="2 environments"):
        export_verifiers(tasks, GRADER, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()


def test_cli(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(r) + "\n" for r in _rows(2)))
    result = CliRunner().invoke(
        app,
        [
            "export",
            "verifiers",
            str(tasks),
            "-g",
            "rft:tasks/support_desk",
            "-o",
            str(tmp_path / "p"),
            "--name",
            "my_env",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "my_env" / "toolset.py").exists() and (tmp_path / "p" / "pyproject.toml").exists()


def test_tool_server_advertises_the_rows_tools_and_answers_like_the_environment():
    """The MCP server verifiers starts per rollout, registered in-process: the rows' tool names, descriptions and
    parameter schemas, and the environment's output for a call (here a bad one: the model sees rft-kit's message)."""
    import asyncio

    from mcp.server.mcpserver import MCPServer

    from rft_kit.environments import build_environment
    from rft_kit.integrations.verifiers import RftTaskData, RftToolset, RftToolsetConfig

    row = _rows(1)[0]
    server = RftToolset(RftToolsetConfig(environment="support_store"))
    asyncio.run(server.setup_task(RftTaskData(item=row)))
    mcp = MCPServer("t")
    server.register(mcp)
    listed = {t.name: t for t in asyncio.run(mcp.list_tools())}
    declared = {t["function"]["name"]: t["function"] for t in row["tools"]}
    assert set(listed) == set(declared)
    for name, tool in listed.items():
        assert tool.description == declared[name]["description"]
        for param, sub in declared[name]["parameters"]["properties"].items():
            assert tool.input_schema["properties"][param]["description"] == sub["description"]
        assert set(tool.input_schema.get("required", [])) == set(declared[name]["parameters"].get("required", []))
    result = asyncio.run(mcp.call_tool("get_order", {"order_id": "O-0000"}))
    expected = build_environment(row["environment"]).call("get_order", '{"order_id":"O-0000"}').output
    assert result.content[0].text == expected
