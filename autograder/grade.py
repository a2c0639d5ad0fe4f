"""Grading a folder of submissions in nbgrader's layout.

    submitted/<student>/<assignment>/<notebook>.ipynb

Each submission is graded in its own sandboxed child (see :mod:`autograder.submission`),
its result written atomically to ``<out>/results/<student>/<assignment>.json``, and a
run that is stopped and started again skips what is already graded, using the seed
recorded in ``<out>/run.json``. Then ``grades.csv`` and per-student feedback are written.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from . import captions, course, output_folder, points, writers
from . import notebook as nb
from .isolation import Isolation, detect, instructor_paths
from .question import Assignment
from .results import SubmissionResult
from .sandbox import Limits
from .submission import evaluate, unanswered

__all__ = ["IsolationUnavailable", "NothingToGrade", "Submission", "check_layout", "discover", "grade_folder", "in_shard", "merge", "submission_seed"]


@dataclass
class Submission:
    """One student's folder for one assignment, and the notebook chosen in it."""

    student: str
    assignment: Assignment
    notebook: Path | None
    notes: list[str] = field(default_factory=list)


def _choose_notebook(folder: Path, assignment: Assignment) -> tuple[Path | None, list[str]]:
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    expected = folder / assignment.notebook
    others = [p.name for p in notebooks if p != expected]
    if expected in notebooks:
        return expected, [f"Also found {', '.join(others)}; only {assignment.notebook} was graded."] if others else []
    if len(notebooks) == 1:
        return notebooks[0], [f"Expected {assignment.notebook} but found {notebooks[0].name}; graded it. Keep the original file name next time."]
    if not notebooks:
        return None, [f"No notebook was submitted in {assignment.name}/ (expected {assignment.notebook})."]
    return None, [f"Found {len(notebooks)} notebooks ({', '.join(others)}) and none named {assignment.notebook}; rename the one to be graded to {assignment.notebook}."]


def discover(submitted: Path, assignments: Sequence[Assignment]) -> list[Submission]:
    """Every (student, assignment) pair that has a folder under ``submitted``, sorted."""
    found = []
    for student_dir in sorted(p for p in Path(submitted).iterdir() if p.is_dir() and not p.name.startswith(".")):
        for assignment in assignments:
            folder = student_dir / assignment.name
            if folder.is_dir():
                found.append(Submission(student_dir.name, assignment, *_choose_notebook(folder, assignment)))
    return found


