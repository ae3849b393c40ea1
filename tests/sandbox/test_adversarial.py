"""Adversarial suite (issue 20): verdict forgery through control flow, cross-sample contamination, clean-up that
charges the next sample, CPU-pin escape, load-time window, hash-collision decoding, NaN blamed on the grader.

Every attack runs through the real graders against a real sandbox. Most need two samples on the *same* worker
(a recorder then a replayer, a mess-maker then an innocent), so they use private one-worker sandboxes, with and
without the seccomp filter: without it, the clean-up between samples is the only layer left, and it must hold alone.
"""

from __future__ import annotations

import builtins
import math
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rft_kit import load_grader
from rft_kit.graders import python_grader as python_grader_module
from rft_kit.graders.base import Grader
from rft_kit.records import GradeResult
from rft_kit.sandbox import Sandbox, cgroups, codec, detect
from rft_kit.sandbox.harness_tests import _rebuild_exception
from rft_kit.sandbox.wipe import wipe

from .conftest import require_bwrap

P61 = (1 << 61) - 1  # CPython hashes an int as its value modulo this prime: i * P61 + c all collide


@pytest.fixture(scope="module", params=["seccomp", "no-seccomp"])
def box(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A private one-worker sandbox: consecutive samples land on the same worker."""
    require_bwrap()
    if request.param == "seccomp" and not detect().seccomp_available:
        pytest.fail("pyseccomp is not installed (pip install 'rft-kit[sandbox-seccomp]')", pytrace=False)
    with Sandbox(workers=1, seccomp=request.param == "seccomp") as sb:
        sb.warm_up()
        yield sb


@pytest.fixture(scope="module")
def one() -> Iterator[Sandbox]:
    """A one-worker sandbox with the default configuration (seccomp when available)."""
    require_bwrap()
    with Sandbox(workers=1) as sb:
        sb.warm_up()
        yield sb


def _use(monkeypatch: pytest.MonkeyPatch, sb: Sandbox) -> None:
    # both graders reach the sandbox through SandboxedGrader (in the python_grader module)
    monkeypatch.setattr(python_grader_module, "get_sandbox", lambda: sb)


def asserts(timeout: float = 5.0, **extra: Any) -> Grader:
    config = {"type": "code_tests", "name": "t", "format": "asserts", "tests": "{{item.tests}}"}
    return load_grader({**config, "timeout_per_test_s": timeout, **extra})


def humaneval(timeout: float = 5.0) -> Grader:
    config = {
        "type": "code_tests",
        "name": "he",
        "format": "humaneval",
        "prompt": "{{item.prompt}}",
        "test": "{{item.test}}",
        "entry_point": "{{item.entry_point}}",
        "timeout_per_test_s": timeout,
    }
    return load_grader(config)


def python(source: str, timeout: float = 20.0) -> Grader:
    return load_grader({"type": "python", "name": "py", "source": source, "rft_options": {"timeout_s": timeout}})


def _statuses(result: GradeResult) -> list[str]:
    return [t["status"] for t in result.metadata.get("tests", [])]


# ---------------------------------------------------------------------------------------------------------------------
# Control flow must not cross the boundary: a candidate's exception never ends a trusted loop


RAISES_STOP = "def f(x):\n    raise StopIteration\n"


@pytest.mark.parametrize(
    "test",
    [
        "assert all(map(lambda x: f(x) == x * 2, [1, 2, 3]))",
        "assert all(a == b for a, b in zip(map(f, [1, 2, 3]), [2, 4, 6]))",
        "for got, want in zip(map(f, [1, 2]), [2, 4]):\n    assert got == want",
        "import itertools\nassert all(v == 2 for v in itertools.islice(iter(lambda: f(1), None), 3))",
        "assert sorted(map(f, [3, 1, 2])) == [] or all(map(f, [1]))",
    ],
)
def test_stop_iteration_from_the_candidate_does_not_end_a_test_loop(monkeypatch, one, test):
    _use(monkeypatch, one)
    result = asserts().grade(RAISES_STOP, {"tests": [test]})
    assert result.status == "scored", result.error
    assert result.reward == 0.0, result.metadata
    assert _statuses(result) == ["error"]
    assert "StopIteration" in result.metadata["tests"][0]["message"]


def test_stop_iteration_in_humaneval_check(monkeypatch, one):
    _use(monkeypatch, one)
    item = {
        "prompt": "def double(x):\n    '''Twice x.'''\n",
        "test": (
            "def check(candidate):\n"
            "    for got, want in zip(map(candidate, [1, 2, 3]), [2, 4, 6]):\n"
            "        assert got == want\n"
            "    assert all(map(lambda x: candidate(x) == 2 * x, [4, 5]))\n"
        ),
        "entry_point": "double",
    }
    result = humaneval().grade("    raise StopIteration\n", item)
    assert result.status == "scored", result.error
    assert result.reward == 0.0
    assert _statuses(result) == ["error", "error"]
    honest = humaneval().grade("    return 2 * x\n", item)
    assert (honest.reward, _statuses(honest)) == (1.0, ["passed", "passed"])


def test_stop_async_iteration_does_not_end_an_async_loop(monkeypatch, one):
    _use(monkeypatch, one)
    setup = textwrap.dedent(
        """
        import asyncio

        class Values:
            def __init__(self):
                self.i = 0
            def __aiter__(self):
                return self
            async def __anext__(self):
                self.i += 1
                if self.i > 3:
                    raise StopAsyncIteration
                return self.i, f(self.i)

        async def check_all():
            async for x, got in Values():
                assert got == 2 * x

        def run():
            asyncio.run(check_all())
        """
    )
    program = "def f(x):\n    raise StopAsyncIteration\n"
    result = asserts(setup=setup).grade(program, {"tests": ["run()"]})
    assert result.status == "scored", result.error
    assert result.reward == 0.0
    assert _statuses(result) == ["error"]
    honest = asserts(setup=setup).grade("def f(x):\n    return 2 * x\n", {"tests": ["run()"]})
    assert honest.reward == 1.0


def test_spoofed_exception_names_do_not_become_control_flow(monkeypatch, one):
    """A candidate class named like a builtin control-flow exception must not be re-raised as the builtin."""
    _use(monkeypatch, one)
    program = "class StopIteration(Exception):\n    pass\n\ndef f(x):\n    raise StopIteration('spoof')\n"
    result = asserts().grade(program, {"tests": ["assert all(map(lambda x: f(x) == x, [1, 2]))"]})
    assert (result.status, result.reward, _statuses(result)) == ("scored", 0.0, ["error"])


@pytest.mark.parametrize("name", ["GeneratorExit", "KeyboardInterrupt", "SystemExit"])
def test_base_exceptions_from_the_candidate_are_errors(monkeypatch, one, name):
    """Regression guard (these already held): BaseException-only types never reach trusted code as themselves."""
    _use(monkeypatch, one)
    program = f"def f(x):\n    raise {name}\n"
    tests = ["assert all(map(lambda x: f(x) == x, [1, 2]))", "try:\n    f(1)\nexcept Exception:\n    pass"]
    result = asserts().grade(program, {"tests": tests})
    assert result.status == "scored", result.error
    assert _statuses(result)[0] == "error"
    assert _statuses(result)[1] == "passed"  # it arrives as an ordinary Exception: test code can catch it


def test_ordinary_exceptions_keep_their_builtin_type(monkeypatch, one):
    """Tests that expect a ValueError from the candidate still see one (only control-flow types are changed)."""
    _use(monkeypatch, one)
    program = "def f(x):\n    raise ValueError('bad')\n"
    tests = ["try:\n    f(1)\nexcept ValueError as e:\n    assert str(e) == 'bad'\nelse:\n    assert False"]
    assert asserts().grade(program, {"tests": tests}).reward == 1.0


@pytest.mark.parametrize(
    ("program", "test"),
    [
        # values whose dunders raise: the encoder never calls the candidate's methods, only the builtin type's
        (
            "class L(list):\n    def __iter__(self):\n        raise StopIteration\n    def __len__(self):\n"
            "        raise StopIteration\n    def __bool__(self):\n        raise StopIteration\n"
            "def f(x):\n    return L([0, 0])\n",
            "assert all(v == 1 for v in f(1))",
        ),
        (
            "class K(int):\n    def __eq__(self, o):\n        raise StopIteration\n    def __hash__(self):\n"
            "        raise StopIteration\n"
            "def f(x):\n    return {K(0): 0}\n",
            "assert all(map(lambda kv: kv == (0, 1), f(1).items()))",
        ),
        # a generator or an iterator is not plain data
        ("def f(x):\n    yield 2 * x\n", "assert all(v == 3 for v in f(1))"),
        ("def f(x):\n    return iter([])\n", "assert all(v == 3 for v in f(1))"),
    ],
)
def test_returned_values_cannot_carry_control_flow(monkeypatch, one, program, test):
    _use(monkeypatch, one)
    result = asserts().grade(program, {"tests": [test]})
    assert result.status == "scored", result.error
    assert result.reward == 0.0, result.metadata


# ---------------------------------------------------------------------------------------------------------------------
# Nothing one sample leaves behind reaches the next: recorder then replayer, per channel

_LIBC = "import ctypes, os, socket, time\nlibc = ctypes.CDLL(None, use_errno=True)\n"

CHANNELS = {
    "posix_mq": """
libc.mq_open.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
libc.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
libc.mq_receive.restype = ctypes.c_ssize_t
libc.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]

