"""The student's process, started by :func:`start` (see :mod:`autograder.sandbox.interpreter`).

Started by :mod:`autograder.sandbox` with a minimal environment, stdin from /dev/null and
its own process group. It does nothing on its own: the grader's process sends one request
line at a time and this process answers each with one line (JSON), so the parent knows at
every moment which step runs and what it may say next:

    {"op": "start", "limits": {...}}                          -> {"event": "ready"}
    {"op": "cell", "index": i, "label", "source", "timeout",
     "wall_seconds", "figures": bool}                         -> {"event": "figure", ...}*  {"event": "cell", "index": i, "error": {...} | null}
    {"op": "call", "index": j, "request": {...}}              -> {"event": "call", "index": j, "observation": {...}}
    {"op": "exit"}                                            -> (the process ends)

A call's arguments arrive with its request, after every cell has run, so student code
never holds another call's (hidden) inputs. Figures are sent only for cells whose request
asks for them; each is drawn to PNG here, so only bytes go back. Nothing here compares or
grades, and nothing it says is believed without the parent's checks.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.machinery
import json
import linecache
import os
import resource
import sys
import types

from . import probes
from ..protocol import FIGURE_SECONDS, MAX_FIGURE_BYTES, MAX_FIGURES


def apply_limits(limits: dict) -> None:
    """Set rlimits, soft and hard alike (no capability here can raise them again):
    CPU seconds, address space, file size, open files, and processes (counted in the child's
    own user namespace, so a fork bomb stops there even without a pids cgroup)."""
    for name, value in (("RLIMIT_CPU", limits.get("cpu_seconds")), ("RLIMIT_AS", limits.get("memory_bytes")),
                        ("RLIMIT_FSIZE", limits.get("file_bytes")), ("RLIMIT_NOFILE", limits.get("open_files")),
                        ("RLIMIT_NPROC", limits.get("processes")), ("RLIMIT_CORE", 0)):
        if value is not None:
            resource.setrlimit(getattr(resource, name), (value, value))


# Imported by notebooks' setup cells for plotting, which grading never needs: loaded on first use.
LAZY_MODULES = ("matplotlib", "matplotlib.pyplot")


class Deferred(types.ModuleType):
    """Stands in for a module in ``sys.modules`` until one of its attributes is used; then the
    real module is imported (every stand-in is dropped first) and the attribute is read from it.

    An ``import`` statement reads only ``__spec__`` (None here), so ``import matplotlib.pyplot
    as plt`` costs nothing until ``plt`` is used. Importing any other submodule reads the
    package's ``__path__``, which imports the real package first (see :class:`AlreadyImported`)."""

    def __getattr__(self, attribute: str):
        submodule = sys.modules.get(f"{self.__name__}.{attribute}")
        if isinstance(submodule, Deferred):
            return submodule
        for name in LAZY_MODULES:
            if isinstance(sys.modules.get(name), Deferred):
                del sys.modules[name]
        return getattr(importlib.import_module(self.__name__), attribute)


class AlreadyImported:
    """A meta path finder for a submodule that importing the real package (from a stand-in's
    ``__path__``) has just imported too: the import statement gets that module, never a second copy."""

    @staticmethod
    def find_spec(name: str, path=None, target=None):
        module = sys.modules.get(name) if name.partition(".")[0] in LAZY_MODULES else None
        spec = getattr(module, "__spec__", None)
        return None if spec is None else importlib.machinery.ModuleSpec(name, AlreadyImported(spec))

    def __init__(self, spec=None):
        self.spec = spec

    def create_module(self, spec):
        return sys.modules[spec.name]

    def exec_module(self, module) -> None:
        module.__spec__ = self.spec  # its own spec again, not this stand-in loader's


def import_lazily(name: str) -> None:
    """Register ``name`` so that importing it is free until an attribute is used (nothing is
    registered for a module that is not installed, so importing it fails as usual)."""
    if name not in sys.modules and importlib.machinery.PathFinder.find_spec(name.partition(".")[0]) is not None:
        sys.modules[name] = Deferred(name)
    if AlreadyImported not in sys.meta_path:
        sys.meta_path.insert(0, AlreadyImported)


