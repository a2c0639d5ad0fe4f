"""The ``autograder`` command: a thin layer over one function per verb.

    autograder check NOTEBOOK        a student's local check (visible cases, sandboxed)
    autograder grade SUBMITTED       grade a class in nbgrader's submitted/ layout
    autograder merge SHARD...        combine the outputs of `grade --shard i/n`
    autograder build [ASSIGNMENT]    generate the student notebooks with nbgrader
    autograder demo                  build, simulate a class, grade it, print the table
    autograder list                  the assignments, their questions and points
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import course
from .results import STATUS_TEXT

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Self-grading exercises: neural networks from first principles.")
console = Console()


def _root(course_dir: Optional[Path]) -> Path:
    root = course.find_course_root(course_dir)
    if root is None:
        console.print("[red]No course directory found[/] (a folder with nbgrader_config.py and solutions/). Use --course.")
        raise typer.Exit(2)
    return root


def _progress() -> Progress:
    return Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"), console=console)


@app.command()
def check(notebook: Path = typer.Argument(..., help="Your notebook, e.g. assignments/01_gates/gates.ipynb"),
          assignment: Optional[str] = typer.Option(None, help="Assignment name, if the file was renamed.")) -> None:
    """Check your notebook as the grader would, on the visible cases. Exit code 0 when all pass."""
    from rich.markup import escape

    from .misconceptions import recognised
    from .submission import evaluate

    name = assignment or notebook.stem
    try:
        decl = course.get_assignment(name)
    except KeyError:
        try:
            decl = course.get_assignment(notebook.parent.name)
        except KeyError as unknown:
            console.print(f"[red]{unknown.args[0]}[/]; pass --assignment.")
            raise typer.Exit(2)
    with console.status(f"running {notebook.name} in a separate process..."):
        result = evaluate(notebook, decl)
    table = Table(title=f"{decl.name}: {notebook}")
    for column in ("question", "points", "status", "reason"):
        table.add_column(column, overflow="fold")
    for q in result.questions:
        colour = "green" if q.passed else "yellow" if q.status == "manual" else "red"
        reason = "" if q.passed else q.reason
        if q.misconception and not q.passed:
            reason += f"\n[bold magenta]{escape(recognised(q.misconception, q.hint))}[/]"
        table.add_row(q.question, f"{q.points:g}/{q.max_points:g}", f"[{colour}]{STATUS_TEXT[q.status]}[/]", reason)
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"[bold]score {result.score:g}/{result.max_score:g}[/] on the visible cases (hidden cases are added when grading)")
    console.print(f"[dim]{escape(_time_limits(decl))}[/]")
    raise typer.Exit(0 if result.score == result.max_score else 1)


def _time_limits(decl) -> str:
    """Every time limit a student's code can meet in this assignment, in one sentence."""
    from .engine import plan
    from .sandbox import describe_time_limits

    limits: dict[str, float] = {}
    for planned in plan(decl, [q for q in decl if not q.manual], 0):  # visible and hidden cases alike
        limits[planned.question.name] = max(limits.get(planned.question.name, 0.0), planned.case.timeout)
    return describe_time_limits(limits)


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
    from .writers import print_table

    print_table(results, console)
    sandbox = results[0].sandbox if results else ""
    if "NOT available" in sandbox:
        console.print(f"[bold yellow]warning: weaker isolation on this machine[/]: {sandbox}")
    elif sandbox:
        console.print(f"[dim]sandbox: {sandbox}[/]")
    console.print(f"wrote {out / 'grades.csv'}, {out / 'junit.xml'}, {out / 'summary.md'}, feedback in {out / 'feedback'}")


@app.command()
def grade(submitted: Path = typer.Argument(..., help="Folder in nbgrader's layout: <student>/<assignment>/<notebook>.ipynb"),
          out: Path = typer.Option(Path("grading-output"), help="Where results, grades.csv and feedback go."),
          assignment: Optional[List[str]] = typer.Option(None, help="Grade only this assignment (repeatable)."),
          jobs: int = typer.Option(2, help="Submissions graded in parallel."),
          seed: Optional[int] = typer.Option(None, help="Seed of the hidden cases (default: drawn, or reused on resume)."),
          shard: Optional[str] = typer.Option(None, help="Grade only shard i/n of the students (for a CI matrix)."),
          fresh: bool = typer.Option(False, help="Grade everything again instead of resuming."),
          require_isolation: bool = typer.Option(False, help="Fail instead of grading where namespaces or the process cap are unavailable."),
          gradebook: Optional[str] = typer.Option(None, help="nbgrader's gradebook.db (or a database URL): write the scores into it and count formgrader's hand grades."),
          figures: bool = typer.Option(False, help="Also draw the notebook's plots with each student's functions into their feedback (one more sandboxed run each)."),
          course_dir: Optional[Path] = typer.Option(None, "--course", help="The course directory (holds solutions/).")) -> None:
    """Grade a class: each submission runs in its own sandboxed process."""
    from .grade import IsolationUnavailable, grade_folder

    if not submitted.is_dir():
        console.print(f"[red]{submitted} is not a folder[/]")
        raise typer.Exit(2)
    root = _root(course_dir)
    try:
        with _progress() as progress:
            task = progress.add_task("", total=None)
            results = grade_folder(submitted, out, assignment, seed=seed, jobs=jobs, root=root, resume=not fresh, shard=_shard(shard),
                                   require_isolation=require_isolation, gradebook=gradebook, draw_figures=figures, warn=lambda w: progress.console.print(f"[yellow]{w}[/]"),
                                   on_result=lambda r: progress.update(task, advance=1, description=f"{r.student}/{r.assignment}"))
    except IsolationUnavailable as missing:
        console.print(f"[red]{missing}[/]")
        raise typer.Exit(3)
    _report(results, out)


@app.command()
def merge(shards: List[Path] = typer.Argument(..., help="Output folders of `grade --shard i/n`."),
          out: Path = typer.Option(Path("grading-output"), help="Where the combined results and reports go."),
          gradebook: Optional[str] = typer.Option(None, help="nbgrader's gradebook.db (or a database URL) to write the scores into.")) -> None:
    """Combine the outputs of several shards into one set of results and reports."""
    from .grade import merge as merge_shards

    try:
        results = merge_shards(shards, out, gradebook=gradebook, warn=lambda w: console.print(f"[yellow]{w}[/]"))
    except ValueError as conflict:
        console.print(f"[red]{conflict}[/]")
        raise typer.Exit(2)
    _report(results, out)


@app.command()
def build(assignment: Optional[List[str]] = typer.Argument(None, help="Assignments to build (default: all)."),
          course_dir: Optional[Path] = typer.Option(None, "--course")) -> None:
    """Generate the student notebooks in assignments/ from solutions/ with nbgrader."""
    from .build import build as build_assignments

    root = _root(course_dir)
    for path in build_assignments(root, assignment or list(course.assignments())):
        console.print(f"wrote {path.relative_to(root)}")


@app.command()
def demo(out: Path = typer.Option(Path("demo-output"), help="Folder for the demo (emptied first)."),
         jobs: int = typer.Option(2, help="Submissions graded in parallel."),
         course_dir: Optional[Path] = typer.Option(None, "--course")) -> None:
    """Build the student notebooks, simulate a small class, grade it and print the table."""
    from .demo import run_demo

    root = _root(course_dir)
    with _progress() as progress:
        task = progress.add_task("", total=None)
        results = run_demo(out, root, jobs=jobs, log=progress.console.print,
                           on_result=lambda r: progress.update(task, advance=1, description=f"{r.student}/{r.assignment}"))
    _report(results, out / "grading")


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
