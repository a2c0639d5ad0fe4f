"""The ``autograder`` command: a thin layer over one function per verb.

    autograder check NOTEBOOK        a student's local check (visible cases, sandboxed)
    autograder grade SUBMITTED       grade a class in nbgrader's submitted/ layout
    autograder merge SHARD...        combine the outputs of `grade --shard i/n`
    autograder build [ASSIGNMENT]    generate the student notebooks with nbgrader
    autograder demo                  build, simulate a class, grade it, print the table
    autograder gradescope-bundle A   a Gradescope autograder (setup.sh, run_autograder) for one assignment
    autograder list                  the assignments, their questions and points
    autograder student-kit OUT       what students get: notebooks, README, the kit's wheel, CI

Help shows no type tags (``<path>``, ``<int>``): an option that takes a value names it
(``--out DIR``), a flag shows nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup, TyperOption
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import course
from .results import STATUS_TEXT

def _plain_help(command):
    """Show each parameter in help by its metavar only (``--out DIR``), never typer's type tags;
    a flag, an argument and ``--help`` show nothing there."""
    get_params = command.get_params

    def plain_params(ctx):
        params = get_params(ctx)
        for param in params:
            shown = param.metavar if isinstance(param, TyperOption) and not param.is_flag else None
            param.display_type_rich = lambda ctx, shown=shown: shown
        return params

    command.get_params = plain_params
    return command


class _Group(TyperGroup):
    """The command group: its help and every command's without type tags (see :func:`_plain_help`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain_help(self)

    def get_command(self, ctx, name: str):
        command = super().get_command(ctx, name)
        return _plain_help(command) if command is not None else None


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True, help="Self-grading exercises: neural networks from first principles.")
console = Console()

COURSE_HELP = "The course directory (holds nbgrader_config.py and solutions/; default: the working directory or a parent)."
VISIBILITY_HELP = "Gradescope visibility of a test that failed on a hidden case: hidden, after_due_date, after_published or visible."
SINCE_HELP = "An earlier grading output folder of the same class (before resubmissions): the summary says which mistakes were fixed, which are new and which persist."


def _root(course_dir: Optional[Path]) -> Path:
    """The course the command works on: --course, else the working directory or a parent (never the
    clone the kit was installed from, unless it is one of those)."""
    if course_dir is not None:
        given = course_dir.resolve()
        root = next((c for c in (given, *given.parents) if course.is_course_root(c)), None)
    else:
        root = course.find_course_root(beside_package=False)
    if root is None:
        where = f"--course {course_dir}" if course_dir else f"the working directory {Path.cwd()} (and its parents)"
        console.print(f"[red]No course directory found[/] in {where}: a course directory holds nbgrader_config.py and solutions/. "
                      "Run the command from inside your course, or pass --course DIR.")
        raise typer.Exit(2)
    return root


def _progress() -> Progress:
    return Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"), console=console)


def _refused(problem: Exception) -> None:
    """Print why a command refused (a bad input or an output folder that is not the kit's) and exit 2."""
    from rich.markup import escape

    from .outputs.files import printable

    console.print(f"[red]{escape(printable(str(problem)))}[/]")
    raise typer.Exit(2)


def _visibility(value: str) -> str:
    from .outputs.platforms import VISIBILITIES

    if value not in VISIBILITIES:
        raise typer.BadParameter(f"use one of {', '.join(VISIBILITIES)}")
    return value


