"""ps4's answers judged two ways: by grading (the spec's reference) and by the student's local check (the sample
values shipped in release/ps4/ps4.checks.json). Both give the same points and sentence; the convention at the kink
z = 0 decides ReLU′ and leaky ReLU′, and the softmax chain rule needs all three paths."""

import pytest

from autograder.notebook import cosh, exp, sigma, step, symbols

from ..helpers import AssignmentAnswers

PS4 = AssignmentAnswers("ps4")
RELEASE = PS4.release

# what the release's setup cell defines
z, alpha, s, t, r, l, z1, z2, z3, a1, a2, a3, y1, y2, y3 = symbols("z alpha s t r l z1 z2 z3 a1 a2 a3 y1 y2 y3")
DENOM = exp(z1) + exp(z2) + exp(z3)

# (step, answer, points, a fragment of the sentence)
CASES = [
    ("dsigma", "s*(1 - s)", 2, "Correct"),
    ("dsigma", "exp(-z)/(1 + exp(-z))^2", 2, "Correct"),
    ("dsigma", sigma(z) - sigma(z) ** 2, 2, "Correct"),
    ("dsigma", "s^2", 0, "misses the inner derivative of e^(−z)"),
    ("dsigma", "-s*(1 - s)", 0, "its derivative is positive"),
    ("dsigma", "s*(1 - s", 0, "never closed"),
    ("dtanh", "1 - t^2", 2, "Correct"),
    ("dtanh", 1 / cosh(z) ** 2, 2, "Correct"),
    ("dtanh", "1 - t", 0, "tanh(z) appears squared"),
    ("dtanh", "t*(1 - t)", 0, "tanh is not the sigmoid"),
    ("dtanh", "diff(tanh(z), z)", 0, "'diff' is not allowed"),
    ("drelu", "where(z > 0, 1, 0)", 2, "Correct"),
    ("drelu", "where(z <= 0, 0, 1)", 2, "Correct"),
    ("drelu", "step(z)", 0, "is 1/2 at z = 0"),  # Heaviside(0) = 1/2; the prompt fixes ReLU′(0) = 0
    ("drelu", step(z), 0, "is 1/2 at z = 0"),
    ("drelu", "1 - step(-z)", 0, "is 1/2 at z = 0"),
    ("drelu", "where(z >= 0, 1, 0)", 0, "this is 1 at z = 0"),
    ("drelu", "where(z > 0, 0, 1)", 0, "The cases are swapped"),
    ("drelu", "relu(z)", 0, "That is ReLU itself"),
    ("drelu", "relu(z)/z", 0, "no value at z = 0"),  # ReLU′ wherever it is defined, but not at the kink
    ("dleaky", "where(z > 0, 1, alpha)", 2, "Correct"),
    ("dleaky", "alpha + (1 - alpha)*where(z > 0, 1, 0)", 2, "Correct"),
    ("dleaky", "where(z > 0, alpha, 1)", 0, "The slope α is on the wrong side"),
    ("dleaky", "where(z >= 0, 1, alpha)", 0, "take the slope of the negative side"),
    ("dleaky", "alpha + (1 - alpha)*step(z)", 0, "Your answer"),  # (1 + α)/2 at the kink
    ("dleaky", "where(z > 0, 1, 0)", 0, "That is ReLU's derivative"),
    ("dL_da1", "-y1/a1", 1, "Correct"),
    ("dL_da1", "y1/a1", 0, "Keep the minus sign"),
    ("da1_dz1", "a1*(1 - a1)", 1, "Correct"),
    ("da1_dz1", exp(z1) * (exp(z2) + exp(z3)) / DENOM ** 2, 1, "Correct"),
    ("da1_dz1", "a1", 0, "use the quotient rule"),
    ("da2_dz1", "-a1*a2", 1, "Correct"),
    ("da2_dz1", -exp(z1 + z2) / DENOM ** 2, 1, "Correct"),
    ("da2_dz1", "0", 0, "its denominator"),
    ("da2_dz1", "a1*a2", 0, "Check the sign"),
    ("dL_dz1_chain", "(-y1/a1)*a1*(1 - a1) + (-y2/a2)*(-a1*a2) + (-y3/a3)*(-a1*a3)", 2, "Correct"),
    ("dL_dz1_chain", "-y1*(1 - a1) + y2*a1 + (1 - y1 - y2)*a1", 2, "Correct"),
    ("dL_dz1_chain", "-y1*(1 - a1)", 0, "only the path through a1"),
    ("dL_dz1_chain", "-y1*(1 - a1) - y2*a1 - y3*a1", 0, "Check the signs"),
    ("dL_dz1", "a1 - y1", 2, "Correct"),
    ("dL_dz1", a1 - y1, 2, "Correct"),
    ("dL_dz1", "a1*(y1 + y2 + y3) - y1", 0, "simplify it as far as it goes"),
    ("dL_dz1", "y1 - a1", 0, "Check the sign"),
    ("dL_dz1", "a1 - 1", 0, "keep y1 general"),
    ("dL_dz1", "y1*(a1 - 1)", 0, "Your answer"),
    ("dL_dz3", "a3 - y3", 1, "Correct"),
    ("dL_dz3", "a3 - (1 - y1 - y2)", 1, "Correct"),
    ("dL_dz3", "a3 + y1 + y2", 0, "the 1 is missing"),
    ("dL_dz3", "a3 - y1", 0, "its own label weight"),
]


graded = PS4.graded


@pytest.mark.parametrize("step_id,answer,points,fragment", CASES, ids=[f"{c[0]}:{str(c[1])[:30]}" for c in CASES])
def test_grading_and_the_local_check_agree(step_id, answer, points, fragment):
    # an unauthored mistake is shown at a sample point, and grading's points differ from the release's
    PS4.assert_case(step_id, answer, points, fragment, same_feedback=fragment != "Your answer")


def test_the_shipped_samples_look_at_the_kink():
    """Without a sample at z = 0, step(z) and where(z > 0, 1, 0) would look the same."""
    import json

    checks = json.loads((RELEASE / "ps4.checks.json").read_text())
    zs = [float(p["z"]) for p in checks["steps"]["drelu"]["samples"]["points"]]
    assert zs.count(0) == 1 and sum(1 for v in zs if v > 0) >= 3 and sum(1 for v in zs if v < 0) >= 3
