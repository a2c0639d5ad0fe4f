"""Does ``grade --figures`` put the plots a student's own functions draw into their feedback,
and cost nothing when a plot cell breaks, loops or forges a figure?"""

from __future__ import annotations

import nbformat
import pytest

from autograder import course
from autograder.outputs import figures
from autograder.course import simulate
from autograder.grade import grade_folder, merge
from autograder.sandbox import Limits

from conftest import ROOT, by_question, solution_source

PNG = figures.PNG_SIGNATURE
BROKEN_XOR = "import numpy as np\ndef xor_network():\n    return 1.0, 2.0, 3.0, 4.0\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class graded with figures: ada correct, bob untouched, cy with an xor_network that breaks its plot."""
    tmp = tmp_path_factory.mktemp("figures")
    assignment = course.get_assignment("01_gates")
    simulate.write(simulate.fill(assignment, ROOT), tmp / "submitted", "ada", assignment)
    simulate.write(simulate.fill(assignment, ROOT, base="stub"), tmp / "submitted", "bob", assignment)
    simulate.write(simulate.fill(assignment, ROOT, replace={"xor_network": BROKEN_XOR}), tmp / "submitted", "cy", assignment)
    out = tmp / "out"
    results = grade_folder(tmp / "submitted", out, ["01_gates"], seed=3, root=ROOT, resume=False, draw_figures=True)
    return {r.student: r for r in results}, out


def test_a_correct_submission_gets_its_plots_as_png_beside_its_feedback(graded):
    results, out = graded
    ada = results["ada"]
    assert [f["cell"] for f in ada.figures] == ["plot-gates", "plot-xor"]
    for figure in ada.figures:
        assert (out / "feedback" / "ada" / figure["file"]).read_bytes().startswith(PNG)
    page = (out / "feedback" / "ada" / "01_gates.html").read_text()
    assert page.count("<img src='data:image/png;base64,iVBORw0KGgo") == 2  # embedded: one file to hand out
    markdown = (out / "feedback" / "ada" / "01_gates.md").read_text()
    assert "](01_gates/figure-1.png)" in markdown and "](01_gates/figure-2.png)" in markdown


def test_a_plot_cell_broken_by_the_students_function_is_explained_and_costs_nothing_else(graded):
    results, out = graded
    cy = results["cy"]
    assert [f["cell"] for f in cy.figures] == ["plot-gates"]
    assert any("plot cell 'plot-xor' stopped with" in note for note in cy.notes), cy.notes
    questions = by_question(cy)
    assert questions["xor_network"].points == 0
    assert all(questions[name].passed for name in ("step", "neuron", "gate_weights"))


def test_an_untouched_notebook_draws_nothing_and_says_nothing_about_plots(graded):
    results, out = graded
    bob = results["bob"]
    assert bob.figures == [] and not any("plot" in note for note in bob.notes)
    assert "Your figures" not in (out / "feedback" / "bob" / "01_gates.html").read_text()


def test_figures_never_change_a_score(graded, tmp_path):
    results, out = graded
    without = grade_folder(out.parent / "submitted", tmp_path / "out", ["01_gates"], seed=3, root=ROOT, resume=False)
    assert {r.student: r.score for r in without} == {s: r.score for s, r in results.items()}


def test_merging_shards_keeps_each_students_figures(graded, tmp_path):
    _, out = graded
    merged = merge([out], tmp_path / "merged")
    ada = next(r for r in merged if r.student == "ada")
    assert (tmp_path / "merged" / "feedback" / "ada" / ada.figures[0]["file"]).read_bytes().startswith(PNG)
    assert "data:image/png;base64," in (tmp_path / "merged" / "feedback" / "ada" / "01_gates.html").read_text()


def submission_and_release(answers: dict[str, str]):
    """The correct 01_gates submission with ``answers`` replaced, and the released notebook."""
    assignment = course.get_assignment("01_gates")
    release = nbformat.read(course.release_path(assignment, ROOT), as_version=4)
    return simulate.fill(assignment, ROOT, replace=answers), release


def test_a_plot_cell_that_never_ends_is_stopped_and_the_later_plots_are_still_drawn():
    hang = "import matplotlib.pyplot as plt\n" + solution_source("01_gates", "gate_weights") + "\nplt.tight_layout = lambda *a, **k: [0 for _ in iter(int, 1)]\n"
    submission, release = submission_and_release({"gate_weights": hang})
    drawn, notes = figures.draw(submission, release, Limits(cell_seconds=2.0))
    assert any("plot cell 'plot-gates' stopped with" in n and "2 s of CPU time" in n for n in notes), notes
    assert "plot-xor" in [f.cell for f in drawn]


def test_a_forged_figure_is_not_passed_on():
    forge = solution_source("01_gates", "xor_network") + (
        "\nimport matplotlib.figure\n"
        "matplotlib.figure.Figure.savefig = lambda self, buffer, **k: buffer.write(b'<script>alert(1)</script>')\n")
    submission, release = submission_and_release({"xor_network": forge})
    drawn, _ = figures.draw(submission, release)
    assert drawn == []