def record(token):
    fd = libc.mq_open(b"/rft-rec", os.O_CREAT | os.O_WRONLY, 0o666, None)
    if fd < 0:
        return "refused %d" % ctypes.get_errno()
    libc.mq_send(fd, token.encode(), len(token), 0)
    return "stored"

def replay():
    fd = libc.mq_open(b"/rft-rec", os.O_RDONLY | os.O_NONBLOCK, 0, None)
    if fd < 0:
        return ""
    buf = ctypes.create_string_buffer(1 << 16)
    n = libc.mq_receive(fd, buf, 1 << 16, None)
    return buf.raw[:n].decode() if n > 0 else ""
""",
    "posix_mq_via_mqueue_files": """
def record(token):
    for d in ("/dev/mqueue", "/mqueue"):
        try:
            os.close(os.open(os.path.join(d, "rft-" + token), os.O_CREAT | os.O_RDONLY, 0o666))
            return "stored"
        except OSError:
            pass
    return "refused"

def replay():
    for d in ("/dev/mqueue", "/mqueue"):
        try:
            for name in os.listdir(d):
                if name.startswith("rft-"):
                    return name[4:]
        except OSError:
            pass
    return ""
""",
    "sysv_shm": """
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
KEY = 0x52465431

def record(token):
    ident = libc.shmget(KEY, 4096, 0o1000 | 0o666)
    if ident < 0:
        return "refused"
    addr = libc.shmat(ident, None, 0)
    ctypes.memmove(addr, token.encode() + b"\\0", len(token) + 1)
    return "stored"

