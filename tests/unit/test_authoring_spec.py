"""The spec → notebook build: bad specs are refused with a message naming the step; the build is reproducible."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.build import checks_data, source_notebook
from autograder.authoring.spec import Spec, SpecError
from autograder.authoring.validate import validate

REPO = Path(__file__).resolve().parents[2]
PS1 = REPO / "source" / "ps1" / "ps1.spec.toml"

HEADER = '''
title = "T"
[symbols.a]
domain = [0, 1]
[symbols.y]
domain = [0, 1]
[symbols.z]
[define]
a = "1/(1+exp(-z))"
'''


def _step(**fields):
    lines = ["[[steps]]"] + [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


def test_ps1_spec_is_valid_and_worth_ten_points():
    spec = Spec.from_file(PS1)
    validate(spec)
    assert [s.id for s in spec.steps] == ["dL_da", "da_dz", "dL_dz_chain", "dL_dz", "simplify_dL_da"]
    assert spec.total_points == 10


SPECS = sorted((REPO / "source").glob("*/*.spec.toml"))


@pytest.mark.parametrize("spec_path", SPECS, ids=[p.parent.name for p in SPECS])
def test_committed_source_files_are_what_the_spec_builds(spec_path, tmp_path):
    """source/<assignment> is not stale: `autograder build` on a copy of the spec writes the committed files."""
    from autograder.authoring.build import build

    copy = tmp_path / spec_path.parent.name / spec_path.name
    copy.parent.mkdir()
    shutil.copy2(spec_path, copy)
    written = build(copy)
    assert written, f"building {spec_path} wrote nothing"
    for path in written:
        committed = spec_path.with_name(path.name)
        assert committed.exists(), f"{committed} is missing: run `autograder build {spec_path.relative_to(REPO)}`"
        if path.suffix == ".ipynb":
            fresh, old = nbformat.read(path, 4), nbformat.read(committed, 4)
            assert [(c.id, c.source, c.metadata) for c in fresh.cells] == \
                [(c.id, c.source, c.metadata) for c in old.cells], \
                f"{committed} is stale: run `autograder build {spec_path.relative_to(REPO)}`"
        else:
            assert json.loads(path.read_text()) == json.loads(committed.read_text()), \
                f"{committed} is stale: run `autograder build {spec_path.relative_to(REPO)}`"


def test_a_chain_step_that_is_not_the_product_is_refused_by_name():
    text = HEADER + _step(id="da", variable="da", points=1, reference="a*(1-a)") \
        + _step(id="dl", variable="dl", points=1, reference="(a-y)/(a*(1-a))") \
        + _step(id="chain", variable="chain", points=1, reference="a + y", chain=["dl", "da"])
    line = text.splitlines().index('chain = ["dl", "da"]') + 1  # the message points at the chain key
    with pytest.raises(SpecError, match=rf"^<string>:{line}: step 'chain': the chain rule does not hold"):
        validate(Spec.from_string(text))


def test_a_derivation_with_a_wrong_line_is_refused_with_the_line_number():
    text = HEADER + _step(id="dl", variable="dl", points=1, reference="(a-y)/(a*(1-a))") \
        + _step(id="d", variable="d", points=1, kind="derivation", start="dl",
                lines=["-y/a + (1-y)/(1-a)", "(y*(1-a) + a*(1-y))/(a*(1-a))", "(a-y)/(a*(1-a))"])
    with pytest.raises(SpecError, match=r"step 'd': the instructor's derivation fails at line 2"):
        validate(Spec.from_string(text))


def test_a_reference_with_an_undeclared_symbol_is_refused():
    text = HEADER + _step(id="s", variable="s", points=1, reference="a*(1-w)")
    with pytest.raises(SpecError, match=r"step 's': reference 'a\*\(1-w\)' does not read: unknown name 'w'"):
        validate(Spec.from_string(text))


def test_a_known_mistake_equal_to_the_reference_is_refused():
    text = HEADER + "[[steps]]\nid = \"s\"\nvariable = \"s\"\npoints = 1\nreference = \"a*(1-a)\"\n" \
        "mistakes = [{ answer = \"a - a^2\", feedback = \"no\" }]\n"
    with pytest.raises(SpecError, match="known mistake 'a - a\\^2' is not wrong"):
        validate(Spec.from_string(text))


@pytest.mark.parametrize("fields, message", [
    ({"id": "s", "variable": "s", "points": 1, "reference": "a", "colour": "red"}, "unknown key\\(s\\) colour"),
    ({"id": "s", "variable": "s", "points": 0, "reference": "a"}, "`points` must be a positive number"),
    ({"id": "s", "variable": "s-1", "points": 1, "reference": "a"}, "`variable` must be a Python identifier"),
    ({"id": "s", "variable": "s", "points": 1}, "needs a `reference`"),
    ({"id": "s", "variable": "s", "points": 1, "kind": "proof"}, "`kind` must be one of"),
])
def test_malformed_steps_are_refused_with_the_key(fields, message):
    with pytest.raises(SpecError, match=message):
        Spec.from_string(HEADER + _step(**fields))


def test_bad_toml_and_bad_domain_name_the_file():
    with pytest.raises(SpecError, match="x.toml: not valid TOML"):
        Spec.from_string("title = ", source="x.toml")
    with pytest.raises(SpecError, match=r"\[symbols.a\]: domain must be \[low, high\]"):
        Spec.from_string('title = "T"\n[symbols.a]\ndomain = [1, 0]\n' + _step(id="s", variable="s", points=1,
                                                                              reference="a"))


def test_released_notebook_cells_carry_nbgrader_metadata_with_points():
    nb = source_notebook(Spec.from_file(PS1))
    graded = [c for c in nb.cells if c.metadata["nbgrader"]["grade"]]
    assert [c.metadata["nbgrader"]["points"] for c in graded] == [2.0] * 5
    assert all(c.metadata["nbgrader"]["locked"] for c in graded)
    answers = [c for c in nb.cells if c.metadata["nbgrader"]["solution"]]
    assert all("### BEGIN SOLUTION" in c.source for c in answers)
    assert all("### BEGIN HIDDEN TESTS" in c.source and "record_answer" in c.source for c in graded)


def _line_of(text: str, needle: str, start: int = 0) -> int:
    """1-based number of the first line at or after line ``start`` that contains ``needle``."""
    lines = text.splitlines()
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def test_errors_name_the_line_of_the_key_at_fault():
    text = HEADER + _step(id="da", variable="da", points=1, reference="a*(1-a)") \
        + _step(id="s", variable="s", points=1, reference="a*(1-w)")
    line = _line_of(text, 'reference = "a*(1-w)"')
    with pytest.raises(SpecError, match=rf"^<string>:{line}: step 's': reference"):
        validate(Spec.from_string(text))


def test_a_definition_that_does_not_read_names_its_line():
    text = HEADER.replace('a = "1/(1+exp(-z))"', 'a = "1/(1+exp(-q))"') + _step(id="s", variable="s", points=1,
                                                                             reference="a")
    with pytest.raises(SpecError, match=rf"^<string>:{_line_of(text, 'exp(-q)')}: \[define\] a"):
        validate(Spec.from_string(text))


def test_a_known_mistake_that_does_not_read_is_refused():
    text = HEADER + "[[steps]]\nid = \"s\"\nvariable = \"s\"\npoints = 1\nreference = \"a\"\n" \
        "mistakes = [{ answer = \"a*(\", feedback = \"no\" }]\n"
    with pytest.raises(SpecError, match=rf"^<string>:{_line_of(text, 'mistakes = ')}: step 's': known mistake 'a\*\(' "
                                        r"does not read: unbalanced parenthesis"):
        validate(Spec.from_string(text))


def test_line_numbers_skip_multi_line_prompts():
    text = HEADER + "[[steps]]\nid = \"s\"\nvariable = \"s\"\npoints = 1\nprompt = '''\nreference = 1\n'''\n" \
        "reference = \"a*(1-b)\"\n"
    with pytest.raises(SpecError, match=rf"^<string>:{_line_of(text, 'reference = ' + chr(34))}: step 's'"):
        validate(Spec.from_string(text))
