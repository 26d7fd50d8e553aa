"""The package keeps its floors: no cycles, no upward imports, small modules (scripts/layout.py)."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_layout_rules_hold() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "layout.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "import cycles: 0" in proc.stdout and "upward imports: 0" in proc.stdout


def test_layout_check_catches_an_upward_import(tmp_path) -> None:
    """The checker itself can fail: a lower floor importing an upper one is reported."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import layout
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    pkg = tmp_path / "embedgate"
    for folder, body in (("infra", "from embedgate.cli.entry import main\n"), ("cli", "")):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
        (pkg / folder / ("errors.py" if folder == "infra" else "entry.py")).write_text(body)
    (pkg / "__init__.py").write_text("")
    old = layout.ROOT
    layout.ROOT = tmp_path
    try:
        mods = layout.load()
        assert layout.upward(mods) == [
            "embedgate/infra/errors.py:1: embedgate.infra.errors -> embedgate.cli.entry"]
    finally:
        layout.ROOT = old


def test_layout_check_catches_climbing_strings_and_report_reading_tiers(tmp_path) -> None:
    """An import string naming an upper floor, and a report module importing a tier, fail."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import layout
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    pkg = tmp_path / "embedgate"
    files = {"embedders/registry.py": 'KINDS = {"recipe": "embedgate.recipes.embedder:Recipe"}\n',
             "recipes/embedder.py": "", "tiers/space.py": "",
             "report/space.py": "from embedgate.tiers.space import x\n"}
    for rel, body in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).parent.joinpath("__init__.py").write_text("")
        (pkg / rel).write_text(body)
    (pkg / "__init__.py").write_text("")
    old = layout.ROOT
    layout.ROOT = tmp_path
    try:
        mods = layout.load()
        assert layout.climbing_strings(mods) == [
            'embedgate/embedders/registry.py:1: embedgate.embedders.registry names '
            '"embedgate.recipes.embedder"']
        assert layout.results_only(mods) == [
            "embedgate/report/space.py:1: embedgate.report.space -> embedgate.tiers.space "
            "(reads results only)"]
    finally:
        layout.ROOT = old
