"""The package list, found rather than written out (everything else is in pyproject.toml).

pyproject.toml cannot combine ``packages.find`` with a package that lives outside the tree
it searches: ``autograder.datasets`` is the folder ``datasets/`` (mapped in pyproject.toml's
``package-dir``), so it is added here to what ``find_packages`` discovers under ``autograder/``.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["autograder", "autograder.*"]), "autograder.datasets"])
