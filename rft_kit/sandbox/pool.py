"""The client side: a thread-safe pool of sandboxed fork-servers (:class:`Sandbox`) and the per-process default.

``Sandbox.run`` takes an idle server, sends one job and waits for its answer; several threads can run jobs at once
(one per server). Servers start lazily on first use, and a server that dies, hangs past its job's wall limit or loses
protocol sync is killed and replaced on the next job; the job that hit it gets status ``sandbox_error``. A worker whose
last job left more than the bounded clean-up can delete (:mod:`rft_kit.sandbox.wipe`) is replaced too, and a job
that found it so (and so never started) runs again on the fresh worker.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import fcntl
import itertools
import json
import os
import queue
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import DependencyError
from . import isolation as iso
from .cgroups import WorkerCgroup
from .frames import FrameError, compact_json, read_json, write_frame
from .limits import Limits

__all__ = ["ExecResult", "ExecStatus", "Sandbox", "get_sandbox", "reset_default_sandbox", "warm_up_in_background"]

ExecStatus = Literal["ok", "error", "timeout", "memory", "output_limit", "crashed", "sandbox_error"]

UID_BASE = 200000
"""Job uids start here. Each live :class:`Sandbox` on the machine (in any process) holds one *slot* of
:data:`SLOT_SIZE` uids, reserved with a lock file: worker ``i`` runs its jobs as uid/gid ``base + i`` and their
candidate programs as uid ``base + CANDIDATE_UID_OFFSET + i``; its persistent test runner is uid
``base + RUNNER_UID_OFFSET + i`` (all with gid ``base + i``). ``RLIMIT_NPROC`` counts per uid, so a fork
bomb in one job cannot starve a job of another worker or of another sandbox (another ``rft grade`` process), and a
candidate cannot signal or trace its test runner."""
SLOT_SIZE = 1000
MAX_SLOTS = 1000
RUNNER_UID_OFFSET = 250
CANDIDATE_UID_OFFSET = 500

DEFAULT_PRELOAD = "rapidfuzz"
DEFAULT_CANDIDATE_PRELOAD = (
    "typing",
    "math",
    "collections",
    "itertools",
    "functools",
    "heapq",
    "bisect",
    "string",
    "copy",
)
"""Imported once by each candidate pool. Not ``random``: its at-fork hook would reseed in every candidate."""
DEFAULT_CGROUP_MEMORY_MB = 3072
"""Memory cap of one worker's cgroup: one 2 GB job (the hosted limit), the 512 MB tmpfs and the server."""
_START_TIMEOUT_S = 60.0
_GRACE_S = 15.0


@dataclass
class ExecResult:
    """What one sandboxed job produced.

    Attributes:
        status: ``ok`` (the trusted harness returned a value), ``timeout`` (wall or CPU limit), ``memory``,
            ``output_limit``, ``crashed`` (the job died without a result), ``sandbox_error`` (our infrastructure
            failed), ``error`` (reserved for harness-level refusals).
        value: the harness's JSON result (``None`` unless ``status == "ok"``).
        stdout: tail of the job's standard output.
        stderr: tail of the job's standard error.
        exit_code: the job process's exit code, if it exited.
        signal: the signal that killed it, if any.
        duration_ms: wall time of the job inside the server.
        isolation: how the job was isolated (level, namespaces, uid drop, seccomp).
        error: what went wrong, for ``sandbox_error`` and ``crashed``.
        phases_ms: where the server's time went (fork, run, cleanup), for profiling.
    """

    status: ExecStatus
    value: Any = None
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    signal: int | None = None
    duration_ms: float = 0.0
    isolation: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    phases_ms: dict[str, float] = field(default_factory=dict)