def replay():
    ident = libc.shmget(KEY, 0, 0)
    if ident < 0:
        return ""
    addr = libc.shmat(ident, None, 0o10000)
    return ctypes.string_at(addr).decode() if addr not in (None, ctypes.c_void_p(-1).value) else ""
""",
    "sysv_msg": """
class Msg(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("text", ctypes.c_char * 64)]
KEY = 0x52465432

def record(token):
    ident = libc.msgget(KEY, 0o1000 | 0o666)
    if ident < 0:
        return "refused"
    libc.msgsnd(ident, ctypes.byref(Msg(1, token.encode())), 64, 0o4000)
    return "stored"

def replay():
    ident = libc.msgget(KEY, 0)
    if ident < 0:
        return ""
    msg = Msg()
    n = libc.msgrcv(ident, ctypes.byref(msg), 64, 0, 0o4000)
    return msg.text.decode() if n > 0 else ""
""",
    "sysv_sem": """
KEY = 0x52465433

def record(token):
    ident = libc.semget(KEY, 1, 0o1000 | 0o666)
    if ident < 0:
        return "refused"
    libc.semctl(ident, 0, 16, ctypes.c_int(int(token)))  # SETVAL
    return "stored"

def replay():
    ident = libc.semget(KEY, 1, 0)
    if ident < 0:
        return ""
    return str(libc.semctl(ident, 0, 12))  # GETVAL
