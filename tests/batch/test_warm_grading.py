"""Warm-forked kernels on every grading path: `nbgrader autograde` with the course's config, `autograder grade
--jobs 2`, and a Dask cluster (each worker process its own template); the grades are those of kernels started
afresh, and each graded notebook records how its kernel started."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.nbgrader.execute import FRESH, WARM

from .conftest import STUDENTS, autograder, gradebook_scores, nbgrader

pytestmark = pytest.mark.e2e

# eve's loop (a timeout per cell) is the sandbox tests' business; here it would only cost time
EXPECTED_SCORES = {student: float(points) for student, (_, points) in STUDENTS.items() if student != "eve"}

# nbgrader's own autograde list with its Execute replaced by ours, which records how each kernel started
RECORDING = ('\nc.Autograde.autograde_preprocessors = ["autograder.nbgrader.execute.ResilientExecute", '
             '"nbgrader.preprocessors.IgnorePattern", "nbconvert.preprocessors.ClearMetadataPreprocessor", '
             '"nbgrader.preprocessors.LimitOutput", "nbgrader.preprocessors.SaveAutoGrades", '
             '"nbgrader.preprocessors.AssignLatePenalties", "nbgrader.preprocessors.CheckCellMetadata"]\n')
FRESH_CONFIG = '\nc.KernelProvisionerFactory.default_provisioner_name = "local-provisioner"\n'
WARM_CONFIG = '\nc.KernelProvisionerFactory.default_provisioner_name = "autograder-warm-fork"\n'


def kernel_starts(root: Path) -> dict:
    return {path.parents[1].name: nbformat.read(path, as_version=4).metadata["autograder"]["kernel"]
            for path in sorted((root / "autograded").glob("*/hw/hw.ipynb"))}


@pytest.fixture(autouse=True)
def _as_root():
    if os.geteuid() != 0:
        pytest.fail("warm kernels fork only when grading runs as root (make test runs as root in CI)")


def configure(root: Path, *lines: str) -> Path:
    shutil.rmtree(root / "submitted" / "eve", ignore_errors=True)
    (root / "nbgrader_config.py").write_text((root / "nbgrader_config.py").read_text() + RECORDING + "".join(lines))
    return root


def test_nbgrader_autograde_with_the_course_config_forks_every_kernel(course):
    configure(course, "c.Execute.kernel_manager_class = 'autograder.sandbox.SandboxedKernelManager'", WARM_CONFIG)
    nbgrader(course, "autograde", "hw", check=False)
    assert gradebook_scores(course) == EXPECTED_SCORES
    assert set(kernel_starts(course).values()) == {WARM} and len(kernel_starts(course)) == len(EXPECTED_SCORES)


def test_autograder_grade_jobs_2_gives_the_grades_of_fresh_kernels(course, tmp_path):
    fresh = configure(Path(shutil.copytree(course, tmp_path / "fresh")), FRESH_CONFIG)
    configure(course)
    for root in (course, fresh):
        r = autograder(root, "grade", "hw", "--jobs", "2")
        assert r.returncode == 0, r.stdout + r.stderr
    assert gradebook_scores(course) == gradebook_scores(fresh) == EXPECTED_SCORES
    assert set(kernel_starts(course).values()) == {WARM}  # the grade command's default, config silent
    assert set(kernel_starts(fresh).values()) == {FRESH}  # a course that names jupyter_client's provisioner


def test_each_dask_worker_forks_from_a_template_of_its_own(course):
    from distributed import LocalCluster

    configure(course)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        r = autograder(course, "grade", "hw", "--scheduler", cluster.scheduler_address)
        assert r.returncode == 0, r.stdout + r.stderr
    assert gradebook_scores(course) == EXPECTED_SCORES
    assert set(kernel_starts(course).values()) == {WARM}
