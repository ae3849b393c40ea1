"""Harness for code tests: a trusted runner executes the tests; the candidate program lives in a separate process.

Process layout of one worker (two bubblewrap sandboxes)::

    server sandbox:     fork-server ──forks once──> test runner (trusted, persistent): per job reads the payload,
                                                    runs the tests, asks the candidate pool for candidates
    candidate sandbox:  candidate pool (PID 1, pre-hardened) ──forks per request──> candidate: loads the program

* The runner is forked from the server's clean memory and lives across jobs (it runs as the runner uid, without
  seccomp: it only runs trusted test code). Each job's tests run in a fresh namespace and ``builtins`` is restored
  afterwards; the server replaces the runner after a timeout, a crash or a few hundred jobs. Keeping it saves a
  process start per sample.
* Candidates are forked by the candidate pool (:mod:`rft_kit.sandbox.zygote`) in a sandbox of their own, whose
  memory never holds a payload, so a candidate never has the tests or expected outputs in its memory and cannot
  see the runner's processes or files at all. Each has exactly stdin (/dev/null or the test input), stdout and stderr
  (pipes to the runner) and its control socket: it cannot reach the result channel.
* The runner executes the test code with the candidate's functions replaced by proxies. A call ships its arguments
  to the candidate and gets the return value back through :mod:`rft_kit.sandbox.codec`, rebuilt as fresh builtin
  values: no candidate object (with a forged ``__eq__``, say) ever exists in the runner, and monkeypatching, exiting,
  printing or tampering with ``sys.modules`` only changes the candidate process.
* Only new names get proxies: a candidate's top-level function that shadows a builtin (``def all(*a): return
  True``) or a name of the trusted prompt, setup or test code is ignored, so the tests keep their meaning.
* A per-test deadline covers every call a test makes; on a timeout or a dead candidate the runner has the pool kill
  every candidate process and starts a fresh candidate (re-loading the program) for the next test. Loading the
  program (running its top-level code) is charged to the test that needs it: the first test's window opens before
  the first load, and a test after a timeout or crash pays for the re-load in its own window. So a program never
  gets more than ``timeout_s`` per test in all (load time has no window of its own); a stdio case runs the whole
  program within its window anyway.

Limitation: arguments are copied, so a candidate that mutates an argument in place is not visible to the test.

Payload::

    {"format": "humaneval"|"asserts"|"stdio", "program": str, "timeout_s": float, "output_bytes": int,
     humaneval: "prompt", "test", "entry_point";  asserts: "setup", "tests": [str];
     stdio: "tests": [{"input": str, "output": str}], "compare": "tokens"|"exact"|"lines"}

Result: ``{"tests": [{"index", "status": passed|failed|timeout|error, "message"}], "load_error", "config_error",
"stderr": tail of what the candidates wrote to stderr}``.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import io
import json
import keyword
import os
import select
import socket
import time
import types
from collections.abc import Callable
from typing import Any

from . import codec
from .frames import compact_json
from .zygote import OP_BEGIN, OP_END, OP_FORK, OP_KILL, OP_WAIT, REPLY_DIRTY, REPLY_PID, REPLY_STATUS

__all__ = ["CANDIDATES", "compare_output", "runner_main"]

CANDIDATES = True
"""Tells the server to run this harness in its persistent test runner (see the module docstring)."""

_MSG = 300
_REPLY_LIMIT = 32 << 20
_STDERR_TAIL = 4096
_NO_KWARGS = codec.encode({})
_POOL_ANSWER_S = 5.0


def _clip(text: str, limit: int = _MSG) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------------------------------
# runner side (trusted)


class CandidateTimeout(BaseException):
    """The test's time ran out in a candidate call. A BaseException so test code's ``except Exception`` can't eat it."""


class CandidateDied(BaseException):
    """The candidate process exited, was killed, or broke the protocol."""


class CandidateError(Exception):
    """An exception raised by candidate code that trusted code must not see as itself: a type that is not a builtin
    exception, or a builtin whose meaning is control flow (see :data:`_CONTROL_FLOW`)."""


class CandidateRaised(Exception):
    """Base of every exception rebuilt from a candidate's report: a ``ValueError`` the candidate raised arrives as a
    subclass of both ``ValueError`` (tests may expect one) and this marker."""


