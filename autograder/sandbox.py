"""Running student code in a separate, limited process, and surviving whatever it does.

:func:`run_child` starts one child (:mod:`autograder.child`) in a fresh temporary
working directory with a minimal environment, stdin from /dev/null, its own process
group and rlimits; the parent enforces the wall-clock limit by killing the whole group,
keeps a bounded amount of printed output, and reads the child's event stream.

:class:`SandboxRunner` is what the grader and ``autograder check`` use: it runs a
submission's cells and all requested calls, and when the child dies (an infinite
loop that swallowed the alarm, a memory bomb, ``os._exit``) it starts a new child
without the cell or call that killed it — so such an answer costs only its own points.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from .isolation import Confinement, Isolation
from .notebook import CodeCell

__all__ = ["Limits", "ChildRun", "run_child", "SandboxRunner"]


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child process."""

    wall_seconds: float = 60.0
    """Wall-clock time the child may take to start and between two steps; each cell and
    call has its own limit besides (see ``cell_seconds`` and ``Case.timeout``). All are
    enforced by the parent, which kills the whole process group."""
    cpu_seconds: int = 600
    """RLIMIT_CPU of the child (set to the submission's remaining budget)."""
    memory_bytes: int = 4 * 2**30
    """RLIMIT_AS of the child; smaller than ~2 GiB breaks NumPy's allocator."""
    file_bytes: int = 64 * 2**20
    """RLIMIT_FSIZE: the largest file the child may write."""
    open_files: int = 256
    """RLIMIT_NOFILE."""
    output_bytes: int = 64 * 2**10
    """How much printed output is kept; the rest is read and dropped."""
    result_bytes: int = 256 * 2**20
    """How much of the result stream is accepted before the child is stopped."""
    cell_seconds: float = 20.0
    """Time limit of one cell, enforced inside the child."""


@dataclass
class ChildRun:
    """What one child did, as seen by the parent."""

    events: list[dict] = field(default_factory=list)
    output: str = ""
    returncode: int | None = None
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def finished(self) -> bool:
        return any(e.get("event") == "done" for e in self.events)

    def death(self) -> str:
        """Why the child stopped before finishing, in words."""
        if self.timed_out:
            return "it was stopped after running out of time"
        code = self.returncode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            extra = {"SIGKILL": " (killed: out of memory, or too much output)", "SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (wrote too large a file)"}
            return f"the process was ended by {name}{extra.get(name, '')}"
        return f"the process exited with code {code}"


def _environment(home: str) -> dict[str, str]:
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT") if k in os.environ}
    threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return {**keep, **threads, "HOME": home, "TMPDIR": home, "MPLBACKEND": "Agg", "MPLCONFIGDIR": home, "PYTHONDONTWRITEBYTECODE": "1"}


def run_child(cells: Sequence[CodeCell], calls: Sequence[dict], limits: Limits, isolation: Isolation | None = None, hide: Sequence[Path] = (),
              budget_seconds: float = 3600.0, figures_from: int | None = None) -> ChildRun:
    """Run ``cells`` then ``calls`` in one fresh child; return its events and output.

    With ``figures_from``, the child also sends the figures drawn by each cell from that
    index on, as PNG (see :mod:`autograder.child`).

    The job is handed over through an inherited file descriptor of an already deleted
    file, so nothing on disk tells this child's cases, or another child's, to student code.
    """
    run = ChildRun()
    isolation = isolation or Isolation()
    with tempfile.TemporaryDirectory(prefix="autograder-") as workspace:
        job = {"cells": [asdict(c) for c in cells], "calls": list(calls), "cell_timeout": limits.cell_seconds, "figures_from": figures_from,
               "limits": {"cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes,
                          "file_bytes": limits.file_bytes, "open_files": limits.open_files}}
        with tempfile.TemporaryFile("w+") as job_file:
            json.dump(job, job_file)
            job_file.seek(0)
            job_fd = job_file.fileno()
            confinement = Confinement(isolation, Path(workspace), hide)
            read_end, write_end = os.pipe()
            start = time.monotonic()
            process = subprocess.Popen(
                confinement.command([sys.executable, "-I", "-m", "autograder.child", str(job_fd), str(write_end)]),
                cwd=workspace, env={**_environment(workspace), **confinement.environment()}, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(job_fd, write_end), start_new_session=True,
            )
            os.close(write_end)
        try:
            _collect(process, read_end, run, limits, [c.get("timeout", 10.0) for c in calls], start + budget_seconds)
        finally:
            _kill_group(process)
            os.close(read_end)
            run.returncode = process.wait()
            confinement.close()
            run.seconds = time.monotonic() - start
    return run


GRACE_SECONDS = 2.0


