"""``nbgrader collect`` that copies only plain files and folders out of the world-writable inbound folder.

nbgrader's own collect copies a submission with ``shutil.copytree``, which follows links: a student who plants
``notes.txt -> /root/secret`` in their inbound folder has the grader, as root, store the target as a plain file
in ``submitted/``. ``SafeExchangeCollect`` is nbgrader's ``ExchangeCollect`` with its copy replaced
(``c.ExchangeFactory.collect`` in ``nbgrader_config.py``): the inbound folder is opened without following a link
and copied with ``hostile_files.copy_tree``; links, devices, fifos, sockets and hard links to files the submitter
does not own are refused, logged, and recorded beside the submission, so the student's feedback names them.
The course's ignore, include and size options keep nbgrader's meaning (a file over the size limit is refused
with a note rather than left out silently).
"""

from __future__ import annotations

import fnmatch
import os

from nbgrader.exchange.default.collect import ExchangeCollect

from autograder.grading.hostile_files import HostileFile, copy_tree, open_folder, save_record


class SafeExchangeCollect(ExchangeCollect):
    """nbgrader's collect, copying each submission without following anything a student controls."""

    def do_copy(self, src, dest, log=None):
        name = os.path.basename(dest)
        try:
            source = open_folder(src, os.path.dirname(os.path.abspath(src)))
        except HostileFile as exc:
            self.log.error("Not collected: %s is %s, not a folder", src, exc.refused.why)
            return
        try:
            owner = os.fstat(source).st_uid
            shared = self.coursedir.groupshared
            refused = copy_tree(source, dest, name, owner=owner, skip=self._skipped,
                                max_file_bytes=1000 * self.coursedir.max_file_size or None,
                                max_total_bytes=1000 * self.coursedir.max_dir_size or None,
                                file_mode=0o664 if shared else 0o644, folder_mode=0o2775 if shared else 0o755)
        except OSError as exc:
            self.log.error("Not collected: %s (%s)", src, exc.strerror or exc)
            return
        finally:
            os.close(source)
        for r in refused:
            self.log.warning("Refused in %s: %s", src, r.note)
        save_record(dest, refused, replace=True)

    def _skipped(self, path: str, is_folder: bool) -> bool:
        """Left out as nbgrader's collect leaves it out: a name matching ``CourseDirectory.ignore``, or a file
        matching none of ``CourseDirectory.include``."""
        base = os.path.basename(path)
        if any(fnmatch.fnmatch(base, glob) for glob in self.coursedir.ignore or ()):
            return True
        include = self.coursedir.include
        return not is_folder and bool(include) and not any(fnmatch.fnmatch(base, glob) for glob in include)
