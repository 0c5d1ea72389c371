"""Structured logs: a JSON or text formatter with per-event context, and redaction so secrets never reach a log."""

from __future__ import annotations

import json as _json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from ragbot.observability.redaction import add_secrets, redact, secrets_of

if TYPE_CHECKING:
    from ragbot.config import Settings

_CONTEXT: ContextVar[dict[str, Any]] = ContextVar("ragbot_log_context", default={})  # noqa: B039 - never mutated
# Attributes every LogRecord has; anything else on a record came from `extra=` and is worth logging.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (event_id, interaction_id, document_id, ...) to every log line written inside the block."""
    token = _CONTEXT.set({**_CONTEXT.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class RedactFilter(logging.Filter):
    """Rewrites a record's message, extras and traceback with secrets redacted; attach it to handlers."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place and let the record through."""
        try:
            record.msg, record.args = redact(record.getMessage()), None
        except Exception:  # noqa: BLE001 - a bad format string must still be logged, just not interpolated
            record.msg, record.args = redact(str(record.msg)), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in _extras(record).items():
            if isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, context fields, extras and exc."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (redacted once more, to cover non-string extras)."""
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(_CONTEXT.get())
        data.update(_extras(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exc"] = record.exc_text
        return redact(_json.dumps(data, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """Human-readable lines with context and extras appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The usual line plus ' key=value' for each context field and extra."""
        line = super().format(record)
        fields = {**_CONTEXT.get(), **_extras(record)}
        if fields:
            head, _, tail = line.partition("\n")
            head += "".join(f" {k}={v}" for k, v in fields.items())
            line = f"{head}\n{tail}" if tail else head
        return redact(line)


class OneLineErrors(logging.Filter):
    """Drops tracebacks from records (for a terminal user); DEBUG level keeps them, redacted like the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Strip the traceback and say where to find it."""
        if record.exc_info or record.exc_text:
            record.exc_info, record.exc_text = None, None
            record.msg = f"{record.getMessage()} (set RAGBOT_LOG_LEVEL=DEBUG to see the traceback)"
            record.args = None
        return True


def configure_logging(json: bool, level: str | int = "INFO", *, secrets: Iterable[str] = (),
                      stream: TextIO | None = None, tracebacks: bool = True) -> logging.Handler:
    """Replace the root handlers with one redacting handler writing JSON or text; returns that handler."""
    add_secrets(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    if not tracebacks:
        handler.addFilter(OneLineErrors())
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler


def configure_from_settings(settings: Settings, *, stream: TextIO | None = None, terminal: bool = False
                            ) -> logging.Handler:
    """configure_logging with RAGBOT_LOG_FORMAT, RAGBOT_LOG_LEVEL and the configured secrets.

    terminal (the CLI): WARNING unless RAGBOT_LOG_LEVEL is set, and tracebacks only at DEBUG, so a person at a
    terminal reads one line per problem while servers keep full, redacted tracebacks in their logs.
    """
    level = settings.log_level
    if terminal and "log_level" not in settings.model_fields_set:
        level = "WARNING"
    return configure_logging(settings.log_format == "json", level, secrets=secrets_of(settings), stream=stream,
                             tracebacks=not terminal or level.upper() == "DEBUG")


__all__ = ["JsonFormatter", "OneLineErrors", "RedactFilter", "TextFormatter", "add_secrets", "configure_from_settings",
           "configure_logging", "log_context", "redact", "secrets_of"]
