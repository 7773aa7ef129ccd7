"""A backfill's days run at once in kept kernels, published one by one in date order.

Worker threads, each with its own :class:`~mdvax.report.notebook.KeptKernel`, execute the report
notebook for runs of consecutive days (a kernel keeps the archived tables it read, and a day's
table is the next day's "before"). The calling thread exports each executed notebook to HTML as
soon as it arrives, while the kernels run the next days, and publishes the reports in date
order: ``status.json``, the index and each report's comparison with the previous report are
those of a one-by-one build, and so are the reports' bytes.

A report compares with the newest report published before it, known for certain only once
every earlier day is done. Each day is run assuming the days before it succeed; at publication
the assumption is checked, and a day whose previous report turned out different (an earlier
day failed) is built again, in a fresh kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from queue import Queue

from mdvax.archive.read import too_early
from mdvax.errors import MdvaxError
from mdvax.report import site, steps
from mdvax.report.kernel import KeptKernel
from mdvax.report.steps import ReportResult

#: Kernels a backfill runs at once by default, at most (one per CPU below that).
MAX_DEFAULT_JOBS = 4
#: Longest run of consecutive days handed to one kernel at a time.
MAX_BLOCK = 8


def default_jobs() -> int:
    """Kernels a backfill runs at once: one per CPU it may use, at most :data:`MAX_DEFAULT_JOBS`."""
    try:
        cpus = len(os.sched_getaffinity(0))  # the CPUs this process may run on (Linux)
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_JOBS, cpus))


@dataclass
class _Job:
    """One day to build, and the previous report's day (``previous_as_of``) it assumes."""

    day: date
    previous: str | None


@dataclass
class _Done:
    """A job's outcome: its folder (executed, later exported), or the error that stopped it."""

    job: _Job | None  # None: a worker itself failed
    built: Path | None = None
    summary: dict | None = None
    record: site.ReportRecord | None = None
    error: BaseException | None = None
    seconds: float = 0.0


def build_days(
    out: Path, days: list[date], oldest: str, measure: str, per_capita: bool, jobs: int
) -> list[ReportResult]:
    """Build the report of each of ``days`` (in order) with ``jobs`` kernels at once.

    ``oldest``: publication day of the archive's oldest vintage (earlier days fail at once).
    On any exception (Ctrl-C included) the kernels are killed, nothing more is published and
    the unfinished folders are removed.
    """
    planned = _plan(out, days, oldest)
    blocks = _Blocks(planned, min(jobs, len(planned)))
    done: Queue[_Done] = Queue()
    workers = [_Worker(blocks, done, out, measure, per_capita) for _ in range(blocks.workers)]
    for worker in workers:
        worker.start()
    results: list[ReportResult] = []
    ready: dict[date, _Done] = {}
    try:
        for day in days:
            if day.isoformat() < oldest:
                error = too_early(day, date.fromisoformat(oldest))
                steps.record_failure(out, day.isoformat(), error)
                results.append(ReportResult(day.isoformat(), False, str(error)))
                continue
            while day not in ready:
                item = _export(done.get())
                ready[item.job.day] = item
            results.append(_publish(out, ready.pop(day), measure, per_capita))
    except BaseException:
        blocks.stop()
        for worker in workers:
            worker.kernel.kill()  # the run in progress fails at once
        raise
    finally:
        blocks.stop()
        for worker in workers:
            worker.join()
        left = list(ready.values())
        while not done.empty():
            left.append(done.get())
        for item in left:
            if item.built is not None:
                shutil.rmtree(item.built, ignore_errors=True)
    return results


def _plan(out: Path, days: list[date], oldest: str) -> list[_Job]:
    """The days that can be built, each assuming the previous buildable day succeeds."""
    jobs: list[_Job] = []
    for day in days:
        if day.isoformat() < oldest:
            continue
        # A backfilled report reads its data as published on its own day.
        previous = jobs[-1].day.isoformat() if jobs else steps.previous_day(out, day.isoformat())
        jobs.append(_Job(day, previous))
    return jobs


