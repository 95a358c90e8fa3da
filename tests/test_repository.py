"""The repository stands on its own: no file points at a path outside it.

A clone has only what is committed: a design, a contract or a style guide kept in a folder beside
the repository would be a dead link there. Markdown links are checked to resolve
inside the checkout.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)")
# The folder beside the checkout that the project's first design came from; spelled in two
# pieces so that this file does not name it itself.
BESIDE = "../" + "shared"


def _tracked() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in names.splitlines() if (ROOT / name).is_file()]


def test_no_tracked_file_refers_to_the_shared_folder_beside_the_checkout() -> None:
    offenders = []
    for path in _tracked():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a picture, say
        if BESIDE in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_relative_link_in_the_docs_resolves_inside_the_checkout() -> None:
    broken = []
    for path in _tracked():
        if path.suffix != ".md":
            continue
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            resolved = (path.parent / target).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert broken == []
