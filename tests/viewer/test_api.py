"""The viewer's JSON API and pages over real demo runs, through starlette's TestClient: every route, its filters
checked against figures computed here straight from the run files, and bad input answered with 4xx."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from rft_kit.viewer.app import CSP, create_app

from .runs import HOSTILE_ITEM

BASE = "http://127.0.0.1:8765"


@pytest.fixture
def client(runs_dir: Path) -> TestClient:
    return TestClient(create_app(runs_dir), base_url=BASE)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _all_rows(client: TestClient, run: str, query: str = "") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        sep = "&" if query else ""
        data = client.get(f"/api/runs/{run}/samples?{query}{sep}per_page=7&page={page}").json()
        rows += data["rows"]
        if page >= data["pages"]:
            assert len(rows) == data["total"]
            return rows
        page += 1


def _keys(rows: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(r["item_id"], r["sample_index"]) for r in rows}


# -- runs ------------------------------------------------------------------------------------------------------------
def test_runs_lists_every_run_with_the_reports_headline_and_lineage(client: TestClient, runs_dir: Path) -> None:
    data = client.get("/api/runs").json()
    runs = {r["name"]: r for r in data["runs"]}
    assert set(runs) == {"demo-base", "demo-strong", "agent-run", "hostile-run"}
    strong = runs["demo-strong"]
    report = json.loads((runs_dir / "demo-strong" / "report.json").read_text())
    assert strong["summary"] == report["summary"]
    assert strong["report_source"] == "report.json"
    assert strong["baseline"] == "demo-base"
    assert strong["lineage"] == ["demo-base", "demo-strong"]
    assert runs["demo-base"]["successors"] == ["demo-strong"]
    assert strong["comparison"]["fail_to_pass"] == report["comparison"]["flipped"]["fail_to_pass_count"]
    # a run without report.json gets one computed from its files
    assert runs["agent-run"]["report_source"] == "live"
    assert runs["agent-run"]["counts"]["samples"] == 2


def test_run_detail_facets_add_up(client: TestClient, runs_dir: Path) -> None:
    data = client.get("/api/runs/demo-strong").json()
    grades = _jsonl(runs_dir / "demo-strong" / "grades.jsonl")
    status = data["facets"]["status"]
    assert status["all"] == len(grades) == data["indexed"]["samples"]
    assert status["passed"] + status["failed"] + status["errored"] == len(grades)
    errors = defaultdict(int)
    for g in grades:
        if g["status"] == "error":
            errors[g["error"]["kind"]] += 1
    assert data["facets"]["error_kind"] == dict(errors)
    assert data["baseline"]["name"] == "demo-base"
    assert set(data["facets"]["difficulty"]) == {"easy", "medium", "hard"}


def test_run_report_is_report_json_or_computed_live(client: TestClient, runs_dir: Path) -> None:
    data = client.get("/api/runs/demo-strong/report").json()
    report = json.loads((runs_dir / "demo-strong" / "report.json").read_text())
    assert data["source"] == "report.json"
    assert data["summary"] == report["summary"]
    assert data["comparison"]["flipped"] == report["comparison"]["flipped"]
    assert {p["name"] for p in data["plots"]} >= {"reward-0", "pass-at-k", "deltas"}
    # grades newer than report.json (a run re-graded or still grading): the report is computed from the files
    grades = runs_dir / "demo-strong" / "grades.jsonl"
    rows = _jsonl(grades)
    grades.write_text("".join(json.dumps(r | {"reward": 0.0, "sub_rewards": {}}) + "\n" for r in rows))
    live = client.get("/api/runs/demo-strong/report").json()
    assert live["source"] == "live"
    assert live["summary"]["mean_reward"] == 0.0
    assert client.get("/api/runs/nope/report").status_code == 404


def test_plots_are_svg_images_that_cannot_script(client: TestClient) -> None:
    response = client.get("/runs/demo-strong/plots/deltas.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "script-src" not in response.headers["content-security-policy"]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script" not in response.text
    assert client.get("/runs/demo-strong/plots/nope.svg").status_code == 404


# -- samples: filters against the files ------------------------------------------------------------------------------
def test_failed_filter_matches_the_grades_file(client: TestClient, runs_dir: Path) -> None:
    grades = _jsonl(runs_dir / "demo-strong" / "grades.jsonl")
    expected = {(g["item_id"], g["sample_index"]) for g in grades if g["status"] == "scored" and g["reward"] < 1.0}
    rows = _all_rows(client, "demo-strong", "status=failed")
    assert _keys(rows) == expected
    assert all(r["passed"] is False and r["status"] == "scored" for r in rows)
    passed = _all_rows(client, "demo-strong", "status=passed")
    assert all(r["reward"] >= 1.0 for r in passed)
    assert not _keys(passed) & expected


def test_errored_by_kind(client: TestClient, runs_dir: Path) -> None:
    grades = _jsonl(runs_dir / "demo-base" / "grades.jsonl")
    kinds = {g["error"]["kind"] for g in grades if g["status"] == "error"}
    assert kinds, "the demo's base run has grading errors"
    for kind in kinds:
        expected = {(g["item_id"], g["sample_index"]) for g in grades if (g.get("error") or {}).get("kind") == kind}
        assert _keys(_all_rows(client, "demo-base", f"error_kind={kind}")) == expected
    assert len(_all_rows(client, "demo-base", "status=errored")) == sum(g["status"] == "error" for g in grades)
    # a valid kind this run does not have matches nothing
    assert client.get("/api/runs/demo-base/samples?error_kind=sandbox").json()["total"] == 0


def test_template_difficulty_and_sub_range(client: TestClient, runs_dir: Path) -> None:
    tasks = {t["id"]: t["metadata"] for t in _jsonl(runs_dir / "demo-strong" / "tasks.jsonl")}
    grades = _jsonl(runs_dir / "demo-strong" / "grades.jsonl")
    hard = {(g["item_id"], g["sample_index"]) for g in grades if tasks[g["item_id"]]["difficulty"] == "hard"}
    assert _keys(_all_rows(client, "demo-strong", "difficulty=hard")) == hard
    both = _all_rows(client, "demo-strong", "difficulty=hard,easy&template=invoice_extraction")
    assert all(r["difficulty"] in ("hard", "easy") for r in both)
    low_date = {(g["item_id"], g["sample_index"]) for g in grades if g["sub_rewards"].get("date", 1.0) <= 0.5}
    rows = _all_rows(client, "demo-strong", "sub=date&sub_max=0.5")
    assert _keys(rows) == low_date
    assert all(r["sub_rewards"]["date"] <= 0.5 for r in rows)
    assert client.get("/api/runs/demo-strong/samples?template=nope").json()["total"] == 0


def test_flipped_against_the_baseline_matches_the_report(client: TestClient, runs_dir: Path) -> None:
    report = json.loads((runs_dir / "demo-strong" / "report.json").read_text())
    flipped = report["comparison"]["flipped"]
    for direction in ("fail_to_pass", "pass_to_fail"):
        items = {r["item_id"] for r in _all_rows(client, "demo-strong", f"flipped={direction}")}
        assert items == {f["id"] for f in flipped[direction]}
        assert len(items) == flipped[f"{direction}_count"]
    either = {r["item_id"] for r in _all_rows(client, "demo-strong", "flipped=any")}
    assert len(either) == flipped["fail_to_pass_count"] + flipped["pass_to_fail_count"]


def test_text_search_finds_outputs_items_and_prompts(client: TestClient, runs_dir: Path) -> None:
    from urllib.parse import quote

    samples = _jsonl(runs_dir / "demo-strong" / "samples.jsonl")
    prompts = {
        t["id"]: "\n".join(m["content"] for m in t["messages"]).lower()
        for t in _jsonl(runs_dir / "demo-strong" / "tasks.jsonl")
    }
    vendor = json.loads(samples[5]["output_text"])["vendor"].lower()
    expected = {
        (s["item_id"], s["sample_index"])
        for s in samples
        if vendor in s["output_text"].lower() or vendor in prompts[s["item_id"]]
    }
    assert _keys(_all_rows(client, "demo-strong", f"q={quote(vendor)}")) == expected
    # a near-miss of the vendor's name (a model's typo) is only in outputs
    typo = vendor[:-1] + "#"
    assert client.get(f"/api/runs/demo-strong/samples?q={quote(typo)}").json()["total"] == 0
    item = samples[0]["item_id"]
    assert {r["item_id"] for r in _all_rows(client, "demo-strong", f"q={item}")} == {item}
    assert client.get("/api/runs/demo-strong/samples?q=zzz-not-anywhere").json()["total"] == 0
    # the prompt is searched too, ignoring case: every invoice prompt says "Extract the invoice fields"
    assert client.get("/api/runs/demo-strong/samples?q=EXTRACT+the+Invoice").json()["total"] == len(samples)


def test_sorting_and_paging_cover_every_row_once(client: TestClient) -> None:
    rows = _all_rows(client, "demo-strong", "sort=-reward")
    rewards = [r["reward"] for r in rows]
    assert rewards == sorted(rewards, reverse=True)
    assert len(_keys(rows)) == len(rows) == 120
    by_item = _all_rows(client, "demo-strong", "sort=item")
    assert [(r["item_id"], r["sample_index"]) for r in by_item] == sorted(_keys(by_item))
    by_sub = _all_rows(client, "demo-strong", "sub=lines&sort=sub")
    values = [r["sub_rewards"]["lines"] for r in by_sub]
    assert values == sorted(values)
    beyond = client.get("/api/runs/demo-strong/samples?page=999").json()
    assert beyond["rows"] == [] and beyond["total"] == 120


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("bogus=1", "bogus"),
        ("status=broken", "status"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=100000", "per_page"),
        ("sort=color", "sort"),
        ("sort=sub", "sort"),
        ("sub_min=0.5", "sub"),
        ("sub=nope", "sub"),
        ("sub=date&sub_min=abc", "sub_min"),
        ("sub=date&sub_max=inf", "sub_max"),
        ("error_kind=exploded", "error_kind"),
        ("flipped=sideways", "flipped"),
        ("labelled=maybe", "labelled"),
        ("status=failed&status=passed", "status"),
        ("q=" + "x" * 501, "q"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(client: TestClient, query: str, param: str) -> None:
    response = client.get(f"/api/runs/demo-strong/samples?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["param"] == param


def test_flipped_without_a_baseline_is_400(client: TestClient) -> None:
    response = client.get("/api/runs/demo-base/samples?flipped=any")
    assert response.status_code == 400
    assert "baseline" in response.json()["error"]


def test_unknown_run_and_sample_are_404(client: TestClient) -> None:
    for path in (
        "/api/runs/nope",
        "/api/runs/nope/samples",
        "/api/runs/nope/samples/x/0",
        "/api/runs/demo-strong/samples/no-such-item/0",
        "/api/runs/demo-strong/samples/invoice_extraction-medium-7-0/99",
        "/api/runs/..%2F..%2Fetc/samples",
        "/runs/nope",
        "/runs/demo-strong/samples/no-such-item/0",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/runs/nope").json()["error"].startswith("no run 'nope'")
    assert client.post("/api/runs/nope/labels", json={}).status_code == 404
    assert client.get("/api/runs/nope/labels").status_code == 404
    assert client.post("/api/runs/nope/cases", json={}).status_code == 404
    assert client.get("/runs/nope/plots/deltas.svg").status_code == 404
    assert client.get("/api/nothing-here").status_code == 404
    assert client.delete("/api/runs/demo-strong/labels").status_code in (405, 415)
    # a sample index that is not a number matches no route
    assert client.get("/api/runs/demo-strong/samples/invoice_extraction-medium-7-0/x").status_code == 404


# -- sample ----------------------------------------------------------------------------------------------------------
def test_sample_detail_has_item_sample_grade_and_the_baselines_sample(client: TestClient, runs_dir: Path) -> None:
    grades = _jsonl(runs_dir / "demo-strong" / "grades.jsonl")
    target = grades[2]
    data = client.get(f"/api/runs/demo-strong/samples/{target['item_id']}/{target['sample_index']}").json()
    assert data["grade"] == target
    assert data["item"]["id"] == target["item_id"] and data["item"]["messages"]
    assert data["sample"]["item_id"] == target["item_id"]
    assert data["siblings"] == [0, 1, 2, 3]
    base_grades = _jsonl(runs_dir / "demo-base" / "grades.jsonl")
    key = (target["item_id"], target["sample_index"])
    base = next(g for g in base_grades if (g["item_id"], g["sample_index"]) == key)
    assert data["baseline"]["name"] == "demo-base"
    assert data["baseline"]["grade"] == base
    assert data["baseline"]["sample"]["model"] == "sim-base"


def test_item_ids_with_slashes_and_markup_round_trip(client: TestClient) -> None:
    from urllib.parse import quote

    response = client.get(f"/api/runs/hostile-run/samples/{quote(HOSTILE_ITEM, safe='')}/0")
    assert response.status_code == 200
    assert response.json()["item_id"] == HOSTILE_ITEM
    assert response.json()["grade"]["error"]["kind"] == "runtime"


def test_agentic_sample_carries_its_trajectory(client: TestClient) -> None:
    data = client.get("/api/runs/agent-run/samples/refund-1/0").json()
    assert [m["role"] for m in data["sample"]["trajectory"]] == ["assistant", "tool", "assistant", "tool", "assistant"]
    assert data["summary"]["turns"] == 3 and data["summary"]["stop_reason"] == "final_answer"
    assert client.get("/api/runs/agent-run/samples?stop_reason=final_answer").json()["total"] == 1


# -- labels ----------------------------------------------------------------------------------------------------------
ITEM = "invoice_extraction-medium-7-0"


def _label(client: TestClient, run: str = "demo-strong", **body: Any) -> Any:
    payload = {"item_id": ITEM, "sample_index": 2, "verdict": "pass", "labeller": "ada", "note": ""} | body
    return client.post(f"/api/runs/{run}/labels", json=payload)


def test_labels_are_appended_and_the_latest_per_labeller_counts(client: TestClient, runs_dir: Path) -> None:
    first = _label(client, verdict="pass", note="looks right")
    assert first.status_code == 201, first.text
    assert first.json()["label"]["verdict"] == "pass"
    assert _label(client, verdict="fail", note="the line count is wrong").status_code == 201
    assert _label(client, verdict=0.25, labeller="grace").status_code == 201
    rows = _jsonl(runs_dir / "demo-strong" / "labels.jsonl")
    assert [r["verdict"] for r in rows] == ["pass", "fail", 0.25]  # append-only: nothing rewritten
    row = rows[0]
    assert row["label"] == "pass" and row["item"]["id"] == ITEM and row["sample"]["output_text"]
    assert row["time"].endswith("Z") and row["labeller"] == "ada"
    detail = client.get(f"/api/runs/demo-strong/samples/{ITEM}/2").json()
    assert {(lab["labeller"], lab["verdict"]) for lab in detail["labels"]} == {("ada", "fail"), ("grace", 0.25)}
    assert detail["summary"]["label"]["labeller"] == "grace"
    assert client.get("/api/runs/demo-strong/samples?labelled=yes").json()["total"] == 1
    assert client.get("/api/runs/demo-strong/samples?labelled=score").json()["total"] == 1
    listed = client.get("/api/runs/demo-strong/labels").json()["labels"]
    assert len(listed) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({"verdict": True}, "verdict"),
        ({"verdict": None}, "verdict"),
        ({"verdict": [1]}, "verdict"),
        ({"labeller": ""}, "labeller"),
        ({"labeller": "  "}, "labeller"),
        ({"labeller": "a\nb"}, "labeller"),
        ({"labeller": "x" * 101}, "labeller"),
        ({"labeller": 7}, "labeller"),
        ({"sample_index": -1}, "sample_index"),
        ({"sample_index": "2"}, "sample_index"),
        ({"item_id": 5}, "item_id"),
        ({"note": 5}, "note"),
        ({"note": "x" * 10_001}, "note"),
        ({"extra": 1}, "extra"),
    ],
)
def test_malformed_labels_are_422_naming_the_field(client: TestClient, runs_dir: Path, body: Any, field: str) -> None:
    response = _label(client, **body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert not (runs_dir / "demo-strong" / "labels.jsonl").exists()


def test_label_body_problems(client: TestClient, runs_dir: Path) -> None:
    url = "/api/runs/demo-strong/labels"
    json_type = {"content-type": "application/json"}
    assert client.post(url, content=b"{not json", headers=json_type).status_code == 400
    assert client.post(url, content=b"[1, 2]", headers=json_type).status_code == 422
    missing = client.post(url, json={"item_id": ITEM, "sample_index": 2, "labeller": "ada"})
    assert missing.status_code == 422 and missing.json()["field"] == "verdict"
    nan = b'{"item_id": "%s", "sample_index": 2, "verdict": NaN, "labeller": "ada"}' % ITEM.encode()
    assert client.post(url, content=nan, headers=json_type).status_code == 422
    form = client.post(url, data={"item_id": ITEM, "verdict": "pass"})
    assert form.status_code == 415
    big = client.post(url, content=b'{"note": "' + b"x" * 70_000 + b'"}', headers=json_type)
    assert big.status_code == 413
    unknown = _label(client, item_id="no-such-item")
    assert unknown.status_code == 404
    cross = client.post(url, json={"item_id": ITEM}, headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    assert not (runs_dir / "demo-strong" / "labels.jsonl").exists()


def test_rft_calibrate_reads_labels_jsonl_with_the_latest_verdict_per_labeller(
    client: TestClient, runs_dir: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from rft_kit.cli import app

    grades = _jsonl(runs_dir / "demo-strong" / "grades.jsonl")
    scored = [g for g in grades if g["status"] == "scored"][:6]
    for g in scored:  # first a wrong verdict, then the right one: only the second may count
        wrong = "fail" if g["reward"] >= 1.0 else "pass"
        right = "pass" if g["reward"] >= 1.0 else "fail"
        for verdict in (wrong, right):
            posted = _label(client, item_id=g["item_id"], sample_index=g["sample_index"], verdict=verdict)
            assert posted.status_code == 201
    grader = tmp_path / "grader.json"
    config = json.loads((runs_dir / "demo-strong" / "run.json").read_text())["grader"]["config"]
    grader.write_text(json.dumps(config))
    out = tmp_path / "calibration.json"
    labels = runs_dir / "demo-strong" / "labels.jsonl"
    result = CliRunner().invoke(
        app, ["calibrate", str(grader), "--labels", str(labels), "--pass-threshold", "1", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["rows"] == 6  # 12 rows in the file, one per sample counts
    assert report["accuracy"] == 1.0


def test_labelled_samples_become_golden_cases_that_rft_check_runs(client: TestClient, runs_dir: Path) -> None:
    from rft_kit.check.runner import check_file

    assert client.post("/api/runs/demo-strong/cases", json={}).status_code == 409  # nothing labelled yet
    grades = _jsonl(runs_dir / "demo-strong" / "grades.jsonl")
    good = next(g for g in grades if g["status"] == "scored" and g["reward"] >= 1.0)
    bad = next(g for g in grades if g["status"] == "scored" and g["reward"] < 1.0)
    disputed = next(g for g in grades if g["status"] == "scored" and g["reward"] < 1.0 and g is not bad)
    _label(client, item_id=good["item_id"], sample_index=good["sample_index"], verdict="pass")
    _label(client, item_id=bad["item_id"], sample_index=bad["sample_index"], verdict=0.0)
    _label(client, item_id=disputed["item_id"], sample_index=disputed["sample_index"], verdict="pass")
    _label(client, item_id=disputed["item_id"], sample_index=disputed["sample_index"], verdict="fail", labeller="bo")
    response = client.post("/api/runs/demo-strong/cases", json={})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["count"] == 2
    assert [s["item_id"] for s in data["skipped"]] == [disputed["item_id"]]
    path = Path(data["path"])
    assert path == runs_dir / "demo-strong" / "golden_cases.yaml"
    report = check_file(path, placement="any", probes=False)
    cases = [o for o in report.outcomes if o.check.startswith("case")]
    assert len(cases) == 2 and all(o.status == "pass" for o in cases), report.to_dict()
    # a human who disagrees with the grader makes a case that fails: the point of golden cases
    _label(client, item_id=good["item_id"], sample_index=good["sample_index"], verdict="fail")
    client.post("/api/runs/demo-strong/cases", json={})
    report = check_file(path, placement="any", probes=False)
    assert [o.status for o in report.outcomes if o.check.startswith("case")].count("fail") == 1
    assert client.post("/api/runs/demo-strong/cases", json={"x": 1}).status_code == 422


# -- pages and safety ------------------------------------------------------------------------------------------------
def test_pages_are_a_fixed_shell_with_a_strict_csp(client: TestClient) -> None:
    for path in ("/", "/runs/demo-strong", f"/runs/demo-strong/samples/{ITEM}/2", "/runs/hostile-run"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == CSP
        assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert '<script src="/static/app.js" defer></script>' in response.text
        assert response.text.count("<script") == 1  # no inline script, no run data in the HTML
        assert "demo-strong" not in response.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert js.text.count(sink) <= (1 if sink in ("innerHTML", "insertAdjacentHTML") else 0), sink  # the comment
    assert client.get("/api/runs").headers["content-security-policy"] == CSP


def test_non_loopback_host_headers_are_refused_without_a_token(runs_dir: Path) -> None:
    client = TestClient(create_app(runs_dir), base_url="http://evil.example")
    assert client.get("/api/runs").status_code == 403
    assert TestClient(create_app(runs_dir), base_url="http://localhost:1234").get("/api/runs").status_code == 200
    assert TestClient(create_app(runs_dir), base_url="http://[::1]:1234").get("/api/runs").status_code == 200


def test_token_is_required_when_set(runs_dir: Path) -> None:
    app = create_app(runs_dir, token="s3cret-token")
    client = TestClient(app, base_url="http://192.0.2.10:8765")
    assert client.get("/api/runs").status_code == 401
    assert client.get("/").status_code == 401
    assert client.get("/api/runs", headers={"authorization": "Bearer wrong-token"}).status_code == 401
    assert client.get("/api/runs", headers={"authorization": "Bearer s3cret-token"}).status_code == 200
    assert client.get("/?token=nope", follow_redirects=False).status_code == 401
    login = client.get("/runs/demo-strong?token=s3cret-token&status=failed", follow_redirects=False)
    assert login.status_code == 303
    assert login.headers["location"] == "/runs/demo-strong?status=failed"
    assert "httponly" in login.headers["set-cookie"].lower()
    assert "samesite=strict" in login.headers["set-cookie"].lower()
    assert client.get("/api/runs").status_code == 200  # the cookie now carries the token
    posted = client.post(
        "/api/runs/demo-strong/labels", json={"item_id": ITEM, "sample_index": 2, "verdict": 1, "labeller": "ada"}
    )
    assert posted.status_code == 201


def test_nan_in_a_hand_edited_file_does_not_break_the_json(client: TestClient, runs_dir: Path) -> None:
    path = runs_dir / "agent-run" / "grades.jsonl"
    line = '{"item_id": "refund-1", "sample_index": 1, "reward": 0.5, "metadata": {"x": NaN}}\n'
    path.write_text(path.read_text() + line)
    response = client.get("/api/runs/agent-run/samples/refund-1/1")
    assert response.status_code == 200
    assert response.json()["grade"]["metadata"]["x"] is None
    assert not math.isnan(response.json()["summary"]["reward"])


def test_a_hand_edited_run_json_does_not_break_the_pages(client: TestClient, runs_dir: Path) -> None:
    meta = runs_dir / "agent-run" / "run.json"
    meta.write_text(json.dumps({"grader": "oops", "model": 3, "stages": [], "baseline": 7}))
    (runs_dir / "hostile-run" / "run.json").write_text("{not json")
    runs = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}
    assert runs["agent-run"]["grader"] is None
    assert runs["agent-run"]["baseline"] is None
    assert runs["agent-run"]["report_error"] is None  # the report reads past the hand edits (it used to fail)
    detail = client.get("/api/runs/agent-run").json()
    assert detail["pass_threshold"] == 1.0
    assert client.get("/api/runs/hostile-run/samples").json()["total"] == 2
