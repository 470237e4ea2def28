"""The guides in docs/ build with `mkdocs build --strict`, and a broken link or anchor fails the build; the README's
links to them point at files and headings that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of the project folder ``project`` (its mkdocs.yml and docs/) into ``site``."""
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(project / "mkdocs.yml"), "--site-dir", str(site)],
                          capture_output=True, text=True, timeout=120, cwd=project)


def copy_of_docs(tmp_path: Path) -> Path:
    """A throwaway copy of mkdocs.yml and docs/, to break on purpose."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "docs", project / "docs")
    shutil.copy2(REPO / "mkdocs.yml", project / "mkdocs.yml")
    return project


def test_the_guides_build_strict(tmp_path):
    built = mkdocs_build(REPO, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    for page in ("student", "instructor", "authoring", "grading", "security", "engine", "pytest-lms", "testing"):
        assert (tmp_path / "site" / page / "index.html").is_file(), page


@pytest.mark.parametrize("page, added, warning", [
    ("student.md", "See the [missing guide](no-such-guide.md).",
     "'student.md' contains a link 'no-such-guide.md', but the target is not found"),
    ("authoring.md", "See [rounding](engine.md#no-such-heading).",
     "the doc 'engine.md' does not contain an anchor '#no-such-heading'"),
], ids=["broken link", "broken anchor"])
def test_a_broken_link_or_anchor_fails_the_build(tmp_path, page, added, warning):
    """The near misses of the strict build: one link to a page, or to a heading, that does not exist."""
    project = copy_of_docs(tmp_path)
    with (project / "docs" / page).open("a", encoding="utf-8") as text:
        text.write(f"\n{added}\n")
    built = mkdocs_build(project, tmp_path / "site")
    assert built.returncode == 1
    assert warning in built.stderr


def slug(heading: str) -> str:
    """The anchor Python-Markdown's toc gives a heading (lower case, punctuation dropped, spaces to hyphens).

    >>> slug("Far points and switches")
    'far-points-and-switches'"""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text).strip("-")


def broken_links(markdown: str, folder: Path) -> list[str]:
    """The relative links of ``markdown`` (a file in ``folder``) whose file, or heading after ``#``, does not exist.

    >>> broken_links("[a](README.md) [b](nowhere.md)", Path(__file__).resolve().parents[2])
    ['nowhere.md']"""
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", markdown):
        if re.match(r"[a-z]+:", target):
            continue  # an address, not a file of this repository
        path, _, anchor = target.partition("#")
        file = folder / path
        if not file.is_file():
            broken.append(target)
        elif anchor and anchor not in {slug(h) for h in re.findall(r"(?m)^#+ (.+)$", file.read_text(encoding="utf-8"))}:
            broken.append(target)
    return broken


def test_the_readme_links_point_at_existing_guides_and_headings():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/engine.md#decimals" in readme  # the anchor below is checked, not only the file
    assert broken_links(readme, REPO) == []
    # the near misses: a guide that is not there, a heading that is not there
    assert broken_links("[x](docs/no-such-guide.md) [y](docs/engine.md#no-such-heading)", REPO) == [
        "docs/no-such-guide.md", "docs/engine.md#no-such-heading"]
