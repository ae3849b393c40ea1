"""The sandbox pool: lazy start, thread safety, recovery from dead servers, refusal without isolation."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import pickle
import signal
import time

import pytest

from rft_kit import DependencyError
from rft_kit.sandbox import Limits, Sandbox, detect, get_sandbox
from rft_kit.sandbox import isolation as iso

from .conftest import live_processes_of, require_bwrap


@pytest.fixture(scope="module")
def pool():
    require_bwrap()
    with Sandbox(workers=2) as sb:
        yield sb


def test_lazy_start_and_close():
    require_bwrap()
    sb = Sandbox(workers=1)
    assert sb.server_info() == []  # nothing started yet
    result = sb.run("exec", {"code": "print(6 * 7)"}, Limits(wall_s=10))
    assert (result.status, result.stdout) == ("ok", "42\n")
    expected = {"level": "bwrap", "net_ns": True, "pid_ns": True, "mount_ns": True, "uid_drop": os.getuid() == 0}
    assert {k: result.isolation[k] for k in expected} == expected
    assert result.isolation["seccomp"] is detect().seccomp_available
    sb.close()
    sb.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        sb.run("exec", {"code": "pass"})


def test_threads_share_the_pool(pool):
    code = "import time\nstart = time.monotonic()\ntime.sleep(0.3)\nprint(start, time.monotonic(), {i})"
    with cf.ThreadPoolExecutor(6) as ex:
        results = list(ex.map(lambda i: pool.run("exec", {"code": code.format(i=i)}, Limits(wall_s=20)), range(12)))
    spans = [tuple(map(float, r.stdout.split()[:2])) for r in results]
    assert [int(r.stdout.split()[2]) for r in results] == list(range(12))  # each thread got its own answer
    # CLOCK_MONOTONIC is shared with the sandbox: two servers ran jobs at the same time
    overlaps = sum(1 for a in spans for b in spans if a < b and a[0] < b[1] and b[0] < a[1])
    assert overlaps >= 1


def test_dead_server_is_replaced(pool):
    assert pool.run("exec", {"code": "pass"}).status == "ok"
    for worker in pool._all:
        if worker.proc is not None:
            os.kill(worker.proc.pid, signal.SIGKILL)  # bwrap dies, and with it the server
    results = [pool.run("exec", {"code": "print('alive')"}, Limits(wall_s=10)) for _ in range(4)]
    assert all(r.status in ("ok", "sandbox_error") for r in results)
    assert results[-1].status == "ok"
    assert results[-1].stdout == "alive\n"


def test_statuses(pool):
    assert pool.run("exec", {"code": "while True: pass"}, Limits(wall_s=0.5)).status == "timeout"
    assert pool.run("exec", {"code": "while True: pass"}, Limits(wall_s=30, cpu_s=1)).status == "timeout"
    assert pool.run("exec", {"code": "print('x' * 3_000_000)"}, Limits(output_bytes=1 << 20)).status == "output_limit"
    crashed = pool.run("exec", {"code": "import os; os._exit(3)"})
    assert (crashed.status, crashed.exit_code) == ("crashed", 3)
    error = pool.run("exec", {"code": "raise ValueError('x')"})
    assert error.status == "ok"
    assert error.value["ok"] is False
    assert "ValueError" in error.value["error"]
    assert pool.run("nope", {}).status == "sandbox_error"  # unknown harness: the server restarts
    assert pool.run("exec", {"code": "pass"}).status == "ok"
    assert pool.run("exec", {"bad": float("nan")}).status == "sandbox_error"


def test_first_job_and_steady_state_latency(pool):
    fresh = Sandbox(workers=1)
    start = time.perf_counter()
    fresh.run("exec", {"code": "pass"})
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(20):
        fresh.run("exec", {"code": "pass"})
    steady = (time.perf_counter() - start) / 20
    fresh.close()
    assert first < 5.0
    assert steady < 0.1
    print(f"first job {first * 1000:.0f} ms, steady {steady * 1000:.1f} ms per job")


def test_not_picklable(pool):
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(pool)


def test_get_sandbox_is_per_process(sandbox):
    assert get_sandbox() is get_sandbox()


def test_refuses_without_isolation(monkeypatch):
    monkeypatch.delenv("RFT_KIT_ALLOW_UNISOLATED", raising=False)
    sb = Sandbox(workers=1, isolation="none")
    with pytest.raises(DependencyError, match="apt-get install -y bubblewrap"):
        sb.run("exec", {"code": "pass"})
    sb.close()


def test_missing_bwrap_is_reported(monkeypatch):
    monkeypatch.setattr(iso.shutil, "which", lambda name: None)
    report = detect("auto")
    assert report.level == "none"
    assert "not installed" in report.reason


def test_unisolated_when_allowed(monkeypatch):
    monkeypatch.setenv("RFT_KIT_ALLOW_UNISOLATED", "1")
    with Sandbox(workers=1, isolation="none") as sb:
        result = sb.run("exec", {"code": "import os; print(os.getuid())"}, Limits(wall_s=10))
        uids = sb.job_uids()["job"]
    assert result.status == "ok"
    assert result.isolation["level"] == "none"
    assert result.isolation["net_ns"] is False
    if os.getuid() == 0:
        assert int(result.stdout) in uids  # still dropped to the job uid


def test_unisolated_code_tests_still_drop_uid_and_clean_up(monkeypatch):
    # Without bubblewrap the candidate pool is not PID 1 of anything: it finds a job's processes by uid (as root)
    # and kills them at the end of the job all the same.
    monkeypatch.setenv("RFT_KIT_ALLOW_UNISOLATED", "1")
    program = (
        "import os, time\n"
        "def f(x):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "    return os.getuid()\n"
    )
    with Sandbox(workers=1, isolation="none") as sb:
        payload = {"format": "asserts", "program": program, "tests": ["assert f(1) > 0"], "timeout_s": 5}
        result = sb.run("code_tests", payload, Limits(wall_s=20))
        assert result.status == "ok"
        assert result.value["tests"][0]["status"] == "passed"
        assert result.isolation["level"] == "none"
        candidate_uids = set(sb.job_uids()["candidate"])
        assert (
            sb.run("code_tests", {**payload, "program": "def f(x):\n    return 1\n"}, Limits(wall_s=20)).status == "ok"
        )
        if os.getuid() == 0:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and live_processes_of(candidate_uids):
                time.sleep(0.05)
            assert live_processes_of(candidate_uids) == []  # the forked sleeper died with its job


def test_python_grader_reports_refusal_as_server_error(monkeypatch):
    from rft_kit import load_grader
    from rft_kit.sandbox import reset_default_sandbox

    monkeypatch.setenv("RFT_KIT_SANDBOX_ISOLATION", "none")
    monkeypatch.delenv("RFT_KIT_ALLOW_UNISOLATED", raising=False)
    reset_default_sandbox()
    try:
        result = load_grader({"type": "python", "source": "def grade(s, i):\n    return 1.0\n"}).run("x", {})
    finally:
        reset_default_sandbox()
    assert (result.status, result.reward) == ("error", 0.0)
    assert result.error.kind == "sandbox"
    assert result.error.flag == "python_grader_server_error"
    assert "bubblewrap" in result.error.message


def test_sandboxes_get_distinct_uids():
    require_bwrap()
    with Sandbox(workers=2) as a, Sandbox(workers=2) as b:
        a.run("exec", {"code": "pass"})
        b.run("exec", {"code": "pass"})
        uids_a = {uid for block in a.job_uids().values() for uid in block}
        uids_b = {uid for block in b.job_uids().values() for uid in block}
    assert uids_a.isdisjoint(uids_b)


def test_grader_preloads_are_imported_once_per_candidate_pool():
    # python graders run in the candidate pool: it imports the preloads a grader names once, before that grader's
    # first sample (an import per sample would cost ~20 ms); code-tests candidates and graders that do not name them
    # never carry them, and the server, which runs no grader code, never imports them
    require_bwrap()
    source = "import sys\ndef grade(sample, item):\n    return 1.0 if 'rapidfuzz' in sys.modules else 0.0\n"
    grader_payload = {"format": "python_grader", "source": source, "sample": {}, "item": {}, "timeout_s": 10}
    program = "import sys\ndef f(x):\n    return 'rapidfuzz' in sys.modules\n"
    tests_payload = {"format": "asserts", "program": program, "tests": ["assert f(0) is False"], "timeout_s": 5}
    limits = Limits(wall_s=20)
    with Sandbox(workers=1, preload=("rapidfuzz", "no_such_module_xyz")) as sb:
        before = sb.run("code_tests", tests_payload, limits)
        unnamed = sb.run("python_grader", {**grader_payload, "preload": []}, limits)
        named = [sb.run("python_grader", {**grader_payload, "preload": ["rapidfuzz", "no_such_module_xyz"]}, limits)]
        named.append(sb.run("python_grader", {**grader_payload, "preload": ["rapidfuzz"]}, limits))
        info = sb.server_info()[0]
    assert before.value["tests"][0]["status"] == "passed"
    assert unnamed.value["value"] == {"ok": True, "reward": 0.0}
    assert all(r.value["value"] == {"ok": True, "reward": 1.0} for r in named)  # the missing module is skipped
    assert info["preloaded"] == []


def test_python_grader_names_the_preloads_its_source_uses(python_grader):
    from rft_kit.sandbox import get_sandbox

    assert "rapidfuzz" in get_sandbox().preload  # the default
    fuzzy = python_grader("from rapidfuzz import fuzz\ndef grade(sample, item):\n    return 1.0\n")
    plain = python_grader("def grade(sample, item):\n    return 1.0\n")
    assert fuzzy._preload() == ["rapidfuzz"]
    assert plain._preload() == []


def test_servers_outlive_the_thread_that_started_them():
    # bwrap --die-with-parent follows the *thread* that forked it: a sandbox first used from a grading thread pool
    # must not lose its servers when that pool's threads end (they were restarted at every batch before)
    require_bwrap()
    with Sandbox(workers=1) as sb:
        with cf.ThreadPoolExecutor(1) as pool:
            assert pool.submit(sb.run, "exec", {"code": "print(1)"}, Limits(wall_s=10)).result().status == "ok"
        time.sleep(0.5)
        worker = sb._all[0]
        assert worker.proc is not None and worker.proc.poll() is None
        assert worker.zygote_alive()
        assert sb.run("exec", {"code": "print(2)"}, Limits(wall_s=10)).stdout == "2\n"
        assert worker.starts == 1


def _tests_payload(program: str) -> dict[str, object]:
    return {"format": "asserts", "program": program, "tests": ["assert f(2) == 4"], "timeout_s": 2}


def test_dead_candidate_pool_is_reported_and_replaced():
    # The candidate pool dies (here: killed from the host). The job it leaves unanswered is a sandbox error, never a
    # wrong answer, and the worker comes back with a fresh pool.
    require_bwrap()
    with Sandbox(workers=1) as sb:
        program = "def f(x):\n    return x * 2\n"
        assert sb.run("code_tests", _tests_payload(program), Limits(wall_s=20)).value["tests"][0]["status"] == "passed"
        worker = sb._all[0]
        pool_pid = worker.zygote_host_pid()
        assert pool_pid is not None
        os.kill(pool_pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while worker.zygote_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        after = [sb.run("code_tests", _tests_payload(program), Limits(wall_s=20)) for _ in range(3)]
        assert all(r.status in ("ok", "sandbox_error") for r in after)
        assert all(r.value["tests"][0]["status"] == "passed" for r in after if r.status == "ok")
        assert after[-1].status == "ok"
        assert worker.zygote_host_pid() not in (None, pool_pid)


def test_candidate_pool_that_stops_answering_is_a_sandbox_error():
    # The runner waits a bounded time for a candidate: a pool that is alive but does not answer makes the job a
    # sandbox error naming the pool (not a timeout charged to the program), and the worker is replaced.
    require_bwrap()
    with Sandbox(workers=1) as sb:
        program = "def f(x):\n    return x * 2\n"
        assert sb.run("code_tests", _tests_payload(program), Limits(wall_s=20)).status == "ok"
        worker = sb._all[0]
        pool_pid = worker.zygote_host_pid()
        assert pool_pid is not None
        os.kill(pool_pid, signal.SIGSTOP)
        try:
            start = time.monotonic()
            result = sb.run("code_tests", _tests_payload(program), Limits(wall_s=30))
            waited = time.monotonic() - start
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pool_pid, signal.SIGKILL)
        assert result.status == "sandbox_error"
        assert "candidate pool did not answer" in result.error
        assert waited < 15
        assert sb.run("code_tests", _tests_payload(program), Limits(wall_s=20)).status == "ok"


def test_candidate_pools_preload_what_model_code_imports(pool):
    # candidates forked from the pool find typing & co. already imported (an import each would cost ~2 ms), while
    # python-grader preloads (rapidfuzz by default) stay out of the candidates' memory
    program = (
        "from typing import List\nimport heapq\n\ndef f(x: List[int]) -> int:\n    return heapq.nlargest(1, x)[0]\n"
    )
    payload = {"format": "asserts", "program": program, "tests": ["assert f([3, 9, 2]) == 9"], "timeout_s": 2}
    assert pool.run("code_tests", payload, Limits(wall_s=20)).value["tests"][0]["status"] == "passed"
    for info in pool.candidate_pool_info():
        assert set(info["preloaded"]) == set(pool.candidate_preload)
        assert "typing" in info["preloaded"]
        assert info["pid1"] is True


def test_workers_are_pinned_and_start_even_when_pinning_fails(monkeypatch):
    require_bwrap()
    with Sandbox(workers=2) as sb:
        sb.warm_up()
        allowed = sorted(os.sched_getaffinity(0))
        assert [info["cpus"] for info in sb.server_info()] == [[allowed[i % len(allowed)]] for i in range(2)]
        assert [info["cpus"] for info in sb.candidate_pool_info()] == [[allowed[i % len(allowed)]] for i in range(2)]
    from rft_kit.sandbox import pool as sandbox_pool

    monkeypatch.setattr(sandbox_pool._Worker, "cpus", lambda self: [4095])  # a CPU this machine does not have
    with Sandbox(workers=1) as sb:
        assert sb.run("exec", {"code": "print(1)"}, Limits(wall_s=10)).stdout == "1\n"
        assert sb.server_info()[0]["cpus"] == sorted(os.sched_getaffinity(0))  # not pinned, but running
    monkeypatch.undo()
    with Sandbox(workers=1, pin_cpus=False) as sb:
        sb.warm_up()
        assert sb.server_info()[0]["cpus"] == sorted(os.sched_getaffinity(0))
