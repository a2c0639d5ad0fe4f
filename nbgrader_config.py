"""nbgrader configuration: this repository is one nbgrader course directory.

solutions/   nbgrader's "source" step: the instructor's notebooks with solutions and hidden tests
assignments/ nbgrader's "release" step: the student notebooks, generated from solutions/

    nbgrader generate_assignment 01_gates --force    (or: autograder build)
"""

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "nn-first-principles"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# The stub students see in place of each solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A deleted test cell is restored from the gradebook instead of leaving the grade in manual review.
c.OverwriteCells.add_missing_cells = True
# (checked with nbgrader 0.9.6: without it, autograde leaves that grade "needs manual grading")

# nbgrader builds the feedback HTML from the autograded notebook, in which autograde restored
# the hidden tests: by default every `check("...", hidden=True)` line would be shown to students.
# Clearing the hidden regions here leaves only their outcome (the kit's hidden checks fail with a
# message that names the case but never the expected values).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]

# `nbgrader zip_collect` (submissions downloaded from an LMS, placed in downloaded/<assignment>/archive/):
# nbgrader has no default file-name pattern. This one reads Canvas's "Download submissions" names,
# <student>_[late_]<user id>_<submission id>_<notebook>[-<n>].ipynb, e.g. adalovelace_1001_2002_gates.ipynb.
# For another LMS, override it: nbgrader zip_collect 01_gates --FileNameCollectorPlugin.named_regexp='...'
c.FileNameCollectorPlugin.named_regexp = (
    r"(?i).*/(?P<student_id>[a-z0-9.-]+)_(?:late_)?\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$"
)

# Instructor-only files beside a solution notebook (mistake variants of the reference used to
# name a student's mistake) are never copied into the student version.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "mutants.py"]
