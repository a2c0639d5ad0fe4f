"""The demo: build the student notebooks, simulate a small class, grade it.

    autograder demo --out demo-output

1. copies the course (``solutions/`` and ``nbgrader_config.py``) to ``<out>/course`` and
   generates the student notebooks there with nbgrader;
2. writes a class of submissions in ``<out>/submitted`` (see :data:`autograder.course.simulate.CLASS`):
   correct, partly wrong, empty, crashing, hostile, broken;
3. grades them into ``<out>/grading`` (results, grades.csv, feedback with each student's
   figures drawn by their own functions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import course
from .course import simulate
from .course.build import build, copy_course
from .grade import grade_folder
from .outputs.output_folder import claim, remove_ours
from .results import SubmissionResult
from .sandbox import Limits

__all__ = ["run_demo", "DEMO_LIMITS"]

# The hostile student loops forever: a short cell limit keeps the demo quick.
DEMO_LIMITS = Limits(cell_seconds=5.0)


def run_demo(out: Path, root: Path, jobs: int = 2, log: Callable[[str], None] = print,
             on_result: Callable[[SubmissionResult], None] | None = None,
             on_plan: Callable[[int], None] | None = None) -> list[SubmissionResult]:
    """Run the whole demo into ``out`` and return the graded results.

    ``out`` must be new, empty or an earlier demo's folder (see :mod:`autograder.outputs.output_folder`);
    the demo replaces only what it wrote there (``course/``, ``submitted/``, ``grading/``).
    """
    claim(out, "demo")
    remove_ours(out, [name for name in ("course", "submitted", "grading") if (out / name).exists()])
    names = list(course.assignments())
    demo_course = copy_course(root, out / "course")
    build(demo_course, names)
    log(f"built {len(names)} student notebook(s) with nbgrader in {demo_course / 'assignments'}")
    students = simulate.make_class(out / "submitted", demo_course, [course.get_assignment(n) for n in names])
    for student, description in students.items():
        log(f"  {student:>4}: {description}")
    return grade_folder(out / "submitted", out / "grading", names, seed=2026, jobs=jobs, root=demo_course,
                        resume=False, limits=DEMO_LIMITS, on_result=on_result, on_plan=on_plan, draw_figures=True)
