"""Outputs that learning platforms take as they are: Gradescope, Canvas, Moodle.

- :func:`gradescope_result` is one submission in Gradescope's ``results.json`` format
  (https://gradescope-autograders.readthedocs.io/en/latest/specs/): ``score``, ``execution_time``,
  ``visibility``, and a test per question with its ``max_score`` and ``visibility``. A test that
  failed on a hidden case gets ``hidden_visibility`` (default ``after_published``: its message is
  shown once the instructor publishes the grades); the written answer is a test with its
  ``max_score``, without a score until it is graded by hand.
- :func:`write_canvas` writes ``canvas.csv`` in Canvas's gradebook-import layout (``Student``,
  ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, a column per assignment, and the
  ``Points Possible`` row); the student's folder name is the SIS login.
- :func:`write_moodle` writes ``moodle.csv`` for Moodle's "Import grades from CSV" (``Username``,
  a column per assignment); map ``Username`` to the user field in Moodle's import form.
- :func:`make_gradescope_bundle` writes a Gradescope autograder: ``setup.sh``, ``run_autograder``,
  the kit and the course's files for one assignment, zipped as Gradescope expects.
"""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Sequence

from .. import course
from ..results import SubmissionResult

__all__ = ["VISIBILITIES", "gradescope_result", "write_gradescope", "write_canvas", "write_moodle", "make_gradescope_bundle"]

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
"""Gradescope's visibility settings, from least to most visible."""


def failed_on_hidden_case(q) -> bool:
    """Whether a question's first failure is on a hidden case (the engine says "in the hidden case '...'")."""
    return not q.passed and q.status != "manual" and "hidden case" in (q.reason or "")


def gradescope_result(result: SubmissionResult, hidden_visibility: str = "after_published") -> dict:
    """Gradescope's results.json for one submission (see the module's docstring)."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {', '.join(VISIBILITIES)}")
    tests = []
    for number, q in enumerate(result.questions, 1):
        test = {"name": f"{q.question}: {q.title}" if q.title else q.question, "number": str(number), "max_score": q.max_points,
                "output_format": "text", "visibility": hidden_visibility if failed_on_hidden_case(q) else "visible"}
        if q.status == "manual":
            test["output"] = f"Awaiting hand grading ({q.max_points:g} points): your instructor grades this answer."
            test["tags"] = ["graded by hand"]
        else:
            test.update(score=q.points, status="passed" if q.passed else "failed",
                        output=(q.reason or "All cases passed.") + (f"\n\nRecognised mistake: {q.misconception}" + (f" — {q.hint}" if q.hint else "") if q.misconception and not q.passed else ""))
        tests.append(test)
    return {"score": result.score, "execution_time": round(result.seconds, 3), "output": "\n".join(result.notes),
            "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden",
            "extra_data": {"assignment": result.assignment, "seed": result.seed}, "tests": tests}


def write_gradescope(results: Sequence[SubmissionResult], out: Path, hidden_visibility: str = "after_published") -> None:
    """gradescope/<student>/<assignment>.json in Gradescope's results format."""
    from .files import atomic_write

    for result in results:
        atomic_write(out / "gradescope" / result.student / f"{result.assignment}.json",
                     json.dumps(gradescope_result(result, hidden_visibility), indent=1))


def _totals(results: Sequence[SubmissionResult]) -> tuple[list[tuple[str, float]], dict[str, dict[str, str]]]:
    """(assignment, points possible) in course order, and student -> assignment -> points earned."""
    from .files import printable

    graded = {r.assignment for r in results}
    assignments = [(a.name, sum(q.points for q in a)) for a in course.assignments().values() if a.name in graded]
    scores: dict[str, dict[str, str]] = {}
    for result in results:
        scores.setdefault(printable(result.student), {})[result.assignment] = f"{result.score:g}"
    return assignments, scores


def write_canvas(results: Sequence[SubmissionResult], out: Path) -> None:
    """canvas.csv: Canvas's gradebook import (one column per assignment, a ``Points Possible`` row)."""
    from .files import write_csv

    assignments, scores = _totals(results)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [a for a, _ in assignments]
    rows = [{"Student": "Points Possible", **{a: f"{top:g}" for a, top in assignments}}]
    rows += [{"Student": student, "SIS Login ID": student, **earned} for student, earned in sorted(scores.items())]
    write_csv(out / "canvas.csv", header, rows)


