"""nbgrader configuration for this course: run nbgrader commands from the repository root."""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

# The course: one folder holding source/, release/, submitted/, autograded/, feedback/ and gradebook.db.
c.CourseDirectory.course_id = "chain-rule-101"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# A local exchange inside the course (git-ignored), so `nbgrader release_assignment`/`collect` work on
# one machine without a shared /srv/nbgrader/exchange.
c.Exchange.root = os.path.join(c.CourseDirectory.root, "exchange")

# The exercise spec holds every reference answer: never copy it into release/ (or anywhere else
# nbgrader copies assignment files). The grader reads it from source/ directly.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.spec.toml"]

# What the student sees in place of each solution. Our solution regions sit inside `name = ( ... )`,
# so the stub completes a valid assignment the student then edits.
c.ClearSolutions.code_stub = {"python": "None  # replace None with your answer"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A student cell gets this long before it is interrupted (an infinite loop costs this, once).
c.ExecutePreprocessor.timeout = 20
c.Execute.timeout = 20

# While grading, a student's kernel runs in a bubblewrap sandbox (autograder/sandbox.py): no network (it talks
# to nbgrader over unix sockets), the system read-only, the course (spec with the references, gradebook, other
# submissions) hidden, writes capped in a private copy of its folder and /tmp, processes capped.
# Without bubblewrap grading stops and says how to install it; a machine that cannot have it may opt out with
# c.SandboxedKernelManager.require_sandbox = False (student code then runs with the grader's rights).
c.Execute.kernel_manager_class = "autograder.sandbox.SandboxedKernelManager"

# Each grading process keeps one warm template in that sandbox (Python, ipykernel, sympy and the notebook module
# imported once) and forks every student's kernel from it: a clean copy that never saw another student, given its
# own namespaces, folder, /tmp and user before it runs a line (autograder/warm/). Where forking is impossible
# (grader not root, another kernel) the kernel starts afresh in its own sandbox, and the log says why.
c.KernelProvisionerFactory.default_provisioner_name = "autograder-warm-fork"

# Before its first submission, `nbgrader autograde` grades the source notebook's own solutions in the same
# sandbox: a set-up that cannot grade (bubblewrap missing, the package hidden from the kernel, a stale spec)
# stops the batch with the reason instead of grading the class to zero.
# A submission's files are hostile: nbgrader copies submitted → autograded → feedback following links (as root, a
# link to the spec, another student's notebook or a root-only key would be copied and graded or handed back).
# Before each copy the hook removes every link, device, fifo and socket from the submission folder (never their
# targets) and records them; NoteRefusedFiles fails a submission where one is left and tells the student, at the
# top of the graded notebook, what was refused ("ps1/notes.txt is a link: not graded, not returned").
from autograder.nbgrader.submission_files import (autograde_pre_convert_hook,  # noqa: E402
                                                  drop_pre_convert_hook)

c.Autograde.pre_convert_hook = autograde_pre_convert_hook  # drops hostile files, then the solutions check above
c.GenerateFeedback.pre_convert_hook = drop_pre_convert_hook
c.Autograde.sanitize_preprocessors = [  # nbgrader's list, NoteRefusedFiles first
    "autograder.nbgrader.submission_files.NoteRefusedFiles",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# `nbgrader collect` copies out of the world-writable inbound folder without following links either.
c.ExchangeFactory.collect = "autograder.nbgrader.collect.SafeExchangeCollect"
# `nbgrader release_assignment` makes the exchange root sticky (nbgrader's is 0777: a student could move the course's
# folder aside and read later submissions).
c.ExchangeFactory.release_assignment = "autograder.nbgrader.release.StickyReleaseAssignment"

# Once the last cell has run, every output is in the notebook: the kernel is killed rather than asked to
# shut down. A graceful shutdown of the sandboxed kernel often waits seconds for it to exit (measured: a ps1
# submission took 4.1 s graceful, 1.6 s immediate, the same CPU time), which a class pays once per student.
c.Execute.shutdown_kernel = "immediate"

# Autograding: nbgrader's default list, with two changes.
#  - ResilientExecute replaces Execute: a kernel that dies keeps the points of the cells that ran.
#  - JudgeAnswers runs after execution and before SaveAutoGrades: it judges every recorded answer in
#    this process against the spec (the kernel never computes a verdict) and writes outputs that
#    nbgrader scores: text = full marks, a bare float = partial, an error = zero with the feedback.
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader.execute.ResilientExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.nbgrader.judge.JudgeAnswers",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Each submitted notebook is read through SanitizingExporter (autograder/nbgrader/sanitize.py), in memory: one
# that cannot be read is graded as the blank assignment, copied or deleted assignment cells and changed grading
# metadata are repaired (nbgrader alone stops the whole class on a copied locked cell), and metadata only the
# grader writes is dropped; a first cell tells the student what was done. The student's file is never written.
c.Autograde.exporter_class = "autograder.nbgrader.sanitize.SanitizingExporter"
