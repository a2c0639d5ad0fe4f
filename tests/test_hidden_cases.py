"""Hidden cases are drawn per student: two students never share them, and no student's result
depends on another's notebook or on who else is in the class."""

from __future__ import annotations

import pytest
from conftest import ROOT, by_question

from autograder import course
from autograder.course import simulate
from autograder.judge.engine import _call_key, plan
from autograder.grade import grade_folder, submission_seed

RUN_SEED = 2026_12_02
STUDENTS = tuple(f"student{i:02d}" for i in range(16))


def _hidden_keys(assignment, seed: int) -> dict[str, list[str]]:
    """Question -> what its hidden cases ask (plain data), for one hidden seed."""
    keys: dict[str, list[str]] = {}
    for planned in plan(assignment, list(assignment), seed):
        if planned.hidden:
            keys.setdefault(planned.question.name, []).append(_call_key(planned.case))
    return keys


@pytest.mark.parametrize("name", list(course.assignments()))
def test_two_students_never_draw_the_same_hidden_cases(name):
    """Every pair of students of the same run draws different hidden cases, and every question whose hidden
    cases depend on the seed at all gives different students different ones (a question drawing from a few
    options may repeat for a pair, never for the whole class); each assignment has such questions."""
    assignment = course.get_assignment(name)
    first, second = _hidden_keys(assignment, 1), _hidden_keys(assignment, 2)
    seeded = [q for q in first if first[q] != second.get(q)]
    assert seeded, f"no question of {name} draws hidden cases from the seed"
    drawn = {s: _hidden_keys(assignment, submission_seed(RUN_SEED, s, name)) for s in STUDENTS}
    for i, a in enumerate(STUDENTS):
        for b in STUDENTS[i + 1:]:
            same = [q for q in seeded if drawn[a][q] == drawn[b][q]]
            assert len(same) < len(seeded), f"{a} and {b} drew the same hidden cases of {name}"
    for question in seeded:
        assert len({str(drawn[s][question]) for s in STUDENTS}) > 1, f"every student drew the same hidden cases of {name}/{question}"


def test_the_hidden_seed_depends_on_student_assignment_and_run_and_is_wide():
    seeds = {submission_seed(run, student, assignment) for run in (1, 2) for student in STUDENTS for assignment in ("01_gates", "04_backprop")}
    assert len(seeds) == 2 * len(STUDENTS) * 2
    assert max(seeds).bit_length() > 120  # 128-bit: not recoverable by trying seeds
    assert submission_seed(5, "alice", "01_gates") == submission_seed(5, "alice", "01_gates")


def _write_class(submitted, gates, students, wrong: str | None = None) -> None:
    """Solutions for ``students``; ``wrong`` (a student) gets the assignment's sample mistakes instead."""
    for student in students:
        mistakes = gates.sample_mistakes if student == wrong else {}
        simulate.write(simulate.fill(gates, ROOT, replace=mistakes), submitted, student, gates)


def _record(result) -> list:
    return [result.seed] + [(q.question, q.points, q.status, q.reason, q.case) for q in result.questions]


@pytest.mark.slow
def test_one_students_result_does_not_depend_on_another_students_notebook_or_on_the_class(tmp_path):
    """Grade a class; grade it again after one student's notebook changed and another student joined: everyone
    else's results (seed, points, reasons, failing case) are identical; the changed student's are not."""
    gates = course.get_assignment("01_gates")
    _write_class(tmp_path / "first", gates, ["alice", "bob", "carol"])
    _write_class(tmp_path / "second", gates, ["aaron", "alice", "bob", "carol"], wrong="bob")
    before = {r.student: r for r in grade_folder(tmp_path / "first", tmp_path / "out1", [gates.name], seed=RUN_SEED, jobs=2, root=ROOT)}
    after = {r.student: r for r in grade_folder(tmp_path / "second", tmp_path / "out2", [gates.name], seed=RUN_SEED, jobs=2, root=ROOT)}
    for student in ("alice", "carol"):
        assert _record(before[student]) == _record(after[student]), student
        assert before[student].seed == submission_seed(RUN_SEED, student, gates.name)
    assert _record(before["bob"]) != _record(after["bob"])
    assert sum(q.points for q in after["bob"].questions) < sum(q.points for q in before["bob"].questions)
    assert len({r.seed for r in after.values()}) == len(after)
    assert all(by_question(before[s]).keys() == by_question(after[s]).keys() for s in before)
