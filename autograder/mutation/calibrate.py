"""Judging mutants of the reference with the questions' own cases: the checks' calibration.

For one mutant (:class:`~autograder.mutation.operators.Mutant`) the solution notebook's
setup and answer cells run in a fresh namespace with the mutated cell in place of its
original; the questions exercising the mutated function then judge that namespace as
they judge a student's, on their visible cases and on hidden cases from a few seeds, with
the unmutated reference as the oracle. The mutant is

- ``caught`` when some question does not pass (``named`` when the first failure names a
  catalogued mistake);
- ``equivalent`` when every question passes and its outputs are identical to the
  reference's on the cases of many more seeds (and it changes no argument the reference
  leaves alone; outputs that vary between two runs of the reference itself, such as
  timings, are not compared): no check could tell it apart, so it is reported, not scored;
- a ``survivor`` otherwise: it computes something else and every check let it through.

Every mutant runs in a forked child with a CPU-time and memory limit (a mutated loop
bound may never end, a mutated constant may allocate without limit); a child that dies or
runs out of time counts as caught, since grading would stop it the same way. This runs the
kit's own reference code, never a student's: the children are limited, not sandboxed.
"""

from __future__ import annotations

import ast
import contextlib
import io
import linecache
import multiprocessing
import os
import resource
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .. import course
from ..student import plain
from ..course import notebook as nb
from ..judge.engine import judge_all, plan, requests_for
from ..student.probes import run_call
from ..judge.question import Assignment, Question
from ..results import QuestionResult
from .operators import Mutant, mutants_of_cell

__all__ = ["Outcome", "Summary", "generate", "judge_mutant", "run", "summarise", "questions_for"]

GRADING_SEEDS = (11, 12)
"""Hidden-case seeds a mutant is graded with."""
EQUIVALENCE_SEEDS = tuple(range(100, 104))
"""Further seeds whose cases a passing mutant's outputs are compared on."""
CASE_SECONDS = 3.0
"""CPU seconds one call of a mutant may take, at most (less where its case declares less): the
reference's slowest call takes under one second, and a mutant looping until a case's own limit
would cost minutes. A mutant stopped here counts as caught, shown apart in the benchmark's table."""
MUTANT_CPU_SECONDS = 120
"""CPU seconds one mutant's child may use in all (the reference needs a few): then it is killed."""
MUTANT_SECONDS = 900.0
"""Wall-clock seconds one mutant may take in all (a child blocked without using CPU)."""
MEMORY_BYTES = 3 * 2**30
ANSWERS_NOT_UNIQUE = {
    "01_gates": {"gate_weights", "gate_margin", "xor_network"},  # any weights computing the gate (with the margin) are right
    "07_generalisation": {"universal_fit"},  # the initial weights' scales are the student's choice: the fit is what is asked
}
"""Questions whose contract admits many right answers, by assignment: for these, passing every
check on the cases of all the equivalence seeds (which check the whole contract) makes a
mutant equivalent; identical outputs are not asked for."""
VALUES_LEFT_OPEN = {
    "05_softmax": {"init_params"},  # "random initial parameters" of the stated shapes: the distribution is the student's choice
}
"""Student functions whose docstring fixes less than their values, by assignment: a mutant of one
of them is judged as :data:`ANSWERS_NOT_UNIQUE` judges a question's, on every question it reaches
(the outputs of a training run that starts from it legitimately differ from the reference's)."""


@dataclass(frozen=True)
class Outcome:
    """What the checks made of one mutant.

    Attributes:
        mutant: the mutant judged.
        verdict: ``"caught"``, ``"equivalent"`` or ``"survivor"``.
        question: the first question that failed (caught), else ``""``.
        status: that question's status (``failed``, ``error``, ``timeout``...), or why the
            child stopped (``killed``).
        misconception: the catalogued mistake named, or None.
        detail: the first line of the failure's reason, or for a survivor where its
            output first differs from the reference's.
        seconds: wall-clock time spent on the mutant.
    """

    mutant: Mutant
    verdict: str
    question: str = ""
    status: str = ""
    misconception: str | None = None
    detail: str = ""
    seconds: float = 0.0

    @property
    def named(self) -> bool:
        return self.verdict == "caught" and self.misconception is not None


