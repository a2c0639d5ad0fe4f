"""Turning declarations and observations into results.

``plan`` draws the cases of every question (visible ones from a fixed seed, hidden
ones from the grading seed); some *runner* performs the calls and returns one
observation per case (plain data, see :mod:`autograder.student.probes`); ``judge`` compares
in the grader's process and produces a :class:`~autograder.results.QuestionResult`.
The notebook's ``check``, ``autograder check`` and ``autograder grade`` differ only in
the runner they use and in whether hidden cases and the reference take part.
"""

from __future__ import annotations

import dataclasses
import textwrap
import zlib
from dataclasses import dataclass
from typing import Any, Collection, Mapping, Sequence

from ..student import plain
from . import crashes, wrong_values
from .compare import Mismatch
from .misconceptions import recognised
from .relations import IN_PLACE
from .question import Assignment, Case, Oracles, Question, ReferenceUnavailable
from ..results import STATUS_TEXT, QuestionResult

__all__ = ["PlannedCase", "attribute", "plan", "requests_for", "judge", "judge_all", "time_limits", "visible_seed", "with_dependencies"]

@dataclass(frozen=True)
class PlannedCase:
    """A case together with whether it is hidden (its expected values are never shown)."""

    question: Question
    case: Case
    hidden: bool


def visible_seed(assignment: str, question: str) -> int:
    """The fixed seed of a question's visible cases (stable when other questions change)."""
    return zlib.crc32(f"{assignment}/{question}".encode())


def plan(assignment: Assignment, questions: Sequence[Question], hidden_seed: int | None) -> list[PlannedCase]:
    """Draw the cases to run: the visible ones, plus hidden ones when ``hidden_seed`` is given."""
    planned = []
    for question in questions:
        planned += [PlannedCase(question, c, False) for c in question.cases(visible_seed(assignment.name, question.name), False)]
        if hidden_seed is not None:
            seed = [hidden_seed, visible_seed(assignment.name, question.name)]
            planned += [PlannedCase(question, c, True) for c in question.cases(seed, True)]
    return planned


_CALL_BANS: dict[int, tuple[Assignment, tuple[str, ...]]] = {}


def call_bans(assignment: Assignment) -> tuple[str, ...]:
    """Every library one of ``assignment``'s cases makes absent from the process of its call
    (:attr:`Case.forbidden_libraries`), sorted; drawn once per assignment (the key holds the
    assignment, so its id is never reused)."""
    if id(assignment) not in _CALL_BANS:
        bans = {name for planned in plan(assignment, list(assignment), 0) for name in planned.case.forbidden_libraries}
        _CALL_BANS[id(assignment)] = (assignment, tuple(sorted(bans)))
    return _CALL_BANS[id(assignment)][1]


def time_limits(assignment: Assignment) -> dict[str, float]:
    """Question name -> the longest CPU time, in seconds, one call of its cases may take (visible and hidden cases alike)."""
    limits: dict[str, float] = {}
    for planned in plan(assignment, [q for q in assignment if not q.manual], 0):
        limits[planned.question.name] = max(limits.get(planned.question.name, 0.0), planned.case.timeout)
    return limits


def _failure(question: Question, status: str, case: Case, reason: str, **extra: Any) -> QuestionResult:
    return QuestionResult(question.name, question.title, 0.0, question.points, status, reason, case=case.label, **extra)


def _named(question: Question, key: str | None) -> dict[str, str | None]:
    """The ``misconception`` and ``hint`` of a failure naming the catalogue entry ``key`` (a key the
    catalogue does not know is shown as it is, without a hint)."""
    known = question.misconceptions.get(key) if key else None
    return {"misconception": known.name if known else key, "hint": known.hint if known else None}


def _by_relation(question: Question, relation: str | None) -> dict[str, str | None]:
    """What a relation between got and expected names: the catalogue entry the question's table maps it to,
    else the kit-wide rule for its kind (:mod:`autograder.judge.wrong_values`), else nothing."""
    if relation and relation in question.relations:
        return _named(question, question.relations[relation])
    name, hint = wrong_values.diagnose(relation) or (None, None)
    return {"misconception": name, "hint": hint}


