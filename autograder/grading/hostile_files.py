"""A submission's files are data from an adversary: read, copy and write them without ever following a link.

The model is CPython's tarfile ``'data'`` filter (PEP 706): anything but a plain file or a folder (a symbolic
link, a device, a fifo, a socket, a hard link to a file its submitter does not own) is refused, and the refusal
names the entry and says why, in a sentence the student reads in their feedback. Every folder is opened with
``O_NOFOLLOW`` and everything under it is reached through that descriptor (``dir_fd``), so no path a student
controls is resolved again; files are opened with ``O_NOFOLLOW | O_NONBLOCK`` (a fifo swapped in after a look
cannot block) and checked with ``fstat`` once open; new files are created with ``O_EXCL`` under a random name
and renamed into place, so a write never lands through a link.

>>> Refused("ps1/notes.txt", "a link").note
'ps1/notes.txt is a link: not graded, not returned'
>>> why_refused(os.lstat("/dev/null"))
'a device'
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
RECORD_SUFFIX = ".autograder-refused.json"
MAX_DEPTH = 16  # folders a submission may nest; deeper ones are refused whole (a walk holds a descriptor a level)
TOO_DEEP = f"a folder nested more than {MAX_DEPTH} deep"  # beside a submission folder: what was refused in it, and why


@dataclass(frozen=True)
class Refused:
    """One entry of a submission that was not copied, graded or returned: where (``assignment/relative/path``)
    and why (``"a link"``)."""

    path: str
    why: str

    @property
    def note(self) -> str:
        """The sentence the student reads."""
        return f"{self.path} is {self.why}: not graded, not returned"


class HostileFile(OSError):
    """An entry that is not a plain file where one is read (its ``Refused`` is in ``.refused``)."""

    def __init__(self, refused: Refused):
        super().__init__(errno.EPERM, refused.note)
        self.refused = refused


def why_refused(st: os.stat_result, owner: int | None = None) -> str | None:
    """Why an entry with this ``lstat`` result is refused, or None for a plain file or a folder. ``owner``: the
    submitter's uid; a plain file with several names that someone else owns is refused (a hard link is the same
    file as its target: linking another's file and handing the link in would have the grader copy it).

    >>> why_refused(os.lstat("/")) is None, why_refused(os.lstat("/"), owner=12345) is None
    (True, True)
    """
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return None
    if stat.S_ISREG(mode):
        if owner is not None and st.st_nlink > 1 and st.st_uid != owner:
            return "a hard link to a file that is not yours"
        return None
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a fifo"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def open_folder(path, root=None) -> int:
    """A descriptor of the folder ``path``, reached without following a link in it or, when ``path`` is under
    ``root`` (the course, trusted), in any folder between the two. Raises ``HostileFile`` for a link.

    >>> fd = open_folder("/usr/lib", root="/usr"); os.close(fd)
    """
    path = os.path.abspath(path)
    parts: list[str]
    if root is not None and Path(path).is_relative_to(os.path.abspath(root)) and path != os.path.abspath(root):
        top, parts = os.path.abspath(root), Path(path).relative_to(os.path.abspath(root)).parts
    else:
        top, parts = os.path.dirname(path), [os.path.basename(path)]
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, part in enumerate(parts):
            try:
                sub = os.open(part, _FOLDER, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                    raise HostileFile(Refused("/".join(parts[:i + 1]), why_refused(st) or "not a folder")) from None
                raise
            os.close(fd)
            fd = sub
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_submission(folder) -> int:
    """A descriptor of the submission ``folder`` (``submitted/<student>/<assignment>``): it and the student's folder
    above it are opened without following a link (a student's upload may make either one); the course's folders
    above those are the instructor's (``submitted`` may be a link to another disk). A link in their place is
    removed, never followed, and ``HostileFile`` raised.

    >>> import tempfile; top = tempfile.mkdtemp(); os.makedirs(f"{top}/alice/ps1"); os.symlink("alice", f"{top}/bob")
    >>> os.close(open_submission(f"{top}/alice/ps1")); open_submission(f"{top}/bob/ps1")
    Traceback (most recent call last):
    autograder.grading.hostile_files.HostileFile: [Errno 1] bob is a link: not graded, not returned
    >>> os.path.lexists(f"{top}/bob"), os.path.isdir(f"{top}/alice/ps1")
    (False, True)
    >>> import shutil; shutil.rmtree(top)
    """
    folder = os.path.abspath(folder)
    course = os.path.dirname(os.path.dirname(folder))
    try:
        return open_folder(folder, course)
    except HostileFile as exc:
        link = os.path.join(course, exc.refused.path)
        if os.path.islink(link):
            os.unlink(link)
        raise


def read_file(folder: int, name: str, limit: int | None = None, owner: int | None = None) -> bytes | None:
    """The bytes of the plain file ``name`` in the folder descriptor ``folder``, None when there is no such
    entry; ``HostileFile`` for anything else (a link, a device, a fifo, a folder, a file over ``limit`` bytes, a
    hard link to a file ``owner`` does not own). The checks are made on what was opened, not on a name."""
    try:
        fd = os.open(name, _READ, dir_fd=folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW on a link
            raise HostileFile(Refused(name, "a link")) from None
        raise
    with open(fd, "rb", closefd=True) as f:
        st = os.fstat(f.fileno())
        why = "a folder" if stat.S_ISDIR(st.st_mode) else why_refused(st, owner)
        if why:
            raise HostileFile(Refused(name, why))
        data = f.read(limit + 1) if limit is not None else f.read()
    if limit is not None and len(data) > limit:
        raise HostileFile(Refused(name, f"larger than {limit} bytes"))
    return data


def write_new(folder: int, name: str, data: bytes, mode: int = 0o644) -> bool:
    """Create ``name`` in ``folder`` with ``data``, only if no entry of that name exists (a dangling link
    counts: it is never written through). Returns whether it was written."""
    try:
        fd = os.open(name, _CREATE, mode, dir_fd=folder)
    except FileExistsError:
        return False
    with open(fd, "wb", closefd=True) as f:
        f.write(data)
    return True


def replace_file(folder: int, name: str, data: bytes, mode: int = 0o644) -> None:
    """Make ``name`` in ``folder`` a new plain file holding ``data``: written to a fresh file of a random name
    (exclusive create) and renamed over ``name``, which replaces a link there rather than writing through it."""
    tmp = f".autograder-{secrets.token_hex(8)}.tmp"
    if not write_new(folder, tmp, data, mode):
        raise FileExistsError(errno.EEXIST, "a random file name is taken", tmp)
    try:
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise


def walk(folder: int, prefix: str = "", depth: int = 0):
    """Every entry under the folder descriptor ``folder`` as ``(parent_fd, name, relative path, lstat, why)``,
    folders before their contents, never through a link; ``why`` says why the entry is refused (None: it is not).
    Folders deeper than ``MAX_DEPTH`` are refused whole, not entered (one descriptor is open per level)."""
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        path = f"{prefix}/{entry.name}" if prefix else entry.name
        st = entry.stat(follow_symlinks=False)
        deep = stat.S_ISDIR(st.st_mode) and depth >= MAX_DEPTH
        yield folder, entry.name, path, st, TOO_DEEP if deep else why_refused(st)
        if stat.S_ISDIR(st.st_mode) and not deep:
            try:
                sub = os.open(entry.name, _FOLDER, dir_fd=folder)
            except OSError:
                continue  # replaced by a link since: not entered; a later look finds the link
            try:
                yield from walk(sub, path, depth + 1)
            finally:
                os.close(sub)


def drop_refused(folder: int, prefix: str) -> list[Refused]:
    """Remove every refused entry under ``folder`` (unlinking a link removes the link, never its target) and
    return what was removed, paths starting with ``prefix`` (the submission folder's name)."""
    dropped = []
    for parent, name, path, _, why in walk(folder, prefix):
        if why == TOO_DEEP:
            shutil.rmtree(name, dir_fd=parent)  # descriptor-based: never follows a link inside
        elif why:
            os.unlink(name, dir_fd=parent)
        if why:
            dropped.append(Refused(path, why))
    return dropped


def find_refused(folder: int, prefix: str) -> list[Refused]:
    """What ``drop_refused`` would remove, touching nothing."""
    return [Refused(path, why) for _, _, path, _, why in walk(folder, prefix) if why]


def copy_tree(source: int, dest: str, prefix: str, *, owner: int | None = None, skip=None,
              max_file_bytes: int | None = None, max_total_bytes: int | None = None,
              file_mode: int = 0o644, folder_mode: int = 0o755) -> list[Refused]:
    """Copy the plain files and folders under the descriptor ``source`` into ``dest``, a folder this creates
    (it must not exist); return what was refused. ``skip(relative path, is_folder)`` leaves an entry out
    silently (the course's ignore patterns). A file over ``max_file_bytes`` is refused; past ``max_total_bytes``
    in all, ``OSError`` (EFBIG) and nothing is left at ``dest``."""
    os.mkdir(dest, folder_mode)
    top = open_folder(dest)
    refused: list[Refused] = []
    try:
        _copy_into(source, top, prefix, "", refused, owner, skip, max_file_bytes,
                   [max_total_bytes], file_mode, folder_mode)
    except BaseException:
        os.close(top)
        shutil.rmtree(dest, ignore_errors=True)
        raise
    os.close(top)
    return refused


def _copy_into(src: int, dst: int, prefix, rel, refused, owner, skip, max_file, budget, file_mode, folder_mode,
               depth=0):
    with os.scandir(src) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        path = f"{rel}/{entry.name}" if rel else entry.name
        shown = f"{prefix}/{path}"
        st = entry.stat(follow_symlinks=False)
        is_folder = stat.S_ISDIR(st.st_mode)
        if skip is not None and skip(path, is_folder):
            continue
        why = TOO_DEEP if is_folder and depth >= MAX_DEPTH else why_refused(st, owner)
        if why:
            refused.append(Refused(shown, why))
            continue
        if is_folder:
            try:
                sub_src = os.open(entry.name, _FOLDER, dir_fd=src)
            except OSError:
                refused.append(Refused(shown, "a folder that could not be read"))
                continue
            try:
                os.mkdir(entry.name, folder_mode, dir_fd=dst)
                sub_dst = os.open(entry.name, _FOLDER, dir_fd=dst)
                try:
                    _copy_into(sub_src, sub_dst, prefix, path, refused, owner, skip, max_file, budget,
                               file_mode, folder_mode, depth + 1)
                finally:
                    os.close(sub_dst)
            finally:
                os.close(sub_src)
            continue
        try:
            data = read_file(src, entry.name, max_file, owner)
        except HostileFile as exc:
            refused.append(Refused(shown, exc.refused.why))
            continue
        except OSError:
            data = None
        if data is None:  # gone, or unreadable, since it was listed
            refused.append(Refused(shown, "a file that could not be read"))
            continue
        if budget[0] is not None:
            budget[0] -= len(data)
            if budget[0] < 0:
                raise OSError(errno.EFBIG, "the submission is larger than the course allows", prefix)
        if not write_new(dst, entry.name, data, file_mode):
            raise FileExistsError(errno.EEXIST, "already exists in a folder just created", shown)
        with contextlib.suppress(OSError):  # the submission's own times, as a copy keeps them
            os.utime(entry.name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dst, follow_symlinks=False)


# --- the record of what was refused, kept beside the submission folder (in a folder the student cannot name) --

def record_name(folder) -> tuple[str, str]:
    """(parent folder, record file name) for the submission folder ``folder``.

    >>> record_name("/course/submitted/alice/ps1")
    ('/course/submitted/alice', '.ps1.autograder-refused.json')
    """
    folder = os.path.abspath(folder)
    return os.path.dirname(folder), f".{os.path.basename(folder)}{RECORD_SUFFIX}"


def load_record(folder) -> list[Refused]:
    """What was refused in the submission folder ``folder`` so far (collect, then grading)."""
    parent, name = record_name(folder)
    try:
        fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        data = read_file(fd, name, limit=1 << 20)
    except OSError:
        return []
    finally:
        os.close(fd)
    try:
        return [Refused(str(r["path"]), str(r["why"])) for r in json.loads(data or b"[]")]
    except (ValueError, TypeError, KeyError):
        return []


def save_record(folder, refused: list[Refused], *, replace: bool = False) -> None:
    """Add ``refused`` to the record of ``folder`` (or, with ``replace``, make it the record; an empty one is
    removed)."""
    parent, name = record_name(folder)
    merged = ([] if replace else load_record(folder))
    merged += [r for r in refused if r not in merged]
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if merged:
            data = json.dumps([{"path": r.path, "why": r.why} for r in merged], indent=1).encode()
            replace_file(fd, name, data)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)
