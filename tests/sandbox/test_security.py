"""One test per attack, through the real graders.

Attack code defines ``attack(item) -> bool`` returning True when the attack *succeeded*. It runs
* as a python grader (``grade`` returns 1.0 on success): the test expects a scored 0.0, i.e. the code ran to the end
  and reported "blocked" (an error would not prove anything);
* as a code_tests candidate with the test ``assert attack(item) is True``: the test expects reward 0 with that test
  "failed" (the candidate ran and answered False), or a documented status where the attack kills its own process.
Then the host is checked directly (the file was not written, the process is alive, no leftover processes...). Where
cheap, a positive control shows the same attack succeeds on the host, so the test can fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import rft_kit
from rft_kit.graders.base import Grader
from rft_kit.sandbox import get_sandbox, reset_default_sandbox

from .conftest import live_processes_of

REPO = Path(rft_kit.__file__).resolve().parents[1]


def _python_source(attack: str) -> str:
    return textwrap.dedent(attack) + "\n\ndef grade(sample, item):\n    return 1.0 if attack(item) else 0.0\n"


def run_attack(
    attack: str,
    item: dict[str, Any],
    python_grader: Callable[..., Grader],
    asserts_grader: Callable[..., Grader],
    *,
    via: tuple[str, ...] = ("python", "code_tests"),
) -> None:
    """Run ``attack`` through both graders and check each reports it blocked."""
    if "python" in via:
        result = python_grader(_python_source(attack), timeout_s=20).grade("x", item)
        assert result.status == "scored", (result.error, result.metadata)
        assert result.reward == 0.0
        assert result.metadata["isolation"]["level"] == "bwrap"
    if "code_tests" in via:
        grader = asserts_grader(timeout_per_test_s=20)
        test = f"assert attack({item!r}) is True"
        result = grader.grade(textwrap.dedent(attack), {"tests": [test]})
        assert result.status == "scored", (result.error, result.metadata)
        assert result.reward == 0.0
        assert result.metadata["tests"][0]["status"] == "failed", result.metadata


def _job_uid_processes() -> list[int]:
    """Leftover host processes of this session's sandbox (other sandboxes use other uids): any process of a job or
    candidate uid but the candidate pools, and runner-uid processes beyond the one persistent test runner each worker
    may keep between jobs."""
    sandbox = get_sandbox()
    uids = sandbox.job_uids()
    runners = live_processes_of(set(uids["runner"]))
    extra = runners if len(runners) > len(uids["runner"]) else []
    pools = set(sandbox.candidate_pool_pids())
    assert len(pools) == sandbox.workers
    return [p for p in live_processes_of(set(uids["job"]) | set(uids["candidate"])) if p not in pools] + extra


@pytest.fixture
def tcp_server() -> Iterator[tuple[int, list[Any]]]:
    """A real TCP service on the host's loopback; records every accepted connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list[Any] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except OSError:
                continue
            accepted.append(addr)
            conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


# -- network -------------------------------------------------------------------------------------------------------


def test_network_host_loopback_service(tcp_server, python_grader, asserts_grader):
    port, accepted = tcp_server
    socket.create_connection(("127.0.0.1", port), timeout=2).close()  # control: the service works from the host
    deadline = time.time() + 2
    while not accepted and time.time() < deadline:
        time.sleep(0.01)
    assert len(accepted) == 1
    attack = """
    import socket
    def attack(item):
        try:
            socket.create_connection(("127.0.0.1", item["port"]), timeout=3).close()
            return True
        except OSError:
            return False
    """
    run_attack(attack, {"port": port}, python_grader, asserts_grader)
    time.sleep(0.3)
    assert len(accepted) == 1, "the sandbox reached the host's loopback service"


def test_network_outside_fails_immediately(python_grader, asserts_grader):
    attack = """
    import socket, time
    def attack(item):
        for host, port in (("1.1.1.1", 53), ("10.255.255.1", 80), ("8.8.8.8", 443)):
            start = time.monotonic()
            try:
                socket.create_connection((host, port), timeout=5).close()
                return True
            except OSError:
                pass
            if time.monotonic() - start > 1.0:  # it tried to reach a real host: no route is expected
                return True
        try:
            socket.getaddrinfo("example.com", 80)
            return True
        except OSError:
            return False
    """
    start = time.monotonic()
    run_attack(attack, {}, python_grader, asserts_grader)
    assert time.monotonic() - start < 10


