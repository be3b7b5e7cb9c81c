"""A bounded job queue: at most `slots` jobs run at once (each on `threads` threads), at most
`max_waiting` wait (with their position in the queue); every job has a time limit. Finished jobs
are kept (newest `keep` of them) so their results and downloads can be fetched."""
from __future__ import annotations

import collections
import secrets
import shutil
import threading
import time
import traceback
from pathlib import Path
from typing import Callable


class QueueFull(Exception):
    """The queue already holds max_waiting jobs."""


class Job:
    """One request to run: `work(job)` fills job.result (a dict) and may call job.progress()."""

    def __init__(self, work: Callable[["Job"], dict], total: int, folder: Path):
        self.id = secrets.token_hex(12)
        self.work = work
        self.total = total
        self.done = 0
        self.state = "queued"      # queued | running | done | failed | stopped
        self.message = ""
        self.result: dict | None = None
        self.folder = folder / self.id
        self.created = time.monotonic()
        self.started = 0.0
        self.finished = 0.0

    def progress(self, done: int) -> None:
        self.done = done


class JobQueue:
    def __init__(self, folder: Path, slots: int = 1, max_waiting: int = 8, keep: int = 64):
        self.folder = Path(folder)
        self.max_waiting = max_waiting
        self.keep = keep
        self._lock = threading.Lock()
        self._cv = threading.Condition(self._lock)
        self._waiting: collections.deque[Job] = collections.deque()
        self._jobs: "collections.OrderedDict[str, Job]" = collections.OrderedDict()
        self._closed = False
        self._workers = [threading.Thread(target=self._loop, name=f"pse-job-{i}", daemon=True) for i in range(slots)]
        for w in self._workers:
            w.start()

    def submit(self, work: Callable[[Job], dict], total: int) -> Job:
        """Queue a job; raises QueueFull when max_waiting jobs already wait."""
        job = Job(work, total, self.folder)
        with self._cv:
            if len(self._waiting) >= self.max_waiting:
                raise QueueFull(f"{len(self._waiting)} jobs are already waiting; try again in a moment")
            self._waiting.append(job)
            self._jobs[job.id] = job
            self._forget_old()
            self._cv.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def position(self, job: Job) -> int:
        """1-based place in the waiting line (0 when not waiting)."""
        with self._lock:
            try:
                return self._waiting.index(job) + 1
            except ValueError:
                return 0

    def counts(self) -> dict:
        with self._lock:
            return {"waiting": len(self._waiting),
                    "running": sum(1 for j in self._jobs.values() if j.state == "running")}

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()

    def _forget_old(self) -> None:
        # called with the lock held: drop the oldest finished jobs beyond `keep`, with their files
        finished = [j for j in self._jobs.values() if j.state in ("done", "failed", "stopped")]
        for j in finished[: max(0, len(finished) - self.keep)]:
            del self._jobs[j.id]
            shutil.rmtree(j.folder, ignore_errors=True)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._waiting and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                job = self._waiting.popleft()
                job.state = "running"
                job.started = time.monotonic()
            try:
                job.folder.mkdir(parents=True, exist_ok=True)
                job.result = job.work(job)
                job.state = "done"
            except JobStopped as e:
                job.state, job.message = "stopped", str(e)
            except Exception as e:  # a job never takes the server down; the page shows why
                job.state = "failed"
                job.message = f"{type(e).__name__}: {e}"
                traceback.print_exc()
            finally:
                job.finished = time.monotonic()
                with self._lock:
                    self._forget_old()


class JobStopped(Exception):
    """Raised by a job's work when it hit its time limit."""
