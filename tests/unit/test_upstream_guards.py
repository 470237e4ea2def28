"""Third-party internals this package copies or patches are used only with the version they were written against,
and these tests fail, saying what to re-check, when that version's pin or the upstream code changes."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import nbgrader.api
import nbgrader.nbgraderformat.common as metadata
import pytest
from nbclient import NotebookClient

from autograder import upstream
from autograder.grading import nbgrader_speed, preflight
from autograder.nbgrader import execute
from autograder.upstream import Upstream, source_digest

REPO = Path(__file__).resolve().parents[2]
GUARDS = [execute.POLL_COPIED_FROM, nbgrader_speed.PATCHED_FOR, preflight.HOOK_CALLER]


def pinned(distribution: str) -> str:
    found = re.search(rf"(?im)^{re.escape(distribution)}==(\S+)", (REPO / "constraints.txt").read_text())
    assert found, f"{distribution} is not pinned in constraints.txt"
    return found.group(1)


@pytest.mark.parametrize("guard", GUARDS, ids=lambda g: g.distribution)
def test_each_replacement_was_written_for_the_pinned_version(guard):
    assert pinned(guard.distribution) == guard.version, (
        f"constraints.txt pins {guard.distribution} {pinned(guard.distribution)}, but the replacement was written "
        f"for {guard.version} (and is off on any other): re-check {guard.why}; then record the new version and "
        "digests")
    assert guard.installed()


@pytest.mark.parametrize("guard", GUARDS, ids=lambda g: g.distribution)
def test_the_upstream_code_each_replacement_relies_on_is_unchanged(guard):
    changed = {name: source_digest(name) for name, digest in guard.digests.items() if source_digest(name) != digest}
    assert not changed, (f"{guard.distribution} {guard.version}: the source of {sorted(changed)} is not the one "
                         f"recorded; re-check {guard.why}; then record the new digests {changed}")


def test_a_digest_follows_the_source():
    # the near miss: two functions alike but for one constant differ
    assert source_digest("nbclient.client.NotebookClient._async_poll_kernel_alive") != source_digest(
        "autograder.nbgrader.execute.ResilientExecute._async_poll_kernel_alive")


def test_on_another_nbgrader_its_own_code_runs_unpatched(monkeypatch):
    monkeypatch.setattr(nbgrader_speed, "PATCHED_FOR",
                        Upstream("nbgrader", "0.0.0", nbgrader_speed.PATCHED_FOR.digests))
    engine, schema_module = nbgrader.api.create_engine, metadata.jsonschema
    create_all = nbgrader.api.Base.metadata.create_all
    assert nbgrader_speed.speed_up_nbgrader() is False
    assert (nbgrader.api.create_engine, metadata.jsonschema) == (engine, schema_module)
    assert nbgrader.api.Base.metadata.create_all == create_all


def test_on_another_nbclient_its_own_poll_runs(monkeypatch):
    ran = []

    async def upstream_poll(self):
        ran.append("nbclient's")

    monkeypatch.setattr(NotebookClient, "_async_poll_kernel_alive", upstream_poll)
    client = execute.ResilientExecute()
    monkeypatch.setattr(execute, "POLL_COPIED_FROM", Upstream("nbclient", "0.0.0", {}))
    asyncio.run(client._async_poll_kernel_alive())
    assert ran == ["nbclient's"]


def test_resolve_names_a_clear_missing_attribute():
    with pytest.raises(AttributeError):
        upstream.resolve("nbgrader.api.Gradebook.no_such_method")