""",
    "posix_shm_and_writable_dirs": """
def _dirs():
    seen = []
    for top, dirs, _ in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in ("/proc", "/sys", "/usr") and top.count("/") < 4]
        if os.access(top, os.W_OK | os.X_OK):
            seen.append(top)
    return sorted(set(seen + ["/dev/shm", "/tmp", "/var/tmp", os.getcwd()]))

def record(token):
    stored = 0
    for d in _dirs():
        try:
            with open(os.path.join(d, ".rft-rec"), "w") as fh:
                fh.write(token)
            stored += 1
        except OSError:
            pass
    return "stored" if stored else "refused"

def replay():
    for d in _dirs():
        try:
            with open(os.path.join(d, ".rft-rec")) as fh:
                return fh.read()
        except OSError:
            pass
    return ""
""",
    "abstract_socket_daemon": """
def record(token):
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                s = socket.socket(socket.AF_UNIX)
                s.bind("\\0rft-rec")
                s.listen(4)
                while True:
                    c, _ = s.accept()
                    c.sendall(token.encode())
                    c.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(0.3)
    return "stored"

def replay():
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        s.connect("\\0rft-rec")
        return s.recv(100).decode()
    except OSError:
        return ""
""",
    "keyring": """
libc.syscall.restype = ctypes.c_long
def record(token):
    data = token.encode()
    for ring in (-4, -5):  # user keyring, user session keyring
        r = libc.syscall(248, b"user", b"rft-rec", data, ctypes.c_size_t(len(data)), ctypes.c_long(ring))
    return "stored" if r >= 0 else "refused"

def replay():
    for ring in (-4, -5):
        kid = libc.syscall(250, ctypes.c_long(10), ctypes.c_long(ring), b"user", b"rft-rec", ctypes.c_long(0))
        if kid >= 0:
            buf = ctypes.create_string_buffer(256)
            n = libc.syscall(250, ctypes.c_long(11), ctypes.c_long(kid), buf, ctypes.c_long(256))
            if n > 0:
                return buf.raw[:n].decode()
    return ""
""",
}


def _channel_program(channel: str) -> str:
    return _LIBC + CHANNELS[channel] + "\ndef f(token=None):\n    return record(token) if token else replay()\n"


def _channel_grader_source(channel: str) -> str:
    return _channel_program(channel) + textwrap.dedent(
        """
        def grade(sample, item):
            if item.get("record"):
                record(item["token"])
                return 0.0
            return 1.0 if replay() == item["token"] else 0.0
        """
    )


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_recorder_then_replayer_code_tests(monkeypatch, box, channel):
    _use(monkeypatch, box)
    token = str(1000 + uuid.uuid4().int % 30000)
    program = _channel_program(channel)
    recorder = asserts(timeout=10).grade(program, {"tests": [f"assert f({token!r}) == 'stored'"]})
    assert recorder.status == "scored", recorder.error
    replayer = asserts(timeout=10).grade(program, {"tests": [f"assert f() == {token!r}"]})
    assert replayer.status == "scored", replayer.error
    assert replayer.reward == 0.0, f"{channel}: the replayer read what the recorder left ({recorder.metadata})"


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_recorder_then_replayer_python_grader(monkeypatch, box, channel):
    _use(monkeypatch, box)
    token = str(1000 + uuid.uuid4().int % 30000)
    grader = python(_channel_grader_source(channel))
    recorder = grader.grade("x", {"record": True, "token": token})
    assert recorder.status == "scored", recorder.error
    replayer = grader.grade("x", {"token": token})
    assert replayer.status == "scored", replayer.error
    assert replayer.reward == 0.0, f"{channel}: the replayer read what the recorder left"


def test_recorder_channels_are_refused_or_invisible_from_inside(monkeypatch, one):
    """With seccomp, the IPC syscalls are refused outright (the recorder cannot even store)."""
    _use(monkeypatch, one)
    for channel in ("posix_mq", "sysv_shm", "sysv_msg", "sysv_sem", "keyring"):
        program = _channel_program(channel)
        result = asserts().grade(program, {"tests": ["assert f('123') == 'stored'"]})
        assert result.reward == 0.0, channel


# ---------------------------------------------------------------------------------------------------------------------
# A sample's mess is cleaned up within bounds, and charged to that sample, never to the next one

CORRECT = "def add(a, b):\n    return a + b\n"
ADD_TESTS = {"tests": ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]}

MESSES = {
    "deep_tree": """
