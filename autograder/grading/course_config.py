"""A course's nbgrader configuration, read the way nbgrader reads it, for the grader's own API calls.

>>> load_course_config(".", {"ExecutePreprocessor.timeout": 7}).ExecutePreprocessor.timeout
7
"""

from __future__ import annotations

import os
from pathlib import Path


def load_course_config(root, overrides: dict | None = None):
    """The course's nbgrader config plus ``overrides`` ({"Section.trait": value})."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = str(Path(root).resolve())
    config = Config()
    if os.path.exists(os.path.join(root, "nbgrader_config.py")):
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=root).load_config())
    config.CourseDirectory.root = root
    for dotted, value in (overrides or {}).items():
        section, trait = dotted.rsplit(".", 1)
        config[section][trait] = value
    return config