@app.command()
def check(notebook: Path = typer.Argument(..., help="Your notebook, e.g. 01_gates/gates.ipynb (any name, anywhere)"),
          assignment: Optional[str] = typer.Option(None, help="Assignment name (default: the one the notebook's first cell names).")) -> None:
    """Check your notebook as the grader would, on the visible cases. Exit code 0 when all pass."""
    from rich.markup import escape

    from .student.check import declared_assignment
    from .judge.engine import time_limits
    from .judge.misconceptions import recognised
    from .sandbox import describe_time_limits
    from .submission import evaluate

    # --assignment, else what the notebook says (its checker("...") call), else its file or folder name
    candidates = [assignment] if assignment else [declared_assignment(notebook), notebook.stem, notebook.parent.name]
    for name in filter(None, candidates):
        try:
            decl = course.get_assignment(name)
            break
        except KeyError as unknown:
            problem = unknown.args[0]
    else:
        if not assignment:
            problem = f"{notebook.name} does not say which assignment it is (no checker(\"...\") call in its cells)"
        console.print(f"[red]{escape(problem)}[/]; pass --assignment.")
        raise typer.Exit(2)
    with console.status(f"running {notebook.name} in a separate process..."):
        result = evaluate(notebook, decl)
    table = Table(title=f"{decl.name}: {notebook}")
    for column in ("question", "points", "status", "reason"):
        table.add_column(column, overflow="fold")
    for q in result.questions:
        colour = "green" if q.passed else "yellow" if q.status == "manual" else "red"
        reason = "" if q.passed else escape(q.reason)  # reasons quote code such as order[start:start + batch_size]
        if q.misconception and not q.passed:
            reason += f"\n[bold magenta]{escape(recognised(q.misconception, q.hint))}[/]"
        table.add_row(q.question, f"{q.points:g}/{q.max_points:g}", f"[{colour}]{STATUS_TEXT[q.status]}[/]", reason)
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"[bold]score {result.score:g}/{result.max_score:g}[/] on the visible cases (hidden cases are added when grading)")
    console.print(f"[dim]{escape(describe_time_limits(time_limits(decl)))}[/]")
    raise typer.Exit(0 if result.score == result.max_score else 1)


def _shard(text: Optional[str]) -> Optional[tuple[int, int]]:
    if text is None:
        return None
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise typer.BadParameter("use i/n, e.g. 2/4") from None
    if not 1 <= index <= count:
        raise typer.BadParameter("i must be between 1 and n")
    return index, count


def _report(results, out: Path) -> None:
    from .outputs.writers import print_table

    print_table(results, console)
    sandbox = results[0].sandbox if results else ""
    if "NOT available" in sandbox:
        console.print(f"[bold yellow]warning: weaker isolation on this machine[/]: {sandbox}")
    elif sandbox:
        console.print(f"[dim]sandbox: {sandbox}[/]")
    console.print(f"wrote {out / 'grades.csv'} (also canvas.csv and moodle.csv for an LMS), {out / 'junit.xml'}, {out / 'summary.md'}, "
                  f"Gradescope results in {out / 'gradescope'}, feedback in {out / 'feedback'}")


