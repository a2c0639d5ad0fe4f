"""Running student code in a separate, limited process, and surviving whatever it does.

:class:`Child` is one student process (:mod:`autograder.student.child`) in a fresh working
directory with a minimal environment, stdin from /dev/null, its own process group,
rlimits and the kernel protections of :mod:`autograder.sandbox.isolation`. The parent drives it
one step at a time over a pair of pipes — run this cell, make this call — and owns time:

* every step has an absolute deadline, fixed when the parent sends it, on the CPU time
  the child's processes use (measured by the parent from ``/proc``) and on wall-clock
  time; no line from the child extends either, and at the deadline the parent kills the
  whole process group;
* correctness is judged on CPU time, which the load of the machine hardly changes; the
  wall-clock limit is a generous multiple of it (see :func:`wall_limit`), there only to
  stop code that sleeps or waits;
* the child may answer each step with exactly the events that step allows, each a JSON
  line within bounded length, nesting and total bytes, checked against a schema here
  (:func:`valid_observation`, :func:`valid_figure`). Anything else — a forged or
  duplicated event, a malformed observation, a flood — ends that child and is charged to
  the step that was running, never to the run.

:class:`SandboxRunner` is what the grader and ``autograder check`` use: it runs a
submission's cells and all requested calls, starting a new child past whatever kills one
(an infinite loop that swallowed the alarm, a memory bomb, ``os._exit``) without the cell
or call that killed it, so such an answer costs only its own points. A call that ran out
of time is measured once more in a fresh child before it is charged; the calls that wait
behind it are run in the fresh child too, and are reported as not run (with the reason)
only when they cannot be.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import selectors
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .bans import CELL_ERROR, forbidden_imports, library_paths, names_any
from .interpreter import child_command
from .isolation import Confinement, Isolation
from ..course.notebook import CodeCell
from ..protocol import CALL_SECONDS, CELL_SECONDS, FIGURE_SECONDS, MAX_FIGURE_BYTES, MAX_FIGURES, OBSERVED

__all__ = ["Limits", "ChildRun", "Child", "Step", "run_child", "SandboxRunner", "launch", "wall_limit", "valid_observation", "valid_figure",
           "describe_time_limits"]


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child process."""

    wall_seconds: float = 60.0
    """Wall-clock time the child may take to start. Each cell and call has its own limits
    besides (``cell_seconds`` and ``Case.timeout``, in CPU seconds, and :func:`wall_limit`)."""
    cpu_seconds: int = 600
    """RLIMIT_CPU of the child (set to the submission's remaining budget)."""
    memory_bytes: int = 4 * 2**30
    """RLIMIT_AS of the child; smaller than ~2 GiB breaks NumPy's allocator."""
    file_bytes: int = 64 * 2**20
    """RLIMIT_FSIZE: the largest file the child may write."""
    open_files: int = 256
    """RLIMIT_NOFILE."""
    processes: int = 64
    """RLIMIT_NPROC, set only under bubblewrap, where it counts the processes of the child's own user namespace."""
    output_bytes: int = 64 * 2**10
    """How much printed output is kept; the rest is read and dropped."""
    result_bytes: int = 256 * 2**20
    """How many bytes of answers one child may send in all before it is stopped."""
    line_bytes: int = 128 * 2**20
    """The longest answer line accepted."""
    cell_seconds: float = CELL_SECONDS
    """CPU time one cell may use."""


