"""Which gradebook errors a batch waits out (a restart, a failover, lost network) and which stop it at once."""

from __future__ import annotations

import pickle
import sqlite3
import time

import psycopg
import pytest
import sqlalchemy

from autograder.grading.gradebook_faults import (GradebookFault, GradebookUnavailable, Outages, transient_error,
                                                 wait_for_gradebook)
from autograder.limits import run_bounded


def wrapped(orig: Exception, cls=sqlalchemy.exc.OperationalError, invalidated=False):
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize("error", [
    wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")),
    wrapped(psycopg.OperationalError("connection failed: the database system is shutting down")),
    wrapped(psycopg.OperationalError("connection failed: Connection refused")),
    wrapped(sqlite3.OperationalError("database is locked")),
    wrapped(psycopg.InterfaceError("the connection is closed"), sqlalchemy.exc.InterfaceError),
    wrapped(psycopg.DatabaseError("server closed the connection"), sqlalchemy.exc.DatabaseError, invalidated=True),
])
def test_what_passes_is_waited_out(error):
    assert transient_error(error)


@pytest.mark.parametrize("error", [  # the near misses: the server answered, and said no
    wrapped(psycopg.OperationalError('password authentication failed for user "grader"')),
    wrapped(psycopg.OperationalError('database "gradebook" does not exist')),
    wrapped(sqlite3.OperationalError("unable to open database file")),
    wrapped(psycopg.errors.UniqueViolation("duplicate key"), sqlalchemy.exc.IntegrityError),
    ValueError("not a database error at all"),
])
def test_what_lasts_is_not(error):
    assert not transient_error(error)


def test_a_fault_crosses_from_the_grading_worker_whole():
    """It is raised in the forked grading worker and re-raised in the batch: it must survive pickling."""
    fault = pickle.loads(pickle.dumps(GradebookFault("AdminShutdown: terminating connection", "postgresql://h/db")))
    assert (fault.reason, fault.url, str(fault)) == ("AdminShutdown: terminating connection", "postgresql://h/db",
                                                     "AdminShutdown: terminating connection")
    with pytest.raises(GradebookFault) as raised:
        run_bounded(_raise_fault, timeout=10)
    assert raised.value.url == "postgresql://h/db"


def _raise_fault():
    raise GradebookFault("OperationalError: connection refused", "postgresql://h/db")


def test_an_outage_is_waited_for_from_when_it_began_with_growing_pauses(tmp_path):
    """Nothing listens on the port: probed until the wait, counted from the outage's start, runs out."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://grader:s3cret@127.0.0.1:{port}/gradebook"
    pauses = []

    def pause(seconds):
        pauses.append(seconds)
        time.sleep(seconds)

    with pytest.raises(GradebookUnavailable, match=r"did not answer for 3 s: .*refused") as down:
        wait_for_gradebook(url, 3, outages=Outages(), sleep=pause)
    assert pauses[:3] == [0.25, 0.5, 1.0] and sum(pauses) <= 3.0 + 1e-9
    assert "s3cret" not in str(down.value) and "grader:***@" in str(down.value)
    # a SQLite gradebook that can be opened answers at once
    wait_for_gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", 3, outages=Outages(), sleep=pytest.fail)