class _Spawner:
    """Starts the sandbox processes from one long-lived thread.

    bwrap's ``--die-with-parent`` is ``PR_SET_PDEATHSIG``, which fires when the *thread* that forked it ends, not the
    process. Servers started lazily from a grading thread pool died with the pool at the end of the batch and were
    restarted at the next one; started from this thread, they live as long as the process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: queue.Queue[tuple[Any, Any]] = queue.Queue()
        self._pid = 0

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        import concurrent.futures as cf

        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: the parent's thread does not exist here
                self._requests = queue.Queue()
                threading.Thread(
                    target=self._serve, args=(self._requests,), name="rft-sandbox-spawner", daemon=True
                ).start()
                self._pid = os.getpid()
            requests = self._requests
        future: cf.Future[subprocess.Popen[bytes]] = cf.Future()
        requests.put(((argv, kwargs), future))
        return future.result()

    @staticmethod
    def _serve(requests: queue.Queue[tuple[Any, Any]]) -> None:
        while True:
            (argv, kwargs), future = requests.get()
            try:
                future.set_result(subprocess.Popen(argv, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)


_spawn = _Spawner()
# a fork while another thread held the lock must not leave the child's copy locked forever
os.register_at_fork(after_in_child=lambda: setattr(_spawn, "_lock", threading.Lock()))


class _Worker:
    """One fork-server process (and its candidate pool) and the pipes to them. Used by one thread at a time (the pool
    hands it out)."""

    def __init__(self, index: int, sandbox: Sandbox) -> None:
        self.index = index
        self.sandbox = sandbox
        self.proc: subprocess.Popen[bytes] | None = None
        self.zygote: subprocess.Popen[bytes] | None = None
        self.zygote_hello: dict[str, Any] = {}
        self.hello: dict[str, Any] = {}
        self.starts = 0
        self.cpu_s = 0.0  # CPU seconds of this server and its jobs, as last reported
        self.cpu_s_past = 0.0  # the same for servers this worker replaced
        self.cgroup: WorkerCgroup | None = None

    def _argv(self, entry: str, config: dict[str, Any]) -> list[str]:
        sb = self.sandbox
        command = iso.server_argv(sb.python, json.dumps(config), entry)
        if sb.report.level == "none":
            return command
        argv, _ = iso.bwrap_command(sb.report.bwrap or "bwrap", sb.python, sb.extra_binds, as_pid_1=entry == "zygote")
        for key, value in iso.clean_env().items():
            argv += ["--setenv", key, value]
        return [*argv, *command]

    def _server_config(self, zygote_fd: int) -> dict[str, Any]:
        sb = self.sandbox
        uid = sb.uid_base + self.index
        unisolated = sb.report.level == "none"
        return {
            "uid": uid,
            "gid": uid,
            "runner_uid": uid + RUNNER_UID_OFFSET,
            "private_pids": not unisolated,
            "seccomp_bpf": sb.seccomp_bpf,
            "preload": [],  # python graders run in the candidate pool, which imports sb.preload (grader_preload)
            "workroot": sb.workroot if unisolated else "/tmp/jobs",
            "zygote_fd": zygote_fd,
            "cpus": self.cpus(),
        }

    def _zygote_config(self, control_fd: int) -> dict[str, Any]:
        sb = self.sandbox
        uid = sb.uid_base + self.index
        unisolated = sb.report.level == "none"
        return {
            "control_fd": control_fd,
            "uid": uid + CANDIDATE_UID_OFFSET,
            "gid": uid,
            "seccomp_bpf": sb.pool_filter(uid + CANDIDATE_UID_OFFSET, uid),
            "preload": list(sb.candidate_preload),
            "grader_preload": list(sb.preload),
            "workdir": os.path.join(sb.workroot, f"candidates{self.index}") if unisolated else "/tmp/work",
            "limits": Limits().to_dict(),
            "cpus": self.cpus(),
        }

    def cpus(self) -> list[int] | None:
        """The CPU this worker's processes are pinned to (``None``: not pinned). Worker ``i`` gets the ``i``-th CPU
        this process may use (round robin), so server, runner, pool and candidates share one CPU and its caches."""
        if not self.sandbox.pin_cpus:
            return None
        allowed = sorted(os.sched_getaffinity(0))
        return [allowed[self.index % len(allowed)]]

    def _command(self, argv: list[str]) -> list[str]:
        """``argv`` started inside this worker's cgroups when the machine has them."""
        sb = self.sandbox
        cpus = self.cpus()
        if (sb.cgroup_memory_mb or cpus) and self.cgroup is None:
            self.cgroup = WorkerCgroup.create(
                f"rft-kit-{sb.uid_base}-{self.index}", sb.cgroup_memory_mb, sb.cgroup_pids_max, cpus
            )
        return self.cgroup.wrap(argv) if self.cgroup is not None else argv

    def _popen(self, argv: list[str], pass_fd: int) -> subprocess.Popen[bytes]:
        return _spawn(
            self._command(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=iso.clean_env(),
            close_fds=True,
            pass_fds=(pass_fd,),
            cwd="/",
        )

    def start(self) -> None:
        """Start the candidate pool and the server (each in its own sandbox, joined by a socket pair) side by side:
        neither needs the other until the first job, so their start-ups (bubblewrap, interpreter, imports) overlap."""
        self.starts += 1
        self.cpu_s_past += self.cpu_s + self.zygote_cpu_s()
        self.cpu_s = 0.0
        server_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            zfd, sfd = zygote_end.fileno(), server_end.fileno()
            self.zygote = self._popen(self._argv("zygote", self._zygote_config(zfd)), zfd)
            self.proc = self._popen(self._argv("forkserver", self._server_config(sfd)), sfd)
        finally:
            server_end.close()
            zygote_end.close()
        self.zygote_hello = self._zygote_hello(time.monotonic() + _START_TIMEOUT_S)
        try:
            hello = self._read(time.monotonic() + _START_TIMEOUT_S)
        except (FrameError, TimeoutError, OSError) as exc:
            detail = self._stderr_tail()
            self.kill()
            raise RuntimeError(f"sandbox server {self.index} did not start: {exc}; {detail}") from None
        if not isinstance(hello, dict) or not hello.get("ready"):
            self.kill()
            raise RuntimeError(f"sandbox server {self.index} sent a bad hello: {hello!r}")
        self.hello = hello

    def _zygote_hello(self, deadline: float) -> dict[str, Any]:
        """The candidate pool's ready line (it writes one JSON line to its stdout once it is hardened and warm)."""
        assert self.zygote is not None
        assert self.zygote.stdout is not None
        fd = self.zygote.stdout.fileno()
        line = b""
        while not line.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0.0))
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                detail = _tail_of(self.zygote)
                self.kill()
                raise RuntimeError(f"sandbox candidate pool {self.index} did not start: {detail}")
            line += chunk
        try:
            hello = json.loads(line)
        except ValueError:
            hello = None
        if not isinstance(hello, dict) or not hello.get("ready"):
            self.kill()
            raise RuntimeError(f"sandbox candidate pool {self.index} sent a bad hello: {line[:500]!r}")
        return hello

    def zygote_alive(self) -> bool:
        return self.zygote is not None and self.zygote.poll() is None

    def zygote_host_pid(self) -> int | None:
        """The candidate pool's pid as the host sees it (under bubblewrap, the bwrap process's only child)."""
        if not self.zygote_alive():
            return None
        assert self.zygote is not None
        pid = self.zygote.pid
        if self.sandbox.report.level == "none":
            return pid
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                return int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def zygote_cpu_s(self) -> float:
        """CPU seconds of the candidate pool and the candidates it reaped (read from the host's /proc; for
        benchmarks)."""
        pid = self.zygote_host_pid()
        if pid is None:
            return 0.0
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def _read(self, deadline: float) -> Any:
        assert self.proc is not None
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(remaining, 0.0))
        if not ready:
            raise TimeoutError("no answer from the sandbox server")
        # once the first byte is there the rest of the frame follows immediately
        return read_json(fd)

    def _stderr_tail(self) -> str:
        return _tail_of(self.proc)

    def kill(self, graceful: bool = False) -> None:
        """Stop the server and the candidate pool: ``graceful`` closes the server's stdin and lets it exit (so its
        CPU time is accounted to us); the pool ends when its socket closes."""
        proc, self.proc = self.proc, None
        zygote, self.zygote = self.zygote, None
        for victim in (proc, zygote):
            if victim is None:
                continue
            if graceful and victim.stdin is not None:
                with contextlib.suppress(OSError):
                    victim.stdin.close()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    victim.wait(timeout=2.0)
            with contextlib.suppress(OSError):
                victim.kill()
            victim.wait()
            for stream in (victim.stdin, victim.stdout, victim.stderr):
                if stream is not None:
                    stream.close()

    def execute(self, job_id: int, harness: str, payload: bytes, limits: Limits) -> ExecResult:
        if self.proc is None or self.proc.poll() is not None or not self.zygote_alive():
            self.kill()
            self.start()
        assert self.proc is not None
        assert self.proc.stdin is not None
        header = {
            "id": job_id,
            "harness": harness,
            "limits": limits.to_dict(),
            "payload_len": len(payload),
        }
        fd = self.proc.stdin.fileno()
        try:
            write_frame(fd, json.dumps(header).encode())
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            response = self._read(time.monotonic() + limits.wall_s + _GRACE_S)
        except (OSError, FrameError, TimeoutError) as exc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=0.5)  # a dying server: let its last words and exit status arrive
            code = self.proc.returncode
            detail = self._stderr_tail()
            self.kill()
            ended = "still running" if code is None else f"exit status {code}"
            return ExecResult(
                "sandbox_error", error=f"sandbox server failed ({ended}): {type(exc).__name__}: {exc} {detail}"
            )
        if not isinstance(response, dict) or response.get("id") != job_id:
            self.kill()
            return ExecResult("sandbox_error", error="sandbox server answered out of order")
        self.cpu_s = float(response.get("server_cpu_s") or self.cpu_s)
        result = self._result(response)
        if isinstance(result.value, dict) and result.value.get("pool_error") and not result.value.get("not_run"):
            # the candidate pool failed under this job: its outcome says nothing about the program
            result = ExecResult(
                "sandbox_error",
                error=f"candidate pool failed: {result.value['pool_error']} {_tail_of(self.zygote)}".strip(),
                isolation=result.isolation,
            )
        if (
            self.proc.poll() is not None
            or not self.zygote_alive()
            or response.get("server_exiting")
            or result.status == "sandbox_error"
            # a job left more than the bounded clean-up could delete (this worker is not clean any more), or the
            # candidate pool was gone before the job began
            or (isinstance(result.value, dict) and (result.value.get("pool_dirty") or result.value.get("not_run")))
        ):
            self.kill()  # the next job starts a fresh server and candidate pool
        return result

    def _result(self, response: dict[str, Any]) -> ExecResult:
        status = response.get("status", "sandbox_error")
        value = None
        error = str(response.get("error") or "")
        if status == "ok":
            try:
                value = json.loads(response.get("result") or "")
            except ValueError:
                status, error = "crashed", "the job's result channel held no valid JSON"
        return ExecResult(
            status=status,
            value=value,
            stdout=str(response.get("stdout") or ""),
            stderr=str(response.get("stderr") or ""),
            exit_code=response.get("exit_code"),
            signal=response.get("signal"),
            duration_ms=float(response.get("duration_ms") or 0.0),
            isolation=self.sandbox.isolation_info(self.hello),
            error=error,
            phases_ms=dict(response.get("phases_ms") or {}),
        )


