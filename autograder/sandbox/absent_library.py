"""Shown as the ``__init__.py`` of a library that what is being graded may not use.

The grader covers the library's install folder with an empty read-only folder holding only
this file. Importing the library (or any of its modules, or a name from it) still works, so
that a cell importing it openly defines its functions as usual; using anything from it raises
``ImportError`` with the reason. Nothing of the library's code is there to run.
"""

import importlib.abc
import importlib.machinery
import sys
import types

_LIBRARY = __name__
STAND_IN = True
"""Read by the autodiff watch (:func:`autograder.student.probes.chain_rule.watch_autodiff`): this module's own
functions run whenever anything is imported (its finder is consulted first), which is not the library running."""
MESSAGE = (f"`{_LIBRARY}` is not available here: what is being graded must be computed without it, "
           "and the grader's sandbox does not provide this library for it.")


class _Absent:
    """Any name from the library: calling it, or anything reached from it, raises ImportError."""

    def __init__(self, name: str):
        self._name = name

    def __call__(self, *args, **kwargs):
        raise ImportError(f"{self._name}: {MESSAGE}")

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _Absent(f"{self._name}.{attribute}")

    def __repr__(self) -> str:
        return f"<absent {self._name}>"


def _module_getattr(module_name: str):
    def __getattr__(attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _Absent(f"{module_name}.{attribute}")
    return __getattr__


class _Submodules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import library.sub`` gives an empty module whose every name is absent."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(_LIBRARY + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = _module_getattr(spec.name)
        return module

    def exec_module(self, module):
        pass


__getattr__ = _module_getattr(_LIBRARY)
sys.meta_path.insert(0, _Submodules())
