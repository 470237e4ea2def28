"""A grading process shares one gradebook engine per database and one metadata validator per schema: the same
results as nbgrader's own, at a lower cost per submission."""

from __future__ import annotations

import os

import nbformat
import nbgrader.api
import nbgrader.nbgraderformat.common as metadata
import pytest
from nbgrader.nbgraderformat import ValidationError
from nbgrader.preprocessors import CheckCellMetadata

from autograder.grading import nbgrader_speed
from autograder.venv_path import path_with_bin


@pytest.fixture
def sped_up(monkeypatch):
    # record nbgrader's own objects so the patches end with the test
    monkeypatch.setattr(nbgrader.api, "create_engine", nbgrader.api.create_engine)
    monkeypatch.setattr(metadata, "jsonschema", metadata.jsonschema)
    monkeypatch.setattr(nbgrader_speed, "_ENGINES", {})
    monkeypatch.setattr(nbgrader_speed, "_VALIDATORS", {})
    monkeypatch.setattr(nbgrader_speed, "_CREATED", set())
    monkeypatch.setattr(nbgrader.api.Base.metadata, "create_all", nbgrader.api.Base.metadata.create_all)
    nbgrader_speed.speed_up_nbgrader()
    nbgrader_speed.speed_up_nbgrader()  # idempotent: not wrapped twice


def test_every_gradebook_of_a_database_shares_one_engine_and_sees_the_others_writes(sped_up, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_with_bin(os.environ["PATH"]))  # nbgrader runs alembic
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with nbgrader.api.Gradebook(url) as first:
        first.add_student("alice", first_name="Alice")
        engine = first.engine
    with nbgrader.api.Gradebook(url) as second:
        assert second.engine is engine  # its compiled statements are kept
        assert second.find_student("alice").first_name == "Alice"
    with nbgrader.api.Gradebook(f"sqlite:///{tmp_path / 'other.db'}") as other:
        assert other.engine is not engine
        assert other.students == []
    assert nbgrader.api.create_engine.__name__ == "shared_engine"
    assert len(nbgrader_speed._CREATED) == 2  # the tables were made sure of once per database, not per opening


def test_a_forked_worker_does_not_share_its_parents_engine(sped_up, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    parent = nbgrader.api.create_engine(url, future=True)
    monkeypatch.setattr(nbgrader_speed.os, "getpid", lambda: -1)
    assert nbgrader.api.create_engine(url, future=True) is not parent


def cell(meta):
    code = nbformat.v4.new_code_cell("x = 1")
    code.metadata["nbgrader"] = meta
    return code


GOOD = {"schema_version": 3, "grade": True, "solution": True, "locked": False, "grade_id": "answer", "points": 2}


def test_metadata_is_checked_as_nbgrader_checks_it_with_the_schema_checked_once(sped_up):
    nb = nbformat.v4.new_notebook(cells=[cell(dict(GOOD, grade_id=f"a{i}")) for i in range(5)])
    CheckCellMetadata().preprocess(nb, {})
    assert len(nbgrader_speed._VALIDATORS) == 1
    nb.cells.append(cell(dict(GOOD, grade_id="bad", points="two")))
    with pytest.raises(ValidationError):
        CheckCellMetadata().preprocess(nb, {})
    nb.cells[-1] = cell(dict(GOOD, grade_id="bad", locked="no"))
    with pytest.raises(ValidationError):
        CheckCellMetadata().preprocess(nb, {})
