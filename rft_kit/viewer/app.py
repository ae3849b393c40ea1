"""The ``rft view`` starlette application: HTML pages, the JSON API under ``/api/``, and the static script.

Pages are one fixed HTML shell with no run data in it; ``static/app.js`` fetches the API and builds the page with
text nodes only, so a model output can never become markup. The Content-Security-Policy allows scripts and styles
from this origin alone (no inline script, no ``eval``), images from this origin, and no connections elsewhere.

Access (:class:`Guard`): with a token, every request must carry it (``Authorization: Bearer``, or the cookie set
by opening any page once with ``?token=``). Without one the app is meant for 127.0.0.1 only and refuses requests
whose ``Host`` is not a loopback name, which stops DNS-rebinding pages from reading it. Writes (``POST``) must be
``application/json`` from this origin, which a cross-site form or ``fetch`` cannot send without a preflight we
never grant.
"""

from __future__ import annotations

import hmac
import json
import math
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

import numpy as np
import yaml
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..check.cases import parse_cases
from ..errors import ConfigError
from ..io.jsonl import iter_jsonl
from ..runs.folder import now_iso
from .catalog import Catalog
from .index import RunIndex
from .labels import LabelError, cases_from_labels, parse_label_request, sample_for_grader
from .plots import plots
from .queries import QueryError, parse_query, row_summary, select

