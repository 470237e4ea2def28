"""JupyterHub's LocalProcessSpawner, with each user's server started where this environment is reachable."""

from __future__ import annotations

from jupyterhub.spawner import LocalProcessSpawner

from autograder.hub.reach import needed_folders, reopen, reopenings


class CourseSpawner(LocalProcessSpawner):
    """Starts ``jupyterhub-singleuser`` as the user, like LocalProcessSpawner; when a folder on the way to the
    interpreter, the venv or this package is closed to other users, the server runs in a mount namespace of its own
    in which they are reachable (autograder/hub/reach.py), set up as root just before it becomes the user."""

    def make_preexec_fn(self, name):
        become_user = super().make_preexec_fn(name)
        plan = reopenings(needed_folders())  # worked out here, in the hub, not between fork and exec

        def preexec():
            if plan:
                reopen(plan)
            become_user()

        return preexec