def f():
    os.chdir(os.getcwd())
    for i in range(70):
        os.mkdir("d")
        os.chdir("d")
    return 1
""",
    "very_deep_tree": """
def f():
    for i in range(3000):
        os.mkdir("d")
        os.chdir("d")
    return 1
""",
    "unreadable_tree": """
def f():
    os.makedirs("a/b/c")
    open("a/b/c/x", "w").close()
    os.chmod("a/b/c", 0)
    os.chmod("a/b", 0)
    os.chmod("a", 0)
    return 1
""",
    "many_directories": """
def f():
    for i in range(200000):
        os.mkdir(str(i))
    return 1
""",
    "many_files": """
def f():
    for i in range(200000):
        os.close(os.open(str(i), os.O_CREAT | os.O_WRONLY, 0o600))
    return 1
""",
    "zombies_and_open_files": """
def f():
    fds = [os.open(".", os.O_RDONLY) for _ in range(50)]
    for _ in range(40):
        if os.fork() == 0:
            os._exit(0)
    return 1
""",
}


@pytest.mark.parametrize("mess", sorted(MESSES))
def test_the_next_sample_is_not_charged_for_a_mess(monkeypatch, one, mess):
    _use(monkeypatch, one)
    starts = one._all[0].starts
    messy = asserts(timeout=30).grade("import os\n" + MESSES[mess], {"tests": ["assert f() == 1"]})
    assert messy.status == "scored", messy.error
    start = time.monotonic()
    innocent = asserts(timeout=1.0).grade(CORRECT, ADD_TESTS)
    elapsed = time.monotonic() - start
    assert innocent.status == "scored", (mess, innocent.error)
    assert innocent.reward == 1.0, (mess, innocent.metadata)
    assert elapsed < 1.0 or innocent.metadata["sandbox_ms"] < 1000, (mess, elapsed)
    # and the worker after that is healthy too
    assert asserts(timeout=1.0).grade(CORRECT, ADD_TESTS).reward == 1.0
    if mess == "many_directories":  # far over the clean-up budget: replaced, not cleaned (and not charged)
        assert one._all[0].starts > starts


@pytest.mark.parametrize("mess", ["deep_tree", "very_deep_tree", "many_directories"])
def test_the_next_python_grader_job_is_not_charged_for_a_mess(monkeypatch, one, mess):
    _use(monkeypatch, one)
    source = "import os\n" + MESSES[mess] + "\ndef grade(sample, item):\n    return float(f())\n"
    messy = python(source, timeout=30).grade("x", {})
    assert messy.status == "scored", messy.error
    innocent = python("def grade(sample, item):\n    return 1.0\n", timeout=1.0).grade("x", {})
    assert (innocent.status, innocent.reward) == ("scored", 1.0), innocent.error


def test_a_batch_continues_on_a_fresh_worker_after_a_mess(monkeypatch, one):
    """Samples graded as one chunk: the innocent samples after a mess-maker still score, on their own merit."""
    _use(monkeypatch, one)
    grader = asserts(timeout=1.0)
    mess = (
        "import os\n" + MESSES["many_directories"] + "\ndef add(a, b):\n    if not os.path.exists('0'):\n        f()\n"
        "    return a + b\n"
    )
    starts = one._all[0].starts
    samples = [CORRECT, mess, CORRECT, CORRECT, "def add(a, b):\n    return a - b\n", CORRECT]
    grader30 = asserts(timeout=30)
    results = grader30.grade_batch(samples, [ADD_TESTS] * len(samples))
    assert [r.status for r in results] == ["scored"] * len(samples), [r.error for r in results]
    assert [r.reward for r in results] == [1.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    assert one._all[0].starts > starts  # the mess was not cleaned up: the worker was replaced
    assert grader.grade(CORRECT, ADD_TESTS).reward == 1.0


# ---------------------------------------------------------------------------------------------------------------------
# The CPU pin cannot be left

ESCAPE = textwrap.dedent(
    """
    import os
    def attack(item):
        before = os.sched_getaffinity(0)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                os.sched_setaffinity(0, set(range(64)))
            except OSError:
                pass
            os.write(w, b"1" if len(os.sched_getaffinity(0)) > len(before) else b"0")
            os._exit(0)
        os.waitpid(pid, 0)
        child = os.read(r, 1) == b"1"
        try:
            os.sched_setaffinity(0, set(range(64)))
        except OSError:
            pass
        return child or len(os.sched_getaffinity(0)) > len(before)
    """
)


def test_cpu_pin_cannot_be_escaped(monkeypatch, box):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs a machine with at least 2 CPUs")
    if not box.seccomp and not cgroups.available()["cpuset"]:
        pytest.skip("without seccomp only a cpuset holds the pin, and this machine has no writable v1 cpuset")
    _use(monkeypatch, box)
    result = asserts(timeout=10).grade(ESCAPE, {"tests": ["assert attack(None) is True"]})
    assert result.status == "scored", result.error
    assert _statuses(result) == ["failed"], result.metadata
    source = ESCAPE + "\ndef grade(sample, item):\n    return 1.0 if attack(item) else 0.0\n"
    result = python(source).grade("x", {})
    assert (result.status, result.reward) == ("scored", 0.0), result.error


def test_workers_sit_in_a_cpuset_of_their_own(one):
    """Defence in depth: each worker's processes are confined by a cpuset cgroup (where v1 cpuset is writable)."""
    if not cgroups.available()["cpuset"]:
        pytest.skip("this machine has no writable v1 cpuset hierarchy")
    info = one.isolation_info()
    cgroup = info["cgroup"]
    assert cgroup is not None and cgroup.get("cpus") is not None, info