def reference_cells(assignment: Assignment, root: Path) -> tuple[list[nb.CodeCell], list[nb.CodeCell]]:
    """The solution notebook's setup cells and answer cells, in order."""
    notebook = nb.read(course.solution_path(assignment, root))
    return nb.setup_cells(notebook), nb.solution_cells(notebook)


def generate(assignment: Assignment, root: Path) -> list[Mutant]:
    """Every mutant of every answer cell of ``assignment``'s solution notebook."""
    _, answers = reference_cells(assignment, root)
    return [m for cell in answers for m in mutants_of_cell(assignment.name, cell.label, cell.source)]


def uses(cells: Sequence[nb.CodeCell]) -> dict[str, set[str]]:
    """For every top-level name the cells define, the names its definition mentions."""
    found: dict[str, set[str]] = {}
    for cell in cells:
        for node in ast.parse(cell.source).body:
            targets = [node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else [
                t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            mentioned = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            for target in targets:
                found.setdefault(target, set()).update(mentioned - {target})
    return found


def questions_for(assignment: Assignment, function: str, cells: Sequence[nb.CodeCell] = ()) -> list[Question]:
    """The automatic questions exercising ``function`` (for a method, its class): those naming it
    or a definition of ``cells`` that mentions it, directly or through others; every automatic
    question when none does."""
    graph = uses(cells)
    top = function.split(".")[0]

    def reaches(name: str, seen: set[str]) -> bool:
        if name == top:
            return True
        seen.add(name)
        return any(reaches(n, seen) for n in graph.get(name, ()) if n not in seen)

    named = [q for q in assignment if not q.manual and any(reaches(f, set()) for f in q.functions)]
    return named or [q for q in assignment if not q.manual]


def mutant_namespace(mutant: Mutant, setup: Sequence[nb.CodeCell], answers: Sequence[nb.CodeCell]) -> dict[str, Any]:
    """The solution notebook's namespace with ``mutant``'s cell in place of its original."""
    namespace: dict[str, Any] = {"__name__": "mutant"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in [*setup, *answers]:
            source = mutant.source if cell.label == mutant.cell else cell.source
            filename = f"<mutant {cell.label}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # as the grading child does
            exec(compile(source, filename, "exec"), namespace)
    return namespace


def _observe(namespace: Mapping[str, Any], requests: Iterable[dict]) -> list[dict]:
    """One observation per request, each call limited to its case's declared time (at most
    :data:`CASE_SECONDS`) and its CPU time measured, as the grader measures it (a question judging
    speed reads it); after a call runs out of time the rest are not run (the question has failed
    already)."""
    observations = []
    for request in requests:
        if observations and observations[-1]["status"] in ("timeout", "not_run"):
            observations.append({"status": "not_run", "error": {"message": "not run after a call ran out of time"}})
            continue
        limited = {**request, "timeout": min(request.get("timeout") or CASE_SECONDS, CASE_SECONDS)}
        start = time.process_time()
        observation = run_call(namespace, limited, enforce_timeout=True)
        observations.append({**observation, "cpu_seconds": time.process_time() - start})
    return observations


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0][:160] if (text or "").strip() else ""


def _difference(got: dict, expected: dict) -> str | None:
    """Where an observation of the mutant differs from the reference's, or None if identical."""
    if got.get("status") != expected.get("status"):
        return f"status {got.get('status')} instead of {expected.get('status')}"
    if got.get("mutated") != expected.get("mutated"):
        return f"changes {got.get('mutated')} where the reference changes {expected.get('mutated')}"
    if got.get("status") != "ok":
        return None
    a, b = plain.decode(got.get("value")), plain.decode(expected.get("value"))
    return None if _identical(a, b) else "different values"


def _identical(a: Any, b: Any) -> bool:
    """Equal up to rounding (1e-10 relative): the mutant computes the same thing."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_identical, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, (np.ndarray, np.generic, float, int, bool)) and isinstance(b, (np.ndarray, np.generic, float, int, bool)):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape or x.dtype.kind != y.dtype.kind:
            return False
        if x.dtype.kind in "fc":
            return bool(np.allclose(x, y, rtol=1e-10, atol=1e-12, equal_nan=True))
        return bool(np.array_equal(x, y))
    return type(a) is type(b) and a == b


def _first_failure(assignment: Assignment, questions: Sequence[Question], seed: int, namespace: Mapping[str, Any],
                   reference: Mapping[str, Any]) -> QuestionResult | None:
    """The first of ``questions`` (in notebook order) that ``namespace`` fails on its visible cases and the
    hidden ones of ``seed``, or None. Each is judged on its own (the questions it depends on are
    judged before it), and the later ones are not run once one fails."""
    for question in questions:
        planned = plan(assignment, [question], seed)
        result = judge_all([question], planned, _observe(namespace, requests_for(planned)), reference)[0]
        if result.status != "passed":
            return result
    return None


def judge_mutant(mutant: Mutant, assignment: Assignment, reference: Mapping[str, Any],
                 setup: Sequence[nb.CodeCell], answers: Sequence[nb.CodeCell]) -> Outcome:
    """Grade one mutant in this process (see the module's docstring); no time limit here."""
    start = time.perf_counter()
    try:
        namespace = mutant_namespace(mutant, setup, answers)
    except Exception as exc:  # the cell itself fails: every question would fail
        return Outcome(mutant, "caught", status="error", detail=f"the cell raised {type(exc).__name__}: {exc}"[:160])
    questions = questions_for(assignment, mutant.function, answers)
    for seed in GRADING_SEEDS:
        failed = _first_failure(assignment, questions, seed, namespace, reference)
        if failed is not None:
            return Outcome(mutant, "caught", failed.question, failed.status, failed.misconception, _first_line(failed.reason),
                           time.perf_counter() - start)
    left_open = mutant.function in VALUES_LEFT_OPEN.get(assignment.name, ())
    open_ended = [q for q in questions if left_open or q.name in ANSWERS_NOT_UNIQUE.get(assignment.name, ())]
    for seed in EQUIVALENCE_SEEDS:
        failed = _first_failure(assignment, open_ended, seed, namespace, reference)
        if failed is not None:
            return Outcome(mutant, "survivor", failed.question, failed.status, failed.misconception,
                           f"fails {failed.question} only with seed {seed}: {_first_line(failed.reason)}", time.perf_counter() - start)
        requests = requests_for([p for p in plan(assignment, [q for q in questions if q not in open_ended], seed) if p.hidden])
        observed = zip(requests, _observe(namespace, requests), _observe(reference, requests), _observe(reference, requests))
        for request, got, expected, again in observed:
            if _difference(again, expected):  # the reference itself varies (a probe that measures time): nothing to compare
                continue
            difference = _difference(got, expected)
            if difference:
                return Outcome(mutant, "survivor", detail=f"{request['fn']}: {difference} (seed {seed})", seconds=time.perf_counter() - start)
    return Outcome(mutant, "equivalent", seconds=time.perf_counter() - start)


# --- running many mutants in limited children -----------------------------------------

_STATE: dict[str, Any] = {}


def _child(index: int, connection) -> None:
    warnings.simplefilter("ignore")  # a mutant's overflows are its own business
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (MUTANT_CPU_SECONDS, MUTANT_CPU_SECONDS + 5))
    try:
        os.nice(5)
    except OSError:
        pass
    mutant = _STATE["mutants"][index]
    outcome = judge_mutant(mutant, _STATE["assignments"][mutant.assignment], _STATE["references"][mutant.assignment],
                           *_STATE["cells"][mutant.assignment])
    connection.send(outcome)
    connection.close()


def run(mutants: Sequence[Mutant], root: Path, jobs: int = 1, progress=None) -> list[Outcome]:
    """Judge every mutant, each in a forked child limited in time and memory; ``jobs`` at once.

    ``progress(outcome)`` is called as each one ends. Returns one outcome per mutant, in order.
    """
    names = sorted({m.assignment for m in mutants})
    _STATE.update(mutants=list(mutants), assignments={n: course.get_assignment(n) for n in names},
                  references={n: course.reference(n, root) for n in names},
                  cells={n: reference_cells(course.get_assignment(n), root) for n in names})
    context = multiprocessing.get_context("fork")
    outcomes: dict[int, Outcome] = {}
    pending, running = list(range(len(mutants))), {}
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                index = pending.pop(0)
                receive, send = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(index, send), daemon=True)
                process.start()
                send.close()
                running[index] = (process, receive, time.monotonic())
            for index, (process, receive, started) in list(running.items()):
                outcome = None
                if receive.poll(0.05):
                    try:
                        outcome = receive.recv()
                    except EOFError:  # the child died (memory limit, a crash in NumPy)
                        outcome = Outcome(mutants[index], "caught", status="killed", detail="the mutant's process died (memory or CPU-time limit)",
                                          seconds=time.monotonic() - started)
                elif time.monotonic() - started > MUTANT_SECONDS:
                    outcome = Outcome(mutants[index], "caught", status="killed", detail=f"longer than {MUTANT_SECONDS:g} s in all",
                                      seconds=time.monotonic() - started)
                if outcome is not None:
                    process.kill()
                    process.join()
                    receive.close()
                    del running[index]
                    outcomes[index] = outcome
                    if progress:
                        progress(outcome)
    finally:  # interrupted: no child outlives the run
        for process, _, _ in running.values():
            process.kill()
    return [outcomes[i] for i in range(len(mutants))]


@dataclass
class Summary:
    """The calibration of one assignment's checks.

    ``score`` is caught / (caught + survivors): equivalent mutants are not scored;
    ``named_share`` is the share of caught mutants whose failure names a catalogued mistake;
    ``named_wrong_share`` the same among those that returned a wrong value (status ``failed``),
    ``named_error_share`` among those that raised (named by the exception, :mod:`autograder.judge.crashes`).
    """

    assignment: str
    generated: int = 0
    equivalent: int = 0
    caught: int = 0
    named: int = 0
    named_statuses: Counter = field(default_factory=Counter)
    survivors: list[Outcome] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    @property
    def score(self) -> float:
        scored = self.caught + len(self.survivors)
        return self.caught / scored if scored else 1.0

    @property
    def named_share(self) -> float:
        return self.named / self.caught if self.caught else 1.0

    @property
    def named_wrong_share(self) -> float:
        return self._named_among("failed")

    @property
    def named_error_share(self) -> float:
        return self._named_among("error")

    def _named_among(self, status: str) -> float:
        return self.named_statuses[status] / self.statuses[status] if self.statuses[status] else 1.0


def summarise(outcomes: Iterable[Outcome]) -> dict[str, Summary]:
    """Per assignment: mutants generated, equivalent, caught (and how), named, survivors."""
    summaries: dict[str, Summary] = {}
    for outcome in outcomes:
        summary = summaries.setdefault(outcome.mutant.assignment, Summary(outcome.mutant.assignment))
        summary.generated += 1
        if outcome.verdict == "equivalent":
            summary.equivalent += 1
        elif outcome.verdict == "survivor":
            summary.survivors.append(outcome)
        else:
            summary.caught += 1
            summary.named += outcome.named
            summary.named_statuses[outcome.status] += outcome.named
            summary.statuses[outcome.status] += 1
    return dict(sorted(summaries.items()))
