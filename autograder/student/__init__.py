"""What runs in the student's process: the sandboxed child while grading, the kernel in a notebook.

Nothing here is believed by the grader: the child returns plain data only, and every comparison
happens in :mod:`autograder.judge`, in the grader's process.
"""
