"""The course's release_assignment makes nbgrader's exchange root sticky; nbgrader's own leaves it 0777."""

import stat

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment

from autograder.nbgrader.release import StickyReleaseAssignment


def _root_mode(cls, root) -> int:
    coursedir = CourseDirectory(course_id="c")
    cls(coursedir=coursedir, authenticator=Authenticator(), root=str(root)).ensure_root()
    return stat.S_IMODE(root.stat().st_mode)


def test_a_new_exchange_root_is_sticky(tmp_path):
    assert _root_mode(StickyReleaseAssignment, tmp_path / "exchange") == 0o1777
    assert _root_mode(ExchangeReleaseAssignment, tmp_path / "plain") == 0o777  # the near miss: nbgrader's own


def test_an_existing_root_gets_the_sticky_bit_and_keeps_it(tmp_path):
    root = tmp_path / "exchange"
    root.mkdir(mode=0o755)
    assert _root_mode(StickyReleaseAssignment, root) == 0o1777
    assert _root_mode(ExchangeReleaseAssignment, root) == 0o1777  # nbgrader compares the low bits only
