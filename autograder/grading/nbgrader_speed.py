"""Three costs nbgrader pays at every submission that a grading process pays once instead, same results.

``speed_up_nbgrader()`` is called by each grading worker before it grades (never in
the process that hands out work, which forks them):

- nbgrader opens the gradebook about eleven times per submission, each time with a
  SQLAlchemy engine of its own, and an engine's compiled-statement cache goes with it:
  every query was compiled again, every time. Now every ``Gradebook`` of the process
  shares one engine per database (``Gradebook.close`` disposes its connection pool,
  after which the engine opens fresh connections).
- Each of those openings also asked the database whether each of its tables exists
  (``create_all``); with the engine shared, that is asked once per engine.
- nbgrader checks each cell's metadata with ``jsonschema.validate``, which first
  checks the schema itself against JSON Schema's metaschema, at every cell of both of
  autograde's passes. Now the schema's validator is made once per schema.

Measured on ps1 (one worker, 10–14 submissions, in-process), CPU-s a submission in the
grading process: 0.64 → 0.47 with the shared engine, → 0.39 with the validator made
once, → 0.37 with the tables made sure of once.

>>> import jsonschema; _CheckedSchemas(jsonschema).validate({"points": 2}, {"type": "object"}) is None
True
"""

from __future__ import annotations

import json
import os

from ..upstream import Upstream
from .gradebook_faults import watch_engine

_ENGINES: dict = {}  # (pid, url, options) -> the engine every Gradebook of this process uses for that database
_VALIDATORS: dict = {}  # the schema, as JSON -> its validator
_CREATED: set = set()  # (pid, engine) whose gradebook tables this process has made sure exist


# The patches below rely on how this nbgrader opens a gradebook (create_engine, then Base.metadata.create_all with
# bind=, once per Gradebook; close disposes the engine's pool) and checks a cell (jsonschema.validate(instance, schema),
# the module's only use of jsonschema): made only with this nbgrader
PATCHED_FOR = Upstream(
    "nbgrader", "0.9.6", {"nbgrader.api.Gradebook.__init__": "c60c420276e8355e",
                          "nbgrader.api.Gradebook.close": "089cf56cf4f8a224",
                          "nbgrader.nbgraderformat.common.BaseMetadataValidator.validate_cell": "e5f97f45a9aba510"},
    why="autograder/grading/nbgrader_speed.py patches nbgrader.api.create_engine, Base.metadata.create_all and "
        "nbgrader.nbgraderformat.common.jsonschema: check that Gradebook still calls them as the patches expect "
        "(keyword bind=, one engine per url and options, validate(instance, schema)) and that close still disposes")


def speed_up_nbgrader() -> bool:
    """Share gradebook engines and metadata validators within this process (idempotent); only with the nbgrader
    the patches were written for (``PATCHED_FOR``): returns whether they are in place."""
    if not PATCHED_FOR.installed():
        return False
    import nbgrader.api
    import nbgrader.nbgraderformat.common as metadata

    if getattr(nbgrader.api.create_engine, "__name__", "") != "shared_engine":
        nbgrader.api.create_engine = _sharing(nbgrader.api.create_engine)
    if not isinstance(metadata.jsonschema, _CheckedSchemas):
        metadata.jsonschema = _CheckedSchemas(metadata.jsonschema)
    tables = nbgrader.api.Base.metadata
    if getattr(tables.create_all, "__name__", "") != "create_all_once":
        tables.create_all = _once_per_engine(tables.create_all)
    return True


def _once_per_engine(create_all):
    def create_all_once(bind, **options):
        key = (os.getpid(), bind)
        if key not in _CREATED:
            create_all(bind=bind, **options)
            _CREATED.add(key)

    return create_all_once


def _sharing(create):
    def shared_engine(url, **options):
        key = (os.getpid(), str(url), tuple(sorted(options.items())))  # a forked worker never shares its parent's
        if key not in _ENGINES:
            _ENGINES[key] = create(url, **options)
            watch_engine(_ENGINES[key])  # a grading that met a gradebook fault is graded again (grade_task)
        return _ENGINES[key]

    return shared_engine


class _CheckedSchemas:
    """Stands for the ``jsonschema`` module in nbgrader's metadata validator: ``validate`` with the schema checked
    against the metaschema once, not at every cell."""

    def __init__(self, jsonschema):
        self._jsonschema = jsonschema

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)

    def validate(self, instance, schema):
        key = json.dumps(schema, sort_keys=True)
        validator = _VALIDATORS.get(key)
        if validator is None:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = _VALIDATORS[key] = cls(schema)
        error = self._jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