_CONTROL_FLOW = frozenset({"StopIteration", "StopAsyncIteration"})
"""Builtin ``Exception`` types the interpreter itself treats as control flow: raised inside a trusted ``map()``,
``zip()``, ``iter(callable, sentinel)``, ``sorted()`` or ``async for``, they would end the loop silently and a failing
test would pass. A candidate's exception of such a type (or one merely named so) arrives as :class:`CandidateError`.
``BaseException``-only types (``GeneratorExit``, ``KeyboardInterrupt``, ``SystemExit``) are never re-raised as
themselves either."""

_REBUILT: dict[str, type[BaseException] | None] = {}


def _rebuilt_type(name: str) -> type[BaseException] | None:
    """The runner's own exception type for a candidate's builtin exception ``name`` (cached), or ``None`` when it must
    arrive as :class:`CandidateError`."""
    if name not in _REBUILT:
        builtin = getattr(builtins, name, None)
        kind: type[BaseException] | None = None
        if (
            isinstance(builtin, type)
            and issubclass(builtin, Exception)
            and name not in _CONTROL_FLOW
            and not issubclass(builtin, StopIteration | StopAsyncIteration)
        ):
            with contextlib.suppress(TypeError):  # a layout that cannot be combined: the plain wrapper then
                kind = type(name, (builtin, CandidateRaised), {"__module__": "candidate"})
        _REBUILT[name] = kind
    return _REBUILT[name]


def _rebuild_exception(info: Any) -> BaseException:
    """The exception a candidate reported, as trusted code may see it: never a control-flow type, never an object of
    the candidate's (only its type name and message cross the boundary)."""
    if not isinstance(info, dict):
        return CandidateDied("malformed exception report from the candidate")
    name = str(info.get("type", "Exception"))[:100]
    message = str(info.get("message", ""))[:2000]
    kind = _rebuilt_type(name)
    if kind is not None:
        with contextlib.suppress(Exception):
            return kind(message)
    return CandidateError(f"{name}: {message}")


class CandidateOutputLimit(BaseException):
    """The candidate printed more than the output cap."""


class PoolDirty(BaseException):
    """The candidate pool could not clear an earlier job's leftovers within its budget and refuses to fork: the job
    at hand has not started (its deadline had not started either), so it is reported as not run and the client runs
    it again on a fresh worker."""


