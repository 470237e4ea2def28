"""Gradebook faults that pass: telling them from lasting ones, noticing them during a grading, waiting them out.

A PostgreSQL restart or failover, or a second of lost network, makes the queries in
flight and every new connection fail for a moment ("the database system is shutting
down", "terminating connection due to administrator command", "connection refused");
a grading that met one is graded again once the database answers. A database that
stays away (past ``Limits.gradebook_wait``, about a minute) or refuses us for good (a
wrong password, no such database) fails the batch with the reason.

nbgrader's autograde catches what goes wrong inside it and leaves a log, so the
grading process listens on the gradebook's SQLAlchemy engine instead of reading that
log: ``watch_engine`` records every database error the engine meets (connecting
included), and ``GradebookFault`` carries the first of them back to the batch.

>>> transient("(psycopg.OperationalError) the database system is shutting down", "OperationalError")
True
>>> transient('FATAL:  password authentication failed for user "grader"', "OperationalError")
False
"""

from __future__ import annotations

import threading
import time

# the errors a database gives while it restarts, fails over or cannot be reached (the DB-API's classes)
TRANSIENT_KINDS = ("OperationalError", "InterfaceError")
# ... and those of them that waiting does not fix: the server answered, and said no
LASTING = ("authentication failed", "does not exist", "no pg_hba.conf entry", "permission denied",
           "unable to open database file", "invalid dsn", "invalid connection option")
FIRST_PAUSE, LONGEST_PAUSE = 0.25, 4.0  # seconds between probes of a database that is away: doubling, capped


class GradebookFault(RuntimeError):
    """A grading could not finish because the gradebook at ``url`` went away under it (``reason`` says how)."""

    def __init__(self, reason: str, url: str):
        super().__init__(reason, url)  # both in args: it crosses from the grading worker to the batch by pickle
        self.reason, self.url = reason, url

    def __str__(self) -> str:
        return self.reason


class GradebookUnavailable(RuntimeError):
    """The gradebook stayed away longer than the batch waits for it, or refused us for good."""


def transient(message: str, kind: str, disconnect: bool = False) -> bool:
    """Whether a database error of class ``kind`` saying ``message`` is one that waiting can fix."""
    if any(phrase in message.lower() for phrase in LASTING):
        return False
    return disconnect or kind in TRANSIENT_KINDS


def transient_error(exc: BaseException) -> bool:
    """Whether ``exc`` (SQLAlchemy's, or the DB-API's it wraps) is a gradebook fault that waiting can fix."""
    original = getattr(exc, "orig", None) or exc
    names = {c.__name__ for error in (exc, original) for c in type(error).__mro__}
    kind = next((k for k in TRANSIENT_KINDS if k in names), type(original).__name__)
    return transient(str(exc), kind, bool(getattr(exc, "connection_invalidated", False)))


_SEEN: list[str] = []  # faults the watched engines met since the last ``take_faults`` (this process)
_WATCHED: set[int] = set()


def watch_engine(engine) -> None:
    """Record every transient fault ``engine`` meets (queries and connecting alike)."""
    from sqlalchemy import event

    if id(engine) in _WATCHED:
        return
    _WATCHED.add(id(engine))

    def noted(context):
        exc = context.sqlalchemy_exception or context.original_exception
        if transient_error(exc) or context.is_disconnect:
            _SEEN.append(_one_line(exc))

    event.listen(engine, "handle_error", noted)


def take_faults() -> list[str]:
    """The faults recorded since the last call (and forget them)."""
    faults = list(_SEEN)
    _SEEN.clear()
    return faults


def _one_line(exc: BaseException) -> str:
    """The database's own words: SQLAlchemy's message without its background link and SQL."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(getattr(exc, 'orig', None) or exc).__name__}: {text[0] if text else ''}".strip()


def where(url: str) -> str:
    """The gradebook's URL without its password, for messages.

    >>> where("postgresql://grader:s3cret@db.example:5432/gradebook")
    'postgresql://grader:***@db.example:5432/gradebook'
    """
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: say nothing of it
        return "the gradebook"


def probe(url: str) -> str | None:
    """None when the gradebook at ``url`` answers a query now, else what went wrong (one line)."""
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(url, poolclass=NullPool, connect_args=_connect_timeout(url))
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        return None
    except sqlalchemy.exc.DBAPIError as exc:
        return ("lasting: " if not transient_error(exc) else "") + _one_line(exc)
    finally:
        engine.dispose()


def _connect_timeout(url: str) -> dict:
    return {"connect_timeout": 5} if url.startswith("postgresql") else {}


class Outages:
    """When each gradebook this process uses went away (shared by its threads), so every submission waits for the
    same outage to end, not for a fresh minute of its own."""

    def __init__(self):
        self._since: dict[str, float] = {}
        self._lock = threading.Lock()

    def began(self, url: str) -> float:
        with self._lock:
            return self._since.setdefault(url, time.monotonic())

    def ended(self, url: str) -> None:
        with self._lock:
            self._since.pop(url, None)


OUTAGES = Outages()


def wait_for_gradebook(url: str, wait: float, *, outages: Outages = OUTAGES, sleep=time.sleep) -> None:
    """Return once the gradebook answers; probe it with growing pauses for at most ``wait`` seconds counted from
    when this outage began. Raises GradebookUnavailable, with the reason, when it does not come back in time or
    refuses us for good."""
    since = outages.began(url)
    pause = FIRST_PAUSE
    while True:
        problem = probe(url)
        if problem is None:
            outages.ended(url)
            return
        if problem.startswith("lasting: "):
            raise GradebookUnavailable(f"{where(url)} refuses the connection: {problem.removeprefix('lasting: ')}")
        left = since + wait - time.monotonic()
        if left <= 0:
            raise GradebookUnavailable(f"{where(url)} did not answer for {wait:g} s: {problem}")
        sleep(min(pause, left))
        pause = min(2 * pause, LONGEST_PAUSE)