def _collect(process: subprocess.Popen, result_fd: int, run: ChildRun, limits: Limits, call_timeouts: Sequence[float], budget_end: float) -> None:
    """Read the child's events and output until it ends or overruns a deadline.

    The parent enforces every step's own limit from the "start" events: a cell may take
    ``limits.cell_seconds``, call j its ``timeout``, plus a grace period for the child's
    own alarm to fire first; startup and the gaps between steps may take
    ``limits.wall_seconds``; and nothing runs past ``budget_end``.
    """
    selector = selectors.DefaultSelector()
    selector.register(result_fd, selectors.EVENT_READ, "result")
    selector.register(process.stdout, selectors.EVENT_READ, "output")
    pending, output, received = b"", bytearray(), 0
    step_deadline = time.monotonic() + limits.wall_seconds
    while selector.get_map():
        remaining = min(step_deadline, budget_end) - time.monotonic()
        if remaining <= 0:
            run.timed_out = True
            break
        for key, _ in selector.select(timeout=min(remaining, 1.0)):
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                selector.unregister(key.fileobj)
            elif key.data == "output":
                output += chunk[: max(0, limits.output_bytes - len(output))]
            else:
                received += len(chunk)
                *lines, pending = (pending + chunk).split(b"\n")
                for event in filter(None, map(_parse_event, lines)):
                    run.events.append(event)
                    step_deadline = time.monotonic() + _allowance(event, limits, call_timeouts)
                if received > limits.result_bytes:
                    run.output = output.decode("utf-8", "replace")
                    return
    selector.close()
    run.output = output.decode("utf-8", "replace")


def _allowance(event: dict, limits: Limits, call_timeouts: Sequence[float]) -> float:
    """Seconds the child may take after ``event`` before the parent stops it."""
    if event.get("phase") == "start" and event.get("event") == "cell":
        return limits.cell_seconds + GRACE_SECONDS
    index = event.get("index")
    if event.get("phase") == "start" and event.get("event") == "call" and isinstance(index, int) and 0 <= index < len(call_timeouts):
        return float(call_timeouts[index]) + GRACE_SECONDS
    return limits.wall_seconds


def _parse_event(line: bytes) -> dict | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class SandboxRunner:
    """Runs a submission's calls in children, restarting past whatever kills one.

    Args:
        cells: the code to run first (setup cells, then the student's cells).
        limits: resource limits of each child.
        budget_seconds: total wall-clock time for the submission across restarts.
        isolation: the kernel protections to use (see :mod:`autograder.isolation`); None for none.
        hide: instructor paths the child must not see (covered when namespaces are available).

    After a call, ``cell_errors`` maps a cell's label to its error (plain dict), and
    ``notes`` says what was skipped and why.
    """

    def __init__(self, cells: Sequence[CodeCell], limits: Limits = Limits(), budget_seconds: float = 600.0,
                 isolation: Isolation | None = None, hide: Sequence[Path] = ()):
        self.cells = list(cells)
        self.limits = limits
        self.isolation = isolation
        self.hide = list(hide)
        self.budget_seconds = budget_seconds
        self.cell_errors: dict[str, dict] = {}
        self.notes: list[str] = []
        self.children = 0

    def __call__(self, requests: Sequence[dict]) -> list[dict]:
        observations: list[dict | None] = [None] * len(requests)
        skipped_cells: set[int] = set()
        started = time.monotonic()
        unrun = "the submission used up its time budget"
        while any(o is None for o in observations):
            left = self.budget_seconds - (time.monotonic() - started)
            if left <= 0:
                self.notes.append("Grading stopped: the submission used up its time budget; the remaining checks were not run.")
                break
            cells = [c for i, c in enumerate(self.cells) if i not in skipped_cells]
            todo = [i for i, o in enumerate(observations) if o is None]
            limits = Limits(**{**asdict(self.limits), "cpu_seconds": int(left) + 1})
            run = run_child(cells, [requests[i] for i in todo], limits, self.isolation, self.hide, budget_seconds=left)
            self.children += 1
            running = self._absorb(run, cells, todo, observations)
            if run.finished:
                break
            death = run.death()
            if running is None:
                unrun = f"the student process stopped before running any cell: {death}"
                self.notes.append(f"The student process stopped before running any cell: {death}. Output:\n{run.output[-2000:]}")
                break
            kind, index = running
            if kind == "cell":
                cell = cells[index]
                skipped_cells.add(self.cells.index(cell))
                self.cell_errors[cell.label] = {"type": "Stopped", "message": f"the cell did not finish: {death}"}
                self.notes.append(f"Cell '{cell.label}' did not finish ({death}); it was skipped and grading went on without it.")
            else:
                fn = requests[todo[index]]["fn"]
                outcome = {"status": "timeout" if run.timed_out else "not_run", "error": {"message": death}}
                for j in todo[index:]:  # later calls of the same function would stop the process again
                    if requests[j]["fn"] == fn and observations[j] is None:
                        observations[j] = outcome
        return [o or {"status": "not_run", "error": {"message": unrun}} for o in observations]

    def _absorb(self, run: ChildRun, cells: list[CodeCell], todo: list[int], observations: list) -> tuple[str, int] | None:
        """Record a child's events; return the (kind, index) it was running when it stopped."""
        running = None
        for event in run.events:
            kind, index, phase = event.get("event"), event.get("index"), event.get("phase")
            if kind not in ("cell", "call") or not isinstance(index, int):
                continue
            limit = len(cells) if kind == "cell" else len(todo)
            if not 0 <= index < limit:
                continue
            if phase == "start":
                running = (kind, index)
            elif phase == "end" and kind == "cell":
                if isinstance(event.get("error"), dict):
                    self.cell_errors[cells[index].label] = event["error"]
                running = None
            elif phase == "end" and isinstance(event.get("observation"), dict):
                observations[todo[index]] = event["observation"]
                running = None
        return running