def _export(item: _Done) -> _Done:
    """Export an executed day to HTML (in the calling thread); re-raise a worker's failure."""
    if item.job is None:
        raise item.error
    if item.error is not None:
        return item
    started = time.perf_counter()
    try:
        item.record = steps.export(item.built, item.job.day.isoformat(), item.summary, item.job.day)
    except BaseException as error:
        shutil.rmtree(item.built, ignore_errors=True)
        item.built = None
        if not isinstance(error, MdvaxError):
            raise
        item.error = error
    item.seconds += time.perf_counter() - started
    return item


def _publish(out: Path, item: _Done, measure: str, per_capita: bool) -> ReportResult:
    """Publish (or record the failure of) one day, once every earlier day is done."""
    day, folder = item.job.day, item.job.day.isoformat()
    if steps.previous_day(out, folder) != item.job.previous:
        # An earlier day failed: this report compares with another one. Build it again.
        if item.built is not None:
            shutil.rmtree(item.built, ignore_errors=True)
        try:
            return steps.build_one(out, folder, measure, per_capita, None, day)
        except MdvaxError as error:
            return ReportResult(folder, False, str(error))
    if item.error is None:
        return steps.publish(out, item.built, item.record, item.seconds)
    if not isinstance(item.error, MdvaxError):
        raise item.error
    steps.record_failure(out, folder, item.error)
    return ReportResult(folder, False, str(item.error))


class _Blocks:
    """The jobs, handed out as runs of consecutive days, shorter towards the end.

    Runs shrink as the jobs run out, so that the kernels finish at about the same time.
    """

    def __init__(self, jobs: list[_Job], workers: int) -> None:
        self._jobs = deque(jobs)
        self._lock = threading.Lock()
        self.workers = workers
        self.stopped = False

    def next(self) -> list[_Job]:
        """The next run of days (empty when there is none left, or after :meth:`stop`)."""
        with self._lock:
            if self.stopped:
                return []
            size = max(1, min(MAX_BLOCK, len(self._jobs) // (2 * self.workers)))
            return [self._jobs.popleft() for _ in range(min(size, len(self._jobs)))]

    def stop(self) -> None:
        """Hand out nothing more."""
        with self._lock:
            self.stopped = True


class _Worker(threading.Thread):
    """A thread with a kept kernel, executing the report notebook for runs of days."""

    def __init__(
        self, blocks: _Blocks, done: Queue, out: Path, measure: str, per_capita: bool
    ) -> None:
        super().__init__(name="mdvax-backfill", daemon=True)
        self.blocks, self.done, self.out = blocks, done, out
        self.measure, self.per_capita = measure, per_capita
        self.kernel = KeptKernel()

    def run(self) -> None:
        """Take runs of days until there are none; stop the kernel (in this thread)."""
        try:
            with self.kernel:
                while block := self.blocks.next():
                    for job in block:
                        if self.blocks.stopped:
                            break
                        self.done.put(self._execute(job))
        except BaseException as error:  # handed to the calling thread, which raises it
            self.done.put(_Done(None, error=error))
        finally:
            _close_event_loop()

    def _execute(self, job: _Job) -> _Done:
        started = time.perf_counter()
        built = site.temp_dir(self.out, job.day.isoformat())
        values = steps.parameters(self.measure, self.per_capita, None, job.day, job.previous)
        try:
            summary = steps.run_notebook(built, values, self.kernel)
        except BaseException as error:
            shutil.rmtree(built, ignore_errors=True)
            return _Done(job, error=error)
        return _Done(job, built, summary, seconds=time.perf_counter() - started)


def _close_event_loop() -> None:
    """Close the event loop ``jupyter_core`` made for this thread (else it warns when freed)."""
    with contextlib.suppress(RuntimeError):
        asyncio.get_event_loop_policy().get_event_loop().close()
