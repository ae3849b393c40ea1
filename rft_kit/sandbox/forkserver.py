"""The fork-server: runs inside the sandbox (one per worker) and forks one hardened child per job.

It is started once per worker by :mod:`rft_kit.sandbox.pool`, normally inside bubblewrap, and speaks length-prefixed
JSON frames on stdin/stdout. Per job it reads only a small header; the job's payload stays in the stdin pipe and is
read by the forked child itself, so the server (whose memory every later job inherits) never holds a sample, a test
or an expected output. For each job it

* creates a private working directory owned by the job uid,
* forks a child that calls ``setsid``, applies rlimits, and hands control to the trusted harness (which reads the
  payload, drops to the job uid and runs the untrusted code),
* enforces the wall-clock limit with a pidfd, caps stdout/stderr, reads the harness's result from a dedicated pipe,
* kills the job's session and every leftover process, and deletes the working directory.

Harnesses that run untrusted code apart from their trusted runner (``CANDIDATES = True``: code tests and the hosted
python grader) get a *persistent* runner (forked once from the server, replaced after a timeout, a crash or
``_RUNNER_JOBS`` jobs). It reads each payload from the server's stdin itself, like a per-job child, and gets its
candidate processes from the worker's candidate pool (:mod:`rft_kit.sandbox.zygote`, a sandbox of its own) over the
socket at ``ZYGOTE_FD``. The server forks nothing per code-tests or python-grader job: per-job children are left to
``exec`` and ``sql``.

A job that dies before consuming its payload leaves the stdin stream out of sync; the server then answers and exits,
and the pool starts a fresh one.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback
from typing import Any

from . import privileges, startup
from .frames import FrameError, compact_json, read_exact, read_json, write_json
from .ipc import clear_keyrings, remove_posix_mq, remove_sysv_ipc, seal_posix_mq
from .wipe import wipe

HARNESSES = {
    "python_grader": "rft_kit.sandbox.harness_python",
    "code_tests": "rft_kit.sandbox.harness_tests",
    "exec": "rft_kit.sandbox.harness_exec",
    "sql": "rft_kit.sandbox.harness_sql",
}
"""Harness name -> module with ``main(ctx)``. Only these modules can run; the request names one, never code."""

RESULT_FD = 3
CONTROL_FD = 4  # the runner's job announcements
ZYGOTE_FD = 5  # the runner's end of the candidate pool's socket
ACK = b"\x01"
_RESULT_CAP = 16 << 20
_TAIL = 4096


class JobContext:
    """What a harness gets in the job child: the payload, the privilege drop and the result channel."""

    def __init__(self, payload_len: int, uid: int, gid: int, seccomp: bytes | None, limits: dict[str, Any]) -> None:
        self._payload_len = payload_len
        self.uid = uid
        self.gid = gid
        self.seccomp = seccomp
        self.limits = limits
        self._emitted = False
        self.uid_dropped = False

    def read_payload(self) -> Any:
        """Read this job's payload from stdin (once), acknowledge it, and detach stdin from the server's stream."""
        data = read_exact(0, self._payload_len)
        os.write(RESULT_FD, ACK)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        return json.loads(data)

    def drop_privileges(self, seccomp: bool = True) -> None:
        """Become the job uid, set no-new-privs and non-dumpable, load seccomp if enabled (and ``seccomp``).

        The trusted test runner passes ``seccomp=False``: it never runs candidate code, and the filter costs
        time per job.
        """
        self.uid_dropped = os.getuid() == 0
        privileges.drop_privileges(self.uid, self.gid, self.seccomp if seccomp else None)
        if self.seccomp is None:
            clear_keyrings()  # keyrings are per uid: without the filter, a previous job's keys would still be there

    def emit(self, value: Any) -> None:
        """Send the harness's result (a JSON value) to the server; only the first call counts."""
        if self._emitted:
            return
        self._emitted = True
        data = compact_json(value).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(RESULT_FD, view) :]
        os.close(RESULT_FD)


