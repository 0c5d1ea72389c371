"""`ragbot ingest URL --crawl` and `ragbot sites` as a subprocess, crawling the loopback site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawl.site import DocSite

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(clean_db, pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC"))}
    env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path), RAGBOT_ALLOW_PRIVATE_URLS="true",
               RAGBOT_CRAWL_DELAY_MS="0")

    def _run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ragbot.cli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=300)

    return _run


def test_ingest_crawl_prints_one_status_line_and_sites_lists_resyncs_and_forgets(run, site: DocSite) -> None:
    url = f"{site.base}/docs/"
    first = run("ingest", url, "--crawl", "--max-pages", "6")
    assert first.returncode == 0, first.stderr
    # Six pages asked for: five HTML or PDF pages kept, and offices.csv fetched but skipped as neither.
    assert first.stdout.count("\n") == 1 and "5 fetched · 5 ready" in first.stdout
    assert "page budget of 6 (--max-pages)" in first.stdout

    listed = json.loads(run("sites", "--json").stdout)
    assert [(s["root_url"], s["state"], s["pages"].get("ready")) for s in listed] == [(url, "done", 5)]
    assert "private" not in str(site.hits)

    again = run("sites", "resync", url)
    assert again.returncode == 0 and "5 ready" in again.stdout, again.stderr

    gone = run("sites", "forget", str(listed[0]["id"]))
    assert gone.returncode == 0 and "its 5 pages" in gone.stdout
    assert json.loads(run("docs", "--json").stdout) == []


def test_bad_crawl_input_is_one_line_and_exit_2(run, site: DocSite) -> None:
    two = run("ingest", f"{site.base}/docs/", f"{site.base}/blog/", "--crawl")
    assert two.returncode == 2 and "one http(s) URL" in two.stderr
    alone = run("ingest", f"{site.base}/docs/", "--max-pages", "5")
    assert alone.returncode == 2 and "--max-pages goes with --crawl" in alone.stderr
    huge = run("ingest", f"{site.base}/docs/", "--crawl", "--max-pages", "100000")
    assert huge.returncode == 1 and "--max-pages must be between 1 and 10,000" in huge.stderr
    assert site.hits == []
