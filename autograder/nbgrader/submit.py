"""``nbgrader submit`` that leaves a submission open to the instructor's group only, not to every user.

nbgrader's submit makes the submission in the inbound folder a 0777 folder of 0644 files: another student who
learns its name (``<student>+<assignment>+<timestamp>+<12 random characters>``) reads it, and with it the secret
that names the student's feedback. The inbound folder is set-group-id to the instructor's group, so the
submission's folder is made in that group: ``GroupPrivateSubmit`` (for the *students'* nbgrader config,
``c.ExchangeFactory.submit``, e.g. in /etc/jupyter/nbgrader_config.py on a hub) is nbgrader's submit with the
submission's folders then made 0770, which the instructor crosses, collects and removes, and no other student
enters. (Its files keep nbgrader's 0644: the two nbgrader writes last are in the student's own group, the folder's
set-group-id bit being gone by then, and the instructor reads them as "others" through the folder.)
"""

from __future__ import annotations

import os

from nbgrader.exchange.default.submit import ExchangeSubmit

FOLDER_MODE = 0o770


class GroupPrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, the submission closed to all but its owner and the instructor's group."""

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        if os.stat(dest).st_gid == os.getegid():  # the inbound folder is not set-group-id: the group is the student's
            self.log.warning("%s is not set-group-id to the instructor's group: the submission keeps nbgrader's "
                             "permissions (readable by anyone who learns its name)", self.inbound_path)
            return
        for folder, _, _ in os.walk(dest, topdown=False):  # never follows a link
            os.chmod(folder, FOLDER_MODE)
