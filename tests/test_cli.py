from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rft_kit.cli import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "quickstart"


def write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value))
    return path


CHECK = {
    "type": "string_check",
    "name": "label",
    "input": "{{sample.output_text}}",
    "reference": "{{item.label}}",
    "operation": "eq",
}


def test_validate_prints_normalised_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grader", "validate", str(write(tmp_path / "g.json", CHECK))])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == CHECK


def test_validate_invalid_exits_2_with_path(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("type: string_check\ninput: '{{sample.output_text}}'\nreference: x\noperation: equals\n")
    result = runner.invoke(app, ["grader", "validate", str(path)])
    assert result.exit_code == 2
    assert "g.yaml:4" in result.stderr
    assert "operation" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_catches_template_errors_that_only_show_when_built(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["grader", "validate", str(write(tmp_path / "g.json", {**CHECK, "reference": "{{itme.label}}"}))]
    )
    assert result.exit_code == 2
    assert "reference" in result.stderr and "itme" in result.stderr


def test_run_prints_hosted_envelope(tmp_path: Path) -> None:
    grader = write(tmp_path / "g.json", CHECK)
    result = runner.invoke(
        app, ["grader", "run", str(grader), "--sample", "Hardware", "--item", '{"label": "Hardware"}']
    )
    assert result.exit_code == 0, result.output
    envelope = json.loads(result.stdout)
    assert envelope["reward"] == 1.0
    assert envelope["metadata"]["type"] == "string_check"
    assert envelope["metadata"]["errors"]["invalid_variable_error"] is False
    assert set(envelope) == {"reward", "metadata", "sub_rewards", "model_grader_token_usage_per_model"}


def test_run_with_sample_json_and_error_flags(tmp_path: Path) -> None:
    grader = write(tmp_path / "g.json", {**CHECK, "input": "{{sample.output_tools[0].function.name}}"})
    sample = {"output_text": "", "output_tools": []}
    result = runner.invoke(
        app, ["grader", "run", str(grader), "--sample-json", json.dumps(sample), "--item", '{"label": "f"}']
    )
    assert result.exit_code == 0
    envelope = json.loads(result.stdout)
    assert envelope["reward"] == 0.0
    assert envelope["metadata"]["errors"]["invalid_variable_error"] is True
    failing = runner.invoke(
        app,
        [
            "grader",
            "run",
            str(grader),
            "--sample-json",
            json.dumps(sample),
            "--item",
            '{"label": "f"}',
            "--fail-on-error",
        ],
    )
    assert failing.exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --sample"),
        (["--sample", "a", "--sample-json", "{}"], "exactly one of --sample"),
        (["--sample-json", "[1"], "--sample-json is not valid JSON"),
        (["--sample", "a", "--item", "[]"], "--item must be a JSON object"),
    ],
)
def test_run_argument_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["grader", "run", str(write(tmp_path / "g.json", CHECK)), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_grade_command_on_the_quickstart_example(tmp_path: Path) -> None:
    out = tmp_path / "grades.jsonl"
    summary = tmp_path / "summary.json"
    args = [
        "grade",
        str(EXAMPLES / "grader.yaml"),
        "--items",
        str(EXAMPLES / "items.jsonl"),
        "--samples",
        str(EXAMPLES / "samples.jsonl"),
        "-o",
        str(out),
        "--summary-json",
        str(summary),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(summary.read_text())
    assert data["graded"] == 120
    assert data["input_errors"] == 1  # the example carries one broken line on purpose
    assert "samples.jsonl:19" in result.stderr
    assert data["errors_by_kind"].get("parse", 0) >= 1
    assert 0.5 < data["mean_reward"] < 1.0
    assert len(out.read_text().splitlines()) == 120
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert json.loads(summary.read_text())["skipped_already_graded"] == 120
    assert len(out.read_text().splitlines()) == 120


def test_grade_rejects_bad_options(tmp_path: Path) -> None:
    grader = write(tmp_path / "g.json", CHECK)
    base = ["grade", str(grader), "--samples", str(tmp_path / "s.jsonl"), "-o", str(tmp_path / "o.jsonl")]
    assert "--workers" in runner.invoke(app, [*base, "--workers", "many"]).stderr
    missing = runner.invoke(app, base)
    assert missing.exit_code == 2
    assert "samples file not found" in missing.stderr


def test_console_script_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "rft_kit", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("rft-kit ")


def test_a_command_imports_only_what_it_needs(tmp_path):
    # `rft grade` must not pay for the other commands' imports (the OpenAI client, pandas: seconds of start-up on a
    # busy machine); it still grades, and the full app still lists every command
    grader = write(tmp_path / "g.json", CHECK)
    samples = tmp_path / "s.jsonl"
    samples.write_text('"yes"\n')
    items = tmp_path / "i.jsonl"
    items.write_text('{"label": "yes"}\n')
    probe = (
        "import sys\n"
        "from rft_kit.cli import main\n"
        f"sys.argv = ['rft', 'grade', {str(grader)!r}, '-s', {str(samples)!r}, '-i', {str(items)!r},"
        f" '-o', {str(tmp_path / 'o.jsonl')!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(sorted(m for m in ('openai', 'pandas', 'rft_kit.cli.demo_cmd', 'rft_kit.judge') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert json.loads((tmp_path / "o.jsonl").read_text().splitlines()[0])["reward"] == 1.0
    listed = runner.invoke(app, ["--help"]).output
    for name in ("grade", "demo", "export", "serve-tools", "view", "sandbox"):
        assert name in listed
