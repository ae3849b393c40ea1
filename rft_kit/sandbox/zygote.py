"""The candidate pool: a pre-hardened process that forks one candidate process per program under test.

Each sandbox worker runs two bubblewrap sandboxes. The first holds the fork-server and the trusted test runner
(:mod:`rft_kit.sandbox.forkserver`); this module is the second: it runs as PID 1 of its own pid namespace, with its own
network, IPC and mount namespaces and a private ``/tmp``, and only ever forks candidates.

Why a process of its own, rather than forking candidates from the server:

* Hardening happens once, here, before any fork: no supplementary groups, no-new-privs, non-dumpable, the seccomp
  filter, the working directory and environment. A candidate inherits all of it; per fork only ``setsid``, the four
  fds, the switch to the candidate uid and the job's rlimits remain. On a VM page faults are expensive, and the
  per-process Python set-up (ctypes, seccomp, environment) faults in many pages per candidate (benchmarks/bench_code.py
  measures the throughput this buys).
* The pool itself stays root (with bubblewrap's reduced capabilities), so candidates, which run as the candidate uid,
  cannot signal, renice, ``prlimit`` or trace it. Its seccomp filter lets it (and so its children) call
  ``setresuid``/``setresgid`` with the candidate ids only.
* The server no longer forks per job, so it stops paying copy-on-write faults on its own heap after every job.
* As PID 1 of the namespace, ``kill(-1, SIGKILL)`` ends every candidate and everything they started, atomically
  with respect to fork, without scanning ``/proc``; orphans are reparented here and reaped. A candidate cannot signal
  this process (the kernel ignores signals to a namespace's init from inside unless it installed a handler) or trace
  it (seccomp, non-dumpable), and it runs nothing but this loop, so it holds no test, expected output or verdict.

Requests arrive on a ``SOCK_SEQPACKET`` socket (shared by the worker's server and its test runner); each is one
message: an op byte, a 4-byte sequence number, and for ``B`` the job's limits as JSON:

* ``B`` begin a job: kill what is left, empty the working directory, set the job's limits, fork a candidate;
* ``C`` fork another candidate for the current job;
* ``K`` kill every candidate (no reply);
* ``E`` end the job: kill every candidate and empty the working directory (no reply);
* ``W`` how did candidate ``pid`` (4 bytes) end: ``seq + b"S" + wait status`` (4 bytes, signed) once it has exited
  (waited for briefly: a process closes its files just before it becomes a zombie), ``seq + b"R"`` if it still runs.

A ``B`` whose JSON carries ``"grader": [names]`` (a hosted python grader's sample) first imports, once, those of the
modules python graders use (``grader_preload`` in the config, e.g. ``rapidfuzz``) that it names, so that the
candidates find them loaded; a pool never imports a module that is not in its config, and a pool that only ever runs
code tests (or graders that do not mention them) never holds them.

A fork is answered with ``seq + b"P" + pid`` carrying the candidate's control socket, stdout and stderr pipes as
``SCM_RIGHTS``; a failure with ``seq + b"F" + message``. The clean-up between jobs is bounded
(:mod:`rft_kit.sandbox.wipe`): if what a job left cannot be deleted within the budget, every later fork is answered
with ``seq + b"X" + reason`` and no job runs here any more: the runner reports the job as not run, and the client
replaces the whole worker (with its private ``/tmp``) and runs the job on the fresh one. So no file of one sample can
reach the next, and the next never pays for deleting them.
"""

from __future__ import annotations

import _socket
import array
import contextlib
import gc
import json
import os
import signal
import sys
import time
from resource import setrlimit

