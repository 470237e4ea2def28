"""Derivations: each line must follow from the one before; the first broken line is named."""

from autograder import check_derivation, reference_samples

DOMAIN = {"a": (0, 1), "y": (0, 1)}
GOOD = ["-y/a + (1-y)/(1-a)", "(-y*(1-a) + a*(1-y))/(a*(1-a))", "(-y + a*y + a - a*y)/(a*(1-a))",
        "(a-y)/(a*(1-a))"]


def test_a_correct_common_denominator_derivation_passes():
    dv = check_derivation(GOOD, domain=DOMAIN, start="-y/a + (1-y)/(1-a)", final="(a-y)/(a*(1-a))",
                          require_simplified=True)
    assert dv.ok and dv.first_invalid is None and dv.final.accepted
    assert all(v.equivalent for v in dv.steps)


def test_the_broken_common_denominator_line_is_pointed_at():
    broken = list(GOOD)
    broken[2] = "(-y - a*y + a - a*y)/(a*(1-a))"  # sign slip while expanding -y(1-a)
    dv = check_derivation(broken, domain=DOMAIN)
    assert dv.first_invalid == 2 and not dv.ok
    assert dv.steps[2].feedback.startswith("Line 3 does not follow from line 2")
    assert dv.steps[0].equivalent and dv.steps[1].equivalent


def test_an_unreadable_line_is_named_and_the_next_is_not_blamed_for_it():
    lines = list(GOOD)
    lines[1] = "(-y*(1-a) + a*(1-y)/(a*(1-a))"
    dv = check_derivation(lines, domain=DOMAIN)
    assert dv.first_invalid == 1
    assert dv.steps[1].status == "invalid" and "Line 2" in dv.steps[1].feedback
    assert dv.steps[2].status == "undecided"


def test_final_and_start_may_be_shipped_samples():
    final = reference_samples("(a-y)/(a*(1-a))", domain=DOMAIN)
    start = reference_samples("-y/a + (1-y)/(1-a)", domain=DOMAIN)
    assert check_derivation(GOOD, domain=DOMAIN, start=start, final=final).ok
    dv = check_derivation(GOOD[:2], domain=DOMAIN, start=start, final=final, require_simplified=True)
    assert dv.first_invalid is None and dv.final.equivalent and not dv.final.accepted


def test_stopping_early_is_caught_by_final():
    dv = check_derivation(GOOD[:1] + ["(a-y)/a"], domain=DOMAIN, final="(a-y)/(a*(1-a))")
    assert dv.first_invalid == 1 and not dv.final.equivalent
