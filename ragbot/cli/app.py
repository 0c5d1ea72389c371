"""The typer app, the shared console and how every command builds its services and reports errors."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from ragbot.config import Settings, load_settings
from ragbot.errors import IngestError, NotFound, RagbotError, TransientError
from ragbot.observability.redaction import redact

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
    return load_settings()


def services(**overrides: object) -> Services:
    """Build the services once per process (connects, migrates on first use, checks the index)."""
    from ragbot.adapters.status import status_updaters
    from ragbot.wiring import build

    s = settings()
    return build(s, status_updaters=status_updaters(s), **overrides)  # type: ignore[arg-type]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line, redacted error and return the exit to raise."""
    err_console.print(f"[red]error:[/red] {escape(redact(message))}", highlight=False)
    return typer.Exit(code)


def exit_code(exc: BaseException) -> int:
    """1 when the work itself failed (a document, a missing item, a passing fault); 2 for usage or configuration."""
    return 1 if isinstance(exc, IngestError | TransientError | NotFound) else 2


def _configure_logging() -> None:
    """The one logging set-up every entry point uses, here for a terminal: redacted, RAGBOT_LOG_FORMAT honoured."""
    from ragbot.observability.logging import configure_from_settings, configure_logging

    try:
        configure_from_settings(settings(), terminal=True)
    except (ValidationError, RagbotError):
        configure_logging(False, "WARNING", tracebacks=False)  # the command reports the bad setting itself


def run() -> None:
    """Run the app: one readable line per error, exit 0 ok, 1 failed work, 2 usage or configuration."""
    _configure_logging()
    try:
        app()
    except RagbotError as exc:
        raise SystemExit(fail(str(exc), exit_code(exc)).exit_code) from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise SystemExit(fail(f"invalid settings: {problems}", 2).exit_code) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line for the user, details in the log
        logging.getLogger("ragbot.cli").error("unexpected error", exc_info=True)
        raise SystemExit(fail(f"unexpected {type(exc).__name__}: {_first_line(exc)}", 1).exit_code) from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else "no message"