class _Job:
    """Server-side state of the job being run."""

    def __init__(self, header: dict[str, Any], workdir: str) -> None:
        self.header = header
        self.workdir = workdir


_RUNNER_JOBS = 500
"""A persistent runner is replaced after this many jobs."""
_RUNNER_LIMITS = {
    "cpu_s": 1 << 20,  # effectively none: it lives across jobs; each job's wall clock bounds it instead
    "memory_mb": 2048,
    "file_size_mb": 16,
    "open_files": 256,
    "processes": 64,
    "wall_s": 1,
    "output_bytes": 1,
}


class _RunnerProc:
    """The server's handle on the persistent test runner."""

    def __init__(self, pid: int, ctl: socket.socket, res_r: int, err_r: int) -> None:
        self.pid = pid
        self.ctl = ctl
        self.res_r = res_r
        self.err_r = err_r
        self.jobs = 0
        self.reaped = False


def _drain(fd: int, buf: bytearray, keep: int) -> int:
    """Read what is available from a non-blocking ``fd`` into ``buf`` (keeping at most ``keep`` bytes for text
    channels: a tail); returns the number of bytes read."""
    total = 0
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return total
        if not chunk:
            return total
        total += len(chunk)
        buf += chunk
        if keep == 2 * _TAIL and len(buf) > keep:
            del buf[:-_TAIL]
        elif len(buf) > keep:
            return total


def _tail(buf: bytearray) -> str:
    return bytes(buf[-_TAIL:]).decode("utf-8", "replace")


