"""The CLI under faults: no bad item aborts a batch, errors are one redacted line, exit codes are 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
VOYAGE_KEY = "pa-Echoed0Key0That0Must0Never0Print0123456"
REDIS_PASSWORD = "s3cr@t:Pass/word"  # an "@", a ":" and a "/" as written in the URL, percent-encoded where needed
REDIS_PASSWORD_IN_URL = "s3cr%40t:Pass%2Fword"


@pytest.fixture
def run(clean_db, pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def _run(*args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC", "OPENAI", "REDIS_URL"))}
        env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path), **env_extra)
        return subprocess.run([sys.executable, "-m", "ragbot.cli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=300)

    return _run


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text("The office plants are watered on Tuesdays by the facilities team.")
    return path


def _docs(run) -> dict[str, dict]:  # type: ignore[no-untyped-def, type-arg]
    return {d["source"]: d for d in json.loads(run("docs", "--json").stdout)}


def test_a_closed_port_url_does_not_abort_the_batch(run, good: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{free_port()}/x"
    proc = run("ingest", url, str(good), RAGBOT_ALLOW_PRIVATE_URLS="true")
    assert proc.returncode == 1, proc.stderr
    assert "ready" in proc.stdout and "good.txt" in proc.stdout
    (failed,) = [line for line in proc.stderr.splitlines() if "failed" in line]
    assert url in failed and "could not connect" in failed
    assert "Traceback" not in proc.stderr
    docs = _docs(run)
    assert docs[str(good.resolve())]["status"] == "ready"
    # Nothing retries a foreground run: the URL is failed, with the reason and how to retry, never silently queued.
    assert docs[url]["status"] == "failed" and "could not connect" in docs[url]["error"]
    assert "ragbot retry" in docs[url]["error"]


def test_a_missing_file_is_one_failed_line_and_the_rest_is_ingested(run, good: Path, tmp_path: Path
                                                                     ) -> None:  # type: ignore[no-untyped-def]
    proc = run("ingest", str(tmp_path / "nope.md"), str(good))
    assert proc.returncode == 1
    assert "nope.md: no such file or directory" in proc.stderr
    assert "good.txt" in proc.stdout and "ready" in proc.stdout


def test_background_ingest_with_redis_down_never_prints_its_password_and_says_why_it_waits(
        run, good: Path) -> None:  # type: ignore[no-untyped-def]
    redis_url = f"redis://:{REDIS_PASSWORD_IN_URL}@127.0.0.1:{free_port()}/0"
    proc = run("ingest", "--background", str(good), REDIS_URL=redis_url, RAGBOT_LOG_FORMAT="json")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert REDIS_PASSWORD_IN_URL not in out and REDIS_PASSWORD not in out and "s3cr" not in out
    assert "queued" in proc.stdout
    # The CLI logs through the shared configuration: RAGBOT_LOG_FORMAT=json gives JSON lines, redacted.
    logged = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert any("unavailable" in entry["message"] and ":***@" in entry["message"] for entry in logged), proc.stderr
    doc = _docs(run)[str(good.resolve())]
    assert doc["status"] == "queued" and "queue was unreachable" in doc["error"]


class EchoingProvider:
    """A provider that answers 400 and echoes the request's headers back in the body, as some proxies do."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                echoed = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
                body = json.dumps({"detail": f"Bad request. You sent:\n{echoed}"}).encode()
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def echoing() -> Iterator[EchoingProvider]:
    provider = EchoingProvider()
    yield provider
    provider.server.shutdown()


def test_a_provider_echoing_request_headers_never_prints_the_key(run, good: Path, echoing: EchoingProvider
                                                                 ) -> None:  # type: ignore[no-untyped-def]
    for level in ("WARNING", "DEBUG"):  # DEBUG shows tracebacks: redacted ones
        proc = run("ingest", str(good), RAGBOT_EMBEDDER="voyage", VOYAGE_API_KEY=VOYAGE_KEY,
                   RAGBOT_VOYAGE_BASE_URL=echoing.url, RAGBOT_RERANKER="none", RAGBOT_LOG_LEVEL=level)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        assert VOYAGE_KEY not in out and "Echoed0Key" not in out
        assert "HTTP 400" in proc.stderr and "good.txt" in proc.stderr
        if level == "WARNING":
            assert "Traceback" not in out
    doc = _docs(run)[str(good.resolve())]
    assert doc["status"] == "failed" and "HTTP 400" in doc["error"] and VOYAGE_KEY not in doc["error"]


def test_exit_codes_usage_and_configuration_are_2(run) -> None:  # type: ignore[no-untyped-def]
    usage = run("ingest")
    assert usage.returncode == 2
    bad = run("docs", RAGBOT_TOP_K="many")
    assert bad.returncode == 2, bad.stderr
    assert "invalid setting RAGBOT_TOP_K='many': Input should be a valid integer" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    missing = run("forget", "no-such-document")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_an_answering_provider_echoing_the_key_never_prints_it(run, good: Path, echoing: EchoingProvider
                                                               ) -> None:  # type: ignore[no-untyped-def]
    key = "sk-ant-api03-Echoed0Claude0Key0" + "x" * 40
    assert run("ingest", str(good)).returncode == 0
    proc = run("ask", "When are the office plants watered?", RAGBOT_CHAT_MODEL="claude", ANTHROPIC_API_KEY=key,
               RAGBOT_ANTHROPIC_BASE_URL=echoing.url.removesuffix("/v1"), RAGBOT_LOG_LEVEL="DEBUG")
    out = proc.stdout + proc.stderr
    assert proc.returncode in (1, 2), out
    assert key not in out and "Echoed0Claude0Key0" not in out
    assert "HTTP 400" in out