WALL_FACTOR, WALL_EXTRA = 3.0, 10.0
CPU_GRACE = 0.5
"""CPU seconds past a limit before the parent kills (the child's own timer fires first)."""
CPU_READ_SECONDS = 0.05
"""How often a running step reads its child's CPU time from /proc (about 0.1 ms a read)."""
MAX_DEPTH = 48
"""Deepest nesting of lists and dicts accepted in an answer (plain data needs about 25)."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def wall_limit(cpu_seconds: float) -> float:
    """The wall-clock limit of a step allowed ``cpu_seconds`` of CPU time: generous enough that
    only waiting (not load) reaches it."""
    return WALL_FACTOR * cpu_seconds + WALL_EXTRA


def describe_time_limits(call_seconds: dict[str, float], cell_seconds: float = Limits.cell_seconds) -> str:
    """One sentence for the student stating every time limit (``call_seconds``: question -> CPU seconds)."""
    by_limit: dict[float, list[str]] = {}
    for name, seconds in call_seconds.items():
        by_limit.setdefault(seconds, []).append(name)
    calls = "; ".join(f"{seconds:g} s ({', '.join(names)})" for seconds, names in sorted(by_limit.items()))
    return (f"Time limits, in CPU time (so a busy machine does not count against you): each call of your functions {calls}; "
            f"each cell {cell_seconds:g} s. A call that waits longer than 3 times its limit plus {WALL_EXTRA:g} s of wall-clock "
            "time is stopped too. A call over its limit is run once more before it counts as too slow.")


@dataclass
class ChildRun:
    """What one child did, as seen by the parent (for :func:`run_child`)."""

    events: list[dict] = field(default_factory=list)
    output: str = ""
    returncode: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    stopped: str | None = None

    @property
    def finished(self) -> bool:
        return any(e.get("event") == "done" for e in self.events)

    def death(self) -> str:
        """Why the child stopped before finishing, in words."""
        return self.stopped or _death(self.returncode, self.timed_out)


def _death(code: int | None, timed_out: bool) -> str:
    if timed_out:
        return "it was stopped after running out of time"
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        extra = {"SIGKILL": " (killed: out of memory, or too much output)", "SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (wrote too large a file)"}
        return f"the process was ended by {name}{extra.get(name, '')}"
    return f"the process exited with code {code}"


def _environment(home: str) -> dict[str, str]:
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT") if k in os.environ}
    threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return {**keep, **threads, "HOME": home, "TMPDIR": home, "MPLBACKEND": "Agg", "MPLCONFIGDIR": home, "PYTHONDONTWRITEBYTECODE": "1"}


# ---------------------------------------------------------------- what a child may say


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if type(item) in (list, dict):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (item.values() if type(item) is dict else item))
    return deepest


def _short_text(value: Any, limit: int) -> bool:
    return type(value) is str and len(value) <= limit


ERROR_FIELDS = {"type": 200, "message": 1200, "traceback": 6000}


def valid_observation(observation: Any) -> tuple[dict | None, str]:
    """The observation rebuilt from its checked fields, or (None, what is wrong).

    ``ok``: ``value`` (plain data), ``mutated`` (a list of short strings), ``seconds`` (a
    finite non-negative number); other statuses: ``error`` with string ``type``,
    ``message`` and ``traceback`` of bounded length. Nothing else is kept.
    """
    if type(observation) is not dict:
        return None, "the observation is not an object"
    status = observation.get("status")
    if status not in OBSERVED:
        return None, f"unknown status {str(status)[:40]!r}"
    if status == "ok":
        if set(observation) - {"status", "value", "mutated", "seconds"}:
            return None, "unexpected fields in the observation"
        mutated, seconds = observation.get("mutated", []), observation.get("seconds", 0.0)
        if type(mutated) is not list or len(mutated) > 64 or not all(_short_text(m, 100) for m in mutated):
            return None, "`mutated` is not a list of argument names"
        if type(seconds) not in (int, float) or not math.isfinite(seconds) or seconds < 0:
            return None, "`seconds` is not a duration"
        return {"status": "ok", "value": observation.get("value"), "mutated": list(mutated), "seconds": float(seconds)}, ""
    error = observation.get("error")
    if set(observation) - {"status", "error"} or type(error) is not dict or set(error) - set(ERROR_FIELDS):
        return None, "the error is not described by type, message and traceback"
    if not all(_short_text(error[k], ERROR_FIELDS[k]) for k in error):
        return None, "the error's fields are not short texts"
    return {"status": status, "error": dict(error)}, ""


def valid_figure(event: dict, label: str) -> tuple[dict | None, str]:
    """A figure event of cell ``label``, checked: a PNG of at most MAX_FIGURE_BYTES, or a short error."""
    if set(event) - {"event", "cell", "png", "error"} or event.get("cell") != label:
        return None, "a figure event of another cell"
    if "error" in event:
        return ({"event": "figure", "cell": label, "error": event["error"]}, "") if _short_text(event["error"], 400) else (None, "a malformed figure error")
    text = event.get("png")
    if type(text) is not str or len(text) > (MAX_FIGURE_BYTES * 4) // 3 + 4:
        return None, "a figure that is not a PNG of at most 2 MiB"
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None, "a figure that is not base64"
    if not data.startswith(PNG_SIGNATURE):
        return None, "a figure that is not a PNG"
    return {"event": "figure", "cell": label, "png": text}, ""


# ---------------------------------------------------------------- one child


@dataclass
class Step:
    """What one step (a cell or a call) came to, as seen by the parent.

    Attributes:
        reply: the child's final answer to the step (checked), or None when it gave none.
        figures: checked figure events of a cell.
        timed_out: the step ran out of CPU or wall-clock time (the child was killed, or
            its own timer stopped the step).
        stopped: why the child is gone, when it is (then no further step can run in it).
        cpu_seconds, wall_seconds: what the step took, measured by the parent.
    """

    reply: dict | None = None
    figures: list[dict] = field(default_factory=list)
    timed_out: bool = False
    stopped: str | None = None
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_cpu(pid: int) -> tuple[float, int] | None:
    """(CPU seconds of ``pid`` and its reaped children, parent pid) from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return sum(int(x) for x in fields[11:15]) / _TICK, int(fields[1])


