"""The feedback page and the class summary, looked at in headless Chromium as a student and an instructor see them.

A small class is graded with figures (ada correct, ben with a long wrong answer, cy untouched);
each feedback page is opened in Chromium (Debian's, driven by Playwright, as in
``test_jupyterlab.py``): no message runs past the right edge, each figure has the caption of its
notebook section, the written answer reads "awaiting hand grading". summary.png is opened too.
Screenshots are kept in the test's temporary folder and copied to $TEST_ARTIFACTS when set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, keep_artifacts
from test_jupyterlab import CHROMIUM_ARGS, _missing

from autograder import course
from autograder.course import simulate
from autograder.grade import grade_folder

pytestmark = [pytest.mark.slow, pytest.mark.browser]

GATES = course.get_assignment("01_gates")
# Wrong on every case, with a message naming a long unbroken value (a path-like token).
LONG_WRONG = "def gate_weights(name):\n    raise ValueError('unknown gate ' + name + ': ' + '/very/long/unbroken/token' * 12)\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback-browser")
    simulate.write(simulate.fill(GATES, ROOT), tmp / "submitted", "ada", GATES)
    simulate.write(simulate.fill(GATES, ROOT, replace={"gate_weights": LONG_WRONG}), tmp / "submitted", "ben", GATES)
    simulate.write(simulate.fill(GATES, ROOT, base="stub"), tmp / "submitted", "cy", GATES)
    out = tmp / "out"
    grade_folder(tmp / "submitted", out, [GATES.name], seed=5, root=ROOT, draw_figures=True)
    return out


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    problem = _missing()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the feedback browser test cannot run: {problem}", pytrace=False)
        pytest.skip(f"the feedback browser test cannot run: {problem}")
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(str(tmp_path_factory.mktemp("profile")), executable_path=chromium,
                                                                headless=True, args=CHROMIUM_ARGS, viewport={"width": 900, "height": 1000})
        yield context.new_page()
        context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("feedback-screenshots")
    yield folder
    keep_artifacts("feedback", folder)


OVERFLOW = """() => Array.from(document.querySelectorAll('pre, p, h3, li, figcaption'))
    .filter(n => n.scrollWidth > n.clientWidth + 1 || n.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map(n => n.textContent.slice(0, 80))"""


@pytest.mark.parametrize("student", ["ada", "ben", "cy"])
def test_feedback_pages_read_well_in_chromium(graded, browser_page, screenshots, student):
    page = graded / "feedback" / student / f"{GATES.name}.html"
    browser_page.goto(page.as_uri())
    assert browser_page.evaluate(OVERFLOW) == [], "text runs past the right edge"
    text = browser_page.inner_text("body")
    assert "awaiting hand grading" in text and "xor_written — 0/" not in text
    captions = browser_page.eval_on_selector_all("figcaption", "nodes => nodes.map(n => n.textContent)")
    if student == "cy":
        assert captions == []
    else:
        assert captions and not [c for c in captions if c.startswith("cell ") or "plot-" in c], captions
        loaded = browser_page.eval_on_selector_all("figure img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
        assert loaded and all(loaded)
    if student == "ben":
        assert "/very/long/unbroken/token" in text
    shot = screenshots / f"feedback-{student}.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_the_class_summary_in_chromium(graded, browser_page, screenshots):
    browser_page.goto((graded / "summary.png").as_uri())
    size = browser_page.evaluate("() => { const i = document.querySelector('img'); return [i.naturalWidth, i.naturalHeight]; }")
    assert size[0] > 500 and size[1] > 200
    shot = screenshots / "summary.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
