"""Entry point of the child processes tiers start (the perf tier's workers): the catalog is
installed first, so a worker builds any kind, built-in or plugin, as the parent run would.

The runner hands this module's name to tiers through `RunContext.child_entry`; a tier never
names a module above its floor.
"""
from __future__ import annotations

from embedgate.run import catalog
from embedgate.tiers.perf import worker


def main() -> None:
    catalog.install()
    worker.main()


if __name__ == "__main__":
    main()
