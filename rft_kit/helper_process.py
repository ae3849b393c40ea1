"""Run a function in a helper process that can be killed when it overruns.

Libraries such as math-verify (SymPy) can spin for minutes on adversarial input and enforce timeouts with
``signal.alarm``, which only works on the main thread of the main interpreter. A persistent helper process is the
timeout that works everywhere: from any thread, inside worker processes and notebooks, and it really stops the
computation (the process is killed and a fresh one starts on the next call).

The helper is a plain ``python -m rft_kit.helper_process module:function`` subprocess speaking JSON lines over its
stdin/stdout (not ``multiprocessing``, whose spawn start method re-imports ``__main__`` and breaks under
``python -c``, stdin scripts and some notebooks).
"""

from __future__ import annotations

import importlib
import json
import os
import selectors
import subprocess
import sys
import threading
from typing import IO, Any

__all__ = ["KillableWorker", "WorkerCrashed"]

STARTUP_TIMEOUT_S = 120.0


class WorkerCrashed(RuntimeError):
    """The helper process died while running a call."""


class KillableWorker:
    """Call ``module:function`` in a persistent helper process with a per-call timeout.

    Arguments and results must be JSON values. Thread-safe (calls are serialised); pickles by target.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"target": self.target}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["target"])  # type: ignore[misc]

    def _start(self) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        self._proc = proc = subprocess.Popen(
            [sys.executable, "-m", "rft_kit.helper_process", self.target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert proc.stdout is not None
        # Imports (SymPy is slow to import) must not eat into the first call's timeout: wait until the helper is ready.
        if _readline(proc.stdout, STARTUP_TIMEOUT_S) != b"ready\n":
            self._kill()
            raise WorkerCrashed(f"the helper process for {self.target} did not start")
        return proc

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=5)
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    stream.close()
        self._proc = None

    def call(self, *args: Any, timeout: float) -> Any:
        """Run the target with ``args``; the result, or ``TimeoutError`` / ``WorkerCrashed`` / ``RuntimeError``."""
        with self._lock:
            proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
            assert proc.stdin is not None
            assert proc.stdout is not None
            try:
                proc.stdin.write(json.dumps(list(args)).encode() + b"\n")
                proc.stdin.flush()
                line = _readline(proc.stdout, timeout)
            except (BrokenPipeError, OSError):
                self._kill()
                raise WorkerCrashed("the helper process died") from None
            if line is None:
                self._kill()
                raise TimeoutError(f"no answer within {timeout:g} s")
            if not line:
                self._kill()
                raise WorkerCrashed("the helper process died")
        status, value = json.loads(line)
        if status == "error":
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        with self._lock:
            self._kill()


def _readline(stream: IO[bytes], timeout: float) -> bytes | None:
    """One line from ``stream``, ``b""`` at EOF, ``None`` after ``timeout`` seconds."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None
    return stream.readline()


def _serve(target: str) -> None:
    module_name, _, name = target.partition(":")
    func = getattr(importlib.import_module(module_name), name)
    warm = getattr(importlib.import_module(module_name), "warm_up", None)
    if warm is not None:
        warm()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin.buffer:
        try:
            reply = ["ok", func(*json.loads(line))]
        except Exception as exc:  # the caller decides what an exception in the target means
            reply = ["error", f"{type(exc).__name__}: {exc}"]
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])
