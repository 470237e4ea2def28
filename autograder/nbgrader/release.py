"""``nbgrader release_assignment`` that makes the exchange root sticky, as a shared world-writable folder must be.

nbgrader creates the exchange root 0777 without the sticky bit: any student may then rename or remove the course's
folder in it (the instructor's), put up one of their own with an ``inbound`` they can read, and read every later
submission. ``StickyReleaseAssignment`` (``c.ExchangeFactory.release_assignment`` in ``nbgrader_config.py``) is
nbgrader's release with the sticky bit added to a root this user owns (as /tmp has it: each may remove only their
own); a root someone else owns without it gets a warning naming the command that fixes it.
"""

from __future__ import annotations

import os
import stat

from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment


class StickyReleaseAssignment(ExchangeReleaseAssignment):
    """nbgrader's release, the exchange root made sticky (see the module docstring)."""

    def ensure_root(self):
        super().ensure_root()  # creates it 0777, or sets 0777 on one that is not
        info = os.stat(self.root)
        if info.st_mode & stat.S_ISVTX:
            return
        if info.st_uid == os.geteuid():
            os.chmod(self.root, stat.S_IMODE(info.st_mode) | stat.S_ISVTX)
        else:
            self.log.warning("The exchange %s is world-writable without the sticky bit: a student can move the "
                             "course's folder aside and read later submissions; its owner should run: chmod +t %s",
                             self.root, self.root)
