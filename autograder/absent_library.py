"""Shown as the ``__init__.py`` of a library the assignment being graded forbids.

The grader covers the library's install folder with an empty read-only folder holding only
this file, so that importing it in the student's process fails with this message.
"""

raise ImportError(f"`{__name__}` is not available here: what is being graded must be computed by hand, "
                  "and the grader's sandbox does not provide this library for it.")
