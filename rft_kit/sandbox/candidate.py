"""The candidate side of code tests: the loop that loads the untrusted program and answers the test runner.

It runs in a process forked by the candidate pool (:mod:`rft_kit.sandbox.zygote`) and nothing here is trusted: the
program can overwrite any of it, so the runner checks every reply (see :mod:`rft_kit.sandbox.harness_tests`). Imports
stay few and light, because every candidate process is forked from the pool and pays, in page faults, for what it
touches.

Requests (length-prefixed JSON on the control socket, fd 3)::

    {"op": "load", "code": str}                      -> {"ok": [callable top-level names]} | {"exc": info}
    {"op": "call", "name", "args", "kwargs"}          -> {"ok": encoded value} | {"exc": info}
    {"op": "stdio", "code": str, "input": str}        -> runs the program as __main__ with that stdin, closes
                                                         stdout, then {"exit": code, "exc": info | null}
    {"op": "grade", "source", "sample", "item"}      -> a hosted python grader call (:mod:`rft_kit.sandbox.grade_call`):
                                                         {"ok": true, "reward"} | {"ok": false, "error", "traceback"};
                                                         the process then ends (one sample per process)
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import sys
import types

from . import codec, grade_call
from .frames import write_json

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing into every candidate (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["exc_info", "serve"]


def exc_info(exc: BaseException) -> dict[str, str]:
    """An exception as plain data (type name and message); never raises. The runner reports only these, so the
    ``traceback`` module (and linecache, tokenize, ...) stays out of every candidate's memory."""
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable message>"
    return {"type": type(exc).__name__, "message": message[:2000]}


def serve(ctl: int) -> None:  # pragma: no cover - runs in candidate processes
    """Serve the runner's requests on ``ctl`` until it closes the channel or sends something unknown."""
    module: dict[str, Any] = {}
    pending = b""  # one read per request: the runner sends a request and waits for its answer
    while True:
        while len(pending) < 4 or len(pending) < 4 + int.from_bytes(pending[:4], "big"):
            chunk = os.read(ctl, 1 << 16)
            if not chunk:
                return
            pending += chunk
        end = 4 + int.from_bytes(pending[:4], "big")
        try:
            msg = json.loads(pending[4:end])
        except ValueError:
            return
        pending = pending[end:]
        op = msg.get("op")
        if op == "load":
            # a real module object, so that dataclasses, pickle & co. find the candidate's classes
            mod = types.ModuleType("__candidate__")
            sys.modules["__candidate__"] = mod
            module = mod.__dict__
            try:
                exec(compile(msg["code"], "solution.py", "exec"), module)
                names = sorted(k for k, v in module.items() if callable(v) and not k.startswith("__"))
                reply: dict[str, Any] = {"ok": names}
            except BaseException as exc:
                reply = {"exc": exc_info(exc)}
        elif op == "call":
            try:
                fn = module[msg["name"]]
                args = codec.decode(msg["args"])
                kwargs = codec.decode(msg["kwargs"])
                reply = {"ok": codec.encode(fn(*args, **kwargs))}
            except BaseException as exc:
                reply = {"exc": exc_info(exc)}
        elif op == "stdio":
            _run_stdio(ctl, msg)
            return
        elif op == "grade":
            _run_grade(ctl, msg)
            return
        else:
            return
        try:
            write_json(ctl, reply)
        except (ValueError, TypeError):  # e.g. NaN inside a message text: never, but do not hang the runner
            write_json(ctl, {"exc": {"type": "TypeError", "message": "unsendable reply", "traceback": ""}})


def _run_stdio(ctl: int, msg: dict[str, Any]) -> None:  # pragma: no cover - candidate process
    data = msg["input"].encode()
    memfd = os.memfd_create("stdin")
    os.write(memfd, data)
    os.lseek(memfd, 0, os.SEEK_SET)
    os.dup2(memfd, 0)
    os.close(memfd)
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
    exit_code: Any = 0
    info: dict[str, str] | None = None
    try:
        exec(compile(msg["code"], "solution.py", "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as exc:
        exit_code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:
        exit_code, info = 1, exc_info(exc)
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
    os.close(1)
    write_json(ctl, {"exit": exit_code, "exc": info})


def _run_grade(ctl: int, msg: dict[str, Any]) -> None:  # pragma: no cover - candidate process
    result = grade_call.run_grader(msg["source"], msg["sample"], msg["item"])
    for stream in (sys.stdout, sys.stderr):  # what grade() printed reaches the runner before the result does
        with contextlib.suppress(BaseException):
            stream.flush()
    try:
        write_json(ctl, result)
    except (ValueError, TypeError, UnicodeError):  # e.g. a lone surrogate in an exception message
        write_json(ctl, {"ok": False, "error": "grade() failed with an unprintable error", "traceback": ""})