@app.command()
def grade(submitted: Path = typer.Argument(..., help="Folder in nbgrader's layout: <student>/<assignment>/<notebook>.ipynb"),
          out: Path = typer.Option(Path("grading-output"), metavar="DIR", help="Where results, grades.csv and feedback go: a new folder, or one the kit made."),
          assignment: Optional[List[str]] = typer.Option(None, metavar="NAME", help="Grade only this assignment (repeatable)."),
          jobs: int = typer.Option(2, metavar="N", help="Submissions graded in parallel."),
          seed: Optional[int] = typer.Option(None, metavar="SEED", help="Seed of the hidden cases (default: drawn, or reused on resume)."),
          shard: Optional[str] = typer.Option(None, metavar="I/N", help="Grade only shard i/n of the students (for a CI matrix)."),
          fresh: bool = typer.Option(False, "--fresh", help="Grade everything again instead of resuming."),
          require_isolation: bool = typer.Option(False, "--require-isolation", help="Fail instead of grading where namespaces or the process cap are unavailable."),
          gradebook: Optional[str] = typer.Option(None, metavar="DB", help="nbgrader's gradebook.db (or a database URL): write the scores into it, and report its hand grades and overrides in every output."),
          figures: bool = typer.Option(False, "--figures", help="Also draw the notebook's plots with each student's functions into their feedback (one more sandboxed run each)."),
          hidden_visibility: str = typer.Option("after_published", metavar="WHEN", callback=_visibility, help=VISIBILITY_HELP),
          since: Optional[Path] = typer.Option(None, metavar="EARLIER_OUT", exists=True, file_okay=False, help=SINCE_HELP),
          course_dir: Optional[Path] = typer.Option(None, "--course", metavar="DIR", help=COURSE_HELP)) -> None:
    """Grade a class: each submission runs in its own sandboxed process."""
    from .grade import IsolationUnavailable, NothingToGrade, grade_folder
    from .outputs.output_folder import NotOurs
    from .course.points import PointsMismatch

    if not submitted.is_dir():
        console.print(f"[red]{submitted} is not a folder[/]")
        raise typer.Exit(2)
    root = _root(course_dir)
    try:
        with _progress() as progress:
            task = progress.add_task("", total=None)
            results = grade_folder(submitted, out, assignment, seed=seed, jobs=jobs, root=root, resume=not fresh, shard=_shard(shard),
                                   require_isolation=require_isolation, gradebook=gradebook, draw_figures=figures, warn=lambda w: progress.console.print(f"[yellow]{w}[/]"),
                                   on_plan=lambda total: progress.update(task, total=total), hidden_visibility=hidden_visibility, since=since,
                                   on_result=lambda r: progress.update(task, advance=1, description=f"{r.student}/{r.assignment}"))
    except IsolationUnavailable as missing:
        console.print(f"[red]{missing}[/]")
        raise typer.Exit(3)
    except (NothingToGrade, NotOurs, PointsMismatch) as refused:
        _refused(refused)
    _report(results, out)


@app.command()
def merge(shards: List[Path] = typer.Argument(..., help="Output folders of `grade --shard i/n`."),
          out: Path = typer.Option(Path("grading-output"), metavar="DIR", help="Where the combined results and reports go: a new folder, or one the kit made."),
          gradebook: Optional[str] = typer.Option(None, metavar="DB", help="nbgrader's gradebook.db (or a database URL): write the scores into it, and report its hand grades and overrides."),
          hidden_visibility: str = typer.Option("after_published", metavar="WHEN", callback=_visibility, help=VISIBILITY_HELP),
          since: Optional[Path] = typer.Option(None, metavar="EARLIER_OUT", exists=True, file_okay=False, help=SINCE_HELP)) -> None:
    """Combine the outputs of several shards into one set of results and reports."""
    from .grade import merge as merge_shards
    from .outputs.output_folder import NotOurs

    try:
        results = merge_shards(shards, out, gradebook=gradebook, warn=lambda w: console.print(f"[yellow]{w}[/]"), hidden_visibility=hidden_visibility, since=since)
    except (ValueError, NotOurs) as conflict:
        _refused(conflict)
    _report(results, out)


@app.command()
def build(assignment: Optional[List[str]] = typer.Argument(None, help="Assignments to build (default: all)."),
          course_dir: Optional[Path] = typer.Option(None, "--course", metavar="DIR", help=COURSE_HELP)) -> None:
    """Generate the student notebooks in assignments/ from solutions/ with nbgrader (assignments/ is unchanged if nbgrader fails)."""
    from .course.build import BuildFailed
    from .course.build import build as build_assignments
    from .course.points import PointsMismatch

    root = _root(course_dir)
    try:
        names = [course.get_assignment(name).name for name in assignment] if assignment else list(course.assignments())
        written = build_assignments(root, names)
    except KeyError as unknown:
        _refused(RuntimeError(unknown.args[0]))
    except (BuildFailed, PointsMismatch) as failed:
        _refused(failed)
    for path in written:
        console.print(f"wrote {path.relative_to(root)}")