def _tail_of(proc: subprocess.Popen[bytes] | None) -> str:
    """What a sandbox process wrote to stderr so far (the end of it), without blocking."""
    if proc is None or proc.stderr is None:
        return ""
    fd = proc.stderr.fileno()
    os.set_blocking(fd, False)
    try:
        data = os.read(fd, 1 << 16)
    except (BlockingIOError, OSError):
        data = b""
    return data.decode("utf-8", "replace")[-2000:]


class Sandbox:
    """A pool of warm, sandboxed fork-servers; one job runs per server at a time.

    Args:
        workers: number of servers (default: CPU count, at least 1).
        isolation: ``"auto"``, ``"bwrap"`` or ``"none"`` (see :mod:`rft_kit.sandbox.isolation`).
        allow_unisolated: allow running without namespaces (also ``RFT_KIT_ALLOW_UNISOLATED=1``).
        preload: modules python graders use (e.g. ``("numpy", "rapidfuzz")``): each candidate pool imports them once,
            before its first python-grader sample, and every later sample finds them loaded. A pool that only runs
            code tests never imports them.
        candidate_preload: modules every candidate pool imports once, for the programs under test (``code_tests``).
            The default is the standard-library modules model-written programs import most; an import the pool has
            not done costs each candidate that makes it a full module load (benchmarks/bench_code.py shows the cost),
            while a preloaded module costs every candidate a little more page-table copying.
        seccomp: ``"auto"`` (use the filter if ``pyseccomp`` is installed), ``True`` (require it) or ``False``.
        python: interpreter for the servers (default: this one; it must be readable by an unprivileged uid).
        extra_binds: more host directories to make visible read-only (e.g. a data directory tests need).
        cgroup_memory_mb: memory cap of each worker's cgroup (server, job, candidates, tmpfs together), when the
            machine offers v1 memory/pids controllers; ``None`` for no cgroups. The pids cap is 256 per worker.
        pin_cpus: pin each worker (its server, test runner, candidate pool and candidates) to one CPU. A code-tests
            job is a ping-pong of small messages between runner and candidate; on one CPU each hand-over is a local
            wake-up instead of a cross-CPU one, which on a VM costs an inter-processor interrupt
            (benchmarks/bench_code.py measures the throughput). Turn it off on a machine where other busy
            processes are pinned to these CPUs. Where the machine has a writable v1 ``cpuset`` hierarchy, each
            worker also gets a cpuset of its CPU, so that no job can widen its affinity (seccomp refuses the call
            as well).

    Raises:
        DependencyError: (on first use) when only ``none`` isolation is available and it was not allowed, or when
            seccomp was required but is unavailable.
    """

    def __init__(
        self,
        workers: int | None = None,
        isolation: str = "auto",
        allow_unisolated: bool = False,
        preload: Sequence[str] = (),
        candidate_preload: Sequence[str] = DEFAULT_CANDIDATE_PRELOAD,
        seccomp: bool | Literal["auto"] = "auto",
        python: str | None = None,
        extra_binds: Sequence[str] = (),
        cgroup_memory_mb: int | None = DEFAULT_CGROUP_MEMORY_MB,
        pin_cpus: bool = True,
    ) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.isolation = isolation
        self.allow_unisolated = allow_unisolated or os.environ.get("RFT_KIT_ALLOW_UNISOLATED", "") in ("1", "true")
        self.preload = tuple(preload)
        self.candidate_preload = tuple(candidate_preload)
        self._seccomp_request = seccomp
        self.seccomp = False
        self.seccomp_bpf: str | None = None  # the compiled filter (base64) the servers and candidate pools install
        self.python = python or os.environ.get("RFT_KIT_SANDBOX_PYTHON") or sys.executable
        self.extra_binds = tuple(extra_binds)
        # whole-worker caps (server + job + candidates + tmpfs): RLIMIT_AS alone bounds each process, not their sum
        self.cgroup_memory_mb = cgroup_memory_mb
        self.cgroup_pids_max = 256
        self.pin_cpus = pin_cpus
        self.workroot = ""
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._started = False
        self._closed = False
        self._ids = itertools.count(1)
        self._report: iso.IsolationReport | None = None
        self._pid = os.getpid()
        self.uid_base = UID_BASE
        self._slot_lock: int | None = None

    @property
    def report(self) -> iso.IsolationReport:
        """The isolation report (detects on first access)."""
        if self._report is None:
            self._report = iso.detect(self.isolation, self.python)
        return self._report

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("this Sandbox is closed")
            if self._started:
                return
            report = self.report
            if os.path.realpath(self.python) != os.path.realpath(sys.executable):
                version = iso.interpreter_version(self.python)
                if version != f"{sys.version_info[0]}.{sys.version_info[1]}":
                    raise DependencyError(
                        f"sandbox interpreter {self.python} is Python {version}, this one is "
                        f"{sys.version_info[0]}.{sys.version_info[1]}: compiled packages would not load"
                    )
            if report.level == "none" and not self.allow_unisolated:
                raise DependencyError(
                    f"no process isolation available ({report.reason}"
                    + (f": {report.probe_error}" if report.probe_error else "")
                    + f"); refusing to run untrusted code without it. To fix: {iso.INSTALL_HINT}"
                )
            if self._seccomp_request is True and not report.seccomp_available:
                raise DependencyError(
                    "seccomp was required but pyseccomp is not installed: pip install 'rft-kit[sandbox-seccomp]'"
                )
            self.seccomp = bool(self._seccomp_request) and report.seccomp_available
            if self.seccomp:
                from .seccomp import compile_filter

                self.seccomp_bpf = base64.b64encode(compile_filter()).decode()
            if self.workers > RUNNER_UID_OFFSET:
                raise ValueError(f"at most {RUNNER_UID_OFFSET} workers per sandbox")
            self._reserve_uid_slot()
            if report.level == "none":
                self.workroot = tempfile.mkdtemp(prefix="rft-sandbox-")
                os.chmod(self.workroot, 0o755)
            for index in range(self.workers):
                worker = _Worker(index, self)
                self._all.append(worker)
                self._idle.put(worker)
            self._started = True

    def _reserve_uid_slot(self) -> None:
        """Lock a uid slot no other live sandbox on this machine uses (the lock dies with the process)."""
        directory = os.path.join(tempfile.gettempdir(), "rft-kit-sandbox-slots")
        os.makedirs(directory, mode=0o755, exist_ok=True)
        for slot in range(MAX_SLOTS):
            fd = os.open(os.path.join(directory, f"slot{slot}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self._slot_lock = fd
            self.uid_base = UID_BASE + slot * SLOT_SIZE
            return
        raise RuntimeError(f"all {MAX_SLOTS} sandbox uid slots are in use")

    def job_uids(self) -> dict[str, range]:
        """The uids this sandbox's processes run as: ``job`` (python graders, exec), ``runner`` (test runners) and
        ``candidate`` (programs under test); one of each per worker."""

        def block(offset: int) -> range:
            return range(self.uid_base + offset, self.uid_base + offset + self.workers)

        return {"job": block(0), "runner": block(RUNNER_UID_OFFSET), "candidate": block(CANDIDATE_UID_OFFSET)}

    def isolation_info(self, hello: dict[str, Any] | None = None) -> dict[str, Any]:
        """The isolation summary attached to every result."""
        report = self.report
        hello = hello or {}
        return {
            "level": report.level,
            "net_ns": report.level == "bwrap",
            "pid_ns": report.level == "bwrap",
            "mount_ns": report.level == "bwrap",
            "uid_drop": bool(hello.get("uid_drop", False)),
            "seccomp": bool(hello.get("seccomp", False)),
            "cgroup": self._cgroup_info(),
        }

    def _cgroup_info(self) -> dict[str, int | list[int] | None] | None:
        groups = [w.cgroup for w in self._all if w.cgroup is not None]
        return groups[0].info() if groups else None

    def run(self, harness: str, payload: Any, limits: Limits | None = None) -> ExecResult:
        """Run one job: the trusted ``harness`` gets ``payload`` (JSON) inside a fresh hardened process.

        Thread-safe; blocks while every server is busy. Never raises for what the job does; raises
        :class:`DependencyError` if isolation is unavailable and not allowed.
        """
        if os.getpid() != self._pid:
            raise RuntimeError("a Sandbox cannot be used after fork; use get_sandbox() in the child process")
        self._start()
        limits = limits or Limits()
        try:
            data = compact_json(payload).encode()
        except (TypeError, ValueError) as exc:
            return ExecResult("sandbox_error", error=f"the payload is not JSON-serialisable: {exc}")
        worker = self._idle.get()
        try:
            if self._closed:
                return ExecResult("sandbox_error", error="the sandbox was closed")
            try:
                result = worker.execute(next(self._ids), harness, data, limits)
                if isinstance(result.value, dict) and result.value.get("not_run"):
                    # an earlier job's leftovers could not be cleared in time (or the candidate pool was gone), so
                    # this one never started: it runs on the fresh worker that replaced the old one (execute killed
                    # it), charged for nothing
                    result = worker.execute(next(self._ids), harness, data, limits)
                return result
            except RuntimeError as exc:  # a server that cannot start
                return ExecResult("sandbox_error", error=str(exc), isolation=self.isolation_info())
        finally:
            self._idle.put(worker)

    def warm_up(self) -> float:
        """Start every idle server now (instead of on first use), all at once; returns the seconds it took. Each
        worker is handed back as soon as it is up; a worker a job holds meanwhile is started by that job, and one
        that cannot start is started again (and its error reported) by the first job that needs it."""
        start = time.perf_counter()
        self._start()
        grabbed: list[_Worker] = []
        while True:  # never wait for a busy worker: a job that holds one is starting it already
            try:
                grabbed.append(self._idle.get_nowait())
            except queue.Empty:
                break

        def warm(worker: _Worker) -> None:
            try:
                if worker.proc is None:
                    with contextlib.suppress(Exception):  # the first job on this worker starts it and reports
                        worker.start()
            finally:
                self._idle.put(worker)

        threads = [threading.Thread(target=warm, args=(w,), name="rft-sandbox-start") for w in grabbed]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - start

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the servers and the jobs they reaped (as of each server's last answer), and by
        the candidate pools and the candidates they reaped."""
        return sum(w.cpu_s + w.cpu_s_past + w.zygote_cpu_s() for w in self._all)

    def pool_filter(self, uid: int, gid: int) -> str | None:
        """The candidate pool's seccomp filter (base64): the job filter, but ``setresuid``/``setresgid`` to the
        candidate ids stay allowed (see :mod:`rft_kit.sandbox.zygote`)."""
        if not self.seccomp:
            return None
        from .seccomp import compile_filter

        return base64.b64encode(compile_filter(become=(uid, gid))).decode()

    def candidate_pool_info(self) -> list[dict[str, Any]]:
        """The ready line of every started candidate pool (what each found inside its sandbox)."""
        return [dict(w.zygote_hello) for w in self._all if w.zygote_hello]

    def candidate_pool_pids(self) -> list[int]:
        """Host pids of the running candidate pools (they run as the candidate uids, between jobs too)."""
        return [pid for w in self._all if (pid := w.zygote_host_pid()) is not None]

    def server_info(self) -> list[dict[str, Any]]:
        """The hello frame of every started server (what each found inside its sandbox)."""
        return [dict(w.hello) for w in self._all if w.hello]

    def close(self) -> None:
        """Stop every server. Idempotent."""
        with self._lock:
            self._closed = True
            for worker in self._all:
                worker.kill(graceful=True)
            for worker in self._all:
                if worker.cgroup is not None:
                    worker.cgroup.remove()
            if self.workroot:
                import shutil

                shutil.rmtree(self.workroot, ignore_errors=True)
            if self._slot_lock is not None:
                os.close(self._slot_lock)  # releases the uid slot
                self._slot_lock = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self) -> Any:
        raise TypeError("a Sandbox holds live processes and cannot be pickled; call get_sandbox() where it is used")


_default: Sandbox | None = None
_default_lock = threading.Lock()


def get_sandbox() -> Sandbox:
    """The per-process shared sandbox (created lazily; a forked child gets its own, never its parent's).

    Configured by environment variables:

    * ``RFT_KIT_SANDBOX_WORKERS``: number of servers (default: CPU count);
    * ``RFT_KIT_SANDBOX_PRELOAD``: comma-separated modules the candidate pools import once for python graders
      (default ``rapidfuzz``; empty for none);
    * ``RFT_KIT_SANDBOX_CANDIDATE_PRELOAD``: the same for the candidate pools (default
      :data:`DEFAULT_CANDIDATE_PRELOAD`);
    * ``RFT_KIT_SANDBOX_ISOLATION``: auto, bwrap or none; ``RFT_KIT_ALLOW_UNISOLATED=1`` to accept none;
    * ``RFT_KIT_SANDBOX_SECCOMP=0``: do not load the seccomp filter;
    * ``RFT_KIT_SANDBOX_MEMORY_MB``: memory cap of each worker's cgroup (default 3072; 0 for no cgroups);
    * ``RFT_KIT_SANDBOX_PYTHON``: the servers' interpreter (same major.minor as this one);
    * ``RFT_KIT_SANDBOX_PIN=0``: do not pin each worker to a CPU.
    """
    global _default
    with _default_lock:
        if _default is None or _default._pid != os.getpid():
            workers = os.environ.get("RFT_KIT_SANDBOX_WORKERS")
            # rapidfuzz (a dependency, light) by default: the hosted python graders' favourite import; pre-imported
            # once per candidate pool it costs a sample nothing instead of a full import (~20 ms)
            preload_spec = os.environ.get("RFT_KIT_SANDBOX_PRELOAD", DEFAULT_PRELOAD)
            preload = [m for m in preload_spec.split(",") if m.strip()]
            candidate_spec = os.environ.get("RFT_KIT_SANDBOX_CANDIDATE_PRELOAD", ",".join(DEFAULT_CANDIDATE_PRELOAD))
            seccomp: bool | Literal["auto"] = "auto"
            if os.environ.get("RFT_KIT_SANDBOX_SECCOMP", "").lower() in ("0", "false", "no"):
                seccomp = False
            memory = os.environ.get("RFT_KIT_SANDBOX_MEMORY_MB")
            _default = Sandbox(
                cgroup_memory_mb=(int(memory) or None) if memory else DEFAULT_CGROUP_MEMORY_MB,
                workers=int(workers) if workers else None,
                isolation=os.environ.get("RFT_KIT_SANDBOX_ISOLATION", "auto"),
                preload=[m.strip() for m in preload],
                candidate_preload=[m.strip() for m in candidate_spec.split(",") if m.strip()],
                seccomp=seccomp,
                pin_cpus=os.environ.get("RFT_KIT_SANDBOX_PIN", "").lower() not in ("0", "false", "no"),
            )
        return _default


def warm_up_in_background() -> None:
    """Start the shared sandbox's servers now, in a background thread, while the caller does other work (reading
    its inputs): the first job then finds them warm instead of waiting for their start-up. Idempotent; a failure
    (isolation unavailable, say) is left for the first job to report."""
    global _warming
    with _default_lock:
        if _warming == os.getpid():
            return
        _warming = os.getpid()

    def warm() -> None:
        with contextlib.suppress(Exception):
            get_sandbox().warm_up()

    threading.Thread(target=warm, name="rft-sandbox-warm-up", daemon=True).start()


_warming = 0  # the pid of the process whose shared sandbox is (being) warmed


def reset_default_sandbox() -> None:
    """Close the shared sandbox (the next :func:`get_sandbox` makes a new one)."""
    global _default, _warming
    with _default_lock:
        if _default is not None and _default._pid == os.getpid():
            _default.close()
        _default = None
        _warming = 0


atexit.register(reset_default_sandbox)
