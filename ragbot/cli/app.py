"""The typer app, the shared console and how every command builds its services and reports errors."""

from __future__ import annotations

import logging
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from ragbot.config import Settings
from ragbot.errors import RagbotError

if TYPE_CHECKING:
    from ragbot.wiring import Services

app = typer.Typer(
    name="ragbot",
    help="Answer your team's questions from your team's documents, with citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
serve_app = typer.Typer(help="Run a chat adapter (Slack or Discord).", no_args_is_help=True)
app.add_typer(serve_app, name="serve")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The one Settings of this process."""
    return Settings()


def services(**overrides: object) -> Services:
    """Build the services once per process (connects, migrates on first use, checks the index)."""
    from ragbot.wiring import build

    return build(settings(), **overrides)  # type: ignore[arg-type]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def run() -> None:
    """Run the app, turning Ragbot errors into one readable line and a non-zero exit."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except RagbotError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