# -- files ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def planted_secrets() -> Iterator[dict[str, str]]:
    """World-readable secret files in the host temp dir and in the repository (only isolation protects them)."""
    token = f"secret-{uuid.uuid4().hex}"
    paths = [Path(tempfile.gettempdir()) / f"rft-secret-{token}.txt", REPO / f".rft-secret-{token}.txt"]
    for path in paths:
        path.write_text(token)
        path.chmod(0o644)
    yield {"token": token, "paths": [str(p) for p in paths]}
    for path in paths:
        path.unlink(missing_ok=True)


def test_read_host_files(planted_secrets, python_grader, asserts_grader):
    for path in planted_secrets["paths"]:
        assert Path(path).read_text() == planted_secrets["token"]  # control: readable on the host
    attack = """
    import glob, os
    def attack(item):
        candidates = list(item["paths"]) + ["/etc/shadow", "/root/.bash_history", "/root/.ssh/id_rsa"]
        candidates += glob.glob("/tmp/rft-secret-*") + glob.glob("/work/**/.rft-secret-*", recursive=True)
        for path in candidates:
            try:
                with open(path) as fh:
                    if item["token"] in fh.read() or path.endswith("shadow"):
                        return True
            except OSError:
                pass
        return False
    """
    run_attack(attack, planted_secrets, python_grader, asserts_grader)


def test_environment_secrets(monkeypatch, python_grader, asserts_grader):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    reset_default_sandbox()  # servers started from now on inherit this process's environment (if anything leaked)
    attack = """
    import os
    def attack(item):
        if any("sk-test-secret" in v for v in os.environ.values()) or "OPENAI_API_KEY" in os.environ:
            return True
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    if b"sk-test-secret" in fh.read():
                        return True
            except OSError:
                pass
        return False
    """
    try:
        run_attack(attack, {}, python_grader, asserts_grader)
    finally:
        reset_default_sandbox()


def test_write_outside_working_directory(python_grader, asserts_grader):
    name = f"rft-pwned-{uuid.uuid4().hex}"
    host_targets = [Path(tempfile.gettempdir()) / name, REPO / name, Path("/etc") / name, Path("/root") / name]
    attack = f"""
    import os
    def attack(item):
        wrote = False
        for path in {[str(p) for p in host_targets]!r} + ["../{name}", "/{name}", "/usr/{name}", "/tmp/{name}"]:
            try:
                with open(path, "w") as fh:
                    fh.write("pwned")
                wrote = True
            except OSError:
                pass
        with open("inside-workdir.txt", "w") as fh:  # the private working directory is writable
            fh.write("ok")
        return wrote
    """
    run_attack(attack, {}, python_grader, asserts_grader)
    for path in host_targets:
        assert not path.exists(), f"{path} was written on the host"


def test_delete_or_rewrite_files(python_grader, asserts_grader):
    attack = """
    import os, shutil
    def attack(item):
        damaged = False
        for path in ("/usr/lib/python3", "/etc/ld.so.cache", os.path.dirname(os.__file__)):
            try:
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
                damaged = True
            except OSError:
                pass
        return damaged
    """
    run_attack(attack, {}, python_grader, asserts_grader)
    assert Path(os.__file__).exists()


SYSV_CREATE = """
import ctypes
def attack(item):
    libc = ctypes.CDLL(None, use_errno=True)
    shmid = libc.shmget(item["key"], 4096, 0o1666)  # IPC_CREAT | 0666
    if shmid < 0:
        return False
    libc.shmat.restype = ctypes.c_void_p
    addr = libc.shmat(shmid, None, 0)
    ctypes.memmove(addr, b"left-behind", 11)
    return True
"""

SYSV_FIND = """
import ctypes
def attack(item):
    return ctypes.CDLL(None).shmget(item["key"], 0, 0) >= 0
"""


def test_sysv_ipc_does_not_outlive_its_job(python_grader):
    key = 0x5F3759DF
    python_grader(_python_source(SYSV_CREATE)).grade("x", {"key": key})  # blocked by seccomp, or cleaned up after
    for _ in range(4):  # whichever worker ran the first job
        result = python_grader(_python_source(SYSV_FIND)).grade("x", {"key": key})
        assert (result.status, result.reward) == ("scored", 0.0), result.error


