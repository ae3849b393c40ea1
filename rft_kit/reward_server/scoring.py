"""Grade requests off the HTTP threads: a dispatcher merges queued requests into batches for worker processes.

CPU-bound graders run in a ``ProcessPoolExecutor`` (``spawn``: forking a threaded server is unsafe), each worker
rebuilding the grader from its config once. Under load, requests that queue up while a batch is being graded are
merged into the next batch, so process round-trips are paid per batch, not per request; at low load a request is sent
alone at once (there is no waiting window that would add latency). ``workers=0`` grades in the dispatcher thread.
A worker that dies (killed, out of memory) breaks the pool, which is rebuilt for the next batch. A merged batch that
fails (a dead worker, a request whose values cannot be sent to a worker) is split: each of its requests is graded
again alone, so only the request at fault fails.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from ..graders.base import Grader
from ..graders.loading import build_grader
from ..records import GradeResult

__all__ = ["Scorer", "result_payload"]

_WORKER_GRADER: Grader | None = None


def result_payload(result: GradeResult) -> dict[str, Any]:
    """The JSON answer for one graded pair: Azure's ``score`` plus ``status``, ``error`` and ``sub_rewards``."""
    return {
        "score": result.reward,
        "status": result.status,
        "error": None if result.error is None else result.error.to_dict(),
        "sub_rewards": dict(result.sub_rewards),
    }


def _init_worker(config: dict[str, Any]) -> None:
    global _WORKER_GRADER
    _WORKER_GRADER = build_grader(config)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="rft-parent-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # A killed server (SIGKILL, OOM) cannot shut its pool down; without this its workers would linger forever.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _grade(grader: Grader, samples: Sequence[Any], items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [result_payload(r) for r in grader.grade_batch(samples, items)]


def _grade_in_worker(samples: Sequence[Any], items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    assert _WORKER_GRADER is not None, "worker not initialised"
    return _grade(_WORKER_GRADER, samples, items)


def _warm() -> bool:
    return _WORKER_GRADER is not None


@dataclass
class _Job:
    samples: list[Any]
    items: list[Mapping[str, Any]]
    future: cf.Future[list[dict[str, Any]]] = field(default_factory=cf.Future)
    alone: bool = False  # retried on its own after a merged batch failed: never merged again


class Scorer:
    """Grades ``(samples, items)`` jobs; :meth:`submit` returns a future of one payload per pair.

    Args:
        grader: the grader (in-process use, and its config for the workers).
        workers: worker processes; ``0`` grades in a background thread of this process.
        max_batch: most pairs merged into one batch.
    """

    def __init__(self, grader: Grader, *, workers: int = 1, max_batch: int = 64) -> None:
        self.grader = grader
        self.workers = workers
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._pool: cf.ProcessPoolExecutor | None = None
        self._broken = False
        self.restarts = 0
        self.isolated = 0  # requests graded again alone after the merged batch they rode in failed
        # Bounded in-flight batches: one per worker, plus one queued so a worker never idles between batches.
        self._slots = threading.BoundedSemaphore(max(1, workers) * 2)
        if workers > 0:
            self._pool = self._start_pool()
        self._thread = threading.Thread(target=self._dispatch, name="rft-reward-dispatch", daemon=True)
        self._thread.start()

    def _start_pool(self) -> cf.ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        pool = cf.ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_init_worker, initargs=(self.grader.to_config(),)
        )
        # Start every worker now so the first requests do not pay for process start-up.
        for future in [pool.submit(_warm) for _ in range(self.workers * 2)]:
            future.result()
        return pool

    def _restart_pool(self) -> None:
        # A worker died (killed, out of memory): the executor is unusable from then on, so replace it whole.
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._start_pool()
        self._broken = False
        self.restarts += 1

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (empty in-process)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return [int(pid) for pid in processes]

    def submit(self, samples: list[Any], items: list[Mapping[str, Any]]) -> cf.Future[list[dict[str, Any]]]:
        """Queue one request's pairs."""
        job = _Job(samples, items)
        self._queue.put(job)
        return job.future

    def close(self) -> None:
        """Stop the dispatcher and the workers (idempotent)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _dispatch(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            size = len(first.samples)
            stop = False
            while size < self.max_batch and not first.alone:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                if nxt.alone:
                    self._run([nxt])
                    continue
                jobs.append(nxt)
                size += len(nxt.samples)
            self._run(jobs)
            if stop:
                return

    def _run(self, jobs: list[_Job]) -> None:
        samples = [s for job in jobs for s in job.samples]
        items = [i for job in jobs for i in job.items]
        if self._pool is None:
            try:
                _deliver(jobs, _grade(self.grader, samples, items))
            except Exception as exc:  # a grader bug must fail these requests, not the dispatcher
                self._isolate(jobs, exc)
            return
        self._slots.acquire()
        try:
            if self._broken:
                self._restart_pool()
            assert self._pool is not None
            future = self._pool.submit(_grade_in_worker, samples, items)
        except Exception as exc:  # the pool is broken or shut down, or a restart failed
            self._broken = True
            self._slots.release()
            _fail(jobs, exc)
            return

        def done(fut: cf.Future[list[dict[str, Any]]]) -> None:
            self._slots.release()
            try:
                _deliver(jobs, fut.result())
            except BrokenProcessPool as exc:  # the next batch restarts the pool
                self._broken = True
                self._isolate(jobs, exc)
            except Exception as exc:  # the grader raised, or a request's values could not be sent to a worker
                self._isolate(jobs, exc)

        future.add_done_callback(done)

    def _isolate(self, jobs: list[_Job], exc: BaseException) -> None:
        """A failed merged batch must not fail every request in it: each is graded again on its own, so only
        the request that caused the failure gets it."""
        if len(jobs) == 1:
            _fail(jobs, exc)
            return
        self.isolated += len(jobs)
        for job in jobs:
            job.alone = True
            self._queue.put(job)  # the dispatcher runs it unmerged (never from this callback thread)


def _deliver(jobs: list[_Job], payloads: list[dict[str, Any]]) -> None:
    start = 0
    for job in jobs:
        end = start + len(job.samples)
        job.future.set_result(payloads[start:end])
        start = end


def _fail(jobs: list[_Job], exc: BaseException) -> None:
    for job in jobs:
        if not job.future.done():
            job.future.set_exception(exc)
