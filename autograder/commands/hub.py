"""``autograder hub``: a local JupyterHub for the demo course (system users with generated passwords, PAM logins,
nbgrader's exchange and Assignments tab, formgrader for the instructor); Ctrl-C stops everything it started."""

from __future__ import annotations

import os
from pathlib import Path

HELP = "start a local JupyterHub for the demo course: an instructor and students as system users (root only)"
EXAMPLES = """examples:
  sudo make hub                                  # installs what is missing, then: autograder hub
  sudo .venv/bin/autograder hub --port 8100 --students ann,ben
  sudo .venv/bin/autograder hub --remove-users   # make hub-clean: the users it created, their homes, the exchange
Open the printed address and log in with a printed password (shown once). docs/hub.md walks through a course's life.
"""
DEFAULT_STUDENTS = "chainrule-ann,chainrule-ben,chainrule-cai"


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("--port", type=int, default=8000, help="the address users open (default: 8000)")
    parser.add_argument("--hub-port", type=int, default=8081, help="the hub's internal API (default: 8081)")
    parser.add_argument("--proxy-api-port", type=int, default=8001, help="the proxy's API (default: 8001)")
    parser.add_argument("--instructor", default="chainrule-teacher", help="the instructor's user name")
    parser.add_argument("--students", default=DEFAULT_STUDENTS, help="students' user names, comma-separated")
    parser.add_argument("--home-base", default="/home", help="where the users' homes go (default: /home)")
    parser.add_argument("--exchange", default="/srv/nbgrader/exchange", help="nbgrader's exchange root")
    parser.add_argument("--state", default=".hub", help="the hub's database, config and log (default: .hub)")
    parser.add_argument("--remove-users", action="store_true",
                        help="remove what an earlier run created (users, homes, the course in the exchange)")


def run(args) -> int:
    import signal

    from autograder.hub.config import HubSettings
    from autograder.hub.run import HubError, HubProcess, find_proxy
    from autograder.hub.setup import set_up, take_down
    from autograder.hub.users import HubUserError, require_root
    from autograder.venv_path import bin_dir

    state, repo = Path(args.state).resolve(), Path.cwd()
    try:
        require_root()
        if args.remove_users:
            print("\n".join(take_down(state)) or "nothing to remove")
            return 0
        proxy = find_proxy()
        if not (repo / "release").is_dir():
            raise HubError(f"run it from the repository (no release/ in {repo})")
        students = [name for name in args.students.split(",") if name]
        course = set_up(state, repo, args.instructor, students, Path(args.home_base), Path(args.exchange))
    except (HubError, HubUserError) as exc:
        print(f"error: {exc}")
        return 2
    settings = HubSettings(state, tuple(u.name for u in course.users), proxy, args.port, args.hub_port,
                           args.proxy_api_port)
    hub = HubProcess(settings, [u.uid for u in course.users])
    signal.signal(signal.SIGTERM, _interrupt)  # Ctrl-C and a plain kill both end in the same clean stop
    failed = True
    try:
        hub.start()
        print(_welcome(settings, course))
        hub.process.wait()
        print(f"jupyterhub exited with code {hub.process.returncode}; log: {hub.log_path}")
    except KeyboardInterrupt:
        print("\nstopping the hub, its proxy and the users' servers and kernels ...")
        failed = False
    except HubError as exc:
        print(f"error: {exc}")
    finally:
        for line in hub.stop():
            print(line)
        print(f"stopped. The users and their homes remain: `make hub-clean` (or `sudo {bin_dir()}/autograder hub "
              f"--remove-users --state {state}`) removes them.")
    return 1 if failed else 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _welcome(settings, course) -> str:
    """What the admin reads once the hub answers: the address, the logins (shown only now) and the next steps."""
    width = max(len(u.name) for u in course.users)
    logins = "\n".join(f"  {u.role:<10} {u.name:<{width}}  {u.password}" for u in course.users)
    return (f"\nJupyterHub for {course.course_id} at {settings.url}\n\n"
            f"Logins (the passwords are not stored anywhere: note them now):\n{logins}\n\n"
            f"Course folder: {course.course} (the instructor's, 0700); exchange: {course.exchange}\n"
            f"The instructor releases ps1 from Nbgrader > Formgrader; students fetch it from Nbgrader > Assignments.\n"
            f"Ctrl-C stops the hub and everything it started.{os.linesep}")
