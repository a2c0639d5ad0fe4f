"""Question declarations, one module per assignment.

Each module defines ``ASSIGNMENT``, an :class:`autograder.judge.question.Assignment` whose
questions are declared with ``@ASSIGNMENT.question(...)``; modules are discovered
automatically (see :func:`autograder.course.assignments`).
"""