def submission_seed(run_seed: int, student: str, assignment: str) -> int:
    """The hidden-case seed of one submission: different per student, reproducible from the run's seed."""
    digest = hashlib.sha256(f"{run_seed}/{student}/{assignment}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class IsolationUnavailable(RuntimeError):
    """Raised when isolation is required but this machine cannot provide it."""


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``student`` belongs to shard ``i`` of ``n`` (1-based): a stable hash of the name."""
    if shard is None:
        return True
    index, count = shard
    return int.from_bytes(hashlib.sha256(student.encode()).digest()[:4], "big") % count == index - 1


def _run_seed(out: Path, seed: int | None, sandbox: str) -> int:
    manifest = out / "run.json"
    if seed is None and manifest.is_file():
        return int(json.loads(manifest.read_text())["seed"])
    seed = secrets.randbits(32) if seed is None else seed
    writers.atomic_write(manifest, json.dumps({"seed": seed, "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "sandbox": sandbox}))
    return seed


def grade_one(sub: Submission, root: Path, run_seed: int, limits: Limits, isolation: Isolation, hide: Sequence[Path],
              figures_folder: Path | None = None) -> SubmissionResult:
    """Grade one discovered submission (a missing or ambiguous notebook scores 0 with its reason);
    with ``figures_folder``, also draw its figures there (see :mod:`autograder.figures`)."""
    if sub.notebook is None:
        return SubmissionResult(sub.student, sub.assignment.name, unanswered(sub.assignment, "not_run", sub.notes[0]), notes=list(sub.notes), sandbox=isolation.describe())
    release = nb.read(course.release_path(sub.assignment, root))
    result = evaluate(sub.notebook, sub.assignment, release=release, hidden_seed=submission_seed(run_seed, sub.student, sub.assignment.name),
                      reference=course.reference(sub.assignment.name, root), student=sub.student, limits=limits, isolation=isolation, hide=hide,
                      figures_folder=figures_folder)
    result.notes[:0] = sub.notes
    return result


class NothingToGrade(ValueError):
    """The submissions folder holds nothing in the layout the grader reads; the message says what it holds."""


def _shown(names: Sequence[str], limit: int = 4) -> str:
    names = [writers.printable(n) for n in sorted(names)]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_layout(submitted: Path, assignments: Sequence[Assignment], found: Sequence[Submission]) -> None:
    """Raise :class:`NothingToGrade` when discovery found no submission: say which layout is
    expected (nbgrader's ``<student>/<assignment>/<notebook>.ipynb``) and what the folder holds
    instead (nothing, notebooks with no student or assignment folder, or student folders whose
    notebooks lack the assignment level or whose subfolders are not the assignments graded)."""
    if found:
        return
    submitted = Path(submitted)
    example = assignments[0] if assignments else None
    expected = (f"nbgrader's layout <student>/<assignment>/<notebook>.ipynb, e.g. "
                f"{writers.printable(str(submitted / 'ada' / example.name / example.notebook)) if example else '<student>/<assignment>/<notebook>.ipynb'}"
                f" (assignments graded: {', '.join(a.name for a in assignments) or 'none'})")
    entries = [p for p in submitted.iterdir() if not p.name.startswith(".")]
    if not entries:
        what = "the folder is empty"
    else:
        parts = []
        flat = [p.name for p in entries if p.suffix == ".ipynb" and p.is_file()]
        if flat:
            parts.append(f"{len(flat)} notebook(s) directly in it ({_shown(flat)}): each belongs in <student>/<assignment>/")
        folders = [p for p in entries if p.is_dir()]
        no_level = [f"{p.name}/{n.name}" for p in folders for n in sorted(p.glob("*.ipynb"))]
        if no_level:
            parts.append(f"notebooks in student folders without the assignment folder ({_shown(no_level)}): "
                         f"move each into <student>/<assignment>/, e.g. <student>/{example.name if example else '<assignment>'}/")
        others = sorted({n.name for p in folders for n in p.iterdir() if n.is_dir() and not n.name.startswith(".")})
        if others:
            parts.append(f"subfolders that are not an assignment being graded ({_shown(others)})")
        if not parts:
            parts.append(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} ({_shown([p.name for p in entries])}) and no notebook in the expected place")
        what = "; ".join(parts)
    raise NothingToGrade(f"nothing to grade in {writers.printable(str(submitted))}: expected {expected}; found {what}.")


def grade_folder(
    submitted: Path,
    out: Path,
    assignment_names: Sequence[str] | None = None,
    seed: int | None = None,
    jobs: int = 1,
    root: Path | None = None,
    resume: bool = True,
    limits: Limits = Limits(),
    on_result: Callable[[SubmissionResult], None] | None = None,
    shard: tuple[int, int] | None = None,
    require_isolation: bool = False,
    gradebook: str | None = None,
    warn: Callable[[str], None] = print,
    draw_figures: bool = False,
    on_plan: Callable[[int], None] | None = None,
    hidden_visibility: str = "after_published",
) -> list[SubmissionResult]:
    """Grade every submission under ``submitted``; write results and reports to ``out``.

    Args:
        assignment_names: grade only these (default: every declared assignment found).
        seed: the run's seed for hidden cases (default: drawn now, or reused from ``out/run.json``).
            Shards of one class must share it.
        jobs: submissions graded in parallel, each in its own child process.
        resume: keep results already in ``out/results`` instead of grading them again.
        on_result: called after each submission (e.g. to advance a progress bar).
        shard: ``(i, n)``: grade only the students of shard i of n (see :func:`in_shard`).
        require_isolation: refuse to grade where namespaces or the process cap are unavailable.
        gradebook: nbgrader's gradebook (a path or database URL): the kit's scores are written
            into it, and written answers graded in formgrader are counted in the totals.
        warn: where the gradebook's warnings go.
        draw_figures: also draw each submission's figures for its feedback (one more child each).
        on_plan: called once with the number of submissions to grade (e.g. a progress bar's total).
        hidden_visibility: Gradescope visibility of a test that failed on a hidden case.

    Raises:
        NothingToGrade: when ``submitted`` holds no submission in nbgrader's layout.
        PointsMismatch: when a released notebook's points differ from its declarations.
        output_folder.NotOurs: when ``out`` holds files the kit did not make.
    """
    root = root or course.find_course_root()
    if root is None:
        raise FileNotFoundError("grading needs the course directory with solutions/ (use --course)")
    isolation = detect()
    if require_isolation and isolation.problems:
        raise IsolationUnavailable("isolation is required but unavailable: " + "; ".join(isolation.problems))
    chosen = [course.get_assignment(n) for n in assignment_names] if assignment_names else list(course.assignments().values())
    found = discover(submitted, chosen)
    check_layout(submitted, chosen, found)
    subs = [s for s in found if in_shard(s.student, shard)]
    releases = {a.name: nb.read(course.release_path(a, root)) for a in {s.assignment.name: s.assignment for s in subs}.values()}
    for name, release in releases.items():
        points.check_points(course.get_assignment(name), course.release_path(course.get_assignment(name), root), release)
    output_folder.claim(out, "grading output")
    run_seed = _run_seed(out, seed, isolation.describe())
    if on_plan:
        on_plan(len(subs))
    hide = instructor_paths(root, submitted, out)
    for name in releases:
        course.reference(name, root)  # load each reference once, before the threads start
    headings = {name: captions.heading_captions(release) for name, release in releases.items()}
    results: dict[tuple[str, str], SubmissionResult] = {}
    todo = []
    for sub in subs:
        done = writers.result_path(out, sub.student, sub.assignment.name)
        if resume and done.is_file():
            results[(sub.student, sub.assignment.name)] = writers.read_result(done)
            if on_result:
                on_result(results[(sub.student, sub.assignment.name)])
        else:
            todo.append(sub)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(grade_one, sub, root, run_seed, limits, isolation, hide,
                               writers.feedback_folder(out, sub.student) if draw_figures else None) for sub in todo]
        for future in as_completed(futures):
            result = future.result()
            captions.add_captions(result.figures, headings.get(result.assignment, {}))
            writers.write_result(out, result)
            results[(result.student, result.assignment)] = result
            if on_result:
                on_result(result)
    return finish([results[(s.student, s.assignment.name)] for s in subs], out, gradebook, warn, hidden_visibility)


def finish(results: list[SubmissionResult], out: Path, gradebook: str | None, warn: Callable[[str], None] = print,
           hidden_visibility: str = "after_published") -> list[SubmissionResult]:
    """Exchange scores with nbgrader's gradebook (when given: its hand grades and overrides are
    in every report), then write every report (``hidden_visibility``: see :mod:`autograder.platforms`)."""
    if gradebook:
        from . import gradebook as nbgrader_gradebook

        for warning in nbgrader_gradebook.write_scores(results, gradebook):
            warn(warning)
        results = nbgrader_gradebook.include_manual(results, gradebook)
    writers.write_reports(results, out, hidden_visibility)
    return results


def merge(shard_outputs: Sequence[Path], out: Path, gradebook: str | None = None, warn: Callable[[str], None] = print,
          hidden_visibility: str = "after_published") -> list[SubmissionResult]:
    """Combine the results of several shards (``grade --shard i/n``) into one output folder.

    Raises:
        ValueError: if two shards graded the same submission, or the shards used different seeds.
    """
    seeds = {json.loads((Path(d) / "run.json").read_text())["seed"] for d in shard_outputs if (Path(d) / "run.json").is_file()}
    if len(seeds) > 1:
        raise ValueError(f"the shards were graded with different seeds {sorted(seeds)}; grade them with the same --seed")
    output_folder.claim(out, "merged grading output")
    merged: dict[tuple[str, str], SubmissionResult] = {}
    for folder in shard_outputs:
        for result in writers.read_results(Path(folder)):
            key = (result.student, result.assignment)
            if key in merged:
                raise ValueError(f"{key[0]}/{key[1]} appears in more than one shard")
            merged[key] = result
            for figure in result.figures:
                writers.atomic_write_bytes(writers.feedback_folder(out, result.student) / figure["file"],
                                           (writers.feedback_folder(Path(folder), result.student) / figure["file"]).read_bytes())
    out.mkdir(parents=True, exist_ok=True)
    ordered = [merged[k] for k in sorted(merged)]
    for result in ordered:
        writers.write_result(out, result)
    if seeds:
        writers.atomic_write(out / "run.json", json.dumps({"seed": seeds.pop(), "merged_from": [str(d) for d in shard_outputs]}))
    return finish(ordered, out, gradebook, warn, hidden_visibility)
