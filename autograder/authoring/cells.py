"""The cells and notebook both builds write (problem sets and quizzes): nbgrader metadata, stable ids.

>>> from nbformat.v4 import new_code_cell
>>> graded_cell(new_code_cell("x = 1"), "x-check", points=2).metadata["nbgrader"]["points"]
2
"""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_notebook

SETUP_IMPORT = "from autograder.notebook import *"  # the first line of every notebook's setup cell


def graded_cell(cell, grade_id: str, *, solution=False, points=None):
    """``cell`` with nbgrader metadata: answer cells are editable solutions, everything else is locked."""
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    cell["id"] = grade_id  # stable ids: rebuilding an unchanged spec changes nothing
    return cell


def course_notebook(cells) -> nbformat.NotebookNode:
    """A notebook of ``cells`` for the course's Python 3 kernel."""
    nb = new_notebook(cells=cells)
    nb.metadata.update({"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                       "name": "python3"},
                        "language_info": {"name": "python"}})
    return nb
