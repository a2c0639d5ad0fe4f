"""Grading speed: the kit's grader against `nbgrader autograde`, on the same generated class.

    python benchmarks/bench_grading.py [--students 100] [--assignments 01_gates ...]
                                       [--scale 100 300 1000] [--jobs 2] [--profile]

1. Generates a class in a temporary nbgrader course: for every student and assignment a
   correct submission (60%), one with the assignment's sample mistakes (20%) or the
   untouched notebook (20%). All are honest: no hostile code.
2. Grades it with `nbgrader autograde` (one kernel per notebook, the notebook's own
   check cells including the hidden ones) and with `autograder grade --jobs N`, in the same
   run, and prints the wall-clock times, their ratio, and whether the scores agree.
3. Grades growing classes with the kit alone and prints the time per submission and the
   grader process's peak memory (children excluded: they are limited separately).

Nothing is asserted: this prints measurements against a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import course, simulate  # noqa: E402
from autograder.build import build, copy_course  # noqa: E402
from autograder.grade import discover, grade_folder  # noqa: E402


def make_class(course_dir: Path, submitted: Path, students: int, names: list[str]) -> dict[tuple[str, str], str]:
    """Write the class; return (student, assignment) -> kind."""
    kinds = {}
    for name in names:
        assignment = course.get_assignment(name)
        notebooks = {
            "correct": simulate.fill(assignment, course_dir),
            "mistakes": simulate.fill(assignment, course_dir, replace=assignment.sample_mistakes),
            "stub": simulate.fill(assignment, course_dir, base="stub"),
        }
        for i in range(students):
            kind = "correct" if i % 5 < 3 else "mistakes" if i % 5 == 3 else "stub"
            student = f"student{i:04d}"
            simulate.write(notebooks[kind], submitted, student, assignment)
            kinds[(student, name)] = kind
    return kinds


def nbgrader_autograde(course_dir: Path, names: list[str]) -> tuple[float, dict[tuple[str, str], float]]:
    """Run `nbgrader autograde` for each assignment and export; return (seconds, scores)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    start = time.perf_counter()
    for name in names:
        # exits 1 when any one submission has a failing cell; that is expected here
        subprocess.run(["nbgrader", "autograde", name, "--force"], cwd=course_dir, env=env, capture_output=True)
    seconds = time.perf_counter() - start
    subprocess.run(["nbgrader", "export", "--to", "grades.csv"], cwd=course_dir, env=env, capture_output=True, check=True)
    scores = {}
    for row in csv.DictReader((course_dir / "grades.csv").open()):
        if row["student_id"] and row["assignment"] in names:
            scores[(row["student_id"], row["assignment"])] = float(row["score"] or 0)
    return seconds, scores


def kit_grade(course_dir: Path, submitted: Path, out: Path, names: list[str], jobs: int) -> tuple[float, dict[tuple[str, str], float]]:
    start = time.perf_counter()
    results = grade_folder(submitted, out, names, seed=1, jobs=jobs, root=course_dir, resume=False)
    return time.perf_counter() - start, {(r.student, r.assignment): r.score for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--assignments", nargs="*", default=list(course.assignments()))
    parser.add_argument("--scale", type=int, nargs="*", default=[100, 300, 1000])
    parser.add_argument("--scale-assignment", default="01_gates")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print where the time of one correct submission per assignment goes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        course_dir = copy_course(ROOT, base / "course")
        build(course_dir, args.assignments)
        submitted = course_dir / "submitted"
        kinds = make_class(course_dir, submitted, args.students, args.assignments)
        n = len(kinds)
        print(f"class: {args.students} students x {len(args.assignments)} assignments = {n} submissions "
              f"({', '.join(args.assignments)}); machine: {os.cpu_count()} cores")

        if args.profile:
            from profile_grading import print_profile

            chosen = [course.get_assignment(name) for name in args.assignments]
            first = [s for s in discover(submitted, chosen) if s.student == "student0000"]
            print_profile(first, course_dir, base / "profile-out")
            print()

        kit_seconds, kit_scores = kit_grade(course_dir, submitted, base / "kit-out", args.assignments, args.jobs)
        print(f"kit grader (--jobs {args.jobs}):   {kit_seconds:8.1f} s   {kit_seconds / n:6.2f} s/submission")
        if not args.skip_nbgrader:
            nb_seconds, nb_scores = nbgrader_autograde(course_dir, args.assignments)
            print(f"nbgrader autograde:        {nb_seconds:8.1f} s   {nb_seconds / n:6.2f} s/submission")
            print(f"speed-up (nbgrader / kit): {nb_seconds / kit_seconds:8.1f}x   (goal: at least 5x)")
            # nbgrader's score counts the test cells that passed; the kit's, the questions that passed
            differ = [(key, nb_scores.get(key), kit_scores[key]) for key in kit_scores if nb_scores.get(key) != kit_scores[key]]
            print(f"scores identical on {n - len(differ)} of {n} honest submissions")
            differing = {key for key, _, _ in differ}
            for kind in ("correct", "mistakes", "stub"):
                of_kind = [key for key in kit_scores if kinds[key] == kind]
                print(f"  {kind:9s}: identical on {sum(key not in differing for key in of_kind)} of {len(of_kind)}")
            for key, theirs, ours in differ[:10]:
                print(f"  {key[0]}/{key[1]} ({kinds[key]}): nbgrader {theirs}, kit {ours}")

        print(f"\nscaling ({args.scale_assignment}, --jobs {args.jobs}): students, seconds, s/submission, grader peak RSS")
        for students in args.scale:
            scale_dir = base / f"scale-{students}"
            make_class(course_dir, scale_dir, students, [args.scale_assignment])
            seconds, _ = kit_grade(course_dir, scale_dir, base / f"scale-out-{students}", [args.scale_assignment], args.jobs)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  {students:5d}   {seconds:8.1f} s   {seconds / students:6.2f}   {peak:7.1f} MiB")
            shutil.rmtree(scale_dir)


if __name__ == "__main__":
    main()
