"""A corpus of hostile submissions: none earns a point it should not, and the run survives them all.

Each attack is a 01_gates submission built from the solution with one answer cell replaced
or one cell added. The whole class is graded once, in parallel, exactly as `autograder grade`
does; each test then checks one student: the attacked questions score 0, every other question
scores full marks, and nothing the attack started outlives the run.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, by_question

from autograder import course, simulate
from autograder.grade import grade_folder
from autograder.isolation import detect

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
        "import autograder.probes\n"
        "autograder.probes.run_call = lambda *a, **k: {'status': 'ok', 'value': True, 'mutated': [], 'seconds': 0.0}\n"),
        loses=set(FULL)),
    "control_heavy_imports": Attack(extra_cell=(
        "import sympy, autograd, autograd.numpy as anp, matplotlib.pyplot as plt, nbformat\n"
        "x = sympy.symbols('x')\nassert sympy.diff(sympy.sin(x), x) == sympy.cos(x)\n")),
}


def build(attack: Attack, submitted: Path, student: str) -> None:
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
    # with figures: every attack also runs through the plot cells, a second way into the sandbox
    results = grade_folder(submitted, out, ["01_gates"], seed=99, jobs=2, root=ROOT, draw_figures=True)
    LISTENER["stop"] = True
    LISTENER["server"].close()
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