# ---------------------------------------------------------------------------------------------------------------------
# Loading the program is charged to the first test's window, not given one of its own

SLOW_LOAD = "import time\ntime.sleep({load})\n\ndef f():\n    time.sleep({call})\n    return 1\n"


def test_load_time_shares_the_first_tests_window(monkeypatch, one):
    _use(monkeypatch, one)
    timeout = 2.0
    over = asserts(timeout=timeout).grade(SLOW_LOAD.format(load=1.4, call=1.0), {"tests": ["assert f() == 1"]})
    assert over.status == "scored", over.error
    assert _statuses(over) == ["timeout"], over.metadata
    within = asserts(timeout=timeout).grade(SLOW_LOAD.format(load=0.4, call=0.4), {"tests": ["assert f() == 1"]})
    assert within.reward == 1.0, within.metadata


def test_a_load_that_never_ends_fails_within_the_per_test_limit(monkeypatch, one):
    _use(monkeypatch, one)
    start = time.monotonic()
    result = asserts(timeout=1.0).grade("while True:\n    pass\n", {"tests": ["assert f() == 1", "assert 1"]})
    assert result.status == "scored"
    assert _statuses(result) == ["timeout", "timeout"]
    assert time.monotonic() - start < 5.0


# ---------------------------------------------------------------------------------------------------------------------
# Hash collisions cannot make trusted decoding quadratic; hashes are not predictable

# The candidate replaces the (untrusted) encoder so that it need not build the colliding set itself.
COLLIDE = textwrap.dedent(
    """
    import sys
    codec = sys.modules["rft_kit.sandbox.codec"]
    N = {n}
    P = (1 << 61) - 1
    ints = [["I", str(i * P + 7)] for i in range(1, N + 1)]
    def f():
        return "marker"
    _encode = codec.encode
    def encode(value, _depth=0):
        if value == "marker":
            return {shape}
        return _encode(value, _depth)
    codec.encode = encode
    """
)