def _unusable(question: Question, planned: PlannedCase, observation: Mapping[str, Any], hints: Mapping[str, str],
              banned: Collection[str] = ()) -> QuestionResult | None:
    """A result for an observation whose call did not return normally, else None. A function in
    ``banned`` is missing because its cell imports a forbidden library: it fails, named by the
    question's catalogue entry detected by "ban" where there is one."""
    case, status = planned.case, observation.get("status")
    if status == "ok":
        return None
    error = observation.get("error") or {}
    where = f" (case: {case.label})"
    if status == "missing":
        hint = hints.get(case.fn) or f"Define a function named `{case.fn}` in its answer cell; did you rename or delete it?"
        reason = f"{error.get('message', case.fn + ' is not defined')}. {hint}"
        ban = next((m for m in question.misconceptions.values() if "ban" in m.detected_by and question.name in m.questions), None)
        if case.fn in banned and ban is not None:
            return _failure(question, "failed", case, reason, **_named(question, ban.key))
        return _failure(question, "missing", case, reason)
    if status == "not_implemented":
        return _failure(question, "not_implemented", case, f"`{case.fn}` is not implemented yet: replace `raise NotImplementedError()` in its answer cell with your code.")
    if status == "timeout":
        return _failure(question, "timeout", case, f"`{case.fn}` did not finish within its limit of {case.timeout:g} s of CPU time{where}: "
                        f"{error.get('message', 'stopped')}. Is there an infinite loop, or a loop over samples that should be vectorised?")
    if status == "error":
        reason = f"`{case.fn}` raised {error.get('type', 'an error')}: {error.get('message', '')}{where}"
        named = crashes.diagnose(error)
        misconception, hint = named if named else (None, None)
        return _failure(question, "error", case, reason, traceback=error.get("traceback"), misconception=misconception, hint=hint)
    return _failure(question, "not_run", case, f"`{case.fn}` could not be run{where}: {error.get('message', 'the student process stopped')}")


def _outcomes(question: Question, cases: Sequence[PlannedCase], observations: Sequence[Mapping[str, Any]],
              reference: Mapping[str, Any] | None, hints: Mapping[str, str], banned: Collection[str] = ()) -> list[QuestionResult | None]:
    """One entry per case: None where it passed, else the result its failure alone would give."""
    outcomes = []
    for planned, observation in zip(cases, observations):
        outcome = _unusable(question, planned, observation, hints, banned)
        outcomes.append(outcome if outcome is not None else _check(question, planned, observation, reference))
    return outcomes


def _summarise(question: Question, outcomes: Sequence[QuestionResult | None], cases: Sequence[PlannedCase]) -> QuestionResult:
    """The question's result from its cases': the reason of the first failure that names its mistake (else of the
    first failure), and its points. A diagnostic case (:attr:`Case.diagnostic`) counts only when it fails."""
    counted = [o for o, planned in zip(outcomes, cases) if o is not None or not planned.case.diagnostic]
    passed, total = sum(o is None for o in counted), len(counted)
    # The first failure that names its mistake, else the first: the reason a student can act on.
    first = next((o for o in outcomes if o is not None and o.misconception), None) or next((o for o in outcomes if o is not None), None)
    if first is None:
        return QuestionResult(question.name, question.title, question.points, question.points, "passed", cases_passed=passed, cases_total=total)
    points = round(question.points * passed / total, 2) if question.partial and total else 0.0
    return dataclasses.replace(first, points=points, cases_passed=passed, cases_total=total)


def judge(
    question: Question,
    cases: Sequence[PlannedCase],
    observations: Sequence[Mapping[str, Any]],
    reference: Mapping[str, Any] | None,
    hints: Mapping[str, str] | None = None,
) -> QuestionResult:
    """Compare every observation of one question with its case's check.

    Args:
        question: the declaration.
        cases: this question's planned cases, in order.
        observations: one per case, as returned by :func:`autograder.student.probes.run_call`
            (``value`` still encoded).
        reference: the reference solution's namespace, or None where it is absent.
        hints: an extra sentence per function for a ``missing`` result (for example,
            that the cell defining it stopped with a syntax error).

    Returns:
        Full points if every case passed, else a failure's reason (:func:`_summarise`) with 0 points
        (or ``points * passed / total`` for a question declared ``partial``). Dependencies
        between questions are applied by :func:`judge_all`.
    """
    if question.manual:
        return QuestionResult(question.name, question.title, 0.0, question.points, "manual", "graded by hand in formgrader")
    return _summarise(question, _outcomes(question, cases, observations, reference, hints or {}), cases)


