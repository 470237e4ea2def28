"""A student who reads the shipped sample values (release/*/checks.json) can build an answer that matches them
exactly and is wrong everywhere else. The local check may be fooled; grading samples other points and is not."""

import json

from autograder.notebook import local_result

from ..helpers import AssignmentAnswers

PS1 = AssignmentAnswers("ps1")


def fitted(step_id: str, symbol: str, right: str) -> str:
    """``right`` plus a polynomial that vanishes at every shipped value of ``symbol``: wrong, but not there."""
    checks = json.loads((PS1.release / "ps1.checks.json").read_text())
    shipped = [p[symbol] for p in checks["steps"][step_id]["samples"]["points"]]
    return f"{right} + " + "*".join(f"({symbol} - {v})" for v in shipped)


def test_an_answer_fitted_to_the_shipped_samples_fails_grading():
    answer = fitted("da_dz", "a", "a*(1 - a)")
    assert local_result("da_dz", answer, folder=PS1.release).points == 2  # the samples alone cannot tell
    grade = PS1.graded("da_dz", answer)
    assert (grade.points, grade.diagnosis) == (0, "extra_term"), grade.feedback  # the fitted polynomial is named