def test_sysv_ipc_cleanup_without_seccomp():
    from rft_kit.sandbox import Limits, Sandbox

    code_create = SYSV_CREATE + "\nprint(attack({'key': 4242}))\n"
    code_find = SYSV_FIND + "\nprint(attack({'key': 4242}))\n"
    with Sandbox(workers=1, seccomp=False) as sb:
        created = sb.run("exec", {"code": code_create}, Limits(wall_s=10))
        assert created.stdout.strip() == "True"  # control: without seccomp the segment is created
        assert created.isolation["seccomp"] is False
        found = sb.run("exec", {"code": code_find}, Limits(wall_s=10))
        assert found.stdout.strip() == "False"


# -- resources -----------------------------------------------------------------------------------------------------


def test_fork_bomb_is_bounded(python_grader, asserts_grader):
    attack = """
    import os, time
    def attack(item):
        n = 0
        try:
            for _ in range(300):
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
        except OSError:
            pass
        return n >= 300
    """
    start = time.monotonic()
    run_attack(attack, {}, python_grader, asserts_grader)
    assert time.monotonic() - start < 30
    # Everything was SIGKILLed when its job ended; give the kernel (and bwrap's init, which reaps orphans) a moment.
    deadline = time.monotonic() + 5
    while _job_uid_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _job_uid_processes() == [], "forked sleepers survived their job"


def test_memory_bomb(python_grader, asserts_grader):
    attack = """
    def attack(item):
        try:
            blocks = [bytearray(256 << 20) for _ in range(32)]  # 8 GiB
            return len(blocks) == 32
        except MemoryError:
            return False
    """
    run_attack(attack, {}, python_grader, asserts_grader)


MEMORY_FORK_BOMB = """
import os, time
pids = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(400 << 20)  # under the per-process limit
            for i in range(0, len(block), 4096):
                block[i] = 1  # really use it
            time.sleep(1.5)  # hold it while the others allocate
            os._exit(0)
        except MemoryError:
            os._exit(3)
    pids.append(pid)
print(sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid in pids))
"""


def test_memory_fork_bomb_is_capped_by_the_worker_cgroup():
    # RLIMIT_AS bounds each process; six processes of 400 MB each pass it. The worker's memory cgroup bounds the sum.
    from rft_kit.sandbox import Limits, Sandbox

    with Sandbox(workers=1, cgroup_memory_mb=1024) as sb:
        capped = sb.run("exec", {"code": MEMORY_FORK_BOMB}, Limits(wall_s=60, memory_mb=1024))
        assert sb.server_info()  # the server survived the OOM kills
        after = sb.run("exec", {"code": "print('alive')"}, Limits(wall_s=10))
    assert {k: capped.isolation["cgroup"][k] for k in ("memory_mb", "pids_max")} == {"memory_mb": 1024, "pids_max": 256}
    assert capped.status == "ok", capped
    assert int(capped.stdout) <= 2  # at most ~1 GB of the 2.4 GB asked for was ever held
    assert after.stdout == "alive\n"
    with Sandbox(workers=1, cgroup_memory_mb=None) as sb:  # control: without the cgroup all six get their memory
        uncapped = sb.run("exec", {"code": MEMORY_FORK_BOMB}, Limits(wall_s=60, memory_mb=1024))
    assert (uncapped.isolation["cgroup"] or {}).get("memory_mb") is None  # (a cpuset may still pin the worker)
    assert int(uncapped.stdout) == 6


def test_memory_bomb_uncaught_is_a_runtime_error(python_grader):
    result = python_grader("def grade(sample, item):\n    x = bytearray(8 << 30)\n    return 1.0\n").grade("x", {})
    assert result.status == "error"
    assert result.error.kind == "runtime"
    assert result.error.flag == "python_grader_runtime_error"
    assert "MemoryError" in result.error.message


def test_disk_fill(python_grader, asserts_grader):
    attack = """
    def attack(item):
        written = 0
        chunk = b"x" << 0 if False else b"x" * (1 << 20)
        try:
            for i in range(12):
                with open(f"fill{i}.bin", "wb") as fh:
                    for _ in range(100):
                        fh.write(chunk)
                        written += len(chunk)
        except OSError:
            pass
        return written >= 600 << 20
    """
    run_attack(attack, {}, python_grader, asserts_grader)