def _check(question: Question, planned: PlannedCase, observation: Mapping[str, Any], reference: Mapping[str, Any] | None) -> QuestionResult | None:
    case = planned.case
    if observation.get("mutated"):
        changed = ", ".join(observation["mutated"])
        return _failure(question, "failed", case, f"`{case.fn}` modified its input ({changed}) in place (case: {case.label}). Functions must not change their arguments: work on a copy.",
                        **_by_relation(question, IN_PLACE))
    got = plain.decode(observation.get("value"))
    try:
        case.judge(got, Oracles(reference, reveal=not planned.hidden, cpu_seconds=observation.get("cpu_seconds")))
    except Mismatch as wrong:
        kind = "hidden case" if planned.hidden else "case"
        named = _named(question, wrong.misconception) if wrong.misconception else _by_relation(question, wrong.relation or wrong.symptom)
        return _failure(question, "failed", case, f"{wrong.message}\n(in the {kind} '{case.label}')", **named)
    except ReferenceUnavailable:
        raise
    except Exception as exc:  # a malformed answer the check did not anticipate
        return _failure(question, "failed", case, f"case '{case.label}': the result of `{case.fn}` could not be checked ({type(exc).__name__}: {exc}). Check its type and shape against the docstring.")
    return None


def requests_for(planned: Sequence[PlannedCase]) -> list[dict]:
    """The call requests (plain data) that a runner performs, one per planned case."""
    return [{**p.case.call(), "args": plain.encode(list(p.case.args)), "kwargs": plain.encode(dict(p.case.kwargs))} for p in planned]


def with_dependencies(assignment: Assignment, questions: Sequence[Question]) -> list[Question]:
    """``questions`` and every question they depend on (transitively), in notebook order: what to judge
    so that a failure of one of ``questions`` can name its cause (checking one question alone cannot)."""
    wanted = {q.name for q in questions}
    for question in reversed(assignment.questions):
        if question.name in wanted:
            wanted |= set(question.depends_on)
    return [q for q in assignment if q.name in wanted]


def _call_key(case: Case) -> str:
    """What a case asks the student's code, as plain data: two cases with the same key get the same answer."""
    return plain.dumps([case.fn, case.probe, list(case.args), dict(case.kwargs)])


def judge_all(
    questions: Sequence[Question],
    planned: Sequence[PlannedCase],
    observations: Sequence[Mapping[str, Any]],
    reference: Mapping[str, Any] | None,
    hints: Mapping[str, str] | None = None,
    banned: Collection[str] = (),
) -> list[QuestionResult]:
    """Judge each question on its own planned cases and their observations, then let the
    declared dependencies among ``questions`` explain failures (:func:`attribute`). ``hints`` and
    ``banned`` are described in :func:`judge` and :func:`_unusable`."""
    results, failures = [], {}
    for question in questions:
        index = [i for i, p in enumerate(planned) if p.question is question]
        if question.manual:
            results.append(judge(question, [], [], reference))
            continue
        outcomes = _outcomes(question, [planned[i] for i in index], [observations[i] for i in index], reference, hints or {}, banned)
        results.append(_summarise(question, outcomes, [planned[i] for i in index]))
        failures[question.name] = [(_call_key(planned[i].case), o) for i, o in zip(index, outcomes) if o is not None]
    return attribute(questions, results, failures)


def _indent(text: str) -> str:
    return textwrap.indent(text, "    ")


def attribute(questions: Sequence[Question], results: Sequence[QuestionResult],
              failures: Mapping[str, Sequence[tuple[str, QuestionResult]]] | None = None) -> list[QuestionResult]:
    """Name, and charge once, a failure that a failed dependency explains.

    For each failed question (in notebook order) with a failed dependency among
    ``questions`` (its declared ``depends_on``, never anything the student's process
    reported): ``caused_by`` is that dependency's root cause, whose reason the student reads
    first; the question's own failure follows, except for a case that asks exactly what a
    failing case of the dependency asked (the same call: its own message would judge a value
    already known to be wrong). The question's own recognised mistake is kept; when it names
    none, the root cause's is used instead of the question's own generic hint. A question whose
    own failure names a mistake of its own catalogue (not a downstream effect of the dependency's)
    is charged for that mistake instead; a kit-wide name (:mod:`autograder.judge.wrong_values`,
    :mod:`autograder.judge.crashes`) describes a value the dependency may have made wrong, so
    there the dependency still comes first.

    Scoring, for a question declared ``on_dependency_failure="excuse"`` that passed at least
    one case itself: the points it lost are given back up to what its failed dependencies
    were charged themselves (each dependency's charge is shared by all its dependents, in
    notebook order, and depends on its points alone, never on its status). So one mistake
    costs at most the larger of the two charges, never their sum, and breaking a dependency
    on purpose never raises a total: whatever it excuses, it has been charged at least as
    much itself. A question that passed no case itself shows nothing to excuse.

    Args:
        questions: the declarations, in notebook order.
        results: one per question, as judged on its own cases.
        failures: per question name, its failing cases as ``(call key, result)`` pairs.

    Returns:
        The results, new objects where a dependency explained a failure.
    """
    failures = failures or {}
    final: dict[str, QuestionResult] = {}
    budget: dict[str, float] = {}
    out = []
    for question, result in zip(questions, results):
        failed_deps = [final[d] for d in question.depends_on if d in final and final[d].status not in ("passed", "manual")]
        consumed = 0.0
        if result.status in ("passed", "manual") or not failed_deps:
            out.append(result)
        else:
            explained, consumed = _explained(question, result, failed_deps, final, budget, failures)
            out.append(explained)
        final[question.name] = out[-1]
        if out[-1].status not in ("passed", "manual"):  # what it lost, less what is charged to its dependencies already
            budget[question.name] = round(result.max_points - result.points - consumed, 2)
    return out