@app.command()
def digests(course_dir: Optional[Path] = typer.Option(None, "--course", metavar="DIR", help=COURSE_HELP)) -> None:
    """Regenerate autograder/judge/visible_digests.py (salted digests of the reference's outputs on visible cases) from solutions/,
    and autograder/judge/exact_sources.py (what the symbolic oracles compute once, e.g. SymPy's derivatives)."""
    from .judge import digests as generated

    changed = generated.write(_root(course_dir))
    for path in (generated.GENERATED, generated.GENERATED_EXACT):
        console.print(f"{'wrote' if path in changed else 'unchanged:'} {path}")


@app.command()
def demo(out: Path = typer.Option(Path("demo-output"), metavar="DIR", help="Folder for the demo: a new folder, or an earlier demo's (whose files it replaces)."),
         jobs: int = typer.Option(2, metavar="N", help="Submissions graded in parallel."),
         course_dir: Optional[Path] = typer.Option(None, "--course", metavar="DIR", help=COURSE_HELP)) -> None:
    """Build the student notebooks, simulate a small class, grade it and print the table."""
    from .demo import run_demo
    from .outputs.output_folder import NotOurs

    root = _root(course_dir)
    try:
        with _progress() as progress:
            task = progress.add_task("", total=None)
            results = run_demo(out, root, jobs=jobs, log=progress.console.print, on_plan=lambda total: progress.update(task, total=total),
                               on_result=lambda r: progress.update(task, advance=1, description=f"{r.student}/{r.assignment}"))
    except NotOurs as refused:
        _refused(refused)
    _report(results, out / "grading")


@app.command(name="student-kit")
def student_kit(out: Path = typer.Argument(..., help="A new or empty folder (or one this command made before)."),
                wheel: Optional[Path] = typer.Option(None, metavar="FILE", help="A wheel of the kit built already (default: build it from the course's source)."),
                course_dir: Optional[Path] = typer.Option(None, "--course", metavar="DIR", help=COURSE_HELP)) -> None:
    """Write what students get: the released notebooks, a README, the kit's wheel and a GitHub Classroom workflow."""
    from .course.student_kit import KitRefused, make_kit

    root = _root(course_dir)
    try:
        with console.status("building the kit's wheel..."):
            written = make_kit(out, root, wheel)
    except KitRefused as refused:
        console.print(f"[red]{refused}[/]")
        raise typer.Exit(2)
    for path in written:
        console.print(f"wrote {path}")
    console.print(f"Give students the folder {out} (or make it the starter repository of a GitHub Classroom assignment).")


@app.command(name="gradescope-bundle")
def gradescope_bundle(assignment: str = typer.Argument(..., help="The assignment the autograder grades, e.g. 01_gates."),
                      out: Path = typer.Option(Path("gradescope-autograder"), metavar="DIR", help="Where the bundle goes: a new folder, or one the kit made."),
                      hidden_visibility: str = typer.Option("after_published", metavar="WHEN", callback=_visibility, help=VISIBILITY_HELP),
                      course_dir: Optional[Path] = typer.Option(None, "--course", metavar="DIR", help=COURSE_HELP)) -> None:
    """Write a Gradescope autograder for one assignment: upload DIR/autograder.zip as a programming assignment's autograder."""
    from .outputs.output_folder import NotOurs
    from .outputs.platforms import make_gradescope_bundle

    root = _root(course_dir)
    try:
        archive = make_gradescope_bundle(course.get_assignment(assignment).name, root, out, hidden_visibility)
    except KeyError as unknown:
        _refused(RuntimeError(unknown.args[0]))
    except (NotOurs, FileNotFoundError) as refused:
        _refused(refused)
    console.print(f"wrote {archive} (setup.sh, run_autograder, the kit and {assignment}'s course files; it holds the solution: "
                  "upload it to Gradescope only)")


@app.command(name="list")
def list_questions() -> None:
    """List the assignments, their questions and points."""
    table = Table(title="Assignments")
    for column in ("assignment", "question", "points", "graded", "title"):
        table.add_column(column, overflow="fold")
    for assignment in course.assignments().values():
        for q in assignment:
            table.add_row(assignment.name, q.name, f"{q.points:g}", "by hand" if q.manual else "automatically", q.title)
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
