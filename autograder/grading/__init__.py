"""Grading a whole class: nbgrader's autograde per submission, isolated, in parallel, resumable."""