class CandidatePool:
    """The runner's client of the candidate pool (:mod:`rft_kit.sandbox.zygote`), one job at a time.

    Every request carries a sequence number and replies with another number are dropped (with their fds): a reply
    meant for a runner that was replaced mid-request must not be taken for this runner's candidate.
    """

    def __init__(self, fd: int) -> None:
        self.channel = socket.socket(fileno=os.dup(fd))
        self.seq = int.from_bytes(os.urandom(4), "big")
        self.pending: int | None = None  # seq of a fork requested but not yet received
        self.stderr_tail = bytearray()  # what this job's candidates wrote to stderr (the end of it)
        self.broken: str | None = None  # the pool itself failed: the job's outcome says nothing about the program
        self.dirty: str | None = None  # the pool could not clear an earlier job's leftovers: no job runs there now
        self.started = False  # the current job got its first candidate (before that, a failure is not the job's)
        self.stuck = False  # the pool is alive but stopped answering (a malfunction to report, not to retry)

    def _send(self, op: bytes, body: bytes = b"") -> int:
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        try:
            self.channel.send(op + self.seq.to_bytes(4, "big") + body)
        except OSError as exc:
            self.broken = f"the candidate pool is gone ({exc.strerror})"
            raise CandidateDied(self.broken) from None
        return self.seq

    def begin(self, limits: dict[str, Any], preload: list[str] | None = None) -> None:
        """Start a job: the pool clears the last one's leftovers and forks the first candidate right away, while we
        compile the tests. ``preload``: a hosted python grader's sample, and the grader preloads its source names
        (the pool imports those it is configured with, once)."""
        self.stderr_tail.clear()
        self.started = False
        body = limits if preload is None else {**limits, "grader": preload}
        self.pending = self._send(OP_BEGIN, json.dumps(body).encode())

    def wait_status(self, pid: int) -> int | None:
        """How candidate ``pid`` ended (a wait status), or ``None`` if it is still running or unknown."""
        seq = self._send(OP_WAIT, pid.to_bytes(4, "big"))
        msg = self._reply(seq)
        if msg[4:5] == REPLY_STATUS and len(msg) == 9:
            return int.from_bytes(msg[5:9], "big", signed=True)
        return None

    def _reply(self, seq: int) -> bytes:
        """The pool's reply to request ``seq`` (replies to other requests are dropped, with their fds)."""
        deadline = time.monotonic() + _POOL_ANSWER_S
        while True:
            if not select.select([self.channel], [], [], max(0.0, deadline - time.monotonic()))[0]:
                self.broken = f"the candidate pool did not answer within {_POOL_ANSWER_S:g} s"
                self.stuck = True
                raise CandidateDied(self.broken)
            try:
                msg, fds, _, _ = socket.recv_fds(self.channel, 1024, 3)
            except OSError as exc:
                self.broken = f"the candidate pool is gone ({exc})"
                raise CandidateDied(self.broken) from None
            for fd in fds:
                os.close(fd)
            if not msg:
                self.broken = "the candidate pool is gone"
                raise CandidateDied(self.broken)
            if int.from_bytes(msg[:4], "big") == seq:
                return msg

    def end(self) -> None:
        """The job is over: every candidate dies and the working directory is emptied (no reply)."""
        self.pending = None
        self._send(OP_END)

    def kill_all(self) -> None:
        self._send(OP_KILL)

    def fork(self, output_cap: int) -> Candidate:
        """A fresh candidate process (the one :meth:`begin` asked for, if it is still unused)."""
        seq = self.pending if self.pending is not None else self._send(OP_FORK)
        self.pending = None
        deadline = time.monotonic() + _POOL_ANSWER_S
        while True:
            # A fork takes milliseconds; a pool that does not answer is broken (that is not the program's fault)
            if not select.select([self.channel], [], [], max(0.0, deadline - time.monotonic()))[0]:
                self.broken = f"the candidate pool did not answer within {_POOL_ANSWER_S:g} s"
                self.stuck = True
                raise CandidateDied(self.broken)
            try:
                msg, fds, _, _ = socket.recv_fds(self.channel, 1024, 3)
            except OSError as exc:
                self.broken = f"the candidate pool is gone ({exc})"
                raise CandidateDied(self.broken) from None
            if not msg:
                self.broken = "the candidate pool is gone"
                raise CandidateDied(self.broken)
            if int.from_bytes(msg[:4], "big") == seq and msg[4:5] == REPLY_PID and len(fds) == 3 and len(msg) == 9:
                self.started = True
                return Candidate(int.from_bytes(msg[5:9], "big"), fds[0], fds[1], fds[2], self, output_cap)
            for fd in fds:
                os.close(fd)
            if int.from_bytes(msg[:4], "big") == seq and msg[4:5] == REPLY_DIRTY:
                self.dirty = msg[5:].decode("utf-8", "replace")
                raise PoolDirty(self.dirty)
            if int.from_bytes(msg[:4], "big") == seq:
                detail = msg[5:].decode("utf-8", "replace")
                raise CandidateDied(f"could not start a candidate process: {detail or 'malformed reply'}")


