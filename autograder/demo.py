"""The demo class: synthetic students (data files) run through the real nbgrader instructor path.

Each assignment with a folder ``tests/data/demo_class/<assignment>/`` has its own synthetic students.
``run_demo(workdir, assignment)`` copies the course into ``workdir`` (once; later assignments reuse it),
runs ``nbgrader generate_assignment``, writes each student's notebook into
``submitted/<student>/<assignment>/``, then runs ``nbgrader autograde``, ``generate_feedback`` and
``export``, and reads the per-step scores back from the gradebook."""

from __future__ import annotations

import copy
import shutil
import subprocess
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.protocol import FOLLOW_THROUGH, METADATA_KEY, NO_FOLLOW_THROUGH, answer_cell_id
from autograder.venv_path import BARE_PATH, console_script_path, env_with_bin

REPO = Path(__file__).resolve().parent.parent
DEMO_CLASS = REPO / "tests" / "data" / "demo_class"
ASSIGNMENT = "ps1"  # the first assignment; the default where one is not named


@dataclass(frozen=True)
class Student:
    """One synthetic student: what they typed per step, cells they edited or added, and the expected points."""

    id: str
    about: str
    answers: dict  # step id -> source of that step's answer cell
    edits: dict = field(default_factory=dict)  # grade_id -> replacement source
    added: tuple = ()  # ({"after": grade_id, "source": str}, ...)
    deleted: tuple = ()  # grade_ids of cells the student deleted
    raw_notebook: str | None = None  # if set, the submitted file's whole content (e.g. a corrupted upload)
    expected: dict = field(default_factory=dict)  # step id -> points

    @classmethod
    def from_file(cls, path) -> "Student":
        """Read ``<id>_<description>.toml``; the student id is the file name up to the first underscore."""
        path = Path(path)
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(id=path.stem.split("_")[0], about=data.get("about", ""),
                   answers={k: v.strip("\n") for k, v in data.get("answers", {}).items()},
                   edits=dict(data.get("edits", {})), added=tuple(data.get("added", ())),
                   deleted=tuple(data.get("deleted", ())), raw_notebook=data.get("raw_notebook"),
                   expected={k: float(v) for k, v in data.get("expected", {}).items()})


def load_class(assignment=ASSIGNMENT, folder=None) -> list[Student]:
    """Every ``*.toml`` student of ``assignment`` (or in ``folder``), sorted by id."""
    folder = Path(folder) if folder is not None else DEMO_CLASS / assignment
    return sorted((Student.from_file(p) for p in folder.glob("*.toml")), key=lambda s: s.id)


def demo_assignments() -> list[str]:
    """The assignments that have a demo class, in name order (ps1, ps2, …, quiz1)."""
    return sorted(p.name for p in DEMO_CLASS.iterdir() if p.is_dir() and any(p.glob("*.toml")))


def submission_notebook(release_nb, student: Student):
    """The release notebook as this student would hand it in."""
    nb = copy.deepcopy(release_nb)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    for step, source in student.answers.items():
        by_id[answer_cell_id(step)].source = source
    for grade_id, source in student.edits.items():
        by_id[grade_id].source = source
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in student.deleted]
    for extra in student.added:
        at = nb.cells.index(by_id[extra["after"]]) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(extra["source"]))
    return nb


