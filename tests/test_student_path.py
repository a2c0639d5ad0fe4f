"""The student's path, taken as a student takes it: from the kit an instructor hands out.

`autograder student-kit` writes the kit (notebooks, README, the wheel, the Classroom workflow);
the README's own commands, run as written in the kit folder with nothing of this repository
on any path, make a fresh virtual environment and install the wheel into it. In that
environment's kernel every released notebook runs top to bottom with nbclient, untouched and
filled with the solutions' answers; the installed `autograder check` checks both; the
kit's CI workflow runs its commands against that wheel. One environment serves every test
(session fixture); its set-up time is printed (`pytest -s`) and recorded as a test property.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT
from test_build import LEAK_MARKERS, leaked

from autograder import course
from autograder.course import simulate
from autograder.results import STATUS_TEXT
from autograder.course.student_kit import MARKER, README_TEMPLATE, README_TITLE, KitRefused, make_kit

ASSIGNMENTS = list(course.assignments().values())
BIN = Path(sys.executable).parent
WHEEL_GLOB = "nn_first_principles_kit-*.whl"


def readme_commands(text: str) -> list[str]:
    """The commands of the ```bash blocks of a README, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in textwrap.dedent(block).splitlines() if line.strip()]


def student_env(**extra: str) -> dict[str, str]:
    """A student's environment: no path to this repository or its virtual environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", course.COURSE_ROOT_ENV)}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(ROOT)))
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def bash(command: str, cwd: Path, timeout: float = 900, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command], cwd=cwd, env=student_env(**env),
                          capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- the kit, without installing it


def test_the_readme_s_student_section_is_the_kit_s_readme():
    section = (ROOT / "README.md").read_text().split("## For students\n\n", 1)[1].split("\n## ", 1)[0]
    template = (ROOT / README_TEMPLATE).read_text()
    assert section == template, "README.md's 'For students' must equal templates/student-kit/README.md"
    assert readme_commands(template) == ["python3 -m venv .venv", f".venv/bin/pip install ./{WHEEL_GLOB}",
                                         ".venv/bin/jupyter lab", ".venv/bin/autograder check 01_gates/gates.ipynb"]


def test_the_kit_refuses_a_folder_it_did_not_make_and_rewrites_one_it_made(tmp_path):
    fake_wheel = tmp_path / "nn_first_principles_kit-0.0.0-py3-none-any.whl"
    fake_wheel.write_bytes(b"not really a wheel")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my own file")
    with pytest.raises(KitRefused, match="not empty and was not made by"):
        make_kit(mine, ROOT, wheel=fake_wheel)
    assert (mine / "notes.txt").read_text() == "my own file" and len(list(mine.iterdir())) == 1

    kit = tmp_path / "kit"
    make_kit(kit, ROOT, wheel=fake_wheel)
    (kit / "stale.ipynb").write_text("{}")
    make_kit(kit, ROOT, wheel=fake_wheel)  # a folder the kit made: rewritten, nothing stale left
    assert not (kit / "stale.ipynb").exists() and (kit / MARKER).is_file() and (kit / fake_wheel.name).is_file()


@pytest.fixture(scope="session")
def kit(tmp_path_factory) -> Path:
    """The kit, made by the installed console script exactly as an instructor makes it."""
    out = tmp_path_factory.mktemp("student") / "kit"
    done = subprocess.run([str(BIN / "autograder"), "student-kit", str(out), "--course", str(ROOT)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _kit_files(kit: Path) -> list[Path]:
    """Every file of the kit (the student's .venv, made later by the README's commands, is not part of it)."""
    return sorted(p for p in kit.rglob("*") if p.is_file() and ".venv" not in p.relative_to(kit).parts)


def _runs(text: str, length: int = 3) -> set[tuple[str, ...]]:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return {tuple(lines[i:i + length]) for i in range(len(lines) - length + 1)}


@pytest.mark.slow
def test_the_kit_holds_the_released_notebooks_the_readme_the_wheel_and_the_workflow_only(kit):
    names = {p.relative_to(kit).as_posix() for p in _kit_files(kit)}
    (wheel,) = kit.glob(WHEEL_GLOB)
    expected = {"README.md", ".gitignore", MARKER, ".github/workflows/check.yml", wheel.name}
    expected |= {f"{a.name}/{a.notebook}" for a in ASSIGNMENTS}
    assert names == expected
    for assignment in ASSIGNMENTS:
        assert (kit / assignment.name / assignment.notebook).read_bytes() == course.release_path(assignment, ROOT).read_bytes()
    assert (kit / "README.md").read_text() == f"{README_TITLE}\n\n{(ROOT / README_TEMPLATE).read_text()}"
    assert (kit / ".github/workflows/check.yml").read_bytes() == (ROOT / "templates/github-actions/student-check.yml").read_bytes()


@pytest.mark.slow
def test_no_file_of_the_kit_nor_of_its_wheel_holds_solution_code_hidden_tests_mutants_or_a_gradebook(kit):
    # four consecutive lines: three catch the optimizers' constructor boilerplate, common to every Adam
    mutant_runs = set().union(*(_runs(p.read_text(), 4) for p in (ROOT / "solutions").glob(f"*/{course.MUTANTS_FILE}")))
    assert mutant_runs, "the course has mutants: the scan must look for them"
    texts = {}
    for path in _kit_files(kit):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    assert not re.search(r"(^|/)(solutions|tests)/|mutants\.py$|\.(db|sqlite3?)$|\.ipynb$", member), member
                    texts[f"{path.name}!{member}"] = archive.read(member).decode("utf-8", "replace")
        else:
            assert not re.search(r"solutions|mutants|gradebook|\.(db|sqlite3?)$", path.relative_to(kit).as_posix()), path
            texts[path.relative_to(kit).as_posix()] = path.read_bytes().decode("utf-8", "replace")
    assert any("!autograder/student/check.py" in name for name in texts) and sum(name.endswith(".ipynb") for name in texts) == len(ASSIGNMENTS)
    for name, text in texts.items():
        in_wheel = "!" in name  # the package's own docs mention `hidden=True`, the hidden checks' switch
        assert not [m for m in (LEAK_MARKERS[:3] if in_wheel else LEAK_MARKERS) if m in text], name
        assert not _runs(text, 4) & mutant_runs, f"{name} holds lines of a mutants.py"
        for assignment in ASSIGNMENTS:
            assert not leaked(assignment, text), f"{name} holds solution code of {assignment.name}"


# ---------------------------------------------------------------- the kit, installed as its README says


@pytest.fixture(scope="session")
def installed(kit, record_testsuite_property) -> Path:
    """The README's commands, run as written in the kit folder; returns the environment's bin/."""
    started = time.monotonic()
    for command in readme_commands((kit / "README.md").read_text()):
        if command.startswith(".venv/bin/autograder check"):
            continue  # run by the tests below, on untouched and filled-in notebooks
        if command == ".venv/bin/jupyter lab":
            _serve_jupyter_lab(kit, command)
            continue
        done = bash(command, kit)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    seconds = time.monotonic() - started
    record_testsuite_property("student_venv_seconds", f"{seconds:.0f}")
    print(f"\nthe student's environment (README commands) took {seconds:.0f} s")
    return kit / ".venv" / "bin"


def _serve_jupyter_lab(kit: Path, command: str) -> None:
    """Start `jupyter lab` as written, wait until it answers, stop it."""
    runtime, config = kit.parent / "jupyter-runtime", kit.parent / "jupyter-config"
    config.mkdir(exist_ok=True)
    if os.geteuid() == 0:  # this machine's tests run as root, which Jupyter refuses without this setting; students are not root
        (config / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {"allow_root": True}}))
    log = (kit.parent / "jupyter-lab.log").open("w")
    server = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=kit, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                              env=student_env(BROWSER="true", JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(config)))
    try:
        deadline = time.monotonic() + 120
        while True:
            text = (kit.parent / "jupyter-lab.log").read_text()
            found = re.search(r"(http://(?:localhost|127\.0\.0\.1):\d+)/lab\?token=(\w+)", text)
            if found:
                try:
                    with urllib.request.urlopen(f"{found[1]}/api/status?token={found[2]}", timeout=5) as answer:
                        assert answer.status == 200
                        break
                except OSError:
                    pass
            assert server.poll() is None and time.monotonic() < deadline, f"`{command}` did not serve JupyterLab:\n{text[-3000:]}"
            time.sleep(0.5)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


RUN_NOTEBOOK = """
import json, sys
import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
probe = nbformat.v4.new_code_cell("import sys, autograder; print(json.dumps([sys.prefix, autograder.__file__]))")
notebook.cells.insert(1, nbformat.v4.new_code_cell("import json"))
notebook.cells.append(probe)
# allow_errors=False: the run stops at the first cell whose execution fails, as Jupyter's Run All does
NotebookClient(notebook, timeout=900, allow_errors=False, kernel_name="python3").execute()
nbformat.write(notebook, path)
"""


def run_in_the_kit_kernel(bin_dir: Path, path: Path) -> list:
    """Run the notebook at ``path`` top to bottom in the kit environment's kernel; return its cells."""
    script = path.parent / "run_notebook.py"
    script.write_text(RUN_NOTEBOOK)
    done = subprocess.run([str(bin_dir / "python"), str(script), str(path)], cwd=path.parent, env=student_env(), capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, f"Run All stopped in {path.name}:\n{done.stderr[-4000:]}"
    cells = nbformat.read(path, as_version=4).cells
    prefix, package = json.loads(cells[-1].outputs[0].text)
    assert Path(prefix).resolve() == bin_dir.parent.resolve() and not package.startswith(str(ROOT)), (prefix, package)
    return cells[:-1]


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join([output.ename, output.evalue, *output.traceback])
    return str(output.get("data", {}).get("text/plain", ""))


def _test_cells(cells) -> list:
    return [c for c in cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade") and _grade_id(c) != "overview"]


def _overview(cells):
    (cell,) = [c for c in cells if c.cell_type == "code" and re.search(r"\bcheck\.all\(", c.source)]
    return "\n".join(_text(o) for o in cell.outputs)


FRAME = re.compile(r'File "|Traceback \(most recent call last\)|site-packages')


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_an_untouched_notebook_runs_to_the_end_saying_not_implemented_at_every_check(assignment, installed, kit, tmp_path):
    path = tmp_path / assignment.notebook
    shutil.copy2(kit / assignment.name / assignment.notebook, path)
    cells = run_in_the_kit_kernel(installed, path)
    tests = _test_cells(cells)
    assert tests
    for cell in tests:
        errors = [o for o in cell.outputs if o.output_type == "error"]  # what makes nbgrader score the cell 0
        assert len(errors) == 1 and errors[0].ename == "CheckFailed" and "not implemented yet" in errors[0].evalue, (_grade_id(cell), cell.outputs)
        assert not FRAME.search("\n".join(errors[0].traceback)), errors[0].traceback
    for cell in cells:
        if cell.cell_type == "code" and cell not in tests:
            assert not [o for o in cell.outputs if o.output_type == "error"], (_grade_id(cell), cell.outputs)
        shown = "\n".join(_text(o) for o in cell.get("outputs", []))
        assert not FRAME.search(shown), f"cell {_grade_id(cell)} shows a traceback:\n{shown}"
    overview = _overview(cells)
    for question in assignment:
        line = next(line for line in overview.splitlines() if f" {question.name}: " in line)
        assert (STATUS_TEXT["manual"] if question.manual else "✘") in line and ("not implemented yet" in line or question.manual), line


@pytest.fixture(scope="session")
def filled(tmp_path_factory) -> Path:
    """A copy of the kit's notebooks with the solutions' answer cells filled in, in the kit's layout."""
    folder = tmp_path_factory.mktemp("filled")
    for assignment in ASSIGNMENTS:
        target = folder / assignment.name / assignment.notebook
        target.parent.mkdir()
        nbformat.write(simulate.fill(assignment, ROOT), target)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_a_notebook_filled_with_the_solutions_answers_runs_to_the_end_with_every_check_passing(assignment, installed, filled, tmp_path):
    path = tmp_path / assignment.notebook
    shutil.copy2(filled / assignment.name / assignment.notebook, path)
    cells = run_in_the_kit_kernel(installed, path)
    for cell in cells:
        assert not [o for o in cell.get("outputs", []) if o.output_type == "error" or getattr(o, "name", "") == "stderr"
                    and FRAME.search(o.text)], (_grade_id(cell), cell.outputs)
    for cell in _test_cells(cells):
        shown = "\n".join(_text(o) for o in cell.outputs)
        assert "✔" in shown and "passed" in shown, (_grade_id(cell), shown)
    overview = _overview(cells)
    automatic = [q for q in assignment if not q.manual]
    assert overview.count("✔") == len(automatic) and "✘" not in overview, overview


def _check(installed: Path, notebook: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed / "autograder"), "check", str(notebook)], cwd=cwd, env=student_env(), capture_output=True,
                          text=True, timeout=900)


@pytest.mark.slow
def test_the_installed_autograder_check_scores_untouched_and_filled_notebooks(installed, kit, filled, tmp_path):
    readme_check = next(c for c in readme_commands((kit / "README.md").read_text()) if c.startswith(".venv/bin/autograder check"))
    done = bash(readme_check, kit)  # exactly as the README says, in the kit folder
    assert done.returncode == 1 and "not implemented yet" in done.stdout and "score 0/" in done.stdout, done.stdout + done.stderr
    for assignment in ASSIGNMENTS:
        total = sum(q.points for q in assignment if not q.manual)
        renamed = tmp_path / "elsewhere" / f"my copy of {assignment.name}.ipynb"  # any name, anywhere
        renamed.parent.mkdir(exist_ok=True)
        shutil.copy2(filled / assignment.name / assignment.notebook, renamed)
        done = _check(installed, renamed, tmp_path)
        assert done.returncode == 0 and f"score {total:g}/{total:g}" in done.stdout, done.stdout + done.stderr
        done = _check(installed, kit / assignment.name / assignment.notebook, tmp_path)
        assert done.returncode == 1 and f"score 0/{total:g}" in done.stdout, done.stdout + done.stderr


def _workflow_steps(repo: Path) -> dict[str, dict]:
    job = yaml.safe_load((repo / ".github/workflows/check.yml").read_text())["jobs"]["check"]
    return {s["name"].lower(): s for s in job["steps"] if "run" in s}


def _run_step(step: dict, repo: Path, installed: Path, summary: Path) -> subprocess.CompletedProcess:
    """One `run:` step as GitHub runs it, with the kit environment's python first on PATH (setup-python's role)."""
    env = {k: re.sub(r"\$\{\{.*?\}\}", "", str(v)) for k, v in (step.get("env") or {}).items()}  # the variable is not set
    env["PATH"] = f"{installed}{os.pathsep}{student_env()['PATH']}"
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    return bash(step["run"], repo, **env)


@pytest.mark.slow
def test_the_kit_s_ci_workflow_installs_the_kit_s_wheel_and_checks_every_notebook(installed, kit, filled, tmp_path):
    steps = _workflow_steps(kit)
    install, check = steps["install the kit"], steps["check every notebook"]
    done = _run_step(install, kit, installed, tmp_path / "install.md")
    assert done.returncode == 0, done.stdout + done.stderr
    assert WHEEL_GLOB.split("*")[0] in done.stdout + done.stderr or "already satisfied" in done.stdout, done.stdout

    starter = tmp_path / "starter"  # the Classroom repository as a student first pushes it: the kit, untouched
    shutil.copytree(kit, starter, ignore=shutil.ignore_patterns(".venv"))
    done = _run_step(check, starter, installed, tmp_path / "untouched.md")
    assert done.returncode == 1, done.stdout + done.stderr
    rows = (tmp_path / "untouched.md").read_text()
    for assignment in ASSIGNMENTS:
        assert re.search(rf"\| \./{assignment.name}/{assignment.notebook} \| score 0/\d+ \|", rows), rows

    finished = tmp_path / "finished"  # the same repository once 01_gates is answered and the rest removed
    shutil.copytree(starter, finished, ignore=shutil.ignore_patterns(*[a.name for a in ASSIGNMENTS[1:]]))
    shutil.copy2(filled / ASSIGNMENTS[0].name / ASSIGNMENTS[0].notebook, finished / ASSIGNMENTS[0].name / ASSIGNMENTS[0].notebook)
    done = _run_step(check, finished, installed, tmp_path / "finished.md")
    total = sum(q.points for q in ASSIGNMENTS[0] if not q.manual)
    assert done.returncode == 0 and f"score {total:g}/{total:g}" in (tmp_path / "finished.md").read_text(), done.stdout + done.stderr


def test_the_ci_workflow_says_what_is_missing_when_the_repository_has_no_wheel(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".github/workflows").mkdir(parents=True)
    shutil.copy2(ROOT / "templates/github-actions/student-check.yml", repo / ".github/workflows/check.yml")
    done = _run_step(_workflow_steps(repo)["install the kit"], repo, BIN, tmp_path / "summary.md")
    assert done.returncode == 1 and "No kit to install" in done.stdout, done.stdout + done.stderr