@pytest.mark.parametrize(
    ("shape", "test"),
    [
        ('["E", ints]', "assert len(f()) == 3"),
        ('["Z", ints]', "assert len(f()) == 3"),
        ('["D", [[v, ["N"]] for v in ints]]', "assert len(f()) == 3"),
        ('["L", ints]', "assert len(set(f())) == 3"),  # trusted test code builds the set
        ('["T", [["E", ints[:5]], ["L", ints]]]', "assert len(set(f()[1])) == 3"),
    ],
)
def test_colliding_values_do_not_make_decoding_quadratic(monkeypatch, one, shape, test):
    _use(monkeypatch, one)
    program = COLLIDE.format(n=40000, shape=shape)
    start = time.monotonic()
    result = asserts(timeout=2.0).grade(program, {"tests": [test]})
    elapsed = time.monotonic() - start
    assert result.status == "scored", result.error
    assert result.reward == 0.0
    assert elapsed < 10.0, f"took {elapsed:.1f} s"


def test_a_few_colliding_values_still_decode(monkeypatch, one):
    _use(monkeypatch, one)
    program = f"def f():\n    return {{{P61 + 1}, 1, -1, -2, 2 * {P61} + 1}}\n"
    result = asserts().grade(program, {"tests": [f"assert f() == {{{P61 + 1}, 1, -1, -2, {2 * P61 + 1}}}"]})
    assert result.reward == 1.0, result.metadata


def _seed0_hash(text: str) -> int:
    env = {"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", f"print(hash({text!r}))"], env=env, capture_output=True, text=True)
    return int(out.stdout)


def test_string_hashes_are_not_predictable(monkeypatch, one):
    """Neither the trusted runner nor the python-grader jobs hash strings with a known seed."""
    _use(monkeypatch, one)
    fixed = _seed0_hash("rft-collide")
    setup = "import sys\n"
    tests = ["assert sys.flags.hash_randomization == 1", f"assert hash('rft-collide') != {fixed}"]
    result = asserts(setup=setup).grade("def f():\n    return 1\n", {"tests": tests})
    assert (result.reward, _statuses(result)) == (1.0, ["passed", "passed"]), result.metadata
    source = f"import sys\ndef grade(s, i):\n    return 1.0 if hash('rft-collide') != {fixed} else 0.0\n"
    assert python(source).grade("x", {}).reward == 1.0


# ---------------------------------------------------------------------------------------------------------------------
# NaN and infinities in a sample are the sample's problem, never the grader's configuration


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_in_a_sample_are_a_sample_error(monkeypatch, one, value):
    _use(monkeypatch, one)
    grader = python("def grade(sample, item):\n    return 1.0\n")
    result = grader.grade({"output_text": "x", "output_json": {"a": value}}, {})
    assert result.status == "error"
    assert result.error is not None
    assert (result.error.kind, result.error.flag) == ("parse", "sample_parse_error"), result.error
    in_item = grader.grade("x", {"a": value})
    assert in_item.error is not None and in_item.error.kind == "config"


@pytest.mark.parametrize("expr", ["float('nan')", "1e999", "-1e999", "[float('nan')]", "{'a': 1e999}"])
def test_non_finite_numbers_from_a_candidate_are_answers(monkeypatch, one, expr):
    _use(monkeypatch, one)
    program = f"def f():\n    return {expr}\n"
    result = asserts().grade(program, {"tests": ["assert f() == 1", "assert f() != 1"]})
    assert result.status == "scored", result.error
    assert _statuses(result) == ["failed", "passed"]


@pytest.mark.parametrize("answer", ["NaN", "nan", "1e999", "-1e999", "inf", "the answer is NaN"])
def test_non_finite_answers_are_wrong_answers_for_numeric(answer):
    grader = load_grader({"type": "numeric", "name": "n", "reference": "{{item.ref}}"})
    result = grader.grade(answer, {"ref": "5"})
    assert (result.status, result.reward) == ("scored", 0.0), result.error


@pytest.mark.parametrize("value", [math.nan, math.inf])
@pytest.mark.parametrize(
    "config",
    [
        {"type": "string_check", "name": "s", "operation": "eq", "input": "{{sample.output_json.a}}", "reference": "1"},
        {"type": "json_schema", "name": "j", "schema": {"type": "object"}},
        {"type": "numeric", "name": "n", "input": "{{sample.output_json.a}}", "reference": "5"},
    ],
)
def test_non_finite_json_in_a_sample_is_never_a_config_error(config, value):
    grader = load_grader(config)
    result = grader.grade({"output_text": "{}", "output_json": {"a": value}}, {})
    assert result.error is None or result.error.kind in ("parse", "sample"), result.error


