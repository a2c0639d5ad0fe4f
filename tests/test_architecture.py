"""Is the package's shape what the README says: no import cycles, probes found like questions?"""

import ast
import importlib
import pkgutil
from pathlib import Path

import autograder
from autograder.student import probes

PACKAGE = Path(autograder.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The kit's modules that ``path`` imports anywhere in it (inside functions too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # imports for type checkers only run nothing
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle once, as the list of modules around it (Tarjan's strongly connected components)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _parents(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_the_package_has_no_import_cycles():
    graph = import_graph()
    # a package's __init__ imported only because a submodule lives in it is not an edge
    graph = {m: {d for d in deps if d not in _parents(m)} for m, deps in graph.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_every_probe_module_is_discovered_and_registers_its_probes():
    """A probe module is found the way question modules are: by being in the package, not by an import line."""
    for info in pkgutil.iter_modules(probes.__path__):
        module = importlib.import_module(f"{probes.__name__}.{info.name}")
        defined = {name for name, value in vars(module).items() if callable(value) and getattr(value, "__module__", None) == module.__name__}
        registered = {name for name, fn in probes.PROBES.items() if fn.__module__ == module.__name__}
        assert registered and registered <= defined, info.name
    assert not [line for line in Path(probes.__file__).read_text().splitlines() if line.startswith("from . import ")]


CHILD_MAY_LOAD = ("autograder", "autograder.student", "autograder.student.child", "autograder.student.plain", "autograder.protocol")


def _loaded_beside_student_code(root: Path = PACKAGE.parent) -> list[str]:
    """The kit's modules that a fresh interpreter has loaded after importing the child from ``root``,
    that the child may not load (anything outside its probes, codec and protocol)."""
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import sys, autograder.student.child; print(' '.join(sys.modules))"],
                            capture_output=True, text=True, check=True, cwd=root, env={"PYTHONPATH": str(root), "PATH": ""}).stdout.split()
    assert "autograder.student.child" in loaded
    return [m for m in loaded if m.split(".")[0] == "autograder" and m not in CHILD_MAY_LOAD and not m.startswith("autograder.student.probes")]


def test_the_student_process_loads_only_the_child_probes_codec_and_protocol():
    """What the grader starts beside student code (``python -m autograder.student.child``) imports, at any
    depth, nothing of the judge, the course or the outputs."""
    assert _loaded_beside_student_code() == []


def test_a_child_that_imports_the_judge_is_seen(tmp_path):
    import shutil

    shutil.copytree(PACKAGE, tmp_path / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    child = tmp_path / "autograder" / "student" / "child.py"
    child.write_text(child.read_text() + "\nfrom ..judge import engine  # noqa\n")
    assert "autograder.judge.engine" in _loaded_beside_student_code(tmp_path)


def test_a_setup_cells_checker_loads_the_judge_only_when_used():
    """In the grading child, ``check = checker(...)`` of a setup cell loads nothing of the judge (grading runs no
    test cell); ``check`` works as the real checker once it is used, as a plot cell's ``check.drawing`` does."""
    from autograder.course.notebook import CodeCell
    from autograder.sandbox import Limits, SandboxRunner
    from autograder.student import plain

    setup = 'from autograder import checker\ncheck = checker("01_gates", globals())\n'
    probe = ("import sys\n"
             "def judge_loaded():\n    return sorted(m for m in sys.modules if m.startswith('autograder.judge'))\n"
             "def checked():\n    return type(check.assignment).__name__, check.assignment.name\n")
    call = {"args": plain.encode([]), "kwargs": {}, "probe": "call", "timeout": 10.0}
    before, used, after = SandboxRunner([CodeCell("setup", setup), CodeCell("probe", probe)], Limits(), budget_seconds=60)(
        [{**call, "fn": "judge_loaded"}, {**call, "fn": "checked"}, {**call, "fn": "judge_loaded"}])
    assert plain.decode(before["value"]) == []
    assert plain.decode(used["value"]) == ("Assignment", "01_gates")
    assert "autograder.judge.engine" in plain.decode(after["value"])
