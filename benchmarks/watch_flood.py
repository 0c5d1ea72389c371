"""A watched Slack channel flooded with files while people keep asking questions.

Sends N signed `file_share` events (one small Markdown file each) at a fixed rate into a watched channel, and one
@mention question a second during the flood. Prints the acknowledgement latency of the file events, how long until
every file is stored (downloaded, kept as a document, queued or throttled), how many went to the queue and how many
wait over the hourly upload limit, and the question latency (placeholder, full answer) during the flood. Everything
runs on 127.0.0.1: the fake Slack Web API from tests/fakes, the real Bolt app behind Ragbot's HTTP server, and an
embedded PostgreSQL; the queue only records (no workers), so this measures the chat side alone.

    .venv/bin/python benchmarks/watch_flood.py --files 500 --rate 50
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from benchmarks.slack_load import BenchBot, pct, send  # noqa: E402
from ragbot.adapters.slack.formatting import PLACEHOLDER  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402

DOC = "# Leave\n\nEmployees get 25 vacation days per year. Vacation days carry over until March."


class RecordingQueue:
    """Counts the ingest tasks the adapter sends (no worker runs them)."""

    def __init__(self) -> None:
        self.sent = 0
        self._lock = threading.Lock()

    def enqueue(self, task_name: str, **kwargs: object) -> None:
        """Count one task."""
        with self._lock:
            self.sent += 1


def envelope(fake: FakeSlack, event_id: str, event: dict[str, object]) -> str:
    return json.dumps({"token": "x", "team_id": fake.team, "api_app_id": "A1", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "event": event})


def main() -> None:
    """Run the flood and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--rate", type=float, default=50.0, help="file_share events per second")
    ap.add_argument("--uploads-per-hour", type=int, default=30, help="RAGBOT_UPLOADS_PER_HOUR (one sharer)")
    ap.add_argument("--llm-seconds", type=float, default=0.5)
    ap.add_argument("--database-url", default=None, help="default: an embedded PostgreSQL in a temp dir")
    args = ap.parse_args()

    queue = RecordingQueue()
    bench = BenchBot.start(args, prefix="ragbot-watch-bench-", queue=queue, uploads_per_hour=args.uploads_per_hour)
    fake, svc = bench.fake, bench.svc
    space = f"slack:{fake.team}"
    svc.watches.watch(space=space, channel="C1", workspace_wide=False, by="bench")
    bench.serve()
    port = bench.port
    for i in range(args.files):
        fake.add_file(f"F{i:05d}", f"note-{i}.md", f"# Note {i}\n\nRoom {i} is on floor {i % 9}.".encode())

    acks: list[float] = []
    asked: dict[str, float] = {}
    lock = threading.Lock()

    def share(i: int) -> None:
        ts = f"{1700000000 + i}.000200"
        event = {"type": "message", "subtype": "file_share", "channel_type": "channel", "channel": "C1",
                 "user": "USHARER", "text": "", "ts": ts, "event_ts": ts,
                 "files": [{"id": f"F{i:05d}", "name": f"note-{i}.md"}]}
        _, elapsed = send(port, envelope(fake, f"EvFile{i}", event))
        with lock:
            acks.append(elapsed)

    def ask(i: int) -> None:
        ts = f"{1800000000 + i}.000300"
        event = {"type": "app_mention", "user": f"UASK{i}", "text": f"<@{fake.bot_user}> How many vacation days?",
                 "ts": ts, "channel": "C2", "event_ts": ts}
        with lock:
            asked[ts] = time.monotonic()
        send(port, envelope(fake, f"EvAsk{i}", event))

    print(f"sharing {args.files} files at {args.rate:g}/s in a watched channel, one question a second; "
          f"uploads per hour {args.uploads_per_hour}", flush=True)
    start = time.monotonic()
    questions = 0
    with ThreadPoolExecutor(max_workers=64) as senders:
        for i in range(args.files):
            delay = start + i / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            senders.submit(share, i)
            if i % max(1, round(args.rate)) == 0:
                senders.submit(ask, questions)
                questions += 1
    sent = time.monotonic() - start

    def stored() -> int:
        with svc.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM documents WHERE added_via = 'watch'")).scalar_one())

    deadline = time.monotonic() + 600
    while stored() < args.files and time.monotonic() < deadline:
        time.sleep(0.2)
    all_stored = time.monotonic() - start
    while sum(1 for c in fake.api_calls("chat.update") if c.body.get("blocks")) < questions and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    placeholders = {c.body["thread_ts"]: c.at for c in fake.api_calls("chat.postMessage")
                    if c.body.get("text") == PLACEHOLDER}
    thread_of = {m["ts"]: m.get("thread_ts") for m in fake.messages.get("C2", [])}
    done_at = {thread_of.get(c.body["ts"]): c.at for c in fake.api_calls("chat.update") if c.body.get("blocks")}
    to_placeholder = [placeholders[ts] - t for ts, t in asked.items() if ts in placeholders]
    to_answer = [done_at[ts] - t for ts, t in asked.items() if ts in done_at]
    with svc.engine.connect() as conn:
        throttled = conn.execute(text("SELECT count(*) FROM documents WHERE error LIKE '%upload limit%'")).scalar()

    print(f"sent in {sent:.1f} s; file events acked p50 {pct(acks, 50):.1f} ms, p99 {pct(acks, 99):.1f} ms, "
          f"max {max(acks) * 1000:.1f} ms")
    print(f"all {stored()}/{args.files} files stored {all_stored:.1f} s after the first was shared "
          f"({stored() / all_stored:.1f} files/s); {queue.sent} sent to the workers, {throttled} kept queued over "
          "the upload limit")
    if to_answer:
        print(f"questions during the flood: placeholder p50 {pct(to_placeholder, 50):.0f} ms, p99 "
              f"{pct(to_placeholder, 99):.0f} ms; full answer p50 {pct(to_answer, 50):.0f} ms, p99 "
              f"{pct(to_answer, 99):.0f} ms ({len(to_answer)}/{questions}; the model takes {args.llm_seconds:g} s)")
    bench.stop()


if __name__ == "__main__":
    main()