def write_moodle(results: Sequence[SubmissionResult], out: Path) -> None:
    """moodle.csv: Moodle's grade import from CSV (``Username`` and one column per assignment)."""
    from .files import write_csv

    assignments, scores = _totals(results)
    rows = [{"Username": student, **earned} for student, earned in sorted(scores.items())]
    write_csv(out / "moodle.csv", ["Username"] + [a for a, _ in assignments], rows)


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (apt-get update has run).
set -euo pipefail
apt-get install -y python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir /autograder/source/kit
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: the student's notebook is in /autograder/submission,
# the results go to /autograder/results/results.json. AUTOGRADER_HOME and AUTOGRADER_PYTHON
# override /autograder and its Python (to try the bundle outside Gradescope).
set -uo pipefail
home="${{AUTOGRADER_HOME:-/autograder}}"
python="${{AUTOGRADER_PYTHON:-$home/venv/bin/python}}"
work="$(mktemp -d)"
folder="$work/submitted/student/{assignment}"
mkdir -p "$folder" "$home/results"
find "$home/submission" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -exec cp {{}} "$folder/" \\;
if "$python" -m autograder grade "$work/submitted" --out "$work/out" --assignment {assignment} --jobs 1 \\
        --course "$home/source/course" --hidden-visibility {hidden_visibility}; then
    cp "$work/out/gradescope/student/{assignment}.json" "$home/results/results.json"
else
    status=$?
    "$python" - "$home/results/results.json" "$status" <<'PY'
import json, sys
json.dump({{"score": 0, "output": f"The autograder could not grade this submission (exit code {{sys.argv[2]}}); "
           "your instructor has been told.", "visibility": "visible", "tests": []}}, open(sys.argv[1], "w"))
PY
fi
"""


def _copy_kit(dest: Path) -> None:
    """The kit's own source (package, data sets, pyproject), to be installed in Gradescope's image."""
    source = Path(__file__).resolve().parents[2]  # the repository
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
    shutil.copytree(source / "autograder", dest / "autograder", ignore=ignore)
    shutil.copytree(source / "datasets", dest / "datasets", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(source / name, dest / name)


def _copy_course(root: Path, assignment, dest: Path) -> None:
    """What grading one assignment needs: nbgrader_config.py, its solution folder and its released notebook."""
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    dest.mkdir(parents=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(root / "solutions" / assignment.name, dest / "solutions" / assignment.name, ignore=ignore)
    shutil.copytree(root / "assignments" / assignment.name, dest / "assignments" / assignment.name, ignore=ignore)


def make_gradescope_bundle(assignment_name: str, root: Path, out: Path, hidden_visibility: str = "after_published") -> Path:
    """Write a Gradescope autograder for one assignment into ``out`` (claimed as the kit's);
    return the zip to upload (``out/autograder.zip``: setup.sh and run_autograder at its root).

    The folder also holds the zip's content unpacked, as Gradescope puts it in /autograder/source.
    The zip holds the solution notebook (the grader needs the reference): give it to Gradescope only.
    """
    from .output_folder import claim, remove_ours

    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {', '.join(VISIBILITIES)}")
    assignment = course.get_assignment(assignment_name)
    if not course.release_path(assignment, root).is_file():
        raise FileNotFoundError(f"{course.release_path(assignment, root)} is missing: run `autograder build {assignment.name}` first")
    out = claim(out, "Gradescope autograder")
    remove_ours(out, [n for n in ("setup.sh", "run_autograder", "kit", "course", "autograder.zip") if (out / n).exists()])
    (out / "setup.sh").write_text(SETUP_SH, encoding="utf-8")
    (out / "run_autograder").write_text(RUN_AUTOGRADER.format(assignment=assignment.name, hidden_visibility=hidden_visibility), encoding="utf-8")
    for script in ("setup.sh", "run_autograder"):
        (out / script).chmod(0o755)
    _copy_kit(out / "kit")
    _copy_course(root, assignment, out / "course")
    archive = out / "autograder.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(p for p in out.rglob("*") if p.is_file() and p != archive and p.name != ".autograder-output"):
            info = zipfile.ZipInfo.from_file(path, path.relative_to(out).as_posix())
            info.external_attr = ((stat.S_IFREG | (0o755 if path.name in ("setup.sh", "run_autograder") else 0o644)) << 16)
            with path.open("rb") as stream:
                bundle.writestr(info, stream.read(), zipfile.ZIP_DEFLATED)
    return archive