class Candidate:
    """The runner's handle on one candidate process: its control socket and its stdout and stderr pipes."""

    def __init__(self, pid: int, ctl: int, out: int, err: int, pool: CandidatePool, output_cap: int) -> None:
        self.pid = pid
        self.ctl = ctl
        self.out = out
        self.err = err
        self.pool = pool
        self.output_cap = output_cap
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.open_outputs = {out, err}
        self.alive = True
        for fd in (ctl, out, err):
            os.set_blocking(fd, False)
        # one poll set for the candidate's life; the control socket is watched for POLLOUT only while a send waits
        self.poller = select.poll()
        for fd in (ctl, out, err):
            self.poller.register(fd, select.POLLIN)

    def _wait(self, deadline: float) -> bool:
        """Wait until the control socket is ready (True) or the candidate's output needs draining (False); raise
        :class:`CandidateTimeout` at the deadline. Output is drained here, so the candidate never blocks on a pipe."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CandidateTimeout
        # ceil: a 0.4 ms remainder must not become a 0 ms (non-blocking) poll that spins
        ready = self.poller.poll(max(1, int(remaining * 1000.0 + 0.999)))
        if not ready:
            raise CandidateTimeout
        ctl_ready = False
        for fd, _ in ready:
            if fd == self.ctl:
                ctl_ready = True
            else:
                self._drain(fd)
        return ctl_ready

    def _drain(self, fd: int) -> None:
        """Move what the candidate wrote to stdout or stderr into our buffer, so that it never blocks on a full pipe;
        both count against the output cap."""
        buf = self.stdout if fd == self.out else self.stderr
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                if fd in self.open_outputs:
                    self.open_outputs.discard(fd)
                    self.poller.unregister(fd)
                return
            buf += chunk
            if len(self.stdout) + len(self.stderr) > self.output_cap:
                raise CandidateOutputLimit

    @property
    def stdout_eof(self) -> bool:
        return self.out not in self.open_outputs

    def send(self, msg: dict[str, Any], deadline: float) -> None:
        data = compact_json(msg).encode()
        view = memoryview(len(data).to_bytes(4, "big") + data)
        while view:
            try:
                view = view[os.write(self.ctl, view) :]  # mostly all at once: the socket buffer is empty
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                raise CandidateDied(f"candidate process is gone ({exc.strerror})") from None
            self.poller.modify(self.ctl, select.POLLOUT)
            try:
                while not self._wait(deadline):
                    pass
            finally:
                self.poller.modify(self.ctl, select.POLLIN)

    def recv(self, deadline: float, until_stdout_eof: bool = False) -> dict[str, Any]:
        """One reply frame (and, for stdio runs, everything printed until stdout closes)."""
        buf = bytearray()
        length = -1
        while length < 0 or len(buf) < 4 + length:
            if not self._wait(deadline):
                continue
            try:
                chunk = os.read(self.ctl, 1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                if until_stdout_eof:
                    break  # ended without its report: the caller decides what the output alone is worth
                raise CandidateDied("candidate process exited")
            buf += chunk
            if length < 0 and len(buf) >= 4:
                length = int.from_bytes(buf[:4], "big")
                if length > _REPLY_LIMIT:
                    raise CandidateDied(f"candidate sent a {length}-byte reply (limit {_REPLY_LIMIT})")
        if until_stdout_eof:
            self.poller.unregister(self.ctl)
            while not self.stdout_eof:
                self._wait(deadline)
        if length < 0 or len(buf) < 4 + length:
            raise CandidateDied("candidate process exited")
        if len(buf) != 4 + length:
            raise CandidateDied("candidate sent data after its reply")
        try:
            reply = json.loads(bytes(buf[4:]))
        except (ValueError, RecursionError):
            raise CandidateDied("candidate sent a malformed reply") from None
        if not isinstance(reply, dict):
            raise CandidateDied("candidate sent a malformed reply")
        return reply

    def request(self, msg: dict[str, Any], deadline: float) -> dict[str, Any]:
        try:
            self.send(msg, deadline)
            return self.recv(deadline)
        except BaseException:
            self.kill()
            raise

    def kill(self, final: bool = False) -> None:
        """Kill the candidate and everything it started (it may have left its process group).

        ``final``: the job is over and the pool kills every candidate anyway; skip the request.
        """
        if not self.alive:
            return
        self.alive = False
        # The candidate runs as another uid in another pid namespace: the pool kills it (and everything it forked)
        # for us. Requests are served in order, so a fresh candidate asked for next is never caught by this sweep.
        if not final:
            with contextlib.suppress(CandidateDied):
                self.pool.kill_all()
        with contextlib.suppress(CandidateOutputLimit):
            self._drain(self.err)
        tail = self.pool.stderr_tail
        tail += self.stderr[-_STDERR_TAIL:]
        del tail[:-_STDERR_TAIL]
        for fd in (self.ctl, self.out, self.err):
            if fd >= 0:
                os.close(fd)
        self.ctl = self.out = self.err = -1


class Runner:
    """Runs one payload's tests against a candidate program and collects per-test outcomes."""

    def __init__(self, payload: dict[str, Any], pool: CandidatePool) -> None:
        self.p = payload
        self.pool = pool
        self.timeout = float(payload.get("timeout_s", 5.0))
        self.output_cap = int(payload.get("output_bytes", 1 << 20))
        self.candidate: Candidate | None = None
        self.loaded = False  # the live candidate has loaded the program
        self.names: list[str] = []
        self.load_error: str | None = None
        self.deadline = 0.0
        self.first_window: float | None = None  # the deadline the first load opened, for the first test to inherit
        self.fault: BaseException | None = None  # a timeout/crash seen during the current test

    # -- candidate management ----------------------------------------------------------------------------------
    def _new_candidate(self) -> Candidate:
        return self.pool.fork(self.output_cap)

    def _ensure_loaded(self) -> None:
        """A live candidate with the program loaded, or raise (and remember why, so we do not retry forever)."""
        if self.load_error is not None:
            raise CandidateDied(self.load_error)
        if self.candidate is not None and self.candidate.alive:
            if self.loaded:
                return
        else:
            self.candidate = self._new_candidate()
            self.loaded = False
        try:
            reply = self.candidate.request({"op": "load", "code": self.p["program"]}, self.deadline)
        except CandidateTimeout:
            self.load_error = "the program did not finish loading within the time limit"
            raise
        except CandidateDied as exc:
            self.load_error = f"the program died while loading: {exc}"
            raise
        if "exc" in reply:
            info = reply["exc"] if isinstance(reply["exc"], dict) else {}
            self.load_error = _clip(f"loading the program raised {info.get('type')}: {info.get('message')}")
            self.candidate.kill()
            raise CandidateDied(self.load_error)
        names = reply.get("ok")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            self.candidate.kill()
            self.load_error = "the candidate sent a malformed load reply"
            raise CandidateDied(self.load_error)
        self.names = names
        self.loaded = True

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """What a proxy does: run ``name(*args, **kwargs)`` in the candidate and rebuild the return value."""
        try:
            return self._call(name, args, kwargs)
        except (CandidateTimeout, CandidateDied, CandidateOutputLimit) as fault:
            # remembered: test code with a bare ``except:`` must not turn a timeout or a crash into a pass
            self.fault = self.fault or fault
            raise

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._ensure_loaded()
        assert self.candidate is not None
        encoded_kwargs = codec.encode(dict(kwargs)) if kwargs else _NO_KWARGS
        msg = {"op": "call", "name": name, "args": codec.encode(list(args)), "kwargs": encoded_kwargs}
        reply = self.candidate.request(msg, self.deadline)
        if "exc" in reply:
            raise _rebuild_exception(reply["exc"])
        if "ok" not in reply:
            self.candidate.kill()
            raise CandidateDied("malformed reply from the candidate")
        try:
            return codec.decode(reply["ok"], self.deadline)
        except codec.DecodeTimeout:
            self.candidate.kill()
            raise CandidateTimeout from None
        except codec.DecodeError as exc:
            self.candidate.kill()
            raise CandidateDied(f"the candidate sent an invalid value: {exc}") from None

    def _install_proxies(self, ns: dict[str, Any], trusted: set[str]) -> None:
        """Proxies for the candidate's top-level callables, except names the tests rely on being trusted.

        A candidate must not replace a builtin (``def all(*a): return True``), a helper of the prompt, setup or test
        code, or a dunder: those names keep their trusted meaning, and only new names reach the candidate.
        """
        for name in self.names:
            if (
                not name.isidentifier()
                or keyword.iskeyword(name)
                or name.startswith("__")
                or name in trusted
                or hasattr(builtins, name)
            ):
                continue
            ns[name] = self.proxy(name)

    def proxy(self, name: str) -> Callable[..., Any]:
        def call_candidate(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, args, kwargs)

        call_candidate.__name__ = call_candidate.__qualname__ = name
        return call_candidate

    # -- running tests -----------------------------------------------------------------------------------------
    def _outcome(self, index: int, fn: Callable[[], None], label: str) -> dict[str, Any]:
        # the first step inherits the window the program's load opened: loading gets no time of its own
        self.deadline, self.first_window = self.first_window or time.monotonic() + self.timeout, None
        self.fault = None
        try:
            fn()
            outcome = {"index": index, "status": "passed", "message": ""}
        except AssertionError as exc:
            detail = f": {exc}" if str(exc) else ""
            outcome = {"index": index, "status": "failed", "message": _clip(f"assertion failed: {label}{detail}")}
        except (CandidateTimeout, CandidateOutputLimit, CandidateDied) as fault:
            self.fault = fault
            outcome = {}
        except Exception as exc:
            outcome = {"index": index, "status": "error", "message": _clip(f"{type(exc).__name__}: {exc}")}
        if isinstance(self.fault, CandidateTimeout):
            return {"index": index, "status": "timeout", "message": f"no result within {self.timeout:g} s"}
        if isinstance(self.fault, CandidateOutputLimit):
            return {"index": index, "status": "failed", "message": f"output over {self.output_cap} bytes"}
        if isinstance(self.fault, CandidateDied):
            return {"index": index, "status": "error", "message": _clip(str(self.fault))}
        return outcome

    def _namespace(self, trusted_code: str) -> dict[str, Any]:
        """Test namespace: trusted code first (prompt helpers, setup), then proxies for the candidate's callables."""
        ns: dict[str, Any] = {"__name__": "__test__", "__builtins__": builtins}
        if trusted_code:
            exec(_compiled(trusted_code, "<setup>"), ns)
        return ns

    def run(self) -> dict[str, Any]:
        fmt = self.p["format"]
        try:
            if fmt == "stdio":
                tests = self._run_stdio()
            elif fmt == "humaneval":
                tests = self._run_humaneval()
            elif fmt == "asserts":
                tests = self._run_asserts()
            else:
                return {"tests": [], "config_error": f"unknown format {fmt!r}", "load_error": None}
        except _ConfigProblem as exc:
            return {"tests": [], "config_error": str(exc), "load_error": None}
        finally:
            if self.candidate is not None:
                self.candidate.kill(final=True)
        stderr = bytes(self.pool.stderr_tail).decode("utf-8", "replace")
        return {"tests": tests, "load_error": self.load_error, "config_error": None, "stderr": stderr}

    def _load_first(self) -> None:
        """Load the program before the tests (their proxies need its names), in the first test's window. The window
        opens once the first candidate exists: the pool forks it after clearing the previous job's leftovers, which
        is not this job's time."""
        try:
            self.candidate, self.loaded = self._new_candidate(), False
            self.deadline = self.first_window = time.monotonic() + self.timeout
            self._ensure_loaded()
        except (CandidateTimeout, CandidateDied):
            if self.load_error is None:
                self.load_error = "the program could not be loaded"

    def _failed_all(self, count: int, status: str) -> list[dict[str, Any]]:
        return [{"index": i, "status": status, "message": _clip(self.load_error or "")} for i in range(count)]

    def _run_asserts(self) -> list[dict[str, Any]]:
        tests = self.p["tests"]
        try:
            compiled = [_compiled(t, f"<test {i}>") for i, t in enumerate(tests)]
            ns = self._namespace(self.p.get("setup") or "")
        except Exception as exc:
            raise _ConfigProblem(f"the test code does not run: {type(exc).__name__}: {exc}") from None
        self._load_first()
        if self.load_error is not None:
            return self._failed_all(len(tests), "timeout" if "time limit" in self.load_error else "error")
        self._install_proxies(ns, set(ns))
        return [
            self._outcome(i, functools.partial(exec, code, ns), _clip(src, 200))
            for i, (code, src) in enumerate(zip(compiled, tests, strict=True))
        ]

    def _run_humaneval(self) -> list[dict[str, Any]]:
        entry = self.p["entry_point"]
        try:
            try:
                ns = self._namespace(self.p.get("prompt") or "")
            except Exception:
                ns = self._namespace("")  # a prompt that is not runnable on its own: no trusted helpers then
            test_src = self.p["test"]
            exec(_compiled(test_src, "<test>"), ns)
            trusted = set(ns)
        except Exception as exc:
            raise _ConfigProblem(f"the test code does not run: {type(exc).__name__}: {exc}") from None
        check = ns.get("check")
        if not callable(check):
            raise _ConfigProblem("the test code does not define check(candidate)")
        steps = _split_check(test_src)
        count = sum(1 for s in steps if s[2]) if steps else 1
        self._load_first()
        if self.load_error is None and entry not in self.names:
            self.load_error = f"the program does not define {entry}()"
        if self.load_error is not None:
            return self._failed_all(count, "timeout" if "time limit" in self.load_error else "error")
        self._install_proxies(ns, trusted)
        # the function under test is named by the (trusted) config: it always goes to the candidate, replacing the
        # prompt's stub
        entry_proxy = ns[entry] = self.proxy(entry)
        if steps is None:
            return [self._outcome(0, lambda: check(entry_proxy), "check(candidate)")]
        arg, body = steps[0][3], steps
        local = dict(ns)
        local[arg] = entry_proxy
        results: list[dict[str, Any]] = []
        setup_failure: dict[str, Any] | None = None
        index = 0
        for code, label, is_test, _ in body:
            if not is_test:
                if setup_failure is None:
                    outcome = self._outcome(-1, functools.partial(exec, code, local), label)
                    if outcome["status"] != "passed":
                        setup_failure = outcome
                continue
            if setup_failure is not None:
                results.append(
                    {**setup_failure, "index": index, "message": _clip(f"setup failed: {setup_failure['message']}")}
                )
            else:
                results.append(self._outcome(index, functools.partial(exec, code, local), label))
            index += 1
        return results

    def _run_stdio(self) -> list[dict[str, Any]]:
        tests = self.p["tests"]
        compare = self.p.get("compare", "tokens")
        results = []
        for i, case in enumerate(tests):
            results.append(self._stdio_case(i, case["input"], case["output"], compare))
        return results

    def _stdio_case(self, index: int, stdin: str, expected: str, compare: str) -> dict[str, Any]:
        try:
            cand = self._new_candidate()
        except CandidateDied as exc:
            return {"index": index, "status": "error", "message": _clip(str(exc))}
        deadline = time.monotonic() + self.timeout  # from the fork on: the pool's clean-up before it is not ours
        try:
            cand.send({"op": "stdio", "code": self.p["program"], "input": stdin}, deadline)
            try:
                report = cand.recv(deadline, until_stdout_eof=True)
            except CandidateDied:
                # ended without its report (os._exit, a signal): the output alone decides, as on most judges
                report = {"exit": 0, "exc": None}
        except CandidateTimeout:
            return {"index": index, "status": "timeout", "message": f"no result within {self.timeout:g} s"}
        except CandidateOutputLimit:
            return {"index": index, "status": "failed", "message": f"output over {self.output_cap} bytes"}
        except CandidateDied as exc:
            return {"index": index, "status": "error", "message": _clip(str(exc))}
        finally:
            cand.kill()
        crash = report.get("exc")
        if crash or report.get("exit") != 0:
            info = crash if isinstance(crash, dict) else {}
            what = f"{info.get('type')}: {info.get('message')}" if info else f"exit code {report.get('exit')}"
            return {"index": index, "status": "error", "message": _clip(f"runtime error: {what}")}
        text = cand.stdout.decode("utf-8", "replace")
        if compare_output(text, expected, compare):
            return {"index": index, "status": "passed", "message": ""}
        return {
            "index": index,
            "status": "failed",
            "message": _clip(f"wrong answer: got {text[:120]!r}, expected {expected[:120]!r}"),
        }


