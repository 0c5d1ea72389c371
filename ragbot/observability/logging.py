"""Structured logs: a JSON or text formatter with per-event context, and redaction so secrets never reach a log."""

from __future__ import annotations

import json as _json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ragbot.config import Settings

_CONTEXT: ContextVar[dict[str, Any]] = ContextVar("ragbot_log_context", default={})  # noqa: B039 - never mutated
# Attributes every LogRecord has; anything else on a record came from `extra=` and is worth logging.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_MIN_SECRET = 6  # shorter configured values are too likely to match ordinary words

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), "xox*-***"),  # Slack bot/user/refresh tokens
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "xapp-***"),  # Slack app-level (Socket Mode) tokens
    (re.compile(r"\bsk-ant-[A-Za-z0-9_-]+"), "sk-ant-***"),  # Anthropic keys
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"), "sk-***"),
    (re.compile(r"\bpa-[A-Za-z0-9_-]{20,}"), "pa-***"),  # Voyage AI keys
    # Discord bot tokens (and JWT-shaped values): three base64url parts separated by dots.
    (re.compile(r"\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{27,}"), "***token***"),
    # Authorization header values; the lookahead wants a digit so that prose ("basic understanding") survives.
    (re.compile(r"\b(Bearer|Basic|bearer)\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{16,}"), r"\1 ***"),
    (re.compile(r"(://[^:/@\s]*:)[^@\s]+@"), r"\1***@"),  # passwords in URLs (postgres://u:p@h, redis://:p@h)
    # NAME=value and "name": "value" where the name ends in a secret word (DISCORD_TOKEN=, "signing_secret": ...).
    (re.compile(r"(?i)\b([\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key)[\"']?\s*[=:]\s*[\"']?)"
                r"[^\s\"'&,;]+"), r"\1***"),
]
_literal_secrets: set[str] = set()


def redact(text: str) -> str:
    """The text with token shapes, URL passwords and configured secret values replaced by ***."""
    for secret in sorted(_literal_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def secrets_of(settings: Settings) -> list[str]:
    """Configured secret values (tokens, keys, secrets, database/broker passwords) to redact literally."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, str) and name.endswith(("_token", "_key", "_secret", "_password")):
            found.append(value)
        elif isinstance(value, str) and name.endswith("_url"):
            match = re.search(r"://[^:/@]*:([^@]+)@", value)
            if match:
                found.append(match.group(1))
    return [s for s in found if len(s) >= _MIN_SECRET]


def add_secrets(values: Iterable[str]) -> None:
    """Redact these exact values from now on (in addition to the built-in patterns)."""
    _literal_secrets.update(v for v in values if v and len(v) >= _MIN_SECRET)


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


def configure_logging(json: bool, level: str | int = "INFO", *, secrets: Iterable[str] = (),
                      stream: TextIO | None = None) -> logging.Handler:
    """Replace the root handlers with one redacting handler writing JSON or text; returns that handler."""
    add_secrets(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler


def configure_from_settings(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """configure_logging with RAGBOT_LOG_FORMAT, RAGBOT_LOG_LEVEL and the configured secrets."""
    return configure_logging(settings.log_format == "json", settings.log_level, secrets=secrets_of(settings),
                             stream=stream)