__all__ = ["CSP", "Guard", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATIC_DIR: Final = Path(__file__).with_name("static")
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# A chart is an image document: it may style itself inline but can never run script (nor can any <img>).
SVG_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'"
MAX_BODY_BYTES: Final = 64 * 1024
TOKEN_COOKIE: Final = "rft_view_token"
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
CASES_FILE: Final = "golden_cases.yaml"

_SHELL: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rft view</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script>
</head>
<body data-page="{page}">
<header class="top"><a href="/" class="brand">rft view</a><span id="crumbs"></span>
<span class="spacer"></span><label class="who">labeller <input id="labeller" maxlength="100" autocomplete="off"></label>
</header>
<main id="main"><p class="muted">Loading…</p></main>
<noscript>rft view needs JavaScript (served from this address only).</noscript>
</body>
</html>
"""


# -- JSON helpers --------------------------------------------------------------------------------------------------
def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, default=str)
        except ValueError:  # a NaN read from a hand-edited file: JSON has no NaN, the browser could not parse it
            text = json.dumps(_finite(content), ensure_ascii=False, allow_nan=False, default=str)
        return text.encode("utf-8")


def _error(status: int, message: str, **extra: Any) -> _Json:
    return _Json({"error": message, **extra}, status_code=status)


# -- access guard --------------------------------------------------------------------------------------------------
class Guard:
    """Token check, loopback ``Host`` check, same-origin JSON writes, and security headers on every response."""

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self.token = token

    def _authorised(self, request: Request) -> bool:
        if self.token is None:
            return True
        header = request.headers.get("authorization", "")
        offered = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE, "")
        return hmac.compare_digest(offered.encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response = self._refuse(request)
        if response is None:
            response = self._login(request)
        if response is not None:
            await _secured(response)(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                for name, value in _SECURITY_HEADERS:
                    if name not in present:
                        headers.append((name, value))
            await send(message)

        await self.app(scope, receive, send_secured)

    def _refuse(self, request: Request) -> Response | None:
        if self.token is None:
            host = _host_name(request.headers.get("host") or "")
            if host not in LOOPBACK_HOSTS:
                return _error(403, f"host {host!r} refused: without --token rft view answers loopback names only")
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
                return _error(403, "cross-origin write refused")
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return _error(415, "send the body as application/json")
        if "token" in request.query_params or self._authorised(request):
            return None
        return _error(401, "this rft view needs its token: open it with ?token=TOKEN or send Authorization: Bearer")

    def _login(self, request: Request) -> Response | None:
        offered = request.query_params.get("token")
        if offered is None:
            return None
        if self.token is None or not hmac.compare_digest(offered.encode(), self.token.encode()):
            if self.token is None:
                return None
            return _error(401, "wrong token")
        rest = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
        response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
        response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/")
        return response


def _host_name(host: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8080`` -> ``[::1]``, ``localhost:80`` -> ``localhost``)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


_SECURITY_HEADERS: Final = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _secured(response: Response) -> Response:
    for name, value in _SECURITY_HEADERS:
        response.headers.setdefault(name.decode(), value.decode())
    return response


# -- the application -----------------------------------------------------------------------------------------------
class _Viewer:
    """Route handlers over one :class:`Catalog`. Handlers are ``async`` and do their (short) work inline, so the
    indexes are only ever touched from the event loop's thread; reports, which read the files themselves and never
    an index, are computed in worker threads."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # lookups
    def _run(self, request: Request) -> tuple[str, Path, RunIndex]:
        name = request.path_params["run"]
        folder = self.catalog.find(name)
        if folder is None:
            raise HTTPException(404, f"no run {name!r} in {self.catalog.root}")
        return name, folder, self.catalog.index(folder)

    def _baseline(self, folder: Path, index: RunIndex) -> tuple[str | None, Path | None, RunIndex | None]:
        path = self.catalog.baseline_of(folder, index.meta)
        if path is None:
            return None, None, None
        return self.catalog.name_of(path), path, self.catalog.index(path)

    # pages
    async def page_runs(self, request: Request) -> Response:
        return _shell("runs")

    async def page_run(self, request: Request) -> Response:
        self._run(request)
        return _shell("run")

    async def page_sample(self, request: Request) -> Response:
        name, _, index = self._run(request)
        item_id, sample_index = request.path_params["item_id"], int(request.path_params["sample_index"])
        if index.row_of(item_id, sample_index) is None:
            raise HTTPException(404, f"run {name!r} has no sample {item_id!r} #{sample_index}")
        return _shell("sample")

    async def plot(self, request: Request) -> Response:
        _, folder, index = self._run(request)
        baseline = self.catalog.baseline_of(folder, index.meta)
        view = await run_in_threadpool(self.catalog.report, folder, baseline)
        found = plots(view.report or {}).get(request.path_params["name"])
        if found is None:
            raise HTTPException(404, "no such chart")
        return Response(found[1], media_type="image/svg+xml", headers={"content-security-policy": SVG_CSP})

    # API
    async def api_runs(self, request: Request) -> Response:
        # in a worker thread: reports of runs without a fresh report.json are computed from their files
        return _Json(await run_in_threadpool(self._runs_listing))

    def _runs_listing(self) -> dict[str, Any]:
        runs = self.catalog.runs()
        entries = []
        baselines: dict[str, str | None] = {}
        for name, folder in runs.items():
            meta = self.catalog.meta(folder)
            baseline = self.catalog.baseline_of(folder, meta)
            baselines[name] = None if baseline is None else self.catalog.name_of(baseline)
            entries.append(self._run_entry(name, folder, meta, baseline))
        for entry in entries:
            entry["successors"] = sorted(n for n, b in baselines.items() if b == entry["name"])
            entry["lineage"] = _lineage(entry["name"], baselines)
        return {"runs_dir": str(self.catalog.root), "runs": entries}

    def _run_entry(self, name: str, folder: Path, meta: dict[str, Any], baseline: Path | None) -> dict[str, Any]:
        view = self.catalog.report(folder, baseline)
        report = view.report or {}
        comparison = report.get("comparison") or {}
        model = _obj(meta.get("model"))
        return {
            "name": name,
            "path": str(folder),
            "created_at": meta.get("created_at"),
            "updated_at": meta.get("updated_at"),
            "model": model.get("name"),
            "simulated": bool(model.get("simulated")),
            "grader": _grader_config(meta).get("name"),
            "stages": {k: _obj(v).get("status") for k, v in _obj(meta.get("stages")).items()},
            "baseline": None if baseline is None else self.catalog.name_of(baseline),
            "baseline_path": None if baseline is None else str(baseline),
            "report_source": view.source,
            "report_error": view.error,
            "counts": report.get("counts"),
            "summary": report.get("summary"),
            "pass_at_k": report.get("pass_at_k"),
            "comparison": None
            if not comparison
            else {
                "baseline": (comparison.get("baseline") or {}).get("name"),
                "mean_reward_delta": comparison.get("mean_reward_delta"),
                "pass_rate_delta": comparison.get("pass_rate_delta"),
                "fail_to_pass": (comparison.get("flipped") or {}).get("fail_to_pass_count"),
                "pass_to_fail": (comparison.get("flipped") or {}).get("pass_to_fail_count"),
            },
        }

    async def api_run(self, request: Request) -> Response:
        name, folder, index = self._run(request)
        base_path = self.catalog.baseline_of(folder, index.meta)  # named only: its index is built when needed
        base_name = None if base_path is None else self.catalog.name_of(base_path)
        snap = index.snapshot()

        def counts(codes: np.ndarray[Any, Any], names: list[str]) -> dict[str, int]:
            valid = codes[codes >= 0]
            found = np.bincount(valid, minlength=len(names)) if valid.size else np.zeros(len(names), dtype=int)
            return {names[i]: int(found[i]) for i in range(len(names)) if found[i]}

        item_rows = snap.item
        statuses = {
            "all": snap.size,
            "passed": int(snap.passed.sum()),
            "failed": int(((snap.status == 1) & ~snap.passed).sum()),
            "errored": int(((snap.status == 2) | ((snap.status == 0) & (snap.sample_error == 1))).sum()),
            "ungraded": int((snap.status == 0).sum()),
        }
        return _Json(
            {
                "name": name,
                "path": str(folder),
                "meta": {k: index.meta.get(k) for k in ("created_at", "updated_at", "model", "tasks", "stages")},
                "grader": {k: v for k, v in _obj(index.meta.get("grader")).items() if k != "config"}
                | {"name": _grader_config(index.meta).get("name")},
                "pass_threshold": index.pass_threshold,
                "baseline": None if base_path is None else {"name": base_name, "path": str(base_path)},
                "indexed": {
                    "samples": snap.size,
                    "items": len(index.item_ids),
                    "labels": index.label_count,
                    "unreadable_lines": dict(index.bad_lines),
                },
                "facets": {
                    "status": statuses,
                    "template": counts(snap.item_template[item_rows], index.templates.names),
                    "difficulty": counts(snap.item_difficulty[item_rows], index.difficulties.names),
                    "error_kind": counts(snap.err_kind[snap.status == 2], index.error_kinds.names),
                    "stop_reason": counts(snap.stop_reason, index.stop_reasons.names),
                    "sub_graders": sorted(snap.subs),
                    "labelled": int((snap.label > 0).sum()),
                },
            }
        )

    async def api_report(self, request: Request) -> Response:
        """The run's report summary and charts (apart from the run's facets: computing a report for a run still
        being written can take seconds, and the sample table must not wait for it)."""
        name, folder, index = self._run(request)
        baseline = self.catalog.baseline_of(folder, index.meta)
        # in a worker thread: make_report reads the files itself and never touches the index
        view = await run_in_threadpool(self.catalog.report, folder, baseline)
        report = view.report or {}
        keys = ("counts", "summary", "pass_at_k", "mean_at_k", "sub_graders", "comparison", "breakdown", "errors")
        return _Json(
            {
                "run": name,
                "source": view.source,
                "error": view.error,
                **{k: report.get(k) for k in keys},
                "plots": [
                    {"name": key, "title": title, "url": f"/runs/{name}/plots/{key}.svg"}
                    for key, (title, _) in plots(report).items()
                ],
            }
        )

    async def api_samples(self, request: Request) -> Response:
        name, folder, index = self._run(request)
        try:
            query = parse_query(request.query_params.multi_items())
        except QueryError as exc:
            return _error(400, str(exc), param=exc.param)
        snap = index.snapshot()
        baseline = self._baseline(folder, index)[2] if query.flipped else None
        try:
            total, rows = select(index, snap, query, baseline)
        except QueryError as exc:
            return _error(400, str(exc), param=exc.param)
        return _Json(
            {
                "run": name,
                "total": total,
                "page": query.page,
                "per_page": query.per_page,
                "pages": max(1, -(-total // query.per_page)),
                "query": query.echo,
                "rows": [row_summary(index, snap, int(row)) for row in rows],
            }
        )

    async def api_sample(self, request: Request) -> Response:
        name, folder, index = self._run(request)
        item_id = request.path_params["item_id"]
        sample_index = int(request.path_params["sample_index"])
        row = index.row_of(item_id, sample_index)
        if row is None:
            raise HTTPException(404, f"run {name!r} has no sample {item_id!r} #{sample_index}")
        snap = index.snapshot()
        base_name, base_path, base_index = self._baseline(folder, index)
        code = index.item_code(item_id)
        assert code is not None
        siblings = sorted(int(snap.sample_index[r]) for r in np.flatnonzero(snap.item == code))
        baseline: dict[str, Any] | None = None
        if base_index is not None:
            base_row = base_index.row_of(item_id, sample_index)
            base_snap = base_index.snapshot()
            base_code = base_index.item_code(item_id)
            baseline = {
                "name": base_name,
                "path": str(base_path),
                "pass_threshold": base_index.pass_threshold,
                "found": base_row is not None,
                "sample": None if base_row is None else base_index.read_sample(base_row),
                "grade": None if base_row is None else base_index.read_grade(base_row),
                "summary": None if base_row is None else row_summary(base_index, base_snap, base_row),
                "siblings": []
                if base_code is None
                else sorted(int(base_snap.sample_index[r]) for r in np.flatnonzero(base_snap.item == base_code)),
            }
        return _Json(
            {
                "run": name,
                "item_id": item_id,
                "sample_index": sample_index,
                "pass_threshold": index.pass_threshold,
                "summary": row_summary(index, snap, row),
                "item": index.read_item(code),
                "sample": index.read_sample(row),
                "grade": index.read_grade(row),
                "labels": [label.to_dict() for label in index.labels_of(item_id, sample_index).values()],
                "siblings": siblings,
                "baseline": baseline,
            }
        )

    async def api_labels(self, request: Request) -> Response:
        name, _, index = self._run(request)
        rows: list[dict[str, Any]] = []
        for _key, by_labeller in sorted(index.labels.items()):
            rows.extend(label.to_dict() for label in by_labeller.values())
        return _Json({"run": name, "labels": rows})

    async def post_label(self, request: Request) -> Response:
        name, _, index = self._run(request)
        body = await _read_json(request)
        if isinstance(body, Response):
            return body
        try:
            item_id, sample_index, verdict, labeller, note = parse_label_request(body)
        except LabelError as exc:
            return _error(422, str(exc), field=exc.field)
        row = index.row_of(item_id, sample_index)
        if row is None:
            return _error(404, f"run {name!r} has no sample {item_id!r} #{sample_index}", field="item_id")
        code = index.item_code(item_id)
        assert code is not None
        grade = index.read_grade(row) or {}
        record = {
            "item_id": item_id,
            "sample_index": sample_index,
            "labeller": labeller,
            "time": now_iso(),
            "verdict": verdict,
            "note": note,
            "label": verdict,
            "item": index.read_item(code) or {"id": item_id},
            "sample": sample_for_grader(index.read_sample(row) or {}),
            "reward": grade.get("reward"),
            "run": name,
        }
        _append_line(index.labels_path, record)
        index.refresh()
        labels = [label.to_dict() for label in index.labels_of(item_id, sample_index).values()]
        stored = {k: record[k] for k in ("item_id", "sample_index", "labeller", "time", "verdict", "note")}
        return _Json({"label": stored, "labels": labels}, status_code=201)

    async def post_cases(self, request: Request) -> Response:
        name, folder, index = self._run(request)
        body = await _read_json(request)
        if isinstance(body, Response):
            return body
        if body not in ({}, None):
            return _error(422, "this action takes an empty JSON object {}", field="body")
        rows = []
        if index.labels_path.exists():
            rows = [line.value for line in iter_jsonl(index.labels_path) if line.error is None]
        cases, skipped = cases_from_labels(rows, pass_threshold=index.pass_threshold)
        if not cases:
            return _error(409, "no labelled samples to turn into cases (label some first)", skipped=skipped)
        try:
            parse_cases(cases, source=CASES_FILE)
        except ConfigError as exc:  # a label row edited by hand into something a case cannot hold
            return _error(422, str(exc))
        grader = dict(_grader_config(index.meta))
        grader.pop("cases", None)
        document = {**grader, "cases": cases}
        header = (
            f"# Golden cases from human labels of run {name} (rft view, {now_iso()}).\n"
            f"# The run's grader config with the labelled samples as cases: `rft check {CASES_FILE}` runs them;\n"
            "# copy the cases: list into the grader file to keep them.\n"
        )
        text = header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
        target = folder / CASES_FILE
        temp = target.with_name(CASES_FILE + ".tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)
        return _Json({"path": str(target), "count": len(cases), "skipped": skipped, "yaml": text})


def _obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (run.json is a file people edit)."""
    return value if isinstance(value, dict) else {}


def _grader_config(meta: dict[str, Any]) -> dict[str, Any]:
    return _obj(_obj(meta.get("grader")).get("config"))


def _lineage(name: str, baselines: dict[str, str | None]) -> list[str]:
    chain, seen = [name], {name}
    current = baselines.get(name)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = baselines.get(current)
    return chain[::-1]


async def _read_json(request: Request) -> Any:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        return _error(413, f"the body must be at most {MAX_BODY_BYTES} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return _error(413, f"the body must be at most {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(body) if body.strip() else None
    except (ValueError, RecursionError) as exc:
        return _error(400, f"the body is not valid JSON ({exc})", field="body")


def _append_line(path: Path, record: dict[str, Any]) -> None:
    line = json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"
    # one write per record on an O_APPEND file: two writers never interleave inside a line
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def _shell(page: str) -> Response:
    return Response(_SHELL.format(page=page), media_type="text/html; charset=utf-8")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return _error(exc.status_code, str(exc.detail))
    return Response(f"{exc.status_code}: {exc.detail}\n", status_code=exc.status_code, media_type="text/plain")


def create_app(runs_dir: str | Path, *, token: str | None = None, cache_dir: Path | None = None) -> ASGIApp:
    """The viewer over the run folders in ``runs_dir``.

    Args:
        runs_dir: a directory of run folders (or one run folder).
        token: when set, every request must present it (see :class:`Guard`).
        cache_dir: where run indexes are kept between starts (:mod:`rft_kit.viewer.cache`); ``None``: nowhere.
    """
    viewer = _Viewer(Catalog(runs_dir, cache_dir=cache_dir))
    run = "/runs/{run}"
    api = "/api/runs/{run}"
    sample = "/samples/{item_id:path}/{sample_index:int}"
    routes = [
        Route("/", viewer.page_runs),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route(run, viewer.page_run),
        Route(run + sample, viewer.page_sample),
        Route(run + "/plots/{name}.svg", viewer.plot),
        Route("/api/runs", viewer.api_runs),
        Route(api, viewer.api_run),
        Route(api + "/report", viewer.api_report),
        Route(api + "/samples", viewer.api_samples),
        Route(api + sample, viewer.api_sample),
        Route(api + "/labels", viewer.api_labels, methods=["GET"]),
        Route(api + "/labels", viewer.post_label, methods=["POST"]),
        Route(api + "/cases", viewer.post_cases, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    return Guard(app, token=token)
