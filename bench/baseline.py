"""An earlier commit of this repository, checked out beside it, to measure in the same run.

    with earlier_commit("7247900") as tree:
        subprocess.run(["uv", "run", "python", "-m", "bench.load", ...], cwd=tree, env=tree_env())

A `git worktree` of the commit in a temporary directory with its own locked environment (`uv
sync --locked`, from uv's cache), removed afterwards: the baseline runs its own code, its own
migrations and its own copy of the benchmark, against the same PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.common import ROOT


@contextlib.contextmanager
def earlier_commit(revision: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="registry-baseline-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], cwd=ROOT, check=True)
        try:
            subprocess.run(["uv", "sync", "--locked", "--quiet"], cwd=tree, env=tree_env(), check=True)
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)


def tree_env(**extra: str) -> dict[str, str]:
    """The environment for a command in another tree: its own virtualenv, not this one's."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    return env | extra
