"""Grading speed: the kit's grader against `nbgrader autograde`, on the same generated class.

    python benchmarks/bench_grading.py [--students 100] [--assignments 01_gates ...]
                                       [--scale 100 300 1000] [--jobs 1 2] [--profile] [--check]

1. Generates a class in a temporary nbgrader course: for every student and assignment a
   correct submission (60%), one with the assignment's sample mistakes (20%) or the
   untouched notebook (20%). All are honest: no hostile code.
2. With ``--profile``: where the time of one correct submission per assignment goes
   (see ``profile_grading.py``).
3. Grades it with `nbgrader autograde` (one kernel per notebook, one notebook at a time,
   the notebook's own check cells including the hidden ones) and with `autograder grade
   --jobs N` for each N given, in the same run, and prints the wall-clock times, their
   ratios (``--jobs 1`` is the comparison at equal cores) and whether the scores agree.
4. With ``--check``: the wall time of `autograder check` (the command a student runs) on
   each assignment's solution notebook, median of three.
5. Grades growing classes with the kit alone and prints the time per submission and the
   grader process's peak memory (children excluded: they are limited separately).

Nothing is asserted: this prints measurements against a baseline measured in the same run,
with the machine's load average beside them (other work on the machine slows both sides).
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

from autograder import course
from autograder.course import simulate  # noqa: E402
from autograder.course.build import build, copy_course  # noqa: E402
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


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes), to print beside each time."""
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def check_seconds(course_dir: Path, assignment, repeat: int = 3) -> float:
    """Median wall time of `autograder check` on the released notebook with every answer
    filled in from the solution, run outside the course (as on a student's machine)."""
    cli = Path(sys.executable).parent / "autograder"
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-check-") as home:
        notebook = simulate.write(simulate.fill(assignment, course_dir), Path(home), "student", assignment)
        for _ in range(repeat):
            start = time.perf_counter()
            done = subprocess.run([str(cli), "check", str(notebook)], cwd=home, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"`autograder check` of the solution of {assignment.name} did not pass:\n{done.stdout[-2000:]}")
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--assignments", nargs="*", default=list(course.assignments()))
    parser.add_argument("--scale", type=int, nargs="*", default=[100, 300, 1000])
    parser.add_argument("--scale-assignment", default="01_gates")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="the kit's parallel submissions, one run each")
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print where the time of one correct submission per assignment goes")
    parser.add_argument("--check", action="store_true", help="time `autograder check` of each assignment's solution notebook")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        course_dir = copy_course(ROOT, base / "course")
        build(course_dir, list(dict.fromkeys([*args.assignments, *([args.scale_assignment] if args.scale else [])])))
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

        kit = {}
        for jobs in args.jobs:
            kit[jobs] = kit_grade(course_dir, submitted, base / f"kit-out-{jobs}", args.assignments, jobs)
            print(f"kit grader (--jobs {jobs}):   {kit[jobs][0]:8.1f} s   {kit[jobs][0] / n:6.2f} s/submission   {load()}")
        kit_scores = kit[args.jobs[0]][1]
        if not args.skip_nbgrader:
            nb_seconds, nb_scores = nbgrader_autograde(course_dir, args.assignments)
            print(f"nbgrader autograde:        {nb_seconds:8.1f} s   {nb_seconds / n:6.2f} s/submission   {load()}   (one kernel at a time)")
            for jobs, (kit_seconds, _) in kit.items():
                cores = "equal cores" if jobs == 1 else f"{jobs} submissions at a time against one kernel"
                print(f"speed-up (nbgrader / kit --jobs {jobs}): {nb_seconds / kit_seconds:6.1f}x   ({cores}; goal at equal cores: 10x)")
            for jobs, (_, scores) in kit.items():
                if scores != kit_scores:
                    print(f"  the kit's scores at --jobs {jobs} differ from those at --jobs {args.jobs[0]}")
            # nbgrader's score counts the test cells that passed; the kit's, the questions that passed
            differ = [(key, nb_scores.get(key), kit_scores[key]) for key in kit_scores if nb_scores.get(key) != kit_scores[key]]
            print(f"scores identical on {n - len(differ)} of {n} honest submissions")
            differing = {key for key, _, _ in differ}
            for kind in ("correct", "mistakes", "stub"):
                of_kind = [key for key in kit_scores if kinds[key] == kind]
                print(f"  {kind:9s}: identical on {sum(key not in differing for key in of_kind)} of {len(of_kind)}")
            for key, theirs, ours in differ[:10]:
                print(f"  {key[0]}/{key[1]} ({kinds[key]}): nbgrader {theirs}, kit {ours}")

        if args.check:
            print("\n`autograder check` of each solution notebook (median of 3, wall time; goal: at most 1.5 s):")
            for name in args.assignments:
                print(f"  {name:18s} {check_seconds(course_dir, course.get_assignment(name)):6.2f} s   {load()}")

        jobs = args.jobs[-1]
        print(f"\nscaling ({args.scale_assignment}, --jobs {jobs}): students, seconds, s/submission, grader peak RSS")
        for students in args.scale:
            scale_dir = base / f"scale-{students}"
            make_class(course_dir, scale_dir, students, [args.scale_assignment])
            seconds, _ = kit_grade(course_dir, scale_dir, base / f"scale-out-{students}", [args.scale_assignment], jobs)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  {students:5d}   {seconds:8.1f} s   {seconds / students:6.2f}   {peak:7.1f} MiB   {load()}")
            shutil.rmtree(scale_dir)


if __name__ == "__main__":
    main()
