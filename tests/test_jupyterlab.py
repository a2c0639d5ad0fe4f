"""Students in JupyterLab: the 01_gates notebook in a real JupyterLab, in headless Chromium.

JupyterLab is started on 127.0.0.1 (a token, a fresh root folder holding a copy of the student
notebook and a filled-in copy); Debian's Chromium, driven by Playwright, opens each notebook and
runs its cells. On the student notebook every check cell shows the friendly "not implemented
yet" message (no traceback through the kit); on the filled-in copy "Run All Cells" runs every
cell and every check passes; in both, the math is typeset by MathJax. Screenshots are kept in the
test's temporary folder and copied to $TEST_ARTIFACTS when that is set.

Needs /usr/bin/chromium (Debian's `chromium` package; never `playwright install`) and the
`playwright` package (`pip install -e ".[test]"`); .ci/run installs both. Without them the
test fails in CI (CI=true) and is skipped elsewhere, saying which is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, keep_artifacts

from autograder import course
from autograder.course import simulate

pytestmark = [pytest.mark.slow, pytest.mark.browser]

GATES = course.get_assignment("01_gates")
AUTOMATIC = [q.name for q in GATES if not q.manual]
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
# JupyterLab user settings: every cell in the DOM (no windowing), and no news or update checks (closed network).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def _missing() -> str | None:
    """Why the browser cannot start here, or None."""
    problems = []
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if chromium is None:
        problems.append("Chromium is not installed (Debian: apt-get install -y chromium; .ci/run does this as root)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append('the playwright package is not installed (pip install -e ".[test]")')
    return "; ".join(problems) or None


@pytest.fixture(scope="module")
def chromium_path() -> str:
    problem = _missing()
    if problem:
        message = f"the JupyterLab browser test cannot run: {problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- in CI this is a failure, not a skip", pytrace=False)
        pytest.skip(message)
    return shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium_path):
    """A JupyterLab server on loopback with the stub and a filled-in copy of 01_gates; yields (url, token, root)."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "root"
    (root / "stub").mkdir(parents=True)
    shutil.copy2(course.release_path(GATES, ROOT), root / "stub" / GATES.notebook)
    simulate.write(simulate.fill(GATES, ROOT), root, "filled", GATES)  # root/filled/01_gates/gates.ipynb
    settings = tmp / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    env.pop(course.COURSE_ROOT_ENV, None)
    log = (tmp / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "jupyter-lab"), "--no-browser", "--ServerApp.open_browser=False", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(tmp / 'jupyterlab.log').read_text()[-3000:]}", pytrace=False)
            time.sleep(0.5)
        yield url, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def page(lab, chromium_path, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(profile), executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        except Exception as failed:  # a browser that cannot start must not look like a pass
            message = f"Chromium ({chromium_path}) did not start under Playwright: {failed}"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        context.set_default_timeout(120_000)
        yield context.new_page()
        context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    keep_artifacts("jupyterlab", folder)


OPEN_AND_WAIT = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  return panel.content.widgets.length;
}"""

RUN_ONE = """async (index) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const notebook = panel.content;
  notebook.deselectAll();
  notebook.activeCellIndex = index;
  await window.jupyterapp.commands.execute('notebook:run-cell');
  return notebook.widgets[index].model.type;
}"""

RUN_ALL = """async () => {
  await window.jupyterapp.commands.execute('notebook:run-all-cells');
}"""

CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(cell => cell.model.toJSON())"""

KERNEL_IDLE = """() => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel;
  return kernel ? kernel.status : 'none';
}"""

MATH = """() => ({
  typeset: document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown mjx-container').length,
  raw: Array.from(document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')).filter(n => n.textContent.includes('$$')).length,
})"""


PASS_MARK = "\u2714"  # ✔ HEAVY CHECK MARK, in DejaVu Sans: no emoji font needed

# The first output of cell i: its text, and whether its pass mark is drawn with a real glyph. The mark
# is drawn on a canvas in the output's own font and compared with two characters no font has
# (U+0378, unassigned; U+E000, private use): a missing glyph draws as the same box as those.
GLYPH = """(index) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
  const out = cell.node.querySelector('.jp-OutputArea-output');
  const style = getComputedStyle(out.querySelector('span') || out);
  const font = `40px ${style.fontFamily}`;
  const draw = (ch) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    const context = canvas.getContext('2d');
    context.font = font; context.textBaseline = 'middle'; context.fillStyle = '#000';
    context.fillText(ch, 4, 32);
    return Array.from(context.getImageData(0, 0, 64, 64).data).filter((v, i) => i % 4 === 3);
  };
  const same = (a, b) => a.every((v, i) => v === b[i]);
  const mark = draw('\\u2714');
  return {text: out.textContent, font, ink: mark.filter(v => v > 0).length,
          tofu: same(mark, draw('\\u0378')) || same(mark, draw('\\uE000'))};
}"""