def _downstream(question: Question, name: str, causes: Sequence[QuestionResult]) -> bool:
    """Is the catalogued mistake ``name`` (seen in ``question``) what one of ``causes``' mistakes produces downstream?"""
    by_name = {m.name: m for m in question.misconceptions.values()}
    own = by_name.get(name)
    for cause in causes:
        entry = by_name.get(cause.misconception or "")
        if entry is not None and own is not None and (own.key == entry.key or own.key in entry.shows_as):
            return True
    return False


def _explained(question: Question, result: QuestionResult, failed_deps: list[QuestionResult], final: Mapping[str, QuestionResult],
               budget: dict[str, float], failures: Mapping[str, Sequence[tuple[str, QuestionResult]]]) -> QuestionResult:
    root = final[failed_deps[0].caused_by or failed_deps[0].question]
    known = {key for dep in failed_deps for key, _ in failures.get(dep.question, ())}
    own = next((o for key, o in failures.get(question.name, ()) if key not in known), None)
    if not failures.get(question.name):
        own = result  # no case-level record: the question's own first failure
    catalogued = {m.name for m in question.misconceptions.values()}
    if own is not None and own.misconception in catalogued and not _downstream(question, own.misconception, [root, *failed_deps]):
        # The question's own check recognises a mistake of its own catalogue: that is its cause, charged here. A kit-wide
        # name (a relation, a law, an exception) describes the value, which a failed dependency may have made wrong.
        also = ", ".join(f"`{d.question}`" for d in failed_deps)
        return dataclasses.replace(result, reason=f"{result.reason}\n(Also: {also}, which this question uses, fails its own question.)"), 0.0
    through = f" (through `{failed_deps[0].question}`)" if root.question != failed_deps[0].question else ""
    lines = [f"Fails because of `{root.question}`{through}, which this question relies on and which fails its own question "
             f"({STATUS_TEXT[root.status]}): fix `{root.question}` first.", _indent(root.reason)]
    misconception, hint = root.misconception, root.hint
    if own is not None:
        if own.misconception:  # the question's own recognised mistake stays in the result; the root's is said here
            if root.misconception:
                lines.append(_indent(recognised(root.misconception, root.hint)))
            misconception, hint = own.misconception, own.hint
        lines.append("This question's own check: " + own.reason)
    consumed = 0.0
    if question.on_dependency_failure == "excuse":
        # The dependencies' charge covers this loss whether or not it is given back: a question that
        # shows no case right of its own gets nothing back, but cannot pass that charge on either.
        need = round(result.max_points - result.points, 2)
        for dep in failed_deps:
            take = min(need - consumed, budget.get(dep.question, 0.0))
            if take > 0:
                budget[dep.question] = round(budget[dep.question] - take, 2)
                consumed = round(consumed + take, 2)
    excused = consumed if result.cases_passed > 0 else 0.0
    if excused:
        lines.append(f"Not charged twice: {excused:g} of the {result.max_points - result.points:g} points this question lost are given back, "
                     f"because the failure of `{root.question}` is charged already.")
    return dataclasses.replace(result, points=round(result.points + excused, 2), reason="\n".join(lines), caused_by=root.question,
                               excused=excused, misconception=misconception, hint=hint,
                               traceback=own.traceback if own is not None else None), consumed