def test_infinite_loop_python_grader(python_grader):
    start = time.monotonic()
    result = python_grader("def grade(sample, item):\n    while True:\n        pass\n", timeout_s=1).grade("x", {})
    assert time.monotonic() - start < 10
    assert result.status == "error"
    assert result.error.kind == "timeout"
    assert result.error.flag == "python_grader_runtime_error"


def test_infinite_loop_code_tests(asserts_grader):
    program = "def add(a, b):\n    while True:\n        pass\n"
    start = time.monotonic()
    result = asserts_grader(timeout_per_test_s=1).grade(program, {"tests": ["assert add(1, 2) == 3"] * 2})
    assert time.monotonic() - start < 15
    assert result.status == "scored"
    assert result.reward == 0.0
    assert [t["status"] for t in result.metadata["tests"]] == ["timeout", "timeout"]


def test_sleep_past_the_harness(python_grader, asserts_grader):
    result = python_grader("import time\ndef grade(sample, item):\n    time.sleep(600)\n    return 1.0\n", timeout_s=1)
    out = result.grade("x", {})
    assert out.status == "error"
    assert out.error.kind == "timeout"
    program = "import time\ndef add(a, b):\n    time.sleep(600)\n    return a + b\n"
    start = time.monotonic()
    res = asserts_grader(timeout_per_test_s=1).grade(program, {"tests": ["assert add(1, 2) == 3"]})
    assert time.monotonic() - start < 10
    assert res.reward == 0.0
    assert res.metadata["tests"][0]["status"] == "timeout"


# -- processes -----------------------------------------------------------------------------------------------------


def test_signal_parent_and_host_processes(python_grader, asserts_grader):
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        attack = """
        import os, signal
        def attack(item):
            hit = False
            for pid in (os.getppid(), item["host_pid"], item["victim_pid"], 1):
                try:
                    os.kill(pid, signal.SIGKILL)
                    hit = True
                except OSError:
                    pass
            return hit
        """
        item = {"host_pid": os.getpid(), "victim_pid": victim.pid}
        run_attack(attack, item, python_grader, asserts_grader)
        assert victim.poll() is None, "a host process was killed"
    finally:
        victim.kill()
        victim.wait()


def test_kill_everything_of_own_uid(python_grader, asserts_grader):
    # kill(-1) reaches only processes of the caller's uid in the worker's pid namespace: for a python grader nothing
    # but itself (excluded); for a candidate not even its test runner, which runs as another uid. Both survive.
    source = (
        "import os, signal\ndef grade(sample, item):\n    for sig in (signal.SIGSTOP, signal.SIGKILL):\n"
        "        try:\n            os.kill(-1, sig)\n        except OSError:\n            pass\n    return 1.0\n"
    )
    for _ in range(4):  # reach every worker: its persistent test runner must not be stopped or killed
        result = python_grader(source).grade("x", {})
        assert (result.status, result.reward) == ("scored", 1.0)
    program = (
        "import os, signal\ndef add(a, b):\n    for sig in (signal.SIGSTOP, signal.SIGKILL):\n        try:\n"
        "            os.kill(-1, sig)\n        except OSError:\n            pass\n    return a + b\n"
    )
    start = time.monotonic()
    for _ in range(4):
        res = asserts_grader().grade(program, {"tests": ["assert add(1, 2) == 3", "assert add(2, 3) == 5"]})
        assert (res.status, res.reward) == ("scored", 1.0), res.metadata
    assert time.monotonic() - start < 10  # no runner was left stopped


# -- forging a pass (code_tests) ---------------------------------------------------------------------------------