def open_notebook(page, lab, relative: str) -> int:
    url, token, _ = lab
    workspace = relative.replace("/", "-").replace(".", "-")  # a fresh workspace: only this notebook is open
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/{relative}?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    page.wait_for_function("(path) => window.jupyterapp?.shell.currentWidget?.context?.path === path", arg=relative)
    count = page.evaluate(OPEN_AND_WAIT)
    page.wait_for_function(KERNEL_IDLE.replace("return kernel ? kernel.status : 'none';", "return kernel && kernel.status === 'idle';"))
    return count


def wait_idle(page) -> None:
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'")


def by_grade_id(cells: list[dict]) -> dict[str, dict]:
    return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c for c in cells}


def output_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") if isinstance(out.get("text"), str) else "".join(out.get("text", [])))
        parts += ["\n".join(out.get("traceback", [])), out.get("evalue", "")]
        for mime in ("text/plain", "text/markdown"):
            value = out.get("data", {}).get(mime, "")
            parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def assert_math_typeset(page) -> None:
    page.wait_for_function("() => document.querySelectorAll('.jp-MarkdownCell mjx-container').length > 5")
    math = page.evaluate(MATH)
    assert math["typeset"] > 5 and math["raw"] == 0, f"MathJax did not typeset the notebook's math: {math}"


def snapshot(page, cells_selector_index: int, folder: Path, name: str) -> Path:
    page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node.scrollIntoView({block: 'center'})", cells_selector_index)
    time.sleep(0.3)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def test_the_student_notebook_in_jupyterlab_says_not_implemented_yet_at_every_check(page, lab, screenshots):
    count = open_notebook(page, lab, f"stub/{GATES.notebook}")
    for index in range(count):  # Shift+Enter through the notebook, as a student does
        page.evaluate(RUN_ONE, index)
    wait_idle(page)
    cells = page.evaluate(CELLS)
    assert_not_implemented_at_every_check(cells)
    assert_math_typeset(page)
    first_check = next(i for i, c in enumerate(cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_step")
    snapshot(page, first_check, screenshots, "01_gates-student-notebook")


def test_run_all_on_the_student_notebook_reaches_the_end_past_every_failing_check(page, lab):
    open_notebook(page, lab, f"stub/{GATES.notebook}")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate(RUN_ALL)
    wait_idle(page)
    cells = page.evaluate(CELLS)
    not_run = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in cells if c["cell_type"] == "code" and c.get("execution_count") is None]
    assert not_run == [], f"Run All Cells stopped before {not_run}"
    assert_not_implemented_at_every_check(cells)


def assert_not_implemented_at_every_check(cells: list[dict]) -> None:
    graded = by_grade_id(cells)
    for question in AUTOMATIC:
        cell = graded[f"test_{question}"]
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert len(errors) == 1 and errors[0]["ename"] == "CheckFailed", (question, cell["outputs"])
        shown = "\n".join(errors[0]["traceback"])
        assert "not implemented yet" in shown and question in shown, shown
        assert "Traceback" not in shown and 'File "' not in shown, f"the check shows a traceback instead of the message:\n{shown}"
    setup_errors = [c for c in cells if c["cell_type"] == "code" and not c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("test_")
                    and any(o["output_type"] == "error" for o in c.get("outputs", []))]
    assert not setup_errors, [c["metadata"].get("nbgrader", {}).get("grade_id") for c in setup_errors]
    assert "not implemented yet" in output_text(graded["overview"])


def test_a_filled_in_notebook_runs_all_cells_in_jupyterlab_with_every_check_passing(page, lab, screenshots):
    open_notebook(page, lab, f"filled/{GATES.name}/{GATES.notebook}")
    page.evaluate(RUN_ALL)  # resolves when the last cell has run
    wait_idle(page)
    cells = page.evaluate(CELLS)
    errors = [(c["metadata"].get("nbgrader", {}).get("grade_id"), o.get("evalue")) for c in cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    not_run = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in cells if c["cell_type"] == "code" and c.get("execution_count") is None]
    assert not_run == [], f"Run All Cells did not run {not_run}"
    graded = by_grade_id(cells)
    for question in AUTOMATIC:
        text = output_text(graded[f"test_{question}"])
        assert "passed" in text and question in text, (question, text)
    overview = output_text(graded["overview"])
    assert overview.count(PASS_MARK) == len(AUTOMATIC), overview
    first_check = next(i for i, c in enumerate(cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_step")
    mark = page.evaluate(GLYPH, first_check)
    assert PASS_MARK in mark["text"] and "\u2705" not in mark["text"], mark["text"]  # ✔ printed, not the emoji ✅
    assert mark["ink"] > 20 and not mark["tofu"], f"the pass mark is drawn as a missing-glyph box in {mark['font']}: {mark}"
    snapshot(page, first_check, screenshots, "01_gates-pass-mark")
    assert any(o.get("data", {}).get("image/png") for c in cells for o in c.get("outputs", [])), "the plots did not render"
    assert_math_typeset(page)
    last_check = max(i for i, c in enumerate(cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_xor_network")
    snapshot(page, last_check, screenshots, "01_gates-filled-in")