class _ConfigProblem(Exception):
    """The item's tests themselves are unusable (a dataset problem, not the candidate's fault)."""


@functools.lru_cache(maxsize=512)
def _compiled(source: str, filename: str) -> types.CodeType:
    """Compiled trusted code (prompts, tests, setup). The runner lives across jobs and RFT grades every item many
    times, so most jobs skip compiling their tests."""
    return compile(source, filename, "exec", dont_inherit=True)


@functools.lru_cache(maxsize=512)
def _split_check(source: str) -> list[tuple[Any, str, bool, str]] | None:
    """Top-level statements of ``check``'s body as ``(code, label, contains_assert, argname)``, or ``None`` if it
    cannot be split (then the whole ``check(candidate)`` call is one test). Cached like :func:`_compiled`."""
    tree = ast.parse(source)
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if fn is None or len(fn.args.args) != 1:
        return None
    arg = fn.args.args[0].arg
    steps = []
    # split once: ast.get_source_segment splits the whole source again for every statement (quadratic; it was
    # the runner's biggest cost on a HumanEval item seen for the first time)
    # (only \n, \r and \r\n end lines for the parser: not str.splitlines, which also splits at \f, \x1c, \u2028, ...)
    lines = [line.encode() for line in io.StringIO(source, newline="").readlines()]
    try:
        for stmt in fn.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstring
            is_test = any(isinstance(n, ast.Assert) for n in ast.walk(stmt))
            code = compile(ast.Module(body=[stmt], type_ignores=[]), f"<test line {stmt.lineno}>", "exec")
            label = _segment(lines, stmt) or f"line {stmt.lineno}"
            steps.append((code, _clip(label, 200), is_test, arg))
    except SyntaxError:  # e.g. a bare `return` in check's body
        return None
    if not any(s[2] for s in steps):
        return None
    return steps