# ---------------------------------------------------------------------------------------------------------------------
# Properties of the trusted pieces, without a sandbox

_names = st.sampled_from(sorted(n for n in dir(builtins) if n[:1].isupper())) | st.text(max_size=30)


@given(name=_names, message=st.text(max_size=50))
@settings(max_examples=300, deadline=None)
def test_no_report_rebuilds_into_control_flow(name, message):
    exc = _rebuild_exception({"type": name, "message": message})
    assert isinstance(exc, Exception)
    assert not isinstance(exc, StopIteration | StopAsyncIteration)


_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") else None  # a tmpfs, like the sandbox's /tmp
_tree = st.recursive(
    st.sampled_from(["file", "empty_dir", "symlink_out", "fifo"]),
    lambda children: st.lists(children, max_size=4),
    max_leaves=30,
)


def _build(path: str, node: Any, outside: str, serial: list[int]) -> None:
    serial[0] += 1
    name = os.path.join(path, f"n{serial[0]}")
    if node == "file":
        with open(name, "w") as fh:
            fh.write("x")
    elif node == "empty_dir":
        os.mkdir(name)
    elif node == "symlink_out":
        os.symlink(outside, name)
    elif node == "fifo":
        os.mkfifo(name)
    else:
        os.mkdir(name)
        for child in node:
            _build(name, child, outside, serial)
        if serial[0] % 3 == 0:
            os.chmod(name, 0)  # unreadable: the wipe must still get in


@given(tree=st.lists(_tree, max_size=5), depth=st.integers(0, 300))
@settings(max_examples=60, deadline=None)
def test_wipe_empties_any_tree_and_never_leaves_it(tree, depth):
    with tempfile.TemporaryDirectory(dir=_SCRATCH) as base:
        root, outside = os.path.join(base, "root"), os.path.join(base, "outside")
        os.mkdir(root)
        os.mkdir(outside)
        with open(os.path.join(outside, "keep"), "w") as fh:
            fh.write("keep")
        deep = root
        for _ in range(depth):
            deep = os.path.join(deep, "d")
        os.makedirs(deep, exist_ok=True)
        os.mkdir(os.path.join(root, ".rft-wipe-1"))  # the wipe's own scratch names may already exist
        _build(root, tree, outside, [0])
        assert wipe(root, budget_s=30) is None
        assert os.listdir(root) == []
        assert os.listdir(outside) == ["keep"]


def test_wipe_reports_when_over_budget():
    with tempfile.TemporaryDirectory(dir=_SCRATCH) as root:
        for i in range(20000):
            os.mkdir(os.path.join(root, str(i)))
        reason = wipe(root, budget_s=0.001)
        assert reason is not None and "more than" in reason
        assert wipe(root, budget_s=60) is None


def test_decoding_stops_at_the_deadline():
    encoded = codec.encode(list(range(100000)))
    assert codec.decode(encoded, time.monotonic() + 60) == list(range(100000))
    with pytest.raises(codec.DecodeTimeout):
        codec.decode(encoded, time.monotonic() - 1)


@given(st.sets(st.integers(min_value=-(2**70), max_value=2**70), max_size=40))
@settings(max_examples=200, deadline=None)
def test_ordinary_sets_and_dicts_still_decode(values):
    assert codec.decode(codec.encode(values)) == values
    assert codec.decode(codec.encode(dict.fromkeys(values, 1))) == dict.fromkeys(values, 1)
    assert codec.decode(codec.encode([10**20] * 50)) == [10**20] * 50  # repeats of one big value are fine


def test_a_candidate_pool_gone_between_samples_costs_the_next_sample_nothing(monkeypatch, one):
    """However the pool ended between two samples, the next sample runs (on a fresh worker) and scores."""
    _use(monkeypatch, one)
    grader = asserts(timeout=2.0)
    for _ in range(4):
        assert grader.grade(CORRECT, ADD_TESTS).reward == 1.0
        for pid in one.candidate_pool_pids():
            os.kill(pid, signal.SIGKILL)
        result = grader.grade(CORRECT, ADD_TESTS)
        assert (result.status, result.reward) == ("scored", 1.0), result.error
