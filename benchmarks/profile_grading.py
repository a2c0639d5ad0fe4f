"""Where the time of grading one submission goes, stage by stage.

Used by ``bench_grading.py --profile``. Each stage is timed in the grader's process by
wrapping the functions that perform it (nothing in the kit changes while profiling):

    read          reading the submitted notebook (parent; the released one is read once per run)
    plan+encode   drawing the cases and encoding their arguments as plain data (parent)
    child start   starting each sandboxed child until it says "ready": process start,
                  sandbox set-up and the child's imports (what is left of them after the
                  first child's early launch: its handshake); split below by starting a bare
                  interpreter, one importing NumPy, and an unconfined child (medians of 3)
    cells         running the setup cells and the student's cells in the child
    calls         the calls, wall time seen by the parent; "in student code" is the
                  child's own measurement of the call (and its result's encoding), the
                  rest is the channel (JSON both ways, pipes, the parent's checks)
    decode        decoding the answers in the parent
    oracles       judging the answers: checks, autograd and the reference (parent)
    write         writing the result file

The child's own times are believed here: this is a profile, not a grade.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from autograder import course, grade, sandbox, submission
from autograder.outputs import files
from autograder.student import plain
from autograder.course import notebook as nb
from autograder.sandbox import interpreter
from autograder.sandbox.isolation import detect, instructor_paths

STAGES = ("read", "plan+encode", "child start", "cells", "calls", "decode", "oracles", "write")


class Clock:
    """Seconds spent per stage, and how often each was entered."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self._depth: dict[str, int] = defaultdict(int)

    def wrap(self, stage: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            outermost = self._depth[stage] == 0  # recursive calls (decode) are counted once
            self._depth[stage] += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth[stage] -= 1
                if outermost:
                    self.seconds[stage] += time.perf_counter() - start
                    self.count[stage] += 1
        return timed


@contextmanager
def _patched(clock: Clock, student_seconds: list[float]) -> Iterator[None]:
    """Install the timing wrappers; restore the originals afterwards."""
    call = sandbox.Child.call

    def observed_call(self, index, request):
        step = call(self, index, request)
        if step.reply is not None:
            student_seconds.append(float(step.reply["observation"].get("seconds", 0.0)))
        return step

    targets = [
        (nb, "read", "read"), (submission.nb, "read", "read"),
        (submission, "plan", "plan+encode"), (submission, "requests_for", "plan+encode"),
        (sandbox.Child, "__init__", "child start"), (sandbox.Child, "__init__", "children"),
        (sandbox.Child, "handshake", "child start"), (sandbox.Child, "cell", "cells"),
        (sandbox.Child, "call", "calls"),
        (plain, "decode", "decode"), (submission, "judge_all", "oracles"),
        (files, "write_result", "write"),
    ]
    saved = list({(owner, name): (owner, name, getattr(owner, name)) for owner, name, _ in targets}.values())
    try:
        sandbox.Child.call = observed_call
        for owner, name, stage in targets:
            setattr(owner, name, clock.wrap(stage, getattr(owner, name)))
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def _child_start(isolation, hide, repeat: int = 3) -> float:
    """Median seconds for a child to start and say "ready" (``isolation`` None: unconfined)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        child = sandbox.Child(sandbox.Limits(), isolation, hide, time.monotonic() + 60)
        times.append(time.perf_counter() - start)
        child.close()
    return sorted(times)[len(times) // 2]


def _interpreter(code: str, repeat: int = 3) -> float:
    """Median seconds of ``code`` in an interpreter started as the child's is (no site, the child's path)."""
    times = []
    command = [sys.executable, "-I", "-S", "-c", f"import json, sys; sys.path[:0] = json.loads(sys.argv[1]); {code}", json.dumps(interpreter.import_path())]
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=tempfile.gettempdir())
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def startup_split(root: Path, submitted: Path, out: Path) -> dict[str, float]:
    """What one child start costs, split: bare interpreter, + NumPy, + the kit's child modules,
    + pipes and handshake, + confinement (what a warm template process could save is the first three)."""
    isolation = detect()
    hide = instructor_paths(root, submitted, out)
    bare = _interpreter("pass")
    numpy = _interpreter("import numpy")
    imports = _interpreter("import autograder.student.child")
    unconfined = _child_start(None, hide)
    confined = _child_start(isolation, hide)
    return {"interpreter": bare, "numpy": numpy - bare, "kit's child modules": imports - numpy, "pipes+handshake": max(0.0, unconfined - imports),
            "sandbox set-up": confined - unconfined, "total (confined)": confined}


def profile_one(sub: grade.Submission, root: Path, out: Path, seed: int = 1) -> tuple[dict[str, float], dict[str, int], float, float]:
    """Grade one submission with every stage timed; return (seconds, counts, total, student seconds)."""
    clock, student = Clock(), []
    isolation = detect()
    hide = instructor_paths(root, sub.folder.parent.parent if sub.folder else root, out)
    course.reference(sub.assignment.name, root)  # loaded once per run, before the first submission
    release = nb.read(course.release_path(sub.assignment, root))  # read once per run, as grade_folder does
    with _patched(clock, student):
        start = time.perf_counter()
        result = grade.grade_one(sub, root, seed, sandbox.Limits(), isolation, hide, release=release)
        files.write_result(out, result)
        total = time.perf_counter() - start
    return dict(clock.seconds), dict(clock.count), total, sum(student)


def print_profile(subs: list[grade.Submission], root: Path, out: Path) -> None:
    """One table: a row per assignment (one correct submission each), a column per stage."""
    print("\nprofile of one correct submission per assignment (seconds of wall time, measured in the grader's process):")
    header = f"  {'assignment':18s}" + "".join(f"{s:>12s}" for s in STAGES) + f"{'  in student':>12s}{'children':>9s}{'total':>8s}"
    print(header)
    first = {}
    for sub in subs:
        first[sub.assignment.name] = profile_one(sub, root, out)[2]  # pays what is paid once per run (imports, SymPy)
        seconds, counts, total, student = profile_one(sub, root, out)
        row = f"  {sub.assignment.name:18s}" + "".join(f"{seconds.get(s, 0.0):12.3f}" for s in STAGES)
        print(row + f"{student:12.3f}{counts.get('children', 0):9d}{total:8.2f}")
    print("  (each submission graded twice, the second shown: what every later submission pays; calls = in student code + channel,")
    print("   'in student' being the child's own measure of its calls)")
    print("  first submission of the run, with what is paid once: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in first.items()))
    split = startup_split(root, subs[0].folder.parent.parent, out)
    print("  one child start, split: " + ", ".join(f"{k} {v:.3f} s" for k, v in split.items()))