from . import candidate, codec, privileges, startup
from .frames import compact_json
from .ipc import clear_keyrings, remove_posix_mq, remove_sysv_ipc, seal_posix_mq
from .wipe import wipe

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing into every candidate (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

OP_BEGIN, OP_FORK, OP_KILL, OP_END, OP_WAIT = b"B", b"C", b"K", b"E", b"W"
REPLY_PID, REPLY_FAIL, REPLY_DIRTY, REPLY_STATUS, REPLY_RUNNING = b"P", b"F", b"X", b"S", b"R"
_EXIT_WAIT_S = 0.05
_PR_SET_CHILD_SUBREAPER = 36
_MAX_FD = 1 << 16


class Zygote:
    """The candidate pool of one worker (see the module docstring)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.ctl = _socket.socket(fileno=int(config["control_fd"]))
        self.uid = int(config["uid"])
        self.gid = int(config["gid"])
        self.workdir = str(config["workdir"])
        self.limits: dict[str, Any] = dict(config["limits"])
        self.rlimits = privileges.rlimits(self.limits)
        self.pid1 = os.getpid() == 1
        self.root = os.getuid() == 0
        self.seccomp = startup.seccomp_program(config)
        self.preloaded, self.preload_errors = startup.preload(config.get("preload"))
        self.grader_preload: list[str] = list(config.get("grader_preload") or ())
        self.grader_tried: set[str] = set()  # grader preloads imported (or tried) so far
        self.devnull = os.open(os.devnull, os.O_RDONLY)
        self.mq_sealed = False
        self.dirty: str | None = None  # why the working directory could not be emptied, once it could not

    def harden(self) -> None:
        """Make this process what every candidate inherits (see the module docstring); irreversible."""
        os.makedirs(self.workdir, mode=0o700, exist_ok=True)
        if self.root:
            os.chown(self.workdir, self.uid, self.gid)
            os.setgroups([])
            # candidates must not be able to create POSIX message queues that outlive them (rft_kit.sandbox.ipc)
            self.mq_sealed = seal_posix_mq()
        os.chmod(self.workdir, 0o700)
        if not self.pid1:
            # unisolated: orphans of candidates come to us, so that they can be found and killed
            privileges._libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        privileges.set_no_new_privs()
        privileges.set_dumpable(False)
        if self.seccomp:
            from .seccomp import install

            install(self.seccomp)
        os.chdir(self.workdir)
        # Set here once and inherited: only SIGPIPE's default matters to a candidate's own writes, and the pool itself
        # only writes to the runner's socket, whose other end lives as long as the worker does.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        # With every process of this sandbox at the same (maximal) score, the kernel's OOM killer picks the biggest:
        # a memory-hungry candidate, not the small pool.
        with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
        os.environ.clear()
        os.environ.update(HOME=self.workdir, TMPDIR=self.workdir, LANG="C.UTF-8", PATH="/usr/bin:/bin")

    def warm_up(self) -> None:
        """Run once what every candidate runs, so that lazily built interpreter state (the compiler's, json's, the
        codec's) exists before the first fork instead of being built, page by page, in each candidate."""
        namespace: dict[str, Any] = {}
        exec(compile("def f(x):\n    return [i * x for i in range(3)]\nv = f(2)", "warm.py", "exec"), namespace)
        json.loads(compact_json({"ok": codec.encode([1, "a", 2.5, None, (1,), {"k": {1, 2}}])}))
        codec.decode(codec.encode({"a": [1, 2.0, "x", b"y", None, True]}))
        try:
            raise ValueError("warm")
        except ValueError as exc:
            candidate.exc_info(exc)

    # -- candidates --------------------------------------------------------------------------------------------
    def fork_candidate(self) -> tuple[int, list[int]]:
        """Fork one candidate; returns its pid and the fds the runner gets (control socket, stdout, stderr)."""
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - candidate process
            code = 0
            try:
                os.setsid()
                # every source is >= 3 (0-2 stay open here): fd 3 is the only target that can be a source
                os.dup2(self.devnull, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                os.dup2(theirs.fileno(), 3)
                os.closerange(4, _MAX_FD)
                if self.root:
                    os.setresgid(self.gid, self.gid, self.gid)
                    os.setresuid(self.uid, self.uid, self.uid)  # the kernel makes us non-dumpable again here
                for kind, value in self.rlimits:
                    setrlimit(kind, value)
                if self.seccomp is None:
                    clear_keyrings()  # per uid, so shared by every candidate of this worker; seccomp refuses them
                candidate.serve(3)
            except BaseException:
                code = 71
            finally:
                os._exit(code)
        theirs.close()
        os.close(out_w)
        os.close(err_w)
        return pid, [ours.detach(), out_r, err_r]

    def kill_all(self) -> None:
        """Kill every candidate and everything they started, and reap them."""
        if self.pid1:
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)  # everyone in this pid namespace but us
        else:
            for _ in range(100):
                victims = self._descendants()
                if not victims:
                    break
                for pid in victims:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self._reap(block=False)
        self._reap(block=self.pid1)  # unisolated, a survivor (not ours to kill) must not hang the pool

    def _reap(self, block: bool) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def _descendants(self) -> list[int]:
        """Unisolated only: live processes that are ours to kill (candidate uid, or our children)."""
        me = os.getpid()
        dedicated = self.root  # the candidate uid is this sandbox's own: every process of it is a candidate
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                with open(f"/proc/{entry}/status", "rb") as fh:
                    status = fh.read()
            except OSError:
                continue
            fields = dict(line.split(b":", 1) for line in status.splitlines() if b":" in line)
            state = fields.get(b"State", b"").split()
            if state and state[0] in (b"Z", b"X"):
                continue
            uid = int(fields.get(b"Uid", b"-1 0").split()[0])
            ppid = int(fields.get(b"PPid", b"0").strip() or 0)
            if ppid == me or (dedicated and uid == self.uid):
                found.append(int(entry))
        return found

    def reset_workdir(self) -> str | None:
        """Empty the working directory (and this namespace's leftover IPC objects) within the wipe budget; returns
        ``None``, or why it could not be done (the pool then refuses further jobs: see :meth:`serve`)."""
        try:
            os.chmod(self.workdir, 0o700)
        except OSError as exc:
            return f"cannot reset {self.workdir}: {exc.strerror}"
        left = wipe(self.workdir)
        if not self.seccomp and (self.pid1 or self.root):  # never the objects of a user running us unisolated
            remove_sysv_ipc()
        if self.pid1 and not self.mq_sealed:  # sealed, no candidate can have made one
            remove_posix_mq()
        return left

    # -- the loop ----------------------------------------------------------------------------------------------
    def hello(self) -> dict[str, Any]:
        return {
            "ready": True,
            "pid1": self.pid1,
            "uid_drop": self.root,
            "candidate_uid": self.uid if self.root else os.getuid(),
            "seccomp": self.seccomp is not None,
            "mq_sealed": self.mq_sealed,
            "preloaded": self.preloaded,
            "cpus": sorted(os.sched_getaffinity(0)),
            "preload_errors": self.preload_errors,
        }

    def serve(self) -> None:
        self.warm_up()
        gc.collect()
        gc.freeze()  # a candidate's collections then never touch (and copy) the pool's objects
        sys.stdout.write(json.dumps(self.hello()) + "\n")
        sys.stdout.flush()
        clean = True  # no candidate has run since the working directory was last emptied
        limits_seen = b""
        while True:
            try:
                request = self.ctl.recv(1 << 16)
            except OSError:
                request = b""
            if len(request) < 5:
                self.kill_all()
                return  # the server and the runner are gone (or broke the protocol): the worker is ending
            op, seq = request[:1], request[1:5]
            # Every page this loop writes costs a fault after each fork, so it skips what is already done: after
            # an E (the usual end of a job) the next B finds nothing to kill or delete.
            if op == OP_KILL:
                self.kill_all()
            elif op in (OP_END, OP_BEGIN) and not clean:
                self.kill_all()
                self.dirty = self.dirty or self.reset_workdir()
                clean = True
            if op == OP_BEGIN and request[5:] != limits_seen:
                limits_seen = request[5:]
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    update = json.loads(limits_seen)
                    wanted = update.pop("grader", None)
                    if isinstance(wanted, list):
                        self.preload_graders(wanted)
                    self.limits.update(update)
                    self.rlimits = privileges.rlimits(self.limits)
            if op == OP_WAIT:
                self._answer_wait(seq, request[5:9])
                continue
            if op in (OP_BEGIN, OP_FORK):
                if self.dirty:
                    # what the last job left could not be cleared in time: no job runs here any more (the runner
                    # reports it, and the client replaces the whole worker and runs the job on a fresh one)
                    with contextlib.suppress(OSError):
                        self.ctl.send(seq + REPLY_DIRTY + self.dirty.encode()[:500])
                    continue
                clean = False
                self._answer_fork(seq)

    def preload_graders(self, wanted: list[Any]) -> None:
        """Import the configured grader preloads among ``wanted`` that are not imported yet (each once, before the
        first candidate of a grader that names it is forked)."""
        names = [m for m in self.grader_preload if m in wanted and m not in self.grader_tried]
        if not names:
            return
        self.grader_tried.update(names)
        loaded, errors = startup.preload(names)
        self.preloaded += loaded
        self.preload_errors.update(errors)
        gc.collect()
        gc.freeze()

    def _answer_wait(self, seq: bytes, body: bytes) -> None:
        """Reply how candidate ``body`` (a pid) ended, waiting briefly for it to become a zombie (a process closes its
        files, so the runner sees its socket close, just before it becomes one)."""
        pid = int.from_bytes(body, "big") if len(body) == 4 else 0
        reply = REPLY_RUNNING
        deadline = time.monotonic() + _EXIT_WAIT_S
        while pid > 0:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break  # not ours, or already reaped
            if done == pid:
                reply = REPLY_STATUS + status.to_bytes(4, "big", signed=True)
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.0005)
        with contextlib.suppress(OSError):
            self.ctl.send(seq + reply)

    def _answer_fork(self, seq: bytes) -> None:
        try:
            pid, fds = self.fork_candidate()
        except OSError as exc:  # e.g. the pids cgroup is full: this candidate fails, the pool lives on
            with contextlib.suppress(OSError):
                self.ctl.send(seq + REPLY_FAIL + str(exc).encode()[:500])
            return
        try:
            rights = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", fds))]
            self.ctl.sendmsg([seq + REPLY_PID + pid.to_bytes(4, "big")], rights)
        except OSError:
            pass
        finally:
            for fd in fds:
                os.close(fd)


def main(config_json: str) -> None:
    """Entry point: ``config_json`` carries control_fd, uid, gid, workdir, limits, seccomp_bpf and preload."""
    config = json.loads(config_json)
    startup.pin(config)
    zygote = Zygote(config)
    zygote.harden()
    zygote.serve()
