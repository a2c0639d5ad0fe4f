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
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .outputs import captions, files, output_folder, writers
from . import course
from .course import points
from .course import notebook as nb
from .sandbox.isolation import Isolation, detect, instructor_paths
from .judge.question import Assignment
from .results import SubmissionResult
from .sandbox import Limits
from .submission import evaluate, unanswered

__all__ = ["IsolationUnavailable", "NothingToGrade", "Submission", "check_layout", "discover", "grade_folder", "in_shard", "merge", "submission_seed"]


@dataclass
class Submission:
    """One student's folder for one assignment, and the notebook chosen in it.

    ``student`` is printable (bytes of a folder name that are not UTF-8 appear as ``\\xNN``);
    ``folder`` and ``notebook`` are the paths on disk, resolved: reading ``notebook`` follows
    no link."""

    student: str
    assignment: Assignment
    notebook: Path | None
    notes: list[str] = field(default_factory=list)
    folder: Path | None = None


def printable(name: str) -> str:
    """A file name as text for reports: bytes that are not UTF-8 shown as ``\\xNN`` (distinct names stay distinct)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _inside(path: Path, folder: Path) -> bool:
    """Whether the real path of ``path`` lies inside the real path of ``folder``."""
    real, home = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, home]) == home


def _choose_notebook(folder: Path, assignment: Assignment, home: Path | None = None) -> tuple[Path | None, list[str]]:
    """The notebook to grade in ``folder`` (resolved), and notes. A notebook that is a link is
    used only when its real path lies inside ``home`` (the student's folder); any other is
    refused with a note and never read."""
    home = home or folder
    notes, notebooks = [], []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.name.endswith(".ipynb") or entry.name.startswith("."):
            continue
        if entry.is_symlink() and not _inside(Path(entry.path), home):
            notes.append(f"{printable(entry.name)} is a link to a file outside your folder; it was not read. Submit the notebook itself, not a link.")
            continue
        if os.path.isfile(os.path.realpath(entry.path)):
            notebooks.append(Path(entry.path))
    expected = folder / assignment.notebook
    others = [printable(p.name) for p in notebooks if p != expected]
    if expected in notebooks:
        chosen, more = expected, [f"Also found {', '.join(others)}; only {assignment.notebook} was graded."] if others else []
    elif len(notebooks) == 1:
        chosen, more = notebooks[0], [f"Expected {assignment.notebook} but found {others[0]}; graded it. Keep the original file name next time."]
    elif not notebooks:
        chosen, more = None, [f"No notebook was submitted in {assignment.name}/ (expected {assignment.notebook})."]
    else:
        chosen, more = None, [f"Found {len(notebooks)} notebooks ({', '.join(others)}) and none named {assignment.notebook}; rename the one to be graded to {assignment.notebook}."]
    return (Path(os.path.realpath(chosen)) if chosen else None), notes + more


def discover(submitted: Path, assignments: Sequence[Assignment]) -> list[Submission]:
    """Every (student, assignment) pair that has a folder under ``submitted``, sorted.

    Links are never followed out of a student's folder: a student folder or assignment
    folder that is a link, or a notebook linking outside the student's folder, is refused
    with a note (scored 0 with that reason)."""
    found = []
    entries = sorted((e for e in os.scandir(submitted) if not e.name.startswith(".")), key=lambda e: e.name)
    for student_entry in entries:
        student_dir, student = Path(student_entry.path), printable(student_entry.name)
        if student_entry.is_symlink():
            if os.path.isdir(student_dir):
                why = f"The folder {student} is a link to another folder; links are never followed. Submit the files themselves."
                found += [Submission(student, a, None, [why]) for a in assignments]
            continue
        if not student_entry.is_dir(follow_symlinks=False):
            continue
        for assignment in assignments:
            folder = student_dir / assignment.name
            if folder.is_symlink():
                why = f"The folder {assignment.name}/ is a link; links are never followed. Submit the files themselves."
                found.append(Submission(student, assignment, None, [why], folder))
            elif folder.is_dir():
                found.append(Submission(student, assignment, *_choose_notebook(folder, assignment, student_dir), folder=folder))
    return found


def submission_seed(run_seed: int, student: str, assignment: str) -> int:
    """The hidden-case seed of one submission (128 bits): different per student, reproducible
    from the run's seed, and too wide to be recovered from the cases it draws."""
    digest = hashlib.sha256(f"{run_seed}/{student}/{assignment}".encode()).digest()
    return int.from_bytes(digest[:16], "big")


class IsolationUnavailable(RuntimeError):
    """Raised when isolation is required but this machine cannot provide it."""


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``student`` belongs to shard ``i`` of ``n`` (1-based): a stable hash of the name."""
    if shard is None:
        return True
    index, count = shard
    return int.from_bytes(hashlib.sha256(student.encode()).digest()[:4], "big") % count == index - 1


SEED_BITS = 128


def _run_seed(out: Path, seed: int | None, sandbox: str, resume: bool = True) -> int:
    """The run's seed: ``seed`` when given; else the one in ``out/run.json`` when an
    interrupted run is resumed; else a new one. ``run.json`` says which."""
    manifest = out / "run.json"
    if seed is None and resume and manifest.is_file():
        try:
            previous = json.loads(manifest.read_text())
            if type(previous.get("seed")) is int:
                return previous["seed"]
        except (ValueError, AttributeError, OSError):
            pass
    origin = "given (--seed)" if seed is not None else "drawn for this run"
    seed = secrets.randbits(SEED_BITS) if seed is None else seed
    files.atomic_write(manifest, json.dumps({"seed": seed, "seed_origin": origin, "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "sandbox": sandbox}))
    return seed


def grade_one(sub: Submission, root: Path, run_seed: int, limits: Limits, isolation: Isolation, hide: Sequence[Path],
              figures_folder: Path | None = None, release: Any | None = None) -> SubmissionResult:
    """Grade one discovered submission (a missing, refused or ambiguous notebook scores 0 with its
    reason); with ``figures_folder``, also draw its figures there (see :mod:`autograder.outputs.figures`).
    ``release`` is the assignment's released notebook when the caller has read it already (it
    is read once per run, not once per submission).

    Never raises: anything unexpected while grading this submission becomes its own error
    result, so the rest of the class is graded."""
    if sub.notebook is None:
        return SubmissionResult(sub.student, sub.assignment.name, unanswered(sub.assignment, "not_run", sub.notes[0]), notes=list(sub.notes), sandbox=isolation.describe())
    try:
        release = release if release is not None else nb.read(course.release_path(sub.assignment, root))
        result = evaluate(sub.notebook, sub.assignment, release=release, hidden_seed=submission_seed(run_seed, sub.student, sub.assignment.name),
                          reference=course.reference(sub.assignment.name, root), student=sub.student, limits=limits, isolation=isolation, hide=hide,
                          figures_folder=figures_folder)
    except Exception as exc:  # noqa: BLE001 -- one submission's failure must not stop the class
        return _failed(sub, exc, isolation)
    result.notes[:0] = sub.notes
    result.notebook = printable(str(sub.notebook))  # reports get text, never undecodable bytes
    return result


def _failed(sub: Submission, exc: BaseException, isolation: Isolation) -> SubmissionResult:
    """The result of a submission whose grading failed unexpectedly: 0 with the reason."""
    why = f"This submission could not be graded ({type(exc).__name__}: {str(exc)[:300]}); please tell your instructor."
    return SubmissionResult(sub.student, sub.assignment.name, unanswered(sub.assignment, "not_run", why), notes=[*sub.notes, why], sandbox=isolation.describe())


def _resumable(path: Path, warn: Callable[[str], None]) -> SubmissionResult | None:
    """The result already written at ``path``, or None (to grade again) when it cannot be read."""
    try:
        return files.read_result(path)
    except Exception as exc:  # noqa: BLE001 -- a damaged file is graded again, never a crash
        warn(f"{path} could not be read ({type(exc).__name__}); grading that submission again")
        return None


class NothingToGrade(ValueError):
    """The submissions folder holds nothing in the layout the grader reads; the message says what it holds."""


def _shown(names: Sequence[str], limit: int = 4) -> str:
    names = [files.printable(n) for n in sorted(names)]
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
                f"{files.printable(str(submitted / 'ada' / example.name / example.notebook)) if example else '<student>/<assignment>/<notebook>.ipynb'}"
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
    raise NothingToGrade(f"nothing to grade in {files.printable(str(submitted))}: expected {expected}; found {what}.")


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
    since: Path | None = None,
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
        since: an earlier run's output folder of the same class: the summary says which mistakes were fixed.

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
    run_seed = _run_seed(out, seed, isolation.describe(), resume)
    if on_plan:
        on_plan(len(subs))
    hide = instructor_paths(root, submitted, out)
    for name in releases:
        course.reference(name, root)  # load each reference once, before the threads start
    headings = {name: captions.heading_captions(release) for name, release in releases.items()}
    results: dict[tuple[str, str], SubmissionResult] = {}
    todo = []
    for sub in subs:
        done = files.result_path(out, sub.student, sub.assignment.name)
        previous = _resumable(done, warn) if resume and done.is_file() else None
        if previous is not None:
            results[(sub.student, sub.assignment.name)] = previous
            if on_result:
                on_result(previous)
        else:
            todo.append(sub)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_one, sub, root, run_seed, limits, isolation, hide,
                               writers.feedback_folder(out, sub.student) if draw_figures else None, releases[sub.assignment.name]): sub for sub in todo}
        for future in as_completed(futures):
            try:
                result = future.result()
                captions.add_captions(result.figures, headings.get(result.assignment, {}))
                files.write_result(out, result)
            except Exception as exc:  # noqa: BLE001 -- the guard around each submission
                result = _failed(futures[future], exc, isolation)
                files.write_result(out, result)
            results[(result.student, result.assignment)] = result
            if on_result:
                on_result(result)
    return finish([results[(s.student, s.assignment.name)] for s in subs], out, gradebook, warn, hidden_visibility, since)


def finish(results: list[SubmissionResult], out: Path, gradebook: str | None, warn: Callable[[str], None] = print,
           hidden_visibility: str = "after_published", since: Path | None = None) -> list[SubmissionResult]:
    """Exchange scores with nbgrader's gradebook (when given: its hand grades and overrides are
    in every report), then write every report (``hidden_visibility``: see :mod:`autograder.outputs.platforms`)."""
    if gradebook:
        from .course import gradebook as nbgrader_gradebook

        for warning in nbgrader_gradebook.write_scores(results, gradebook):
            warn(warning)
        results = nbgrader_gradebook.include_manual(results, gradebook)
    writers.write_reports(results, out, hidden_visibility, since)
    return results


def merge(shard_outputs: Sequence[Path], out: Path, gradebook: str | None = None, warn: Callable[[str], None] = print,
          hidden_visibility: str = "after_published", since: Path | None = None) -> list[SubmissionResult]:
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
        for result in files.read_results(Path(folder)):
            key = (result.student, result.assignment)
            if key in merged:
                raise ValueError(f"{key[0]}/{key[1]} appears in more than one shard")
            merged[key] = result
            for figure in result.figures:
                files.atomic_write_bytes(writers.feedback_folder(out, result.student) / figure["file"],
                                           (writers.feedback_folder(Path(folder), result.student) / figure["file"]).read_bytes())
    out.mkdir(parents=True, exist_ok=True)
    ordered = [merged[k] for k in sorted(merged)]
    for result in ordered:
        files.write_result(out, result)
    if seeds:
        files.atomic_write(out / "run.json", json.dumps({"seed": seeds.pop(), "merged_from": [str(d) for d in shard_outputs]}))
    return finish(ordered, out, gradebook, warn, hidden_visibility, since)
