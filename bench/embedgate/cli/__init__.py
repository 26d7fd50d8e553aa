"""`embedgate` command line: every subcommand's argparse, and the only place with exit codes."""
from __future__ import annotations

from embedgate.cli.entry import main

__all__ = ["main"]
