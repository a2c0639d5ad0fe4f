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
