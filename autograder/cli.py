"""The ``autograder`` command: a thin layer over one function per verb.

    autograder check NOTEBOOK        a student's local check (visible cases, sandboxed)
    autograder grade SUBMITTED       grade a class in nbgrader's submitted/ layout
    autograder merge SHARD...        combine the outputs of `grade --shard i/n`
    autograder build [ASSIGNMENT]    generate the student notebooks with nbgrader
    autograder demo                  build, simulate a class, grade it, print the table
    autograder list                  the assignments, their questions and points
    autograder student-kit OUT       what students get: notebooks, README, the kit's wheel, CI
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
def check(notebook: Path = typer.Argument(..., help="Your notebook, e.g. 01_gates/gates.ipynb (any name, anywhere)"),
          assignment: Optional[str] = typer.Option(None, help="Assignment name (default: the one the notebook's first cell names).")) -> None:
    """Check your notebook as the grader would, on the visible cases. Exit code 0 when all pass."""
    from rich.markup import escape

    from .check import declared_assignment
    from .misconceptions import recognised
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
        reason = "" if q.passed else q.reason
        if q.misconception and not q.passed:
            reason += f"\n[bold magenta]{escape(recognised(q.misconception, q.hint))}[/]"
        table.add_row(q.question, f"{q.points:g}/{q.max_points:g}", f"[{colour}]{STATUS_TEXT[q.status]}[/]", reason)
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"[bold]score {result.score:g}/{result.max_score:g}[/] on the visible cases (hidden cases are added when grading)")
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


@app.command(name="student-kit")
def student_kit(out: Path = typer.Argument(..., help="A new or empty folder (or one this command made before)."),
                wheel: Optional[Path] = typer.Option(None, help="A wheel of the kit built already (default: build it from the course's source)."),
                course_dir: Optional[Path] = typer.Option(None, "--course")) -> None:
    """Write what students get: the released notebooks, a README, the kit's wheel and a GitHub Classroom workflow."""
    from .student_kit import KitRefused, make_kit

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
