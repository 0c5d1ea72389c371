"""Slack HTTP-mode load: N signed @mention events at a fixed rate against a model that takes 2 s.

Prints the acknowledgement latency (HTTP response to Slack) and the time until the placeholder is posted,
as p50/p99. Target: p99 ack < 1 s at 30 events/s. Everything runs on 127.0.0.1: the fake Slack Web API from
tests/fakes, the real Bolt app behind Ragbot's HTTP server, and an embedded PostgreSQL.

    .venv/bin/python benchmarks/slack_load.py --events 300 --rate 30
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_sdk.signature import SignatureVerifier  # noqa: E402

from ragbot.adapters.slack.app import build_app  # noqa: E402
from ragbot.adapters.slack.formatting import PLACEHOLDER  # noqa: E402
from ragbot.adapters.slack.http_server import SlackHttpServer  # noqa: E402
from ragbot.config import Settings  # noqa: E402
from ragbot.domain import Scope, ScoredChunk, Turn  # noqa: E402
from ragbot.ingestion import intake  # noqa: E402
from ragbot.ingestion.pipeline import ingest_document  # noqa: E402
from ragbot.wiring import Services, build  # noqa: E402
from tests.fakes.providers import FakeEmbedder  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402

SECRET = "bench-secret"
DOC = "# Leave\n\nEmployees get 25 vacation days per year. Vacation days carry over until March."


class SlowChat:
    """A ChatModel that thinks for a fixed time, then answers citing the first passage."""

    name = "slow-fake"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        """Sleep, then answer in one piece."""
        time.sleep(self.seconds)
        yield "Employees get 25 vacation days per year [1]."

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """No rewriting."""
        return question


class NoQueue:
    """Ingestion runs inline in this benchmark."""

    def enqueue(self, task_name: str, **kwargs: object) -> None:
        """Nothing to do."""
        return None


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


def send(port: int, body: str) -> tuple[int, float]:
    """POST one signed event; returns (status, seconds until the response)."""
    stamp = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/slack/events", body=body.encode(), headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig})
    status = conn.getresponse().status
    elapsed = time.monotonic() - started
    conn.close()
    return status, elapsed


@dataclass
class BenchBot:
    """A Slack bot over HTTP with one handbook page indexed, against the fake Slack API (shared by the benchmarks)."""

    fake: FakeSlack
    svc: Services
    data_dir: Path
    embedded: bool
    server: SlackHttpServer | None = None
    rt: Any = None
    port: int = 0

    @classmethod
    def start(cls, args: argparse.Namespace, *, prefix: str, queue: Any, **settings: Any) -> BenchBot:
        """Start the fake Slack and the database, index the page; serve() starts the bot once the set-up is done."""
        fake = FakeSlack().start()
        data_dir = Path(tempfile.mkdtemp(prefix=prefix))
        config = Settings(database_url=args.database_url, data_dir=data_dir, slack_bot_token=fake.token,
                          slack_signing_secret=SECRET, slack_base_url=fake.base_url, questions_per_minute=0,
                          workspace_questions_per_minute=0, voyage_api_key=None, anthropic_api_key=None, **settings)
        svc = build(config, embedder=FakeEmbedder(), chat=SlowChat(args.llm_seconds), queue=queue)
        acc = intake.add_file(svc.engine, scope=Scope(f"slack:{fake.team}"), data=DOC.encode(), filename="leave.md",
                              source_uri="leave.md", max_bytes=10**6)
        ingest_document(svc.ingest, acc.document_id)
        return cls(fake, svc, data_dir, args.database_url is None)

    def serve(self) -> None:
        """Build the Bolt app and serve it on a free port."""
        app, self.rt = build_app(self.svc)
        self.server = SlackHttpServer(app, host="127.0.0.1", port=0).start()
        self.port = self.server._server.server_address[1]

    def stop(self) -> None:
        """Stop everything started, the embedded database last."""
        if self.server is not None:
            self.server.stop()
            self.rt.close()
        self.fake.stop()
        self.svc.engine.dispose()
        if self.embedded:
            from ragbot.storage.embedded import stop_embedded

            stop_embedded(self.data_dir)


def main() -> None:
    """Run the load and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--rate", type=float, default=30.0, help="events per second")
    ap.add_argument("--llm-seconds", type=float, default=2.0)
    ap.add_argument("--database-url", default=None, help="default: an embedded PostgreSQL in a temp dir")
    args = ap.parse_args()

    bench = BenchBot.start(args, prefix="ragbot-slack-bench-", queue=NoQueue())
    bench.serve()
    fake, port, settings = bench.fake, bench.port, bench.svc.settings

    sent_at: dict[str, float] = {}
    acks: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def fire(i: int) -> None:
        ts = f"{1700000000 + i}.000100"
        event = {"type": "app_mention", "user": f"U{i:05d}", "text": f"<@{fake.bot_user}> How many vacation days?",
                 "ts": ts, "channel": "C1", "event_ts": ts}
        body = json.dumps({"token": "x", "team_id": fake.team, "api_app_id": "A1", "type": "event_callback",
                           "event_id": f"EvBench{i}", "event_time": int(time.time()), "event": event})
        with lock:
            sent_at[ts] = time.monotonic()
        status, elapsed = send(port, body)
        with lock:
            acks.append(elapsed)
            statuses.append(status)

    print(f"sending {args.events} signed mentions at {args.rate:g}/s; the model takes {args.llm_seconds:g} s",
          flush=True)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=128) as senders:
        for i in range(args.events):
            delay = start + i / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            senders.submit(fire, i)
    send_seconds = time.monotonic() - start

    def finished() -> int:
        return sum(1 for c in fake.api_calls("chat.update") if c.body.get("blocks"))

    deadline = time.monotonic() + 120
    while finished() < args.events and time.monotonic() < deadline:
        time.sleep(0.1)
    placeholders = {c.body["thread_ts"]: c.at for c in fake.api_calls("chat.postMessage")
                    if c.body.get("text") == PLACEHOLDER}
    to_placeholder = [placeholders[ts] - t for ts, t in sent_at.items() if ts in placeholders]
    thread_of = {m["ts"]: m.get("thread_ts") for m in fake.messages.get("C1", [])}
    done_at = {thread_of.get(c.body["ts"]): c.at for c in fake.api_calls("chat.update") if c.body.get("blocks")}
    to_answer = [done_at[ts] - t for ts, t in sent_at.items() if ts in done_at]
    total = time.monotonic() - start

    print(f"sent in {send_seconds:.1f} s ({args.events / send_seconds:.1f}/s); HTTP statuses: "
          f"{dict((s, statuses.count(s)) for s in set(statuses))}")
    print(f"ack            p50 {pct(acks, 50):7.1f} ms   p99 {pct(acks, 99):7.1f} ms   max {max(acks) * 1000:7.1f} ms")
    if to_placeholder:
        print(f"placeholder    p50 {pct(to_placeholder, 50):7.1f} ms   p99 {pct(to_placeholder, 99):7.1f} ms   "
              f"({len(to_placeholder)}/{args.events} posted)")
    if to_answer:
        print(f"full answer    p50 {pct(to_answer, 50):7.1f} ms   p99 {pct(to_answer, 99):7.1f} ms   "
              f"({len(to_answer)}/{args.events} answered within {total:.1f} s; answer pool "
              f"{settings.slack_answer_threads} threads)")
    print(f"mean ack {statistics.mean(acks) * 1000:.1f} ms")
    bench.stop()


if __name__ == "__main__":
    main()
