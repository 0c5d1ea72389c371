"""One redaction for every surface: URL credentials in any spelling, configured secrets, echoed headers."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ragbot.config import Settings
from ragbot.observability.logging import configure_logging
from ragbot.observability.redaction import add_secrets, redact, secrets_of
from ragbot.storage import db
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:Sup3rSecretPw@cache:6379/0", "redis://:***@cache:6379/0"),
    ("redis://default:Sup3rSecretPw@cache:6379/0", "redis://default:***@cache:6379/0"),
    ("postgresql+psycopg://ragbot:p%40ss%3Aw0rd@db/ragbot", "postgresql+psycopg://ragbot:***@db/ragbot"),
    ("rediss://:p@ss:w0rd!@cache/1", "rediss://:***@cache/1"),  # unencoded "@" and ":" in the password
    ("sqla+postgresql://u:pw@127.0.0.1:5432/x", "sqla+postgresql://u:***@127.0.0.1:5432/x"),
])
def test_url_credentials_are_masked_with_or_without_a_user_name(url: str, shown: str) -> None:
    assert redact(f"broker {url} is down") == f"broker {shown} is down"
    assert db.redact(url) == shown  # the storage helper is the same redaction


def test_configured_secrets_are_masked_in_every_spelling() -> None:
    settings = Settings(redis_url="redis://:s3cr%40t%2Fpass@cache/0", voyage_api_key="plainvoyagekey123",
                        slack_signing_secret="signing-secret-value")
    found = secrets_of(settings)
    assert {"s3cr%40t%2Fpass", "plainvoyagekey123", "signing-secret-value"} <= set(found)
    add_secrets(found)
    for spelling in ("s3cr%40t%2Fpass", "s3cr@t/pass", "plainvoyagekey123", "signing-secret-value"):
        assert spelling not in redact(f"value {spelling} here"), spelling


def test_echoed_request_headers_are_masked() -> None:
    echoed = "You sent: Authorization: Bearer abc123def456ghi789\nx-api-key: k-123456789\nHost: api"
    out = redact(echoed)
    assert "abc123def456ghi789" not in out and "k-123456789" not in out and "Host: api" in out


def test_json_logs_carry_no_secret_even_in_tracebacks() -> None:
    stream = io.StringIO()
    configure_logging(True, "INFO", secrets=["traceback-secret-999"], stream=stream)
    try:
        raise RuntimeError("failed with redis://:traceback-secret-999@cache/0 and token=abcdef123456")
    except RuntimeError:
        logging.getLogger("ragbot.test").exception("boom")
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert "traceback-secret-999" not in stream.getvalue() and "abcdef123456" not in stream.getvalue()
    assert "RuntimeError" in line["exc"]


def test_ragbot_worker_never_prints_a_redis_password_with_an_empty_user_name(tmp_path: Path) -> None:
    password = "WorkerPw-" + "x9" * 8
    env = dict(os.environ, REDIS_URL=f"redis://:{password}@127.0.0.1:{free_port()}/0", RAGBOT_DATA_DIR=str(tmp_path),
               RAGBOT_METRICS_PORT="0")
    proc = subprocess.Popen([sys.executable, "-m", "ragbot.cli", "worker", "-c", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:  # the preflight line, then Celery's banner and its connection errors
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "Cannot connect" in line or "Error 111" in line or len(seen) > 60:
                break
    finally:
        proc.kill()
        proc.wait(10)
    out = "".join(seen)
    assert "broker: Redis redis://:***@127.0.0.1" in out, out
    assert password not in out
