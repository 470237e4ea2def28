"""Set up the demo course's hub (users, exchange, course, settings) and take it down again; what was created is
recorded in the hub's state folder first, so a crash half-way still leaves `make hub-clean` knowing whom to remove."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.hub.course import (course_id, install_course, make_exchange, remove_made_folders,
                                   write_user_settings)
from autograder.hub.users import HubUser, HubUserError, create_user, ours, remove_user

#: The record of what a set-up created, in the hub's state folder.
RECORD = "created.json"


@dataclass(frozen=True)
class CourseHub:
    """The hub's people and places: the instructor first, then the students."""

    users: tuple[HubUser, ...]
    exchange: Path
    course: Path     # the course folder in the instructor's home
    course_id: str

    @property
    def instructor(self) -> HubUser:
        return self.users[0]

    @property
    def students(self) -> tuple[HubUser, ...]:
        return self.users[1:]


def set_up(state: Path, repo: Path, instructor: str, students: list[str], home_base: Path, exchange: Path,
           lab_settings: dict | None = None) -> CourseHub:
    """Create the users (instructor first), the exchange, the course in the instructor's home and everyone's
    settings. Refuses to start over an earlier set-up that was not taken down (its users would be orphaned)."""
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    earlier = [name for name in recorded(state)["users"] if ours(name)]
    if earlier:
        raise HubUserError(f"users of an earlier hub are still there ({', '.join(earlier)}): "
                           f"remove them first (make hub-clean)")
    the_course = course_id(repo)
    record = {"users": [], "exchange_course": str(exchange / the_course)}
    users = []
    for name, role in [(instructor, "instructor"), *((name, "student") for name in students)]:
        record["users"].append(name)  # before creating it: a failure half-way still names it
        _write_record(state, record)
        users.append(create_user(name, role, home_base))
    record["made_folders"] = [str(folder) for folder in make_exchange(exchange)]
    _write_record(state, record)
    course = install_course(users[0], repo, exchange)
    for user in users:
        write_user_settings(user, exchange, the_course, course if user.role == "instructor" else None,
                            lab_settings)
    return CourseHub(tuple(users), exchange, course, the_course)


def take_down(state: Path) -> list[str]:
    """Remove the users an earlier set-up recorded (with their homes and processes) and the course's folder in the
    exchange; return one line per thing removed. Users not created by the hub are left alone (and said so)."""
    record = recorded(state)
    done = []
    for name in record["users"]:
        if not ours(name):
            continue
        remove_user(name)
        done.append(f"removed user {name} and its home")
    exchange_course = record.get("exchange_course")
    if exchange_course and Path(exchange_course).is_dir():
        shutil.rmtree(exchange_course)
        done.append(f"removed {exchange_course}")
    done += remove_made_folders(record.get("made_folders", []))
    (state / RECORD).unlink(missing_ok=True)
    return done


def recorded(state: Path) -> dict:
    """What an earlier set-up recorded in ``state`` (no users when there was none).

    >>> recorded(Path("/no/such/folder"))
    {'users': []}
    """
    try:
        return json.loads((state / RECORD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"users": []}


def _write_record(state: Path, record: dict) -> None:
    (state / RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")
