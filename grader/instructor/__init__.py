"""Instructor tools: grade a whole class, publish scores from CI, build the student repository.

``python -m grader.instructor --help`` lists the commands. Each student is graded by the same
``pytest grader`` a student runs, in a subprocess of its own, so one broken submission can only
take down its own run.
"""
