"""Structured logs carry event and document ids, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from ragbot.config import Settings
from ragbot.observability.logging import configure_from_settings, configure_logging, log_context, redact, secrets_of

SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_APP = "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef"
DISCORD = "MTA5ODc2NTQzMjEwOTg3NjU0.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
ANTHROPIC = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.fixture
def root_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def capture(json_format: bool, **settings: object) -> tuple[io.StringIO, logging.Logger]:
    stream = io.StringIO()
    if settings:
        configure_from_settings(Settings(**settings), stream=stream)  # type: ignore[arg-type]
    else:
        configure_logging(json_format, "DEBUG", stream=stream)
    # A name of our own, reset here: other tests may tune or disable the loggers they use.
    log = logging.getLogger("deploy_test")
    log.setLevel(logging.NOTSET)
    log.disabled, log.propagate = False, True
    return stream, log


@pytest.mark.parametrize("secret", [SLACK_BOT, SLACK_APP, DISCORD, ANTHROPIC, "pa-abcdefghijklmnopqrstuvwxyz0123"])
def test_token_shapes_are_redacted(secret: str) -> None:
    assert secret not in redact(f"calling with {secret} now")


@pytest.mark.parametrize(("text", "hidden"), [
    ("postgresql://ragbot:pa55word@db:5432/ragbot", "pa55word"),
    ("redis://:r3dis-pw@cache:6379/0", "r3dis-pw"),
    ("Authorization: Bearer abc123def456ghi789jkl", "abc123def456ghi789jkl"),
    ('{"token": "plain-secret-value"}', "plain-secret-value"),
    ("api_key=xyz987654321", "xyz987654321"),
    ("SOME_SERVICE_TOKEN=opaque-value-1", "opaque-value-1"),
    ('{"slack_signing_secret": "abc123def"}', "abc123def"),
])
def test_urls_headers_and_assignments_are_redacted(text: str, hidden: str) -> None:
    assert hidden not in redact(text)


def test_ordinary_text_survives_redaction() -> None:
    text = ("the bot configuration needs a basic understanding of postgresql://db:5432/ragbot and document 12; "
            "max_tokens=1024, tokens: 5, DISCORD_TOKEN is not set")
    assert redact(text) == text


def test_json_lines_carry_context_extras_and_no_secrets(root_restored: None) -> None:
    stream, log = capture(True)
    with log_context(event_id="Ev123", interaction_id="I-9"):
        log.info("answered with %s", SLACK_BOT, extra={"document_id": 42, "platform": "slack"})
    try:
        raise RuntimeError(f"provider said {ANTHROPIC}")
    except RuntimeError:
        log.exception("failed for %s", "postgresql://u:topsecret@h/db")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"].startswith("answered with xox") and first["level"] == "INFO"
    assert (first["event_id"], first["interaction_id"], first["document_id"]) == ("Ev123", "I-9", 42)
    assert first["logger"] == "deploy_test" and first["ts"].endswith("+00:00")
    assert "event_id" not in second and "RuntimeError" in second["exc"]
    output = stream.getvalue()
    assert SLACK_BOT not in output and ANTHROPIC not in output and "topsecret" not in output


def test_configured_secret_values_are_redacted_even_without_a_known_shape(root_restored: None) -> None:
    settings = Settings(slack_signing_secret="8f14e45fceea167a5a36dedd4bea2543", log_format="json",
                        database_url="postgresql://ragbot:Tr0ub4dor@db/ragbot")
    assert set(secrets_of(settings)) >= {"8f14e45fceea167a5a36dedd4bea2543", "Tr0ub4dor"}
    stream = io.StringIO()
    configure_from_settings(settings, stream=stream)
    logging.getLogger("deploy_test").warning("signature check with 8f14e45fceea167a5a36dedd4bea2543 failed")
    assert "8f14e45fceea" not in stream.getvalue() and json.loads(stream.getvalue())["level"] == "WARNING"


def test_text_format_appends_context_and_respects_the_level(root_restored: None) -> None:
    stream, log = capture(False, log_format="text", log_level="warning")
    with log_context(document_id=7):
        log.info("hidden below the level")
        log.warning("document failed: token=%s", "abcdef123456")
    out = stream.getvalue()
    assert "hidden" not in out and "WARNING deploy_test: document failed: token=*** document_id=7" in out


def test_pipeline_logs_carry_the_document_id(svc, root_restored: None) -> None:  # type: ignore[no-untyped-def]
    from ragbot.domain import Scope
    from ragbot.ingestion import intake
    from ragbot.ingestion.pipeline import ingest_document

    stream, _ = capture(True)
    accepted = intake.add_file(svc.engine, scope=Scope("local"), data=b"Some text to index.", filename="a.txt",
                               source_uri="/a.txt", max_bytes=10**6)
    ingest_document(svc.ingest, accepted.document_id)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    progress = [r for r in records if r["logger"] in {"ragbot.ingestion.pipeline", "ragbot.chat.status"}]
    assert progress and all(r["document_id"] == accepted.document_id for r in progress)
