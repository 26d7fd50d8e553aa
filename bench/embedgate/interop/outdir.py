"""Write a folder of files all at once: into a temporary sibling, then one rename.

A reader (or a crash) sees no folder or the whole folder, never half an export.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InputError


def check_target(target: Path) -> None:
    """`target` must be new (or an empty folder): an export never mixes with older files."""
    if target.is_file():
        raise InputError(f"{target}: is a file; pass a new folder to export into")
    if target.is_dir() and any(target.iterdir()):
        raise InputError(f"{target}: folder exists and is not empty; pass a new folder "
                         "(an export never overwrites or mixes with older files)")


def write_tree(target: Path, files: Mapping[str, str | Any]) -> list[Path]:
    """Write {relative path: text or JSON object} under `target` atomically; the paths written."""
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for rel, content in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            text = content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
            path.write_text(text, encoding="utf-8")
        if target.is_dir():
            target.rmdir()  # empty (checked above); rename cannot replace a folder
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [target / rel for rel in files]
