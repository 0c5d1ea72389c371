"""/metrics exposes the named series once questions are answered and documents ingested; /healthz answers."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from prometheus_client import REGISTRY

from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.observability import metrics, state

HANDBOOK = ("# Office\n\nThe office opens at nine in the morning and closes at six in the evening.\n\n"
            "Parking for bicycles is in the basement of the office building.")


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


@pytest.fixture
def server() -> Iterator[str]:
    srv = metrics.start_metrics_server("127.0.0.1", 0)
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_metrics_after_a_question_is_answered(svc, server: str) -> None:  # type: ignore[no-untyped-def]
    accepted = intake.add_file(svc.engine, scope=Scope("local"), data=HANDBOOK.encode(), filename="office.md",
                               source_uri="/docs/office.md", max_bytes=10**6)
    ready_before = value("ragbot_ingest_documents_total", state="ready")
    assert ingest_document(svc.ingest, accepted.document_id).status == "ready"
    chat = svc.chat_service("slack")
    before = {g: value("ragbot_answers_total", platform="slack", grounded=g) for g in ("true", "false")}
    asked = value("ragbot_questions_total", platform="slack", outcome="answered")
    latency_count = value("ragbot_answer_latency_seconds_count", platform="slack")

    grounded = chat.ask("When does the office open in the morning?", scope=Scope("local"), user="U1")
    ungrounded = chat.ask("zebra quantum xylophone", scope=Scope("local"), user="U1")

    assert grounded.answer.grounded and not ungrounded.answer.grounded
    assert value("ragbot_questions_total", platform="slack", outcome="answered") == asked + 2
    assert value("ragbot_answer_latency_seconds_count", platform="slack") == latency_count + 2
    assert value("ragbot_answers_total", platform="slack", grounded="true") == before["true"] + 1
    assert value("ragbot_answers_total", platform="slack", grounded="false") == before["false"] + 1
    assert value("ragbot_ingest_documents_total", state="ready") == ready_before + 1

    status, ctype, body = get(server + "/metrics")
    assert status == 200 and ctype.startswith("text/plain")
    for series in ('ragbot_questions_total{outcome="answered",platform="slack"}',
                   'ragbot_answer_latency_seconds_bucket{le="0.25",platform="slack"}',
                   'ragbot_answers_total{grounded="true",platform="slack"}',
                   'ragbot_answers_total{grounded="false",platform="slack"}',
                   'ragbot_ingest_duration_seconds_count{state="ready"}',
                   'ragbot_ingest_documents_total{state="ready"}',
                   "# TYPE ragbot_provider_errors_total counter",
                   "# TYPE ragbot_provider_retries_total counter"):
        assert series in body, series


def test_rate_limited_and_failed_questions_are_counted(svc) -> None:  # type: ignore[no-untyped-def]
    from ragbot.errors import TransientError

    chat = svc.chat_service("discord")
    limited = value("ragbot_questions_total", platform="discord", outcome="rate_limited")
    for _ in range(svc.settings.questions_per_minute + 1):
        chat.ask("anything", scope=Scope("local"), user="flooder")
    assert value("ragbot_questions_total", platform="discord", outcome="rate_limited") == limited + 1

    def down(*_a: object, **_k: object) -> None:
        raise TransientError("Voyage returned 503 for key pa-abcdefghijklmnopqrstuvwxyz012345")

    svc.rag.answer = down  # type: ignore[method-assign]
    errors = value("ragbot_provider_errors_total", operation="answer", kind="transient")
    out = chat.ask("anything", scope=Scope("local"), user="someone")
    assert out.refused and value("ragbot_provider_errors_total", operation="answer", kind="transient") == errors + 1
    assert "pa-abcdefghij" not in out.answer.text  # secrets never reach chat


def test_documents_by_state_and_queue_depth_are_read_at_scrape(svc, redis_url: str, server: str) -> None:  # type: ignore[no-untyped-def]
    intake.add_file(svc.engine, scope=Scope("local"), data=b"queued text", filename="q.txt", source_uri="/q.txt",
                    max_bytes=10**6)
    queue = f"ragbot-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url)
    client.rpush(queue, "a", "b")
    client.rpush(f"{queue}\x06\x163", "c")  # a priority sibling list counts too
    collector = state.watch_state(svc.engine, redis_url, queue=queue)
    fallback = state.StateCollector(svc.engine, None, queue=queue)  # the Postgres broker: no tables, no tasks
    try:
        body = get(server + "/metrics")[2]
        assert 'ragbot_documents{state="queued"} 1.0' in body and 'ragbot_documents{state="failed"} 0.0' in body
        assert f'ragbot_queue_depth{{queue="{queue}"}} 3.0' in body
        assert [s.value for m in fallback.collect() if m.name == "ragbot_queue_depth" for s in m.samples] == [0]
    finally:
        state.unwatch_state(collector)
        client.delete(queue, f"{queue}\x06\x163")


def test_a_source_that_is_down_does_not_break_the_scrape(svc, server: str) -> None:  # type: ignore[no-untyped-def]
    collector = state.watch_state(svc.engine, "redis://127.0.0.1:1/0")
    try:
        status, _, body = get(server + "/metrics")
        assert status == 200 and "ragbot_documents{" in body and "ragbot_queue_depth{" not in body
    finally:
        state.unwatch_state(collector)


def test_healthz_reports_the_health_callback() -> None:
    state = {"ok": True}
    srv = metrics.start_metrics_server("127.0.0.1", 0, health=lambda: state["ok"])
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        assert get(url + "/healthz")[0] == 200
        state["ok"] = False
        assert get(url + "/healthz")[0] == 503
        assert get(url + "/nothing")[0] == 404
    finally:
        srv.shutdown()
        srv.server_close()
    srv = metrics.start_metrics_server("127.0.0.1", 0, health=lambda: (False, "gateway disconnected"))
    try:
        assert get(f"http://127.0.0.1:{srv.server_address[1]}/healthz")[1:] == ("text/plain; charset=utf-8",
                                                                                "gateway disconnected\n")
    finally:
        srv.shutdown()
        srv.server_close()


def test_wsgi_app_serves_metrics_and_health() -> None:
    app = metrics.metrics_wsgi_app(health=lambda: False)
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append(status)

    assert b"ragbot_questions_total" in b"".join(app({"PATH_INFO": "/metrics"}, start_response))
    assert b"unhealthy" in b"".join(app({"PATH_INFO": "/healthz"}, start_response))
    assert seen == ["200 OK", "503 Service Unavailable"]


def test_prefork_children_are_summed_in_multiprocess_mode(tmp_path: Path) -> None:
    # What a Celery prefork worker does: children count, the parent serves the merge.
    code = (
        "import multiprocessing as mp\n"
        "from ragbot.observability import metrics\n"
        "def child():\n"
        "    metrics.document_ingested('ready', 0.5)\n"
        "ps = [mp.get_context('fork').Process(target=child) for _ in range(3)]\n"
        "[p.start() for p in ps]; [p.join() for p in ps]\n"
        "print(metrics.render_metrics()[0].decode())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert 'ragbot_ingest_documents_total{state="ready"} 3.0' in out.stdout


def test_votes_are_counted_by_platform_and_value_once_per_click(svc) -> None:  # type: ignore[no-untyped-def]
    chat = svc.chat_service("discord")
    intake.add_file(svc.engine, scope=Scope("local"), data=HANDBOOK.encode(), filename="office.md",
                    source_uri="/docs/office.md", max_bytes=10**6)
    qid = chat.ask("When does the office open?", scope=Scope("local"), user="U1").question_id
    assert qid is not None
    up, down = value("ragbot_votes_total", platform="discord", value="up"), \
        value("ragbot_votes_total", platform="discord", value="down")
    chat.vote(question_id=qid, user="U1", vote=1)
    chat.vote(question_id=qid, user="U2", vote=-1)
    chat.vote(question_id=qid, user="U2", vote=-1, comment="Wrong hours.")  # the form after the click
    assert value("ragbot_votes_total", platform="discord", value="up") == up + 1
    assert value("ragbot_votes_total", platform="discord", value="down") == down + 1
