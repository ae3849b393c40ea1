"""``rft sandbox info``: which isolation the code sandbox uses on this machine, and why."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from ._common import print_json

app = typer.Typer(help="Inspect the sandbox that runs python and code_tests graders.", no_args_is_help=True)

_PROBE = """
import json, os, socket
facts = {"uid": os.getuid(), "gid": os.getgid(), "pid": os.getpid()}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1).close()
    facts["network"] = "REACHABLE"
except OSError as exc:
    facts["network"] = f"blocked ({exc.__class__.__name__}: {exc.strerror or exc})"
facts["visible_root"] = sorted(os.listdir("/"))
facts["home_dirs_visible"] = [p for p in ("/home", "/root", "/work") if os.path.isdir(p) and os.listdir(p)]
facts["env_keys"] = sorted(os.environ)
print(json.dumps(facts))
"""


def _probe(allow_unisolated: bool) -> dict[str, Any]:
    from ..errors import DependencyError
    from ..sandbox import Limits, Sandbox

    try:
        with Sandbox(workers=1, allow_unisolated=allow_unisolated) as sandbox:
            seconds = sandbox.warm_up()
            res = sandbox.run("exec", {"code": _PROBE}, Limits(wall_s=20))
            info = sandbox.server_info()[0] if sandbox.server_info() else {}
            pool = sandbox.candidate_pool_info()[0] if sandbox.candidate_pool_info() else {}
    except DependencyError as exc:
        return {"refused": str(exc)}
    import json

    facts: dict[str, Any] = {}
    if res.status == "ok" and res.stdout.strip():
        try:
            facts = json.loads(res.stdout.strip().splitlines()[-1])
        except ValueError:
            facts = {}
    return {
        "start_s": round(seconds, 3),
        "job_status": res.status,
        "job_ms": round(res.duration_ms, 2),
        "isolation": res.isolation,
        "server": {k: info.get(k) for k in ("python", "job_uid", "seccomp", "uid_drop", "preloaded", "cpus")},
        "candidate_pool": {k: pool.get(k) for k in ("pid1", "candidate_uid", "seccomp", "uid_drop", "cpus")},
        "inside": facts,
        "error": res.error or None,
    }


@app.command("info")
def info(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    probe: bool = typer.Option(True, "--probe/--no-probe", help="Start a sandbox and look around from inside it."),
) -> None:
    """Print the isolation level in use and why: what was detected, what is missing, seccomp, uid drop, namespaces."""
    from ..sandbox import detect
    from ..sandbox.isolation import INSTALL_HINT

    allow = os.environ.get("RFT_KIT_ALLOW_UNISOLATED", "") in ("1", "true")
    report = detect(os.environ.get("RFT_KIT_SANDBOX_ISOLATION", "auto"))
    from ..sandbox.cgroups import available as cgroups_available

    data: dict[str, Any] = {
        **report.to_dict(),
        "cgroups_v1": cgroups_available(),
        "python": os.environ.get("RFT_KIT_SANDBOX_PYTHON") or sys.executable,
        "allow_unisolated": allow,
        "usable": report.level != "none" or allow,
    }
    if report.level == "none":
        data["missing"] = INSTALL_HINT
    if probe:
        data["probe"] = _probe(allow)
    if as_json:
        print_json(data)
        return
    lines = [
        f"isolation: {report.level}  ({report.reason})",
        f"bubblewrap: {report.bwrap or 'not found'}" + (f" ({report.bwrap_version})" if report.bwrap_version else ""),
        f"namespaces per worker: {', '.join(report.namespaces) or 'none'}",
        "seccomp filter: "
        + ("available (pyseccomp)" if report.seccomp_available else "not available (pip install pyseccomp)"),
        "uid drop: "
        + ("yes, per-worker runner and candidate uids" if report.root else "no (not root: bwrap user namespace only)"),
        "worker cgroups (v1): "
        + (", ".join(k for k, v in data["cgroups_v1"].items() if v) or "none writable (RLIMIT_AS per process only)"),
        f"interpreter: {data['python']}",
        "code-tests candidates, python-grader samples: forked by a pre-hardened candidate pool (PID 1 of its sandbox)",
        "CPU pinning: "
        + (
            "one CPU per worker (RFT_KIT_SANDBOX_PIN=0 turns it off)"
            if os.environ.get("RFT_KIT_SANDBOX_PIN", "").lower() not in ("0", "false", "no")
            else "off (RFT_KIT_SANDBOX_PIN=0)"
        ),
    ]
    if report.probe_error:
        lines.append(f"bwrap probe error: {report.probe_error}")
    if report.level == "none":
        lines.append(f"{'ALLOWED by RFT_KIT_ALLOW_UNISOLATED' if allow else 'REFUSED'}: to isolate, {INSTALL_HINT}")
    found = data.get("probe")
    if found:
        if "refused" in found:
            lines.append(f"probe: refused ({found['refused']})")
        else:
            inside = found.get("inside", {})
            lines += [
                f"probe: started in {found['start_s']} s, job {found['job_status']} in {found['job_ms']} ms",
                f"  active: {found['isolation']}",
                f"  inside: uid {inside.get('uid')}, network {inside.get('network')}, "
                f"/ = {inside.get('visible_root')}, env = {inside.get('env_keys')}",
                f"  candidate pool: {found.get('candidate_pool')}",
            ]
    typer.echo("\n".join(lines))
