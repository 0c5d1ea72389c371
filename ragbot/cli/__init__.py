"""The `ragbot` command line: every module named *_cmds.py in this package adds its commands."""

from __future__ import annotations

import importlib
import pkgutil

from ragbot.cli.app import app, run


def _load_commands() -> None:
    # Discovering command modules keeps this file unchanged as features add commands.
    for info in pkgutil.iter_modules(__path__):
        if info.name.endswith("_cmds"):
            importlib.import_module(f"{__name__}.{info.name}")


def main() -> None:
    """Console-script entry point."""
    _load_commands()
    run()


__all__ = ["app", "main"]
