"""The one redaction: URL credentials, token shapes and the configured secret values, for every surface."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from ragbot.config import Settings

MIN_SECRET = 6  # shorter configured values are too likely to match ordinary words
MASK = "***"

# scheme://user:password@host: the user name may be empty (redis://:pw@h) and the password may hold any character
# but whitespace, quotes and "/" (so an unencoded "@" or ":" is covered: the match runs to the last "@").
URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@\"'<>]*:)[^\s/\"'<>]*@")

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (URL_CREDENTIALS, r"\1***@"),
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), "xox*-***"),  # Slack bot/user/refresh tokens
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "xapp-***"),  # Slack app-level (Socket Mode) tokens
    (re.compile(r"\bsk-ant-[A-Za-z0-9_-]+"), "sk-ant-***"),  # Anthropic keys
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"), "sk-***"),
    (re.compile(r"\bpa-[A-Za-z0-9_-]{20,}"), "pa-***"),  # Voyage AI keys
    # Discord bot tokens (and JWT-shaped values): three base64url parts separated by dots.
    (re.compile(r"\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{27,}"), "***token***"),
    # Authorization header values; the lookahead wants a digit so that prose ("basic understanding") survives.
    (re.compile(r"\b(Bearer|Basic|bearer)\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{16,}"), r"\1 ***"),
    # (Values stop at a backslash: JSON lines are redacted after encoding, where \" ends a string.)
# NAME=value and "name": "value" where the name ends in a secret word (DISCORD_TOKEN=, "signing_secret": ...).
    (re.compile(r"(?i)\b([\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key)[\"']?\s*[=:]\s*[\"']?)"
                r"[^\s\"'&,;\\]+"), r"\1***"),
    # Header lines a client library may echo back (x-api-key: ..., Authorization: ...).
    (re.compile(r"(?i)\b((?:x-api-key|authorization|api-key|cookie)[\"']?\s*[:=]\s*[\"']?)[^\r\n\"',}\\]+"), r"\1***"),
]

_lock = threading.Lock()
_literal: tuple[str, ...] = ()  # longest first, so a secret that contains another is masked whole


def redact(text: str) -> str:
    """The text with configured secret values, URL passwords and token shapes replaced by ***."""
    for secret in _literal:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def add_secrets(values: Iterable[str | None]) -> None:
    """Mask these exact values from now on (each also in its URL-encoded and URL-decoded spelling)."""
    global _literal
    found = set(_literal)
    for value in values:
        if value and len(value) >= MIN_SECRET:
            found.update({value, quote(value, safe=""), unquote(value)})
    with _lock:
        _literal = tuple(sorted((v for v in found if len(v) >= MIN_SECRET), key=len, reverse=True))


def secrets_of(settings: Settings) -> list[str]:
    """Configured secret values: tokens, keys, secrets, passwords and the passwords inside *_url settings."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if not isinstance(value, str):
            continue
        if name.endswith(("_token", "_key", "_secret", "_password")):
            found.append(value)
        elif name.endswith("_url"):
            found.extend(url_passwords(value))
    return [s for s in found if len(s) >= MIN_SECRET]


def url_passwords(url: str) -> list[str]:
    """The passwords written in a URL (empty user names and unencoded special characters included)."""
    found = []
    for match in re.finditer(r"://[^\s:/@]*:([^\s/]*)@", url):
        if match.group(1):
            found.append(match.group(1))
    return found


def remember_settings(settings: Settings) -> None:
    """Mask every secret value these settings hold, on every surface that redacts."""
    add_secrets(secrets_of(settings))