def _segment(lines: list[bytes], node: ast.stmt) -> str:
    """The source text of ``node`` (what ``ast.get_source_segment`` gives; offsets are UTF-8 byte offsets)."""
    end_lineno, end_col = node.end_lineno, node.end_col_offset
    if end_lineno is None or end_col is None or end_lineno > len(lines):
        return ""
    first, last = node.lineno - 1, end_lineno - 1
    if first == last:
        return lines[first][node.col_offset : end_col].decode("utf-8", "replace")
    parts = [lines[first][node.col_offset :], *lines[first + 1 : last], lines[last][:end_col]]
    return b"".join(parts).decode("utf-8", "replace")


def compare_output(got: str, expected: str, mode: str) -> bool:
    """Judge-style output comparison: ``tokens`` (whitespace-separated tokens equal), ``exact``, or ``lines``
    (each line right-stripped, trailing blank lines ignored)."""
    if mode == "exact":
        return got == expected
    if mode == "lines":

        def norm(text: str) -> list[str]:
            lines = [line.rstrip() for line in text.splitlines()]
            while lines and not lines[-1]:
                lines.pop()
            return lines

        return norm(got) == norm(expected)
    return got.split() == expected.split()


def runner_main(ctx: Any) -> None:  # pragma: no cover - the persistent runner process
    """The persistent test runner: one job after another, as the server announces them.

    Per job the server sends (on the control socket) ``{"payload_len", "limits"}``; the runner reads the payload from
    stdin (the server's request stream, left there by the server), answers ``ACK`` on the result pipe at once, asks
    the candidate pool to begin the job, runs the tests, tells the pool the job is over, then writes a length-prefixed
    JSON result. Trusted test code runs in a fresh namespace per job, and ``builtins`` is restored after each; the
    server replaces the runner after a timeout, a crash, or a few hundred jobs. A payload of format
    ``python_grader`` is one hosted python grader sample (:func:`rft_kit.sandbox.harness_python.grade_in_pool`); a
    ``{"batch": [...], "shared": {...}}`` payload is a chunk of samples, run one after another.
    """
    from .forkserver import ACK, CONTROL_FD, RESULT_FD, ZYGOTE_FD
    from .frames import read_exact

    ctx.drop_privileges(seccomp=False)  # the runner never runs candidate code
    channel = socket.socket(fileno=os.dup(CONTROL_FD))
    pool = CandidatePool(ZYGOTE_FD)
    pristine = dict(builtins.__dict__)

    def run_one(payload: Any, limits: dict[str, Any]) -> dict[str, Any]:
        start = time.perf_counter()
        grader = isinstance(payload, dict) and payload.get("format") == "python_grader"
        try:
            preload = payload.get("preload") if grader else None
            pool.begin(limits, [str(m) for m in preload] if isinstance(preload, list) else [] if grader else None)
            if grader:
                from .harness_python import grade_in_pool  # imported by the server already: no cost here

                result = grade_in_pool(payload, pool)
            else:
                result = Runner(payload, pool).run()
        except CandidateDied:
            result = {}
        except PoolDirty as exc:
            result = {"not_run": str(exc)}
        except Exception as exc:  # a bug here must not take the runner down with a half-written result
            result = {"tests": [], "load_error": None, "config_error": f"internal runner error: {exc!r}"}
        finally:
            builtins.__dict__.clear()
            builtins.__dict__.update(pristine)
        with contextlib.suppress(CandidateDied):
            pool.end()
        result["ms"] = round((time.perf_counter() - start) * 1000.0, 3)
        return result

    while True:
        message = channel.recv(1 << 16)
        if not message:
            return  # the server closed the channel
        job = json.loads(message)
        payload = json.loads(read_exact(0, int(job["payload_len"])))
        os.write(RESULT_FD, ACK)
        batch = payload.get("batch") if isinstance(payload, dict) else None
        if isinstance(batch, list):
            # several samples, one after another; each still gets its own fresh candidates and working directory.
            # "shared" holds what every sample of the batch has in common (sent once: a python grader's source)
            shared = payload.get("shared")
            shared = shared if isinstance(shared, dict) else {}
            results = []
            for one in batch:
                outcome = run_one({**shared, **one} if shared and isinstance(one, dict) else one, job["limits"])
                if pool.broken or pool.dirty:
                    break  # this sample and the rest did not run: the client grades them on a fresh worker
                results.append(outcome)
            result: dict[str, Any] = {"batch": results}
        else:
            result = run_one(payload, job["limits"])
        if pool.broken:
            result = {"tests": [], "load_error": None, "config_error": None, "pool_error": pool.broken}
            if not isinstance(batch, list) and not pool.started and not pool.stuck:
                result["not_run"] = True  # the pool was gone before the job began: it runs again on a fresh worker
        elif pool.dirty:
            result["pool_dirty"] = pool.dirty
        body = compact_json(result).encode()
        view = memoryview(len(body).to_bytes(4, "big") + body)
        while view:
            view = view[os.write(RESULT_FD, view) :]