def prepare_course(dest) -> Path:
    """Copy what an instructor's clone holds (config, source/) into ``dest``; return it."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(REPO / "source", dest / "source", dirs_exist_ok=True)
    return dest


def console_script(name: str, *, extra_env: dict | None = None, inherit: bool = True) -> tuple[str, dict]:
    """This environment's console script ``name`` (``nbgrader``, ``autograder``) and an environment to run it in, its
    bin folder first on PATH as in an activated venv (the commands it starts, kernels included, are this
    environment's); ``inherit=False`` starts from a bare shell's PATH and nothing else.

    >>> exe, env = console_script("nbgrader", extra_env={"COLUMNS": "200"}, inherit=False)
    >>> env["PATH"].startswith(str(Path(exe).parent)), env["COLUMNS"]
    (True, '200')
    """
    return console_script_path(name), env_with_bin(None if inherit else {"PATH": BARE_PATH}, extra=extra_env)


def nbgrader(course, *args, log=None, check=True) -> subprocess.CompletedProcess:
    """Run a real ``nbgrader`` command in ``course``; raise with its output if it fails and ``check``."""
    exe, env = console_script("nbgrader")
    proc = subprocess.run([exe, *args], cwd=course, env=env, capture_output=True, text=True)
    if log is not None:
        log.write(f"$ nbgrader {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0 and check:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


def write_roster(course, students) -> Path:
    """``roster.csv`` as an instructor would export it from the registrar (id, names), for
    ``nbgrader db student import``: formgrader then shows "Demo, Alice" rather than "None, None"."""
    import csv

    path = Path(course) / "roster.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "first_name", "last_name"])
        writer.writerows([s.id, s.id.capitalize(), "Demo"] for s in students)
    return path


def write_submissions(course, students, assignment=ASSIGNMENT) -> None:
    """``submitted/<student>/<assignment>/<assignment>.ipynb`` (plus the local-check file) for every student."""
    release = Path(course) / "release" / assignment
    release_nb = nbformat.read(release / f"{assignment}.ipynb", as_version=4)
    for student in students:
        folder = Path(course) / "submitted" / student.id / assignment
        folder.mkdir(parents=True, exist_ok=True)
        if student.raw_notebook is not None:
            (folder / f"{assignment}.ipynb").write_text(student.raw_notebook, encoding="utf-8")
        else:
            nbformat.write(submission_notebook(release_nb, student), folder / f"{assignment}.ipynb")
        for extra in release.iterdir():
            if extra.suffix != ".ipynb":
                shutil.copy2(extra, folder / extra.name)
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")


def read_scores(course, assignment=ASSIGNMENT) -> dict:
    """{student: {step: points}} from the course's gradebook (steps are grade cells named ``<step>-check``)."""
    from nbgrader.api import Gradebook

    from autograder.protocol import CHECK_SUFFIX

    scores = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for student in gb.students:
            try:
                nb = gb.find_submission_notebook(assignment, assignment, student.id)
            except Exception:  # no submission from this student
                continue
            scores[student.id] = {g.name.removesuffix(CHECK_SUFFIX): g.score for g in nb.grades}
    return scores


def read_follow_through(course, assignment=ASSIGNMENT) -> dict:
    """{student: {step: (diagnosis, feedback)}} of the steps whose answer was right for the student's own earlier
    answers: credited by follow-through, or refused it (no real attempt to build on, or a repeat), from the verdicts
    in the autograded notebooks."""
    found = {}
    for path in sorted(Path(course).glob(f"autograded/*/{assignment}/{assignment}.ipynb")):
        nb = nbformat.read(path, as_version=4)
        verdicts = [c.metadata[METADATA_KEY] for c in nb.cells if METADATA_KEY in c.metadata]
        steps = {v.get("step"): (v["diagnosis"], v.get("feedback", "")) for v in verdicts
                 if v.get("diagnosis") in (FOLLOW_THROUGH, NO_FOLLOW_THROUGH)}
        if steps:
            found[path.parts[-3]] = steps
    return found


def run_demo(workdir, assignment=ASSIGNMENT, *, students=None, timeout=None, log=None) -> dict:
    """The whole instructor path on ``assignment``'s demo class in ``workdir``; returns scores and timings."""
    students = load_class(assignment) if students is None else students
    course = Path(workdir) if (Path(workdir) / "nbgrader_config.py").exists() else prepare_course(workdir)
    extra = [f"--ExecutePreprocessor.timeout={timeout}", f"--Execute.timeout={timeout}"] if timeout else []
    timings, problems = {}, []
    started = time.monotonic()
    nbgrader(course, "generate_assignment", assignment, "--force", log=log)
    timings["generate_assignment"] = time.monotonic() - started
    nbgrader(course, "db", "student", "import", str(write_roster(course, students)), log=log)
    write_submissions(course, students, assignment)
    for command, args in (("autograde", [assignment, "--force", *extra]),
                          ("generate_feedback", [assignment, "--force"]),
                          ("export", [])):
        t = time.monotonic()
        # nbgrader grades every other submission when one fails, then exits non-zero: report, carry on.
        proc = nbgrader(course, command, *args, log=log, check=command != "autograde")
        if proc.returncode != 0:
            problems.append(f"nbgrader {command} exited {proc.returncode}: "
                            + " | ".join(l for l in proc.stderr.splitlines() if "ERROR" in l)[-2000:])
        timings[command] = time.monotonic() - t
    return {"course": course, "assignment": assignment, "students": students,
            "scores": read_scores(course, assignment), "follow_through": read_follow_through(course, assignment),
            "timings": timings, "problems": problems}


FT_MARKS = {FOLLOW_THROUGH: "ft", NO_FOLLOW_THROUGH: "no ft"}  # a grade table cell's mark, by diagnosis


def grade_table(result: dict):
    """A rich Table: one row per student, points per step, total, and whether it matches the expected; under it,
    the sentence each student reads where follow-through was given or refused."""
    from rich.table import Table

    students = result["students"]
    follow = result.get("follow_through", {})
    steps = list(next(iter(result["scores"].values()), {}).keys()) if result["scores"] else []
    table = Table(title=f"{result['assignment']}: autograded scores (expected in brackets when different)",
                  caption=_follow_through_caption(students, follow), caption_justify="left")
    table.add_column("student", no_wrap=True, min_width=max((len(s.id) for s in students), default=7))
    for step in steps:
        table.add_column(step, justify="right")
    table.add_column("total", justify="right")
    table.add_column("as expected")
    for s in students:
        got = result["scores"].get(s.id, {})
        cells = []
        for step in steps:
            value, want = got.get(step), s.expected.get(step)
            shown = "—" if value is None else f"{value:g}"
            if step in follow.get(s.id, {}):
                shown += " " + FT_MARKS[follow[s.id][step][0]]
            cells.append(shown if want is None or value == want else f"[red]{shown} [{want:g}][/red]")
        total = sum(v for v in got.values() if v is not None)
        ok = all(got.get(k) == v for k, v in s.expected.items())
        table.add_row(s.id, *cells, f"{total:g}", "[green]yes[/green]" if ok else "[red]NO[/red]")
    return table


def _follow_through_caption(students, follow: dict) -> str | None:
    """The legend of the ft marks and, per marked step, the student's sentence (markup escaped)."""
    from rich.markup import escape

    if not follow:
        return None
    lines = ["ft: follow-through credit, right for the student's own earlier answers; no ft: right for them too, "
             "but they were no real attempt to build on (or the answer only repeats a wrong one). What they read:"]
    for s in students:
        for step, (_, feedback) in follow.get(s.id, {}).items():
            lines.append(f"  {s.id} · {step}: {escape(feedback)}")
    return "\n".join(lines)
