"""Third-party internals this package copies or patches, each recorded with the version it was read from.

A copy or a patch of another project's private code is right only for the code it was written against. Each one
is recorded here as an ``Upstream``: the distribution, its version pinned in constraints.txt, and a digest of the
source of each upstream function it copies or relies on. At run time the replacement is used only on that version
(``Upstream.installed()``), else upstream's own code runs; tests/unit/test_upstream_guards.py fails when the pinned
version or an upstream function's source changes, saying what to re-check.

>>> Upstream("nbclient", "0.0.1", {}).installed()
False
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=None)
def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def resolve(qualname: str):
    """The object a dotted name (module path, then attributes) names.

    >>> resolve("json.decoder.JSONDecoder.decode").__name__
    'decode'
    """
    parts = qualname.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(f"no module in {qualname}")


def source_digest(qualname: str) -> str:
    """A short digest of the source of the function ``qualname`` names (changes when its code does)."""
    return hashlib.sha256(inspect.getsource(resolve(qualname)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Upstream:
    """Upstream code a replacement was written against: ``distribution`` at ``version``, whose functions
    ``digests`` names (dotted name -> ``source_digest``) it copies or relies on; ``why`` says what to re-check
    when either changes."""

    distribution: str
    version: str
    digests: dict
    why: str = ""

    def installed(self) -> bool:
        """Whether the installed distribution is the version the replacement was written against."""
        return _version(self.distribution) == self.version