ADD_TESTS = {"tests": ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(-1, 5) == 4"]}

FORGERIES = {
    "exit0_at_load": "import sys\nsys.exit(0)\ndef add(a, b):\n    return 0\n",
    "exit0_in_call": "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "system_exit_in_call": "def add(a, b):\n    raise SystemExit(0)\n",
    "os_exit_at_load": "import os\nos._exit(0)\n",
    "os_exit_in_call": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "keyboard_interrupt": "def add(a, b):\n    raise KeyboardInterrupt\n",
    "print_pass": (
        "import sys\nprint('PASS')\nprint('All tests passed')\n"
        'print(\'{"tests": [{"index": 0, "status": "passed", "message": ""}]}\')\n'
        "sys.stderr.write('PASS\\n')\ndef add(a, b):\n    print('PASS')\n    return 0\n"
    ),
    "fake_result_frames": (
        "import os, json\n"
        "body = json.dumps({'id': 1, 'status': 'ok', 'result': json.dumps({'tests': [{'index': 0, "
        "'status': 'passed', 'message': ''}], 'load_error': None, 'config_error': None})}).encode()\n"
        "frame = len(body).to_bytes(4, 'big') + body\n"
        "for fd in (1, 2):\n    os.write(fd, b'\\x01' + frame)\n"
        "def add(a, b):\n    os.write(1, frame)\n    return 0\n"
    ),
    "eq_always_true": (
        "class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n"
        "def add(a, b):\n    return Anything()\n"
    ),
    "int_subclass_eq": (
        "class Int(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n"
        "def add(a, b):\n    return Int(0)\n"
    ),
    "monkeypatch_builtins": (
        "import builtins\nclass NoFail(Exception):\n    pass\nbuiltins.AssertionError = NoFail\n"
        "builtins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0\n"
        "def add(a, b):\n    return 0\n"
    ),
    "patch_harness_module": (
        "import sys\n"
        "for name, mod in list(sys.modules.items()):\n"
        "    if name.startswith('rft_kit'):\n"
        "        for attr in ('compare_output', 'decode', 'encode', 'main', '_outcome'):\n"
        "            if hasattr(mod, attr):\n"
        "                setattr(mod, attr, lambda *a, **k: True)\n"
        "def add(a, b):\n    return 0\n"
    ),
    "write_result_channel_fds": (
        "import os\n"
        'forged = b\'\\x01{"tests": [{"index": 0, "status": "passed", "message": ""}], '
        '"load_error": null, "config_error": null}\'\n'
        "def spray():\n    for fd in range(3, 21):\n        try:\n            os.write(fd, forged)\n"
        "        except OSError:\n            pass\n"
        "spray()\ndef add(a, b):\n    spray()\n    return 0\n"
    ),
    "sys_modules_tampering": (
        "import sys, types\nfake = types.ModuleType('json')\nfake.loads = lambda *a, **k: {'ok': 3}\n"
        'fake.dumps = lambda *a, **k: \'{"ok": ["I", "3"]}\'\nsys.modules[\'json\'] = fake\n'
        "sys.modules['builtins'].AssertionError = Exception\n"
        "def add(a, b):\n    return 0\n"
    ),
    "rewrite_test_files": (
        "import os, glob, shutil\n"
        "for path in glob.glob('/tmp/**', recursive=True) + glob.glob('*'):\n"
        "    try:\n        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)\n"
        "    except OSError:\n        pass\n"
        "for name in ('test.py', 'tests.json', 'result.json', '/tmp/result.json'):\n"
        "    try:\n        open(name, 'w').write('{\"passed\": true}')\n    except OSError:\n        pass\n"
        "def add(a, b):\n    return 0\n"
    ),
    "shadow_builtins_and_helpers": (
        "def all(*a, **k):\n    return True\ndef isinstance(*a):\n    return True\n"
        "def expected(*a):\n    return 0\ndef add(a, b):\n    return 0\n"
    ),
    "kill_runner": "import os, signal\ndef add(a, b):\n    os.kill(-1, signal.SIGKILL)\n    return 0\n",
    "stop_runner": "import os, signal\ndef add(a, b):\n    os.kill(-1, signal.SIGSTOP)\n    return 0\n",
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_pass_is_rejected(name, asserts_grader):
    grader = asserts_grader(timeout_per_test_s=2)
    result = grader.grade(FORGERIES[name], ADD_TESTS)
    assert result.status == "scored", result.error
    assert result.reward == 0.0, result.metadata
    assert all(t["status"] != "passed" for t in result.metadata.get("tests", [])), result.metadata
    # the pool is unharmed: a correct solution still passes right after
    assert grader.grade("def add(a, b):\n    return a + b\n", ADD_TESTS).reward == 1.0


def test_candidate_cannot_shadow_builtins_or_test_helpers(asserts_grader, humaneval_grader):
    program = FORGERIES["shadow_builtins_and_helpers"]
    tests = {"tests": ["assert all(add(i, 1) == expected(i) for i in range(3))", "assert isinstance(add(1, 1), str)"]}
    setup = "def expected(i):\n    return i + 1\n"
    result = asserts_grader(setup="{{item.setup}}").grade(program, {**tests, "setup": setup})
    assert result.reward == 0.0
    assert [t["status"] for t in result.metadata["tests"]] == ["failed", "failed"]
    item = {
        "prompt": 'def add(a, b):\n    """Add."""\n',
        "test": "def expected(i):\n    return i + 1\n\ndef check(candidate):\n"
        "    assert all(candidate(i, 1) == expected(i) for i in range(3))\n",
        "entry_point": "add",
    }
    assert humaneval_grader().grade(program, item).reward == 0.0
    assert humaneval_grader().grade("    return a + b\n", item).reward == 1.0


def test_forgery_through_humaneval_check(humaneval_grader):
    item = {
        "prompt": 'def add(a: int, b: int) -> int:\n    """Add."""\n',
        "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(5, 5) == 10\n",
        "entry_point": "add",
    }
    grader = humaneval_grader()
    forged = "    import builtins\n    builtins.AssertionError = type('X', (Exception,), {})\n    return 0\n"
    assert grader.grade(forged, item).reward == 0.0
    assert grader.grade("    return a + b\n", item).reward == 1.0


def test_swallowed_timeout_or_crash_still_fails(asserts_grader):
    # Test code with a bare except (it happens in datasets) must not turn a timeout or a crash into a pass.
    tests = {"tests": ["try:\n    add(1, 2)\nexcept:\n    pass"]}
    slow = asserts_grader(timeout_per_test_s=1).grade("import time\ndef add(a, b):\n    time.sleep(60)\n", tests)
    assert slow.reward == 0.0
    assert slow.metadata["tests"][0]["status"] == "timeout"
    crash = asserts_grader().grade("import os\ndef add(a, b):\n    os._exit(0)\n", tests)
    assert crash.reward == 0.0
    assert crash.metadata["tests"][0]["status"] == "error"
    ok = asserts_grader().grade("def add(a, b):\n    raise ValueError\n", tests)
    assert ok.reward == 1.0  # an ordinary exception swallowed by the test is the test's business


def test_patched_compare_in_stdio(stdio_grader):
    program = (
        "import sys\n"
        "for name, mod in list(sys.modules.items()):\n"
        "    if hasattr(mod, 'compare_output'):\n"
        "        mod.compare_output = lambda *a, **k: True\n"
        "print('wrong')\n"
    )
    result = stdio_grader().grade(program, {"tests": [{"input": "1\n", "output": "2\n"}]})
    assert result.reward == 0.0
    assert result.metadata["tests"][0]["status"] == "failed"


def test_expected_output_is_not_in_candidate_memory(stdio_grader):
    token = f"EXPECTED-{uuid.uuid4().hex}"
    # The program looks for the expected answer everywhere it can: its own objects and memory, other processes'
    # memory and files; it prints whatever it finds.
    program = textwrap.dedent(
        """
        import gc, os, re
        pattern = re.compile(rb"EXPECTED-[0-9a-f]{32}")
        found = set()
        for obj in gc.get_objects():
            if isinstance(obj, (str, bytes)):
                data = obj.encode(errors="ignore") if isinstance(obj, str) else obj
                found.update(pattern.findall(data))
        for pid in ["self"] + [p for p in os.listdir("/proc") if p.isdigit()]:
            try:
                with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
                    for line in maps:
                        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                        if "r" not in line.split()[1] or hi - lo > 64 << 20:
                            continue
                        try:
                            mem.seek(lo)
                            found.update(pattern.findall(mem.read(hi - lo)))
                        except (OSError, ValueError, OverflowError):
                            pass
            except OSError:
                pass
        print(found.pop().decode() if found else "nothing")
        """
    )
    result = stdio_grader(timeout_per_test_s=20).grade(program, {"tests": [{"input": "", "output": token}]})
    assert result.status == "scored"
    assert result.reward == 0.0
    assert "nothing" in result.metadata["tests"][0]["message"]
