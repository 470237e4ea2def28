"""A submission's files as an adversary leaves them: links, devices, fifos, sockets, hard links, links where the
grader writes. Each rule with its near miss (a plain file of the same name is kept, read or copied)."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import nbformat
import pytest

from autograder.grading.hostile_files import (HostileFile, Refused, copy_tree, drop_refused, find_refused,
                                              load_record, open_folder, read_file, replace_file, save_record,
                                              why_refused, write_new)
from autograder.grading.repair import NOTE, repair_submission

RELEASE = Path(__file__).resolve().parents[2] / "release" / "ps1"


@pytest.fixture
def course(tmp_path):
    """A course with a spec, a root-only key outside it, and one submission folder."""
    (tmp_path / "source" / "ps1").mkdir(parents=True)
    spec = tmp_path / "source" / "ps1" / "ps1.spec.toml"
    spec.write_text('reference = "a - y"\n')
    key = tmp_path / "key"
    key.write_text("SECRET-KEY-TEXT\n")
    key.chmod(0o600)
    folder = tmp_path / "submitted" / "alice" / "ps1"
    folder.mkdir(parents=True)
    (folder / "answers.txt").write_text("mine\n")
    return tmp_path, folder, spec, key


def _fd(path, root=None):
    return open_folder(path, root)


def test_why_refused_names_every_kind_and_passes_plain_files_and_folders(course, tmp_path):
    root, folder, spec, _ = course
    os.symlink(spec, folder / "link")
    os.mkfifo(folder / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock"))
    try:
        assert why_refused(os.lstat(folder / "link")) == "a link"
        assert why_refused(os.lstat(folder / "fifo")) == "a fifo"
        assert why_refused(os.lstat(folder / "sock")) == "a socket"
        assert why_refused(os.lstat("/dev/zero")) == "a device"
        assert why_refused(os.lstat(folder / "answers.txt")) is None  # near miss: a plain file
        assert why_refused(os.lstat(folder)) is None
    finally:
        sock.close()


def test_a_hard_link_to_a_file_the_submitter_does_not_own_is_refused(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.write_text("x")
    os.link(theirs, tmp_path / "hard")
    st = os.lstat(tmp_path / "hard")
    assert why_refused(st, owner=st.st_uid + 1) == "a hard link to a file that is not yours"
    assert why_refused(st, owner=st.st_uid) is None  # near miss: their own file under two names
    (tmp_path / "single").write_text("x")
    assert why_refused(os.lstat(tmp_path / "single"), owner=st.st_uid + 1) is None  # one name: a copy is theirs


def test_open_folder_refuses_a_link_anywhere_below_the_course(course):
    root, folder, _, _ = course
    os.symlink(folder, root / "submitted" / "mallory")
    with pytest.raises(HostileFile) as info:
        open_folder(root / "submitted" / "mallory" / "answers.txt", root)
    assert info.value.refused.path == "submitted/mallory" and info.value.refused.why == "a link"
    os.close(open_folder(folder, root))  # near miss: the same folder by its own path


def test_read_file_never_follows_and_never_blocks(course):
    root, folder, spec, key = course
    os.symlink(key, folder / "key.txt")
    os.symlink("/dev/zero", folder / "zero.bin")
    os.mkfifo(folder / "fifo")  # nobody writes: opening it for reading would block without O_NONBLOCK
    fd = _fd(folder, root)
    try:
        for name, why in (("key.txt", "a link"), ("zero.bin", "a link"), ("fifo", "a fifo")):
            with pytest.raises(HostileFile) as info:
                read_file(fd, name)
            assert info.value.refused.why == why
        assert read_file(fd, "answers.txt") == b"mine\n"
        assert read_file(fd, "missing") is None
        with pytest.raises(HostileFile):
            read_file(fd, "answers.txt", limit=3)
    finally:
        os.close(fd)


def test_writes_never_go_through_a_link(course, tmp_path):
    root, folder, spec, _ = course
    target = tmp_path / "created-by-student"
    os.symlink(target, folder / "dangling")  # a dangling link: creating "through" it would make target
    os.symlink(spec, folder / "onto-spec")
    fd = _fd(folder, root)
    try:
        assert write_new(fd, "dangling", b"student bytes") is False
        assert not target.exists() and not os.path.lexists(target)
        replace_file(fd, "onto-spec", b"new")  # replaces the link itself
        assert write_new(fd, "fresh", b"ok") is True  # near miss: a new name is written
    finally:
        os.close(fd)
    assert spec.read_text() == 'reference = "a - y"\n'
    assert (folder / "onto-spec").read_bytes() == b"new" and not (folder / "onto-spec").is_symlink()
    assert (folder / "fresh").read_bytes() == b"ok"
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_drop_refused_removes_links_never_their_targets(course):
    root, folder, spec, key = course
    (folder / "data").mkdir()
    os.symlink("../../../source/ps1/ps1.spec.toml", folder / "notes.txt")
    os.symlink(key, folder / "data" / "key.txt")
    os.symlink(root / "source", folder / "data" / "src")  # a link to a folder: removed, not entered
    os.mkfifo(folder / "data" / "fifo")
    (folder / "data" / "kept.txt").write_text("plain")
    fd = _fd(folder, root)
    try:
        assert {r.path for r in find_refused(fd, "ps1")} == {"ps1/notes.txt", "ps1/data/key.txt", "ps1/data/src",
                                                             "ps1/data/fifo"}
        dropped = drop_refused(fd, "ps1")
        assert find_refused(fd, "ps1") == []
    finally:
        os.close(fd)
    assert Refused("ps1/notes.txt", "a link") in dropped and Refused("ps1/data/fifo", "a fifo") in dropped
    assert sorted(p.name for p in folder.rglob("*")) == ["answers.txt", "data", "kept.txt"]
    assert spec.exists() and key.read_text() == "SECRET-KEY-TEXT\n" and (root / "source" / "ps1").is_dir()


def test_copy_tree_copies_plain_files_and_refuses_the_rest(course, tmp_path):
    root, folder, spec, key = course
    os.symlink(spec, folder / "notes.txt")
    os.symlink("/dev/zero", folder / "zero.bin")
    os.mkfifo(folder / "fifo")
    (folder / "sub").mkdir()
    (folder / "sub" / "big.bin").write_bytes(b"x" * 5000)
    (folder / "sub" / "skip.pyc").write_text("left out")
    theirs = tmp_path / "theirs"
    theirs.write_text("another's file")
    os.link(theirs, folder / "sub" / "hard")
    os.chown(theirs, 65534, 65534)  # as root: owned by someone else than the submitter
    source = _fd(folder, root)
    dest = tmp_path / "collected"
    try:
        refused = copy_tree(source, str(dest), "ps1", owner=os.fstat(source).st_uid, max_file_bytes=4000,
                            skip=lambda path, is_folder: path.endswith(".pyc"))
    finally:
        os.close(source)
    assert {(r.path, r.why) for r in refused} == {
        ("ps1/notes.txt", "a link"), ("ps1/zero.bin", "a link"), ("ps1/fifo", "a fifo"),
        ("ps1/sub/big.bin", "larger than 4000 bytes"), ("ps1/sub/hard", "a hard link to a file that is not yours")}
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == ["answers.txt", "sub"]
    assert all(stat.S_ISREG(p.lstat().st_mode) or p.is_dir() for p in dest.rglob("*"))


def test_copy_tree_over_the_total_limit_leaves_nothing(course, tmp_path):
    root, folder, _, _ = course
    (folder / "a.bin").write_bytes(b"x" * 3000)
    source = _fd(folder, root)
    try:
        with pytest.raises(OSError):
            copy_tree(source, str(tmp_path / "collected"), "ps1", max_total_bytes=2000)
        copy_tree(source, str(tmp_path / "fits"), "ps1", max_total_bytes=4000)  # near miss: under the limit
    finally:
        os.close(source)
    assert not (tmp_path / "collected").exists()
    assert (tmp_path / "fits" / "a.bin").stat().st_size == 3000


def test_the_record_lives_beside_the_folder_and_merges(course):
    _, folder, _, _ = course
    save_record(folder, [Refused("ps1/a", "a link")], replace=True)
    save_record(folder, [Refused("ps1/b", "a fifo"), Refused("ps1/a", "a link")])
    assert load_record(folder) == [Refused("ps1/a", "a link"), Refused("ps1/b", "a fifo")]
    assert (folder.parent / ".ps1.autograder-refused.json").is_file()
    save_record(folder, [], replace=True)
    assert load_record(folder) == [] and not (folder.parent / ".ps1.autograder-refused.json").exists()


def _broken_submission(folder: Path) -> None:
    (folder / "ps1.ipynb").write_text(RELEASE.joinpath("ps1.ipynb").read_text()[:-40])  # invalid JSON


def test_repair_creates_nothing_through_a_dangling_original_link(course, tmp_path):
    root, folder, _, _ = course
    _broken_submission(folder)
    target = tmp_path / "outside" / "made-by-student"
    target.parent.mkdir()
    os.symlink(target, folder / "ps1.ipynb.original")
    done = repair_submission(folder, RELEASE)
    assert done and "replaced by the blank assignment" in done[0]
    assert not os.path.lexists(target)
    assert (folder / "ps1.ipynb.original").is_symlink()  # left as it was: never written through
    nb = nbformat.read(folder / "ps1.ipynb", as_version=4)
    assert nb.cells[0].metadata.get(NOTE)


def test_repair_never_writes_through_a_tmp_link_onto_the_spec(course):
    root, folder, spec, _ = course
    _broken_submission(folder)
    os.symlink("../../../source/ps1/ps1.spec.toml", folder / "ps1.ipynb.tmp")
    repair_submission(folder, RELEASE)
    assert spec.read_text() == 'reference = "a - y"\n'
    assert not (folder / "ps1.ipynb").is_symlink()
    assert (folder / "ps1.ipynb.original").read_text().startswith("{")  # the student's bytes, kept as a file


def test_repair_grades_a_linked_notebook_as_the_blank_assignment(course, tmp_path):
    root, folder, _, _ = course
    bob = tmp_path / "submitted" / "bob" / "ps1"
    bob.mkdir(parents=True)
    bob_nb = bob / "ps1.ipynb"
    bob_nb.write_text(RELEASE.joinpath("ps1.ipynb").read_text())
    before = bob_nb.read_bytes()
    os.symlink("../../bob/ps1/ps1.ipynb", folder / "ps1.ipynb")
    done = repair_submission(folder, RELEASE)
    assert done == ["ps1.ipynb: replaced by the blank assignment: it is a link"]
    assert not (folder / "ps1.ipynb").is_symlink() and bob_nb.read_bytes() == before
    assert not (folder / "ps1.ipynb.original").exists()


def test_note_refused_files_fails_a_submission_left_with_a_link_and_escapes_names(course):
    from autograder.nbgrader.submission_files import NoteRefusedFiles

    root, folder, spec, _ = course
    cwd = os.getcwd()
    os.chdir(root)  # nbgrader converts from the course's folder
    try:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
        resources = {"metadata": {"path": str(folder)}}
        save_record(folder, [Refused("ps1/<b>x</b>.txt", "a link")], replace=True)
        out, _ = NoteRefusedFiles()(nbformat.from_dict(nb), resources)
        assert "&lt;b&gt;x&lt;/b&gt;" in out.cells[0].source and "<b>" not in out.cells[0].source
        assert out.cells[1].source == "x = 1"
        os.symlink(spec, folder / "left.txt")
        with pytest.raises(HostileFile, match="left.txt is a link the grader could not remove"):
            NoteRefusedFiles()(nbformat.from_dict(nb), resources)
    finally:
        os.chdir(cwd)


def test_folders_nested_too_deep_are_refused_whole(course, tmp_path):
    from autograder.grading.hostile_files import MAX_DEPTH, TOO_DEEP

    root, folder, spec, _ = course
    kept = folder.joinpath(*["k"] * MAX_DEPTH)  # as deep as allowed: entered, its link found
    kept.mkdir(parents=True)
    os.symlink(spec, kept / "notes.txt")
    deep = folder.joinpath(*["d"] * (MAX_DEPTH + 3))
    deep.mkdir(parents=True)
    os.symlink(spec, deep / "notes.txt")
    source = _fd(folder, root)
    try:
        refused = copy_tree(source, str(tmp_path / "collected"), "ps1")
        dropped = drop_refused(source, "ps1")
    finally:
        os.close(source)
    too_deep = "ps1/" + "/".join(["d"] * (MAX_DEPTH + 1))
    assert Refused(too_deep, TOO_DEEP) in refused and Refused(too_deep, TOO_DEEP) in dropped
    assert Refused("ps1/" + "/".join(["k"] * MAX_DEPTH) + "/notes.txt", "a link") in dropped
    assert (tmp_path / "collected").joinpath(*["k"] * MAX_DEPTH).is_dir()  # near miss: kept, minus its link
    assert not os.path.lexists(folder.joinpath(*["d"] * (MAX_DEPTH + 1))) and spec.exists()


def test_nbgrader_still_calls_the_hook_before_it_copies_a_submission():
    """The hook is nbgrader's one seam before ``init_assignment`` copies the submission's files (following links):
    if an nbgrader upgrade moves the copy before the hook, this fails (``NoteRefusedFiles`` would then only catch
    it after the copy)."""
    import inspect

    from nbgrader.converters.base import BaseConverter

    source = inspect.getsource(BaseConverter.convert_notebooks)
    assert 0 < source.index("self.run_pre_convert_hook()") < source.index("self.init_assignment(")
    assert "notebooks=self.notebooks" in inspect.getsource(BaseConverter.run_pre_convert_hook)


def test_the_course_keeps_nbgrader_s_sanitizers_with_note_refused_files_first():
    """The course's sanitize list is nbgrader's default with ``NoteRefusedFiles`` put first: an nbgrader upgrade
    that changes its default makes this fail rather than silently drop a sanitizer."""
    from nbgrader.converters.autograde import Autograde

    from autograder.grading.grade_one import load_course_config

    configured = load_course_config(Path(__file__).resolve().parents[2]).Autograde.sanitize_preprocessors
    default = [f"nbgrader.preprocessors.{c.__name__}"
               for c in Autograde.class_traits()["sanitize_preprocessors"].default()]
    assert configured == ["autograder.nbgrader.submission_files.NoteRefusedFiles", *default]
