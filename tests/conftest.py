"""Shared fixtures: one real embedded PostgreSQL + pgvector per test session, cleaned between tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ragbot.config import Settings
from ragbot.storage import db
from ragbot.storage.embedded import embedded_url
from tests.crawl.site import DocSite, handbook_site
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.support import embedded_data_dir, running_redis, scrub_environment

# Hermetic: whatever REDIS_URL, DATABASE_URL, vendor keys or RAGBOT_* the calling shell has set, tests see none of it
# (tests that want a setting pass it explicitly). `make test` also runs a subset with junk values to prove it.
SCRUBBED = scrub_environment()

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("spaces, index_meta, documents, document_blobs, chunks, embedding_cache, questions, feedback,"
          " processed_events, rate_limits, audit_log")


@pytest.fixture(scope="session")
def pg_data_dir() -> Iterator[Path]:
    """A data dir holding this session's embedded server (stopped and removed at the end)."""
    with embedded_data_dir() as data_dir:
        yield data_dir


@pytest.fixture(scope="session")
def pg_url(pg_data_dir: Path) -> str:
    """URL of the session's embedded PostgreSQL with pgvector."""
    return embedded_url(pg_data_dir)


@pytest.fixture(scope="session")
def engine(pg_url: str) -> Iterator[Engine]:
    """A migrated engine on the session's database."""
    eng = db.make_engine(pg_url)
    db.ensure_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def clean_db(engine: Engine) -> Engine:
    """The engine, with every Ragbot table emptied first."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        conn.execute(text("DROP INDEX IF EXISTS chunks_embedding_hnsw"))
        # Word rarity (the gate's IDF) comes from ANALYZE's statistics of chunks. An earlier test's statistics, or
        # autovacuum analysing mid-test, would make answers depend on test order; tests that need statistics
        # run ANALYZE on their own rows.
        conn.execute(text("DELETE FROM pg_statistic WHERE starelid = 'chunks'::regclass"))
        conn.execute(text("ALTER TABLE chunks SET (autovacuum_enabled = false)"))
    return engine


@pytest.fixture
def settings(pg_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test database, with no vendor keys."""
    return Settings(
        database_url=pg_url, data_dir=tmp_path, voyage_api_key=None, anthropic_api_key=None,
        redis_url=os.environ.get("RAGBOT_TEST_REDIS_URL"),
        # The default threshold is tuned for the local MiniLM model; FakeEmbedder's bag-of-words similarities
        # run lower, and tests that use the real model set their own.
        min_similarity=0.30,
    )


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int]:
    """A real Redis for the session: the machine's on 6379, or one started for the session."""
    with running_redis() as port:
        yield port


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    """A deterministic bag-of-words embedder that counts calls."""
    return FakeEmbedder()


@pytest.fixture
def svc(clean_db: Engine, settings: Settings, fake_embedder: FakeEmbedder):  # type: ignore[no-untyped-def]
    """Services on a clean database with fake embedder and chat model."""
    from ragbot.wiring import build

    services = build(settings, embedder=fake_embedder, chat=FakeChatModel())
    yield services
    services.engine.dispose()


@pytest.fixture
def site() -> Iterator[DocSite]:
    """A small documentation site (the handbook as HTML pages) served on 127.0.0.1 for crawl tests."""
    served = handbook_site(DocSite())
    yield served
    served.close()