class Child:
    """One student process, driven one step at a time.

    Args:
        limits: its resource limits.
        isolation: the kernel protections (see :mod:`autograder.sandbox.isolation`); None for none.
        hide: instructor paths it must not see.
        budget_end: ``time.monotonic()`` after which nothing more may run in it.
        libraries: install paths of forbidden libraries, made absent from its file system.
        handshake: send the "start" request (its rlimits) and wait for "ready" now; with False
            the process is only launched (its interpreter and NumPy load meanwhile) and
            :meth:`handshake` must be called before its first step. Either way it has run
            nothing of the student's until then.
    """

    def __init__(self, limits: Limits, isolation: Isolation | None, hide: Sequence[Path], budget_end: float, libraries: Sequence[Path] = (),
                 handshake: bool = True):
        self.limits, self.budget_end = limits, budget_end
        self.received, self.figures, self.output = 0, 0, bytearray()
        self.stopped: str | None = None
        self.returncode: int | None = None
        self._workspace = tempfile.TemporaryDirectory(prefix="autograder-")
        workspace = self._workspace.name
        self.confinement = Confinement(isolation or Isolation(), Path(workspace), hide, libraries=libraries)
        request_read, self._requests = os.pipe()
        self._responses, response_write = os.pipe()
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.confinement.command(child_command(request_read, response_write)),
            cwd=workspace, env={**_environment(workspace), **self.confinement.environment()}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(request_read, response_write), start_new_session=True,
        )
        os.close(request_read)
        os.close(response_write)
        os.set_blocking(self._requests, False)
        self._pending = bytearray()
        self._pids: list[int] = [self.process.pid]
        self._pids_checked = 0.0
        self._cpu_mark: float | None = None  # the CPU time read at the end of the last step
        self.libraries = [str(p) for p in libraries]
        self._bwrap = isolation is not None and bool(isolation.bwrap)
        self.ready = False
        if handshake:
            self.handshake(limits.cpu_seconds, budget_end)

    def handshake(self, cpu_seconds: int, budget_end: float) -> None:
        """Set the child's rlimits (RLIMIT_CPU: ``cpu_seconds``) and wait until it is ready; its
        steps may then run until ``budget_end``."""
        self.limits, self.budget_end, self.ready = Limits(**{**asdict(self.limits), "cpu_seconds": cpu_seconds}), budget_end, True
        limits = self.limits
        started = self._exchange({"op": "start", "limits": {"cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes,
                                                          "file_bytes": limits.file_bytes, "open_files": limits.open_files,
                                                          "processes": limits.processes if self._bwrap else None}},
                                 "ready", None, limits.wall_seconds, limits.wall_seconds)
        if started.reply is None and self.stopped is None:
            self._stop(started.stopped or "the student process did not start")

    @property
    def alive(self) -> bool:
        return self.stopped is None

    def cell(self, index: int, cell: CodeCell, figures: bool = False) -> Step:
        """Run one cell (and draw its figures when asked)."""
        seconds = self.limits.cell_seconds
        allowed = seconds + (FIGURE_SECONDS if figures else 0.0)  # rendering its figures has a timer of its own in the child
        return self._exchange({"op": "cell", "index": index, "label": cell.label, "source": cell.source, "timeout": seconds,
                               "wall_seconds": wall_limit(seconds), "figures": figures}, "cell", index, allowed, wall_limit(allowed),
                              figures_of=cell.label if figures else None)

    def call(self, index: int, request: dict) -> Step:
        """Make one call; its arguments reach the child only now."""
        seconds = float(request.get("timeout", CALL_SECONDS))
        message = {"op": "call", "index": index, "request": {**request, "timeout": seconds, "wall_seconds": wall_limit(seconds)}}
        step = self._exchange(message, "call", index, seconds, wall_limit(seconds))
        if step.reply is not None:
            observation = dict(step.reply["observation"])
            if observation["status"] == "ok" and step.cpu_seconds > seconds + CPU_GRACE:  # the child's own timer was switched off
                observation = {"status": "timeout", "error": {"type": "CallTimeout", "message": f"the call used {step.cpu_seconds:.1f} s of CPU time, more than its {seconds:g} s"}}
            step.timed_out = observation["status"] == "timeout"
            observation["cpu_seconds"], observation["wall_seconds"] = round(step.cpu_seconds, 3), round(step.wall_seconds, 3)
            step.reply = {**step.reply, "observation": observation}
        return step

    def close(self) -> None:
        """End the child (politely if it is idle), kill what is left, and clean up."""
        if self.alive:
            try:
                os.write(self._requests, b'{"op":"exit"}\n')
            except OSError:
                pass
            self._stop(None)
        self.confinement.close()
        self._workspace.cleanup()

    # -------------------------------------------------------- the exchange

    def _stop(self, why: str | None, timed_out: bool = False) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for fd in (self._requests, self._responses):
            try:
                os.close(fd)
            except OSError:
                pass
        self.returncode = self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self.stopped = why or _death(self.returncode, timed_out)

    def _cpu(self) -> float:
        """CPU seconds used so far by the child's processes (those in its cgroup, else its descendants)."""
        group = self.confinement.cgroup
        if group is not None:
            try:
                pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
            except OSError:
                pids = [self.process.pid]
        else:
            if time.monotonic() - self._pids_checked > 1.0:
                self._pids, self._pids_checked = _descendants(self.process.pid), time.monotonic()
            pids = self._pids
        return sum(s[0] for s in map(_stat_cpu, pids) if s is not None)

    def _exchange(self, message: dict, expect: str, index: int | None, cpu_seconds: float | None, wall_seconds: float,
                  figures_of: str | None = None) -> Step:
        step = Step()
        if not self.alive:
            step.stopped = self.stopped
            return step
        # Between steps the child waits for its next request, so the last step's closing read
        # is this one's start (CPU a background thread spends meanwhile is charged to this step).
        start, cpu_start = time.monotonic(), self._cpu() if self._cpu_mark is None else self._cpu_mark
        cpu_read = start
        wall_end = min(start + wall_seconds + 2.0, self.budget_end)
        outgoing = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        selector = selectors.DefaultSelector()
        selector.register(self._responses, selectors.EVENT_READ, "result")
        selector.register(self.process.stdout, selectors.EVENT_READ, "output")
        selector.register(self._requests, selectors.EVENT_WRITE, "request")
        problem, timed_out = None, False
        try:
            while step.reply is None and problem is None:
                now = time.monotonic()
                step.wall_seconds = now - start
                if now - cpu_read >= CPU_READ_SECONDS:
                    step.cpu_seconds, cpu_read = self._cpu() - cpu_start, now
                if cpu_seconds is not None and step.cpu_seconds > cpu_seconds + CPU_GRACE:
                    problem, timed_out = f"it used more than {cpu_seconds:g} s of CPU time", True
                    break
                if now >= wall_end:
                    why = "the submission's time budget ran out" if wall_end == self.budget_end else f"it took longer than {wall_seconds:g} s of wall-clock time"
                    problem, timed_out = why, True
                    break
                for key, _ in selector.select(timeout=min(wall_end - now, 0.1)):
                    if key.data == "request":
                        try:
                            written = os.write(self._requests, outgoing)
                        except BlockingIOError:
                            continue
                        except OSError:
                            problem = "the student process stopped reading its requests"
                            break
                        outgoing = outgoing[written:]
                        if not outgoing:
                            selector.unregister(self._requests)
                        continue
                    chunk = os.read(key.fd, 1 << 16)
                    if key.data == "output":
                        if not chunk:
                            selector.unregister(key.fileobj)
                        self.output += chunk[: max(0, self.limits.output_bytes - len(self.output))]
                        continue
                    if not chunk:
                        problem = "the student process stopped"
                        break
                    problem = self._absorb(chunk, step, expect, index, figures_of)
                    if problem:
                        break
            if step.reply is not None and self._pending:
                problem = "the student process sent more than the step's answer"
        finally:
            selector.close()
        if problem is not None:
            step.reply = None
            self._stop(None if problem == "the student process stopped" else problem, timed_out)
            step.stopped, step.timed_out = self.stopped, timed_out
        if self.alive:
            self._cpu_mark = self._cpu()
            step.cpu_seconds = self._cpu_mark - cpu_start
        step.wall_seconds = time.monotonic() - start
        return step

    def _absorb(self, chunk: bytes, step: Step, expect: str, index: int | None, figures_of: str | None) -> str | None:
        """Take in bytes from the child; return what is wrong with them, if anything."""
        self.received += len(chunk)
        if self.received > self.limits.result_bytes:
            return f"the student process sent more than {self.limits.result_bytes >> 20} MiB"
        end = chunk.rfind(b"\n")
        if end < 0:  # no line ends here: keep the bytes (a bytearray: no copying of what came before)
            self._pending += chunk
            lines = []
        else:
            lines = bytes(self._pending + chunk[:end]).split(b"\n")
            self._pending = bytearray(chunk[end + 1:])
        if len(self._pending) > self.limits.line_bytes or any(len(line) > self.limits.line_bytes for line in lines):
            return f"the student process sent a line longer than {self.limits.line_bytes >> 20} MiB"
        for line in lines:
            if step.reply is not None:
                return "the student process sent more than the step's answer"
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                return "the student process sent a line that is not JSON"
            if type(event) is not dict or _depth(event) > MAX_DEPTH:
                return "the student process sent a malformed or too deeply nested answer"
            kind = event.get("event")
            if kind == "figure" and figures_of is not None:
                figure, why = valid_figure(event, figures_of)
                if figure is None:
                    return f"the student process sent {why}"
                if "png" in figure:
                    self.figures += 1
                    if self.figures > MAX_FIGURES:
                        return f"the student process sent more than {MAX_FIGURES} figures"
                if len(step.figures) > MAX_FIGURES:
                    return "the student process sent too many figure events"
                step.figures.append(figure)
                continue
            if kind != expect or (index is not None and (type(event.get("index")) is not int or event["index"] != index)):
                return f"the student process sent an unexpected event ({str(kind)[:30]!r} while the grader waited for {expect} {'' if index is None else index})"
            if expect == "call":
                observation, why = valid_observation(event.get("observation"))
                if observation is None:
                    return f"the student process sent a malformed observation: {why}"
                step.reply = {"event": "call", "index": index, "observation": observation}
            elif expect == "cell":
                error = event.get("error")
                if error is not None and (type(error) is not dict or set(error) - set(ERROR_FIELDS) or not all(_short_text(error[k], ERROR_FIELDS[k]) for k in error)):
                    return "the student process sent a malformed cell error"
                step.reply = {"event": "cell", "index": index, "error": error}
            else:
                step.reply = {"event": expect}
        return None


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it (by parent pid, from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat_cpu(int(entry))
            if stat is not None:
                children.setdefault(stat[1], []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


# ---------------------------------------------------------------- runs


def run_child(cells: Sequence[CodeCell], calls: Sequence[dict], limits: Limits, isolation: Isolation | None = None, hide: Sequence[Path] = (),
              budget_seconds: float = 3600.0, figures_from: int | None = None) -> ChildRun:
    """Run ``cells`` then ``calls`` in one fresh child; return its checked events and output.

    With ``figures_from``, the child also sends the figures drawn by each cell from that
    index on, as PNG. Events: ``{"event": "cell", "index", "phase": "end", "error"}``,
    ``{"event": "figure", "cell", "png" | "error"}``, ``{"event": "call", "index", "phase": "end",
    "observation"}``, and ``{"event": "done"}`` (added by the parent when every step ran).
    """
    run = ChildRun()
    start = time.monotonic()
    child = Child(limits, isolation, hide, start + budget_seconds)
    try:
        steps = [("cell", i, c) for i, c in enumerate(cells)] + [("call", j, r) for j, r in enumerate(calls)]
        for kind, index, item in steps:
            if not child.alive:
                break
            step = child.cell(index, item, figures_from is not None and index >= figures_from) if kind == "cell" else child.call(index, item)
            run.events += step.figures
            if step.reply is not None:
                run.events.append({**step.reply, "phase": "end"})
            run.timed_out = run.timed_out or (step.timed_out and not child.alive)
        if child.alive:
            run.events.append({"event": "done"})
    finally:
        child.close()
        run.stopped = None if run.finished else child.stopped
        run.returncode, run.output, run.seconds = child.returncode, child.output.decode("utf-8", "replace"), time.monotonic() - start
    return run


class SandboxRunner:
    """Runs a submission's calls in children, restarting past whatever kills one.

    Args:
        cells: the code to run first (setup cells, then the student's cells).
        limits: resource limits of each child.
        budget_seconds: total wall-clock time for the submission across restarts.
        isolation: the kernel protections to use (see :mod:`autograder.sandbox.isolation`); None for none.
        hide: instructor paths the child must not see (covered when namespaces are available).
        banned: libraries the assignment forbids (top-level names): absent from the child's file
            system where namespaces are available (see :attr:`Isolation.library_bans`), and a cell
            whose source imports one is not run at all (its functions are then missing, with the reason).

    A request may carry ``"group"`` (its question): after a call of a group is charged with
    a timeout or stops the process, the group's later calls are reported as not run (the
    question already scores 0) instead of each costing its own limit.

    ``launched``: a child from :func:`launch` with the same limits, isolation, hide and
    banned libraries, started while the caller read the notebook; it becomes the first child
    that needs exactly its libraries (their calls run first), and is closed unused otherwise.

    After a call, ``cell_errors`` maps a cell's label to its error (plain dict), and
    ``notes`` says what was skipped and why.
    """

    def __init__(self, cells: Sequence[CodeCell], limits: Limits = Limits(), budget_seconds: float = 600.0,
                 isolation: Isolation | None = None, hide: Sequence[Path] = (), banned: Sequence[str] = (), launched: Child | None = None):
        self.launched = launched
        self.cells = list(cells)
        self.limits = limits
        self.isolation = isolation
        self.hide = list(hide)
        self.libraries = list(library_paths(tuple(banned))) if banned else []
        self.budget_seconds = budget_seconds
        self.cell_errors: dict[str, dict] = {}
        self.notes: list[str] = []
        self.children = 0
        self._skipped: set[int] = set()
        for index, cell in enumerate(self.cells):
            found = forbidden_imports(cell.source, banned)
            if found:
                names = ", ".join(found)
                self._skipped.add(index)
                self.cell_errors[cell.label] = {"type": CELL_ERROR, "message": f"it imports {names}, which this assignment does not allow "
                                                "(compute the result by hand); the cell was not run"}
                self.notes.append(f"Cell '{cell.label}' imports {names}, which this assignment forbids; it was not run.")

    def _start(self, budget_end: float, libraries: Sequence[Path]) -> tuple[Child | None, str]:
        """A new child that has run every cell not yet skipped; (None, why) when none can."""
        while True:
            left = budget_end - time.monotonic()
            if left <= 1.0:
                return None, "the submission used up its time budget"
            child, self.launched = self.launched, None
            if child is not None and set(child.libraries) == {str(p) for p in libraries}:
                child.handshake(int(left) + 1, budget_end)
            else:
                if child is not None:
                    child.close()
                child = Child(Limits(**{**asdict(self.limits), "cpu_seconds": int(left) + 1}), self.isolation, self.hide, budget_end, libraries)
            self.children += 1
            if not child.alive:
                why = child.stopped
                self.notes.append(f"The student process stopped before running any cell: {why}. Output:\n{child.output.decode('utf-8', 'replace')[-2000:]}")
                child.close()
                return None, f"the student process stopped before running any cell: {why}"
            for index, cell in enumerate(self.cells):
                if index in self._skipped:
                    continue
                step = child.cell(index, cell)
                if step.reply is not None:
                    if step.reply["error"] is not None:  # the first child's account stands (a later one may lack a library)
                        self.cell_errors.setdefault(cell.label, step.reply["error"])
                    continue
                self._skipped.add(index)
                self.cell_errors[cell.label] = {"type": "Stopped", "message": f"the cell did not finish: {step.stopped}"}
                self.notes.append(f"Cell '{cell.label}' did not finish ({step.stopped}); it was skipped and grading went on without it.")
                child.close()
                break
            else:
                return child, ""

    def __call__(self, requests: Sequence[dict]) -> list[dict]:
        """One observation per request. Libraries a request names in ``forbidden_libraries`` are
        absent from the process that makes it. When no cell names them at all (a whole word in its
        source: only a run-time trick could import them), they are simply absent from the one child
        that makes every call; otherwise those requests run in a child of their own (one per set of
        libraries), so that the other calls keep the libraries the student's cells use openly."""
        budget_end = time.monotonic() + self.budget_seconds
        by_ban: dict[tuple, list[int]] = {}
        unnamed: set[str] = set()
        for j, request in enumerate(requests):
            ban = tuple(sorted(request.get("forbidden_libraries") or ()))
            if ban and not any(names_any(cell.source, ban) for cell in self.cells):
                unnamed |= set(ban)
                ban = ()
            by_ban.setdefault(ban, []).append(j)
        observations: list[dict] = [{}] * len(requests)
        groups = []
        for ban, index in by_ban.items():
            extra = library_paths(tuple(sorted(set(ban) | (unnamed if not ban else set()))))
            groups.append((self.libraries + [p for p in extra if p not in self.libraries], index))
        if self.launched is not None:  # the group the launched child can serve goes first
            groups.sort(key=lambda group: {str(p) for p in group[0]} != set(self.launched.libraries))
        try:
            for libraries, index in groups:
                for j, observation in zip(index, self._run([requests[j] for j in index], budget_end, libraries)):
                    observations[j] = observation
        finally:
            self.close()
        return observations

    def close(self) -> None:
        """End the launched child if no request used it."""
        if self.launched is not None:
            self.launched.close()
            self.launched = None

    def _run(self, requests: Sequence[dict], budget_end: float, libraries: Sequence[Path]) -> list[dict]:
        observations: list[dict | None] = [None] * len(requests)
        timeouts = [0] * len(requests)
        suspect: set = set()  # groups with a call awaiting its second measurement
        closed: dict = {}  # group -> why its remaining calls are not run
        group = [r.get("group", (r["fn"], j)) for j, r in enumerate(requests)]
        child: Child | None = None
        try:
            while True:
                for j, observation in enumerate(observations):
                    if observation is None and group[j] in closed:
                        observations[j] = _not_run(closed[group[j]])
                pending = [j for j, o in enumerate(observations) if o is None]
                if not pending:
                    break
                fresh = [j for j in pending if group[j] not in suspect]
                j = (fresh or pending)[0]
                if timeouts[j] and child is not None:  # measured again in a fresh process
                    child.close()
                    child = None
                if child is None or not child.alive:
                    if child is not None:
                        child.close()
                    child, why = self._start(budget_end, libraries)
                    if child is None:
                        for k in pending:
                            observations[k] = _not_run(why)
                        if why.endswith("budget"):
                            self.notes.append("Grading stopped: the submission used up its time budget; the remaining checks were not run.")
                        break
                step = child.call(j, {k: v for k, v in requests[j].items() if k not in ("group", "forbidden_libraries")})
                fn = requests[j]["fn"]
                if step.timed_out:
                    timeouts[j] += 1
                    if timeouts[j] >= 2 or budget_end - time.monotonic() < 2 * float(requests[j].get("timeout", CALL_SECONDS)):
                        why = step.stopped or step.reply["observation"]["error"].get("message", "")
                        observations[j] = {"status": "timeout", "error": {"type": "CallTimeout", "message": f"{why} (measured {timeouts[j]} times)"},
                                           "cpu_seconds": round(step.cpu_seconds, 3), "wall_seconds": round(step.wall_seconds, 3)}
                        closed[group[j]] = f"skipped because an earlier call of `{fn}` in this question did not finish within its time limit (not a timeout of its own)"
                    else:
                        suspect.add(group[j])
                elif step.reply is not None:
                    observations[j] = step.reply["observation"]
                else:
                    observations[j] = _not_run(step.stopped or "the student process stopped")
                    closed[group[j]] = f"skipped because an earlier call of `{fn}` in this question stopped the student process ({step.stopped})"
        finally:
            if child is not None:
                child.close()
        return [o or _not_run("the submission used up its time budget") for o in observations]


def launch(limits: Limits, isolation: Isolation | None, hide: Sequence[Path] = (), banned: Sequence[str] = ()) -> Child:
    """A child for a :class:`SandboxRunner` with these arguments, launched now but not yet
    handshaken: its start overlaps whatever the caller does next (reading the notebook,
    drawing the cases). Pass it as ``launched``; close it if no runner takes it."""
    libraries = list(library_paths(tuple(banned))) if banned else []
    return Child(limits, isolation, hide, math.inf, libraries, handshake=False)


def _not_run(why: str) -> dict:
    return {"status": "not_run", "error": {"type": "NotRun", "message": why}}
