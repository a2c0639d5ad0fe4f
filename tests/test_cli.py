"""Does the `autograder` command do what the README says?"""

import subprocess
import sys

from typer.testing import CliRunner

from autograder import course
from autograder.cli import app

runner = CliRunner()
GATES = course.get_assignment("01_gates")
AUTOMATIC = sum(q.points for q in GATES if not q.manual)
FULL = f"score {AUTOMATIC:g}/{AUTOMATIC:g}"


def test_check_passes_a_correct_notebook_with_exit_code_0(submit):
    result = runner.invoke(app, ["check", str(submit("01_gates"))], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert FULL in result.output


def test_check_fails_an_untouched_notebook_with_reasons_and_exit_code_1(submit):
    result = runner.invoke(app, ["check", str(submit("01_gates", base="stub"))], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "not implemented yet" in result.output and f"score 0/{AUTOMATIC:g}" in result.output


def test_check_shows_a_reason_as_written_even_where_it_reads_like_markup(submit):
    """Reasons quote code (order[start:start + batch_size]) and the student's own messages: the terminal shows them
    verbatim, never as rich markup."""
    raising = "def step(z):\n    raise ValueError('order[start:start + batch_size] and [bold]this[/bold]')\n"
    result = runner.invoke(app, ["check", str(submit("01_gates", step=raising))], env={"COLUMNS": "80"})
    assert result.exit_code == 1
    flat = "".join(result.output.replace("│", " ").split())  # the reason's cell read whole, however the terminal's width folds it
    assert "order[start:start+batch_size]and[bold]this[/bold]" in flat, result.output


def test_check_reads_the_assignment_from_the_notebook_whatever_its_name_and_place(tmp_path, submit):
    renamed = tmp_path / "somewhere" / "my work.ipynb"
    renamed.parent.mkdir()
    renamed.write_bytes(submit("01_gates").read_bytes())
    result = runner.invoke(app, ["check", str(renamed)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "01_gates" in result.output and FULL in result.output, result.output
    other = runner.invoke(app, ["check", str(renamed), "--assignment", "02_perceptron"], env={"COLUMNS": "200"})
    assert other.exit_code == 1 and "02_perceptron" in other.output  # --assignment overrides what the notebook says


def test_check_of_a_notebook_that_names_no_assignment_asks_for_it(tmp_path, submit):
    import nbformat

    notebook = nbformat.read(submit("01_gates"), as_version=4)
    for cell in notebook.cells:
        cell.source = cell.source.replace('checker("01_gates", globals())', "None")
    anonymous = tmp_path / "my work.ipynb"
    nbformat.write(notebook, anonymous)
    result = runner.invoke(app, ["check", str(anonymous)], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "does not say which assignment" in result.output and "--assignment" in result.output
    assert runner.invoke(app, ["check", str(anonymous), "--assignment", "01_gates"]).exit_code == 0


def test_list_shows_every_question_and_its_points(monkeypatch):
    from rich.console import Console

    from autograder import cli

    monkeypatch.setattr(cli, "console", Console(width=400))
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    for assignment in course.assignments().values():
        for question in assignment:
            assert question.name in result.output


def test_the_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "autograder", "--help"], capture_output=True, text=True, check=True)
    assert "grade" in result.stdout and "demo" in result.stdout