class Server:
    """One fork-server loop (see the module docstring)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.uid = int(config["uid"])
        self.gid = int(config["gid"])
        # the candidate pool's socket (candidates themselves live in the pool's own sandbox)
        self.zygote_fd = int(config["zygote_fd"]) if config.get("zygote_fd") is not None else None
        # the persistent test runner has a uid of its own: per-job children (the job uid) must not signal it
        self.runner_uid = int(config.get("runner_uid", self.uid))
        self.private_pids = bool(config["private_pids"])
        # the seccomp filter, compiled on the host (see rft_kit.sandbox.seccomp), or None
        self.seccomp = startup.seccomp_program(config)
        self.workroot = str(config["workroot"])
        self.counter = 0
        self.pid = os.getpid()
        self.runner: _RunnerProc | None = None
        self.retire: str | None = None  # why this server must not take another job
        os.makedirs(self.workroot, mode=0o755, exist_ok=True)
        # jobs must not be able to create POSIX message queues that outlive them (see rft_kit.sandbox.ipc)
        self.mq_sealed = os.getuid() == 0 and seal_posix_mq()
        for module in HARNESSES.values():
            importlib.import_module(module)
        self.preloaded, self.preload_errors = startup.preload(config.get("preload"))

    def hello(self) -> dict[str, Any]:
        """The ready frame: what this server found about its own environment."""
        return {
            "ready": True,
            "pid": self.pid,
            "root": os.getuid() == 0,
            "uid_drop": os.getuid() == 0,
            "job_uid": self.uid if os.getuid() == 0 else os.getuid(),
            "seccomp": self.seccomp is not None,
            "mq_sealed": self.mq_sealed,
            "preloaded": self.preloaded,
            "cpus": sorted(os.sched_getaffinity(0)),
            "preload_errors": self.preload_errors,
            "python": sys.version.split()[0],
            "net_interfaces": sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else None,
        }

    def serve(self) -> None:
        # Move everything imported so far to the permanent generation: a collection in a forked job then does not
        # touch (and copy-on-write) every page of the server's heap, which made each fork several ms dearer.
        gc.collect()
        gc.freeze()
        write_json(1, self.hello())
        while True:
            try:
                header = read_json(0, 1 << 20)
            except FrameError:
                return  # our process closed the pipe: shut down
            try:
                response, in_sync = self.run_job(header)
            except OSError as exc:
                # fork or pipe creation failed (pids cgroup full, fd exhaustion): the payload may still sit in our
                # stdin, so answer and let the pool start a fresh server
                response = {"id": header.get("id"), "status": "sandbox_error", "error": f"server: {exc!r}"}
                in_sync = False
            if not in_sync:
                response["server_exiting"] = "the request stream lost sync (a payload was not consumed)"
            elif self.retire:
                response["server_exiting"] = self.retire
            write_json(1, response)
            if not in_sync or self.retire:
                return

    # -- one job -------------------------------------------------------------------------------------------------
    def run_job(self, header: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        self.counter += 1
        limits: dict[str, Any] = header["limits"]
        harness = header["harness"]
        if harness not in HARNESSES:
            # the payload is still in the pipe: we cannot resync, so answer and restart
            return {"id": header.get("id"), "status": "sandbox_error", "error": f"unknown harness {harness!r}"}, False
        module = sys.modules[HARNESSES[harness]]
        if getattr(module, "CANDIDATES", False):
            return self._run_with_runner(header, module)
        workdir = os.path.join(self.workroot, f"job{self.counter}")
        os.mkdir(workdir)
        if os.getuid() == 0:
            os.chown(workdir, self.uid, self.gid)
        os.chmod(workdir, 0o770)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        res_r, res_w = os.pipe()
        job = _Job(header, workdir)
        start = time.monotonic()
        runner_fds: dict[int, int] = {1: out_w, 2: err_w, RESULT_FD: res_w}
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the forked child
            self._child(job, module, runner_fds)
        for fd in runner_fds.values():
            os.close(fd)
        forked = time.monotonic()
        try:
            outcome = self._supervise(pid, job, limits, out_r, err_r, res_r, start)
        finally:
            ran = time.monotonic()
            for fd in (out_r, err_r, res_r):
                os.close(fd)
            self._cleanup(pid, workdir)
        end = time.monotonic()
        outcome["id"] = header.get("id")
        outcome["duration_ms"] = (end - start) * 1000.0
        outcome["server_cpu_s"] = self._cpu_seconds()
        outcome["phases_ms"] = {
            "fork": round((forked - start) * 1000.0, 3),
            "run": round((ran - forked) * 1000.0, 3),
            "cleanup": round((end - ran) * 1000.0, 3),
        }
        return outcome, outcome.pop("in_sync")

    # -- jobs with a persistent test runner (code tests) ----------------------------------------------------------
    def _start_runner(self, module: Any) -> _RunnerProc:
        """Fork the persistent test runner: clean server memory, the runner uid, no seccomp (it runs trusted test
        code only), stdin shared with us (it reads each job's payload itself), a result pipe, a control socket and
        the candidate pool's socket."""
        ctl_srv, ctl_run = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        res_r, res_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the runner process
            code = 0
            try:
                ctl_srv.close()
                job = _Job({"limits": _RUNNER_LIMITS, "payload_len": 0}, self.workroot)
                fds = {1: err_w, 2: err_w, RESULT_FD: res_w, CONTROL_FD: ctl_run.fileno()}
                if self.zygote_fd is not None:
                    fds[ZYGOTE_FD] = self.zygote_fd
                self._enter_job(job, fds)
                module.runner_main(self._context(job, runner=True))
            except BaseException:
                code = 72
                with contextlib.suppress(BaseException):
                    traceback.print_exc()
            finally:
                os._exit(code)
        ctl_run.close()
        os.close(res_w)
        os.close(err_w)
        for fd in (res_r, err_r):
            os.set_blocking(fd, False)
        return _RunnerProc(pid, ctl_srv, res_r, err_r)

    def _stop_runner(self) -> None:
        runner, self.runner = self.runner, None
        if runner is None:
            return
        if not runner.reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(runner.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(runner.pid, 0)
        runner.ctl.close()
        os.close(runner.res_r)
        os.close(runner.err_r)

    def _end_candidates(self) -> None:
        """Tell the candidate pool to kill this job's candidates (the runner that would have said so is gone)."""
        if self.zygote_fd is not None:
            with contextlib.suppress(OSError):
                os.write(self.zygote_fd, b"E\0\0\0\0")

    def _run_with_runner(self, header: dict[str, Any], module: Any) -> tuple[dict[str, Any], bool]:
        """One code-tests job: announced to the persistent runner, which gets its candidates from the pool."""
        limits: dict[str, Any] = header["limits"]
        start = time.monotonic()
        if self.zygote_fd is None:
            return {"id": header.get("id"), "status": "sandbox_error", "error": "no candidate pool"}, False
        if self.runner is not None and self.runner.jobs >= _RUNNER_JOBS:
            self._stop_runner()  # retire it now and then: trusted test code may still leave state behind
        if self.runner is not None and os.waitpid(self.runner.pid, os.WNOHANG)[0] == self.runner.pid:
            self.runner.reaped = True
            self._stop_runner()  # it died between jobs (it should not: nothing else runs as its uid)
        if self.runner is None:
            self.runner = self._start_runner(module)
        runner = self.runner
        runner.jobs += 1
        message = json.dumps({"payload_len": int(header["payload_len"]), "limits": limits}).encode()
        try:
            runner.ctl.send(message)
            outcome = self._supervise_runner(runner, limits, start)
        except OSError as exc:
            outcome = {"status": "crashed", "error": f"the test runner is gone: {exc}", "in_sync": False}
            outcome.update(result=None, stdout="", stderr="", exit_code=None, signal=None)
        if self.runner is runner and outcome.get("status") != "ok":
            self._stop_runner()  # after a timeout or a crash the runner's state is unknown
            self._end_candidates()
        end = time.monotonic()
        outcome["id"] = header.get("id")
        outcome["duration_ms"] = (end - start) * 1000.0
        outcome["server_cpu_s"] = self._cpu_seconds()
        outcome["phases_ms"] = {"run": round((end - start) * 1000.0, 3)}
        return outcome, outcome.pop("in_sync")

    def _supervise_runner(self, runner: _RunnerProc, limits: dict[str, Any], start: float) -> dict[str, Any]:
        """Wait for the runner's result frame (ACK byte, 4-byte length, JSON)."""
        deadline = start + float(limits["wall_s"])
        cap = int(limits["output_bytes"])
        err = bytearray()
        res = bytearray()
        total_output = 0
        pidfd = os.pidfd_open(runner.pid)
        poller = select.poll()
        for fd in (runner.res_r, runner.err_r, pidfd):
            poller.register(fd, select.POLLIN)
        status = ""
        try:
            while not status:
                if len(res) >= 5 and len(res) >= 5 + int.from_bytes(res[1:5], "big"):
                    status = "ok"
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    status = "timeout"
                    break
                for fd, _ in poller.poll(remaining * 1000.0):
                    if fd == pidfd:
                        _drain(runner.res_r, res, _RESULT_CAP)
                        status = (
                            "ok" if len(res) >= 5 and len(res) >= 5 + int.from_bytes(res[1:5], "big") else "crashed"
                        )
                        break
                    if fd == runner.res_r:
                        _drain(fd, res, _RESULT_CAP)
                        if len(res) > _RESULT_CAP:
                            status = "sandbox_error"
                        continue
                    total_output += _drain(fd, err, 2 * _TAIL)
                    if total_output > cap:
                        status = "output_limit"
        finally:
            os.close(pidfd)
        in_sync = res[:1] == ACK
        result_text = ""
        if status == "ok":
            length = int.from_bytes(res[1:5], "big")
            result_text = bytes(res[5 : 5 + length]).decode("utf-8", "replace")
            in_sync = in_sync and len(res) == 5 + length
        return {
            "status": status,
            "result": result_text if status == "ok" else None,
            "stdout": "",
            "stderr": _tail(err),
            "exit_code": None,
            "signal": None,
            # the payload was consumed (ACK) and nothing unexpected followed the result
            "in_sync": in_sync,
        }

    def _cpu_seconds(self) -> float:
        """CPU time of this server, the job processes it reaped, and the live persistent runner (for benchmarks)."""
        total = _cpu_seconds()
        if self.runner is not None:
            with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{self.runner.pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def _context(self, job: _Job, runner: bool = False) -> JobContext:
        uid = self.runner_uid if runner else self.uid
        return JobContext(int(job.header["payload_len"]), uid, self.gid, self.seccomp, job.header["limits"])

    def _enter_job(self, job: _Job, fds: dict[int, int]) -> None:  # pragma: no cover - forked children
        """Common set-up of a job process: own session, exactly ``fds`` (target -> source) open, limits."""
        os.setsid()
        # Move sources out of the way first: a source may sit on another entry's target number.
        staged = {target: os.dup(source) for target, source in fds.items()}
        for target, tmp in staged.items():
            os.dup2(tmp, target)
        keep = set(fds) | {0}
        for fd in range(3, max(keep) + 1):
            if fd not in keep:
                with contextlib.suppress(OSError):
                    os.close(fd)
        # Everything else (the server's channels, other jobs' pipes) must not reach untrusted code.
        os.closerange(max(keep) + 1, 1 << 16)
        os.chdir(job.workdir)
        os.environ["HOME"] = job.workdir
        os.environ["TMPDIR"] = job.workdir
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        # If the worker's memory cgroup runs out, the kernel must kill a job process, never the server.
        with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
        privileges.apply_rlimits(job.header["limits"])

    def _child(self, job: _Job, module: Any, fds: dict[int, int]) -> None:  # pragma: no cover - forked child
        code = 0
        try:
            self._enter_job(job, fds)
            module.main(self._context(job))
        except BaseException:
            code = 70
            try:
                traceback.print_exc()
                sys.stderr.flush()
            except BaseException:
                pass
        finally:
            os._exit(code)

    def _supervise(
        self, pid: int, job: _Job, limits: dict[str, Any], out_r: int, err_r: int, res_r: int, start: float
    ) -> dict[str, Any]:
        deadline = start + float(limits["wall_s"])
        cap = int(limits["output_bytes"])
        out, err, res = bytearray(), bytearray(), bytearray()
        total_output = 0
        pidfd = os.pidfd_open(pid)
        poller = select.poll()
        bufs = {out_r: out, err_r: err, res_r: res}
        for fd in (out_r, err_r, res_r, pidfd):
            poller.register(fd, select.POLLIN)
        open_fds = {out_r, err_r, res_r}
        status = ""
        exited = False
        try:
            while not exited:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    status = "timeout"
                    break
                for fd, _ in poller.poll(remaining * 1000.0):
                    if fd == pidfd:
                        exited = True
                        continue
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        poller.unregister(fd)
                        open_fds.discard(fd)
                        continue
                    bufs[fd] += chunk
                    if fd != res_r:
                        total_output += len(chunk)
                        # keep only a tail: the cap bounds memory, the tail is what explains a failure
                        if len(bufs[fd]) > 2 * _TAIL:
                            del bufs[fd][:-_TAIL]
                    elif len(res) > _RESULT_CAP:
                        status = "sandbox_error"
                if total_output > cap:
                    status = "output_limit"
                if status:
                    break
            if exited:
                # The child is gone, but processes it forked may still hold the pipes: take what is there now.
                for fd in list(open_fds):
                    os.set_blocking(fd, False)
                    try:
                        while chunk := os.read(fd, 1 << 16):
                            bufs[fd] += chunk
                            if len(bufs[fd]) > _RESULT_CAP:
                                break
                    except BlockingIOError:
                        pass
        finally:
            os.close(pidfd)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        _, wstatus = os.waitpid(pid, 0)
        exit_code = os.waitstatus_to_exitcode(wstatus)
        sig = -exit_code if exit_code < 0 else None
        in_sync = res[:1] == ACK
        result_text = bytes(res[1:]).decode("utf-8", "replace") if in_sync else ""
        if not status:
            if result_text:
                status = "ok"
            elif sig == signal.SIGXCPU or (sig == signal.SIGKILL and "SIGXCPU" in _tail(err)):
                status = "timeout"
            elif "MemoryError" in _tail(err) or sig == signal.SIGKILL:
                status = "memory"
            else:
                status = "crashed"
        return {
            "status": status,
            "result": result_text if status == "ok" else None,
            "stdout": _tail(out),
            "stderr": _tail(err),
            "exit_code": exit_code if exit_code >= 0 else None,
            "signal": sig,
            "in_sync": in_sync,
        }

    def _cleanup(self, pid: int, workdir: str) -> None:
        """Kill whatever the job left behind (it may have escaped its session with setsid), wait until it is gone,
        then delete its files. The next job must not share the machine with a previous job's processes."""
        if self.private_pids and os.getuid() == 0 and self.runner is None:
            # In our own pid namespace, kill(-1) reaches every process but init and us, and it is atomic with
            # respect to fork (a process with a pending SIGKILL cannot fork), so nothing escapes.
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
            _reap()
            remove_sysv_ipc()
            if not self.mq_sealed:  # sealed, no job can have made one
                remove_posix_mq()
            self._remove_workdir(workdir)
            return
        # a persistent test runner lives in this namespace and must be spared: find the job's processes one by one
        deadline = time.monotonic() + 2.0
        while True:
            _reap()
            victims = self._leftovers()
            if not victims or time.monotonic() > deadline:
                break
            for victim in victims:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
            time.sleep(0.001)
        if self.private_pids:
            remove_sysv_ipc()  # our own IPC namespace: whatever is left there is the job's
            if not self.mq_sealed:
                remove_posix_mq()
        self._remove_workdir(workdir)

    def _remove_workdir(self, workdir: str) -> None:
        """Delete the job's directory within the wipe budget; a job that left more than that retires this server
        (the worker restarts with a fresh ``/tmp``), so that the next job pays nothing for it."""
        left = wipe(workdir)
        if left is None:
            with contextlib.suppress(OSError):
                os.rmdir(workdir)
        else:
            self.retire = f"the job left files its clean-up could not delete: {left}"

    def _leftovers(self) -> list[int]:
        """Live (non-zombie) processes of the job."""
        if self.private_pids:
            # our own pid namespace: everything except bwrap's init (1), us and the runner belongs to the job
            keep = {1, self.pid} | ({self.runner.pid} if self.runner is not None else set())
            pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep]
        elif os.getuid() == 0:
            pids = _pids_of_uid({self.uid})  # never the runner's
        else:
            return []
        return [p for p in pids if not _is_zombie(p)]


def _cpu_seconds() -> float:
    """CPU time of this server plus every job process it has reaped (for benchmarks)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return True  # gone
    # the state follows the parenthesised command name, which may itself contain ") "
    return stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] in (b"Z", b"X")


def _pids_of_uid(uids: set[int]) -> list[int]:
    """Processes whose real uid is one of ``uids`` (dedicated job uids)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Uid:"):
                        if int(line.split()[1]) in uids:
                            found.append(int(entry))
                        break
        except OSError:
            continue
    return found


def _reap() -> bool:
    """Collect zombie children; True while some children are still running (killed ones may take a moment)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def main(config_json: str) -> None:
    """Entry point: ``config_json`` carries uid, gid, workroot, preload, seccomp_bpf, zygote_fd and whether pids are
    private."""
    config = json.loads(config_json)
    startup.pin(config)
    Server(config).serve()