class DeferredChecker:
    """What ``checker(...)`` returns in this process: the setup cell's ``check = checker("01_gates",
    globals())`` costs nothing (grading runs no test cell), and the real checker, with the judge's
    modules, is built only when ``check`` is first used (``check.drawing`` in a plot cell)."""

    def __init__(self, assignment: str, namespace: dict):
        self._arguments, self._checker = (assignment, namespace), None

    def _real(self):
        if self._checker is None:
            from .check import checker

            self._checker = checker(*self._arguments)
        return self._checker

    def __call__(self, *args, **kwargs):
        return self._real()(*args, **kwargs)

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):  # introspection (copy, pickle, inspect) does not build the checker
            raise AttributeError(attribute)
        return getattr(self._real(), attribute)


def run_cell(label: str, source: str, namespace: dict, timeout: float, wall_seconds: float | None = None) -> dict | None:
    """Execute one cell; return None on success or a plain description of its error."""
    filename = f"<cell {label}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    previous = probes.start_timer(timeout, f"the cell used more than its {timeout:g} s of CPU time", wall_seconds)
    try:
        exec(compile(source, filename, "exec"), namespace)
    except BaseException as exc:  # SystemExit, timeouts and everything a student can raise
        probes.stop_timer(previous)
        return {"type": type(exc).__name__, "message": probes._text(exc)[:1000], "traceback": probes.student_traceback(exc)}
    probes.stop_timer(previous)
    return None


def drawn_figures(label: str, room: int) -> list[dict]:
    """The open matplotlib figures as figure events (at most ``room``), then close them all."""
    import base64
    import io

    import matplotlib.pyplot as plt

    events = []
    timer = probes.start_timer(FIGURE_SECONDS, f"rendering the figures took more than {FIGURE_SECONDS:g} s of CPU time")
    for number in plt.get_fignums()[:room]:
        buffer = io.BytesIO()
        try:
            plt.figure(number).savefig(buffer, format="png", dpi=72, bbox_inches="tight")
        except (Exception, probes.CallTimeout) as exc:  # a figure the student's values make impossible (or too slow) to draw
            events.append({"event": "figure", "cell": label, "error": f"{type(exc).__name__}: {str(exc)[:300]}"})
            if isinstance(exc, probes.CallTimeout):
                break
            continue
        if buffer.tell() > MAX_FIGURE_BYTES:
            events.append({"event": "figure", "cell": label, "error": f"the figure's PNG is larger than {MAX_FIGURE_BYTES >> 20} MiB"})
        else:
            events.append({"event": "figure", "cell": label, "png": base64.b64encode(buffer.getvalue()).decode("ascii")})
    probes.stop_timer(timer)
    plt.close("all")
    return events


def main(request_fd: int, response_fd: int) -> None:
    requests = os.fdopen(request_fd, "rb")
    channel = os.fdopen(response_fd, "w", buffering=1)

    def emit(event: dict) -> None:
        channel.write(json.dumps(event, separators=(",", ":")) + "\n")
        channel.flush()

    namespace: dict = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
    figures_sent = 0
    while True:
        line = requests.readline()
        if not line:
            break
        message = json.loads(line)
        del line
        op = message["op"]
        if op == "start":
            apply_limits(message.get("limits", {}))
            for name in LAZY_MODULES:
                import_lazily(name)
            sys.modules["autograder"].checker = DeferredChecker
            builtins.input = lambda *args: (_ for _ in ()).throw(EOFError("input() is not available while grading"))
            emit({"event": "ready"})
        elif op == "cell":
            error = run_cell(message["label"], message["source"], namespace, message["timeout"], message.get("wall_seconds"))
            if message.get("figures"):
                for event in drawn_figures(message["label"], MAX_FIGURES - figures_sent):
                    emit(event)
                    figures_sent += "png" in event
            emit({"event": "cell", "index": message["index"], "error": error})
        elif op == "call":
            index, request = message["index"], message["request"]
            del message
            emit({"event": "call", "index": index, "observation": probes.run_call(namespace, request, enforce_timeout=True)})
            del request
        else:
            break
    channel.close()
    os._exit(0)  # skip interpreter teardown: student objects' __del__ and atexit hooks do not run


def start(argv: list[str]) -> None:
    """Run :func:`main` on the pipe ends ``argv`` names (``[REQUEST_FD, RESPONSE_FD]``), in an
    interpreter started without :mod:`site`: the names it would have added to builtins
    (``exit`` and ``quit``, which raise SystemExit, ``help``, ``copyright``...) are added first."""
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()
    main(int(argv[0]), int(argv[1]))
