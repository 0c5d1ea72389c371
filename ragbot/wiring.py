"""Composition root: the one place that picks implementations from Settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ragbot.admin import Admin
from ragbot.chat.ratelimit import RateLimiter
from ragbot.chat.service import ChatService, UploadRules
from ragbot.chat.status import StatusUpdater
from ragbot.chat.usecases import UseCases
from ragbot.config import Settings
from ragbot.crawl.sync import CrawlRules, Sites
from ragbot.ingestion.jobs import Jobs, Retention
from ragbot.ingestion.pipeline import IngestContext, IngestLimits, LoggingNotifier
from ragbot.ports import ChatModel, ChunkStore, Embedder, IngestQueue, Notifier, Reranker
from ragbot.rag import RagService
from ragbot.ratelimit import SharedLimits
from ragbot.storage import db
from ragbot.storage.catalog import PgSourceCatalog
from ragbot.storage.index_writer import PgDocumentIndex
from ragbot.storage.search import PgChunkStore
from ragbot.storage.vectors import ensure_index
from ragbot.watch import Watches

if TYPE_CHECKING:
    from ragbot.providers.openai_chat import OpenAIChatModel


def make_embedder(settings: Settings) -> Embedder:
    """Voyage when configured (or its key is set under 'auto'), else the local ONNX model."""
    choice = settings.embedder
    if choice == "voyage" or (choice == "auto" and settings.voyage_api_key):
        from ragbot.providers.voyage import VoyageEmbedder

        return VoyageEmbedder(
            api_key=settings.voyage_api_key or "", model=settings.voyage_model, base_url=settings.voyage_base_url
        )
    from ragbot.providers.local_embedder import LocalEmbedder

    return LocalEmbedder()


def chat_model_choice(settings: Settings) -> str:
    """The chat model in use: 'claude', 'openai' or 'extractive' ('auto' resolved by which settings are set)."""
    if settings.chat_model != "auto":
        return settings.chat_model
    if settings.anthropic_api_key:
        return "claude"
    return "openai" if settings.openai_base_url else "extractive"


def make_openai_chat(settings: Settings, *, timeout: float | None = None, max_retries: int = 2) -> OpenAIChatModel:
    """The OpenAI-compatible chat model from Settings (health probes pass a short timeout and no retries)."""
    from ragbot.providers.openai_chat import OpenAIChatModel

    return OpenAIChatModel(
        base_url=settings.openai_base_url, model=settings.openai_model, api_key=settings.openai_api_key,
        max_tokens=settings.openai_max_tokens, context_tokens=settings.openai_context_tokens,
        timeout=timeout or settings.openai_timeout_seconds,
        max_retries=max_retries,
    )


def make_chat_model(settings: Settings, embedder: Embedder | None = None) -> ChatModel:
    """Claude or an OpenAI-compatible server when configured (see chat_model_choice), else the extractive answerer."""
    choice = chat_model_choice(settings)
    if choice == "openai":
        return make_openai_chat(settings)
    if choice == "claude":
        from ragbot.providers.anthropic import ClaudeChatModel

        return ClaudeChatModel(
            api_key=settings.anthropic_api_key or "", model=settings.claude_model,
            base_url=settings.anthropic_base_url, max_tokens=settings.claude_max_tokens,
        )
    from ragbot.providers.extractive import ExtractiveAnswerer

    # The embedder lets it pick sentences by meaning, not only by shared words; it reads every passage it is given.
    return ExtractiveAnswerer(embedder=embedder, max_passages=settings.top_k + settings.page_extra)


def make_reranker(settings: Settings) -> Reranker | None:
    """Voyage rerank when configured (or its key is set under 'auto'), else none: fused order only."""
    choice = settings.reranker
    if choice == "voyage" or (choice == "auto" and settings.voyage_api_key):
        from ragbot.providers.voyage_rerank import VoyageReranker

        return VoyageReranker(
            api_key=settings.voyage_api_key or "", model=settings.rerank_model, base_url=settings.voyage_base_url
        )
    return None


def fetch_url_function(settings: Settings):  # type: ignore[no-untyped-def]
    """The URL fetcher the pipeline uses for URL sources."""
    from ragbot.ingestion.fetch import UrlFetcher

    return UrlFetcher(timeout=settings.fetch_timeout_seconds, allow_private=settings.allow_private_urls)


def ingest_limits(s: Settings) -> IngestLimits:
    """The plain values the ingestion pipeline runs by."""
    return IngestLimits(max_upload_bytes=s.max_upload_bytes, chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap,
                        chunk_limit=s.chunk_limit, embed_batch_size=s.embed_batch_size,
                        stale_after_failures=s.stale_after_failures, hide_stale=s.stale_policy == "hide")


def make_notifier(engine: Engine, updaters: Sequence[StatusUpdater] = (), *, hide_stale: bool = True) -> Notifier:
    """Edits chat status messages through the updaters the entry point handed in (none: progress is logged)."""
    from ragbot.chat.status import ChatStatusNotifier
    from ragbot.crawl.progress import SiteAwareNotifier, SiteStatus

    # Crawled pages have no message of their own: a page that finishes refreshes its site's one status message.
    return SiteAwareNotifier(ChatStatusNotifier(engine, list(updaters), hide_stale=hide_stale),
                             SiteStatus(engine, updaters))


@dataclass
class Services:
    """Everything an entry point needs, built from one Settings."""

    settings: Settings
    engine: Engine
    embedder: Embedder
    chat: ChatModel
    notifier: Notifier = field(default_factory=LoggingNotifier)
    reranker: Reranker | None = None
    queue_override: IngestQueue | None = None
    read_engine: Engine | None = None  # a read replica (DATABASE_READ_URL) for retrieval, when configured

    @cached_property
    def store(self) -> ChunkStore:
        """The chunk store, sized to the embedder's dimension; reads go to the replica when one is configured."""
        s = self.settings
        primary = PgChunkStore(self.engine, dim=self.embedder.dim, candidates=s.candidates, rrf_k=s.rrf_k,
                               ef_search=s.ef_search)
        if self.read_engine is None:
            return primary
        from ragbot.storage.replica import ReplicaChunkStore, ReplicaRouter

        replica = PgChunkStore(self.read_engine, dim=self.embedder.dim, candidates=s.candidates, rrf_k=s.rrf_k,
                               ef_search=s.ef_search)
        router = ReplicaRouter(self.engine, self.read_engine, wait_seconds=s.replica_wait_seconds)
        return ReplicaChunkStore(primary, replica, router)

    @cached_property
    def rag(self) -> RagService:
        """The question-answering service."""
        s = self.settings
        return RagService(store=self.store, embedder=self.embedder, chat=self.chat, top_k=s.top_k,
                          page_extra=s.page_extra, min_similarity=s.min_similarity, reranker=self.reranker,
                          rerank_candidates=s.rerank_candidates, sources=PgSourceCatalog(self.engine),
                          stale_days=s.stale_days)

    @cached_property
    def ingest(self) -> IngestContext:
        """What the ingestion pipeline needs."""
        return IngestContext(PgDocumentIndex(self.engine), self.embedder, ingest_limits(self.settings), self.notifier,
                             fetch_url=fetch_url_function(self.settings))

    @cached_property
    def admin(self) -> Admin:
        """Index administration (list, delete, reindex, stats) for the CLI, chat admins and jobs."""
        return Admin(engine=self.engine, queue=self.queue, ingest=self.ingest, embedder=self.embedder)

    @cached_property
    def jobs(self) -> Jobs:
        """The background jobs the Celery tasks run."""
        s = self.settings
        return Jobs(engine=self.engine, queue=self.queue, ingest=self.ingest, notifier=self.notifier,
                    admin=self.admin, retention=Retention(failed_days=s.failed_retention_days,
                                                          question_days=s.question_retention_days))

    @cached_property
    def watches(self) -> Watches:
        """Watched channels and the files shared in them."""
        return Watches(engine=self.engine, queue=self.queue, limits=self.limits, jobs=self.jobs,
                       max_upload_bytes=self.settings.max_upload_bytes)

    @cached_property
    def sites(self) -> Sites:
        """Crawled documentation sites."""
        s = self.settings
        return Sites(engine=self.engine, queue=self.queue, ingest=self.ingest, limits=self.limits,
                     notifier=self.notifier,
                     rules=CrawlRules(max_pages=s.crawl_max_pages, delay_ms=s.crawl_delay_ms,
                                      max_bytes=s.max_upload_bytes, fetch_timeout=s.fetch_timeout_seconds,
                                      allow_private_urls=s.allow_private_urls,
                                      stuck_after_seconds=s.stuck_after_seconds))

    def chat_service(self, platform: str, *, limiter: RateLimiter | None = None) -> ChatService:
        """Asking, voting and uploading for one chat platform (an explicit limiter stays in this process)."""
        s = self.settings
        return ChatService(rag=self.rag, engine=self.engine, queue=self.queue, limits=self.limits,
                           notifier=self.notifier, platform=platform, limiter=limiter,
                           rules=UploadRules(max_upload_bytes=s.max_upload_bytes,
                                             allow_private_urls=s.allow_private_urls,
                                             pickup_seconds=s.worker_pickup_seconds))

    def use_cases(self, platform: str, *, chat: ChatService | None = None) -> UseCases:
        """Everything a chat adapter offers, for one platform."""
        return UseCases(chat=chat or self.chat_service(platform), admin=self.admin, sites=self.sites,
                        watches=self.watches)

    @cached_property
    def limits(self) -> SharedLimits:
        """Rate limits shared by every replica (Redis when REDIS_URL is set, PostgreSQL otherwise)."""
        from ragbot.ratelimit import make_limits

        return make_limits(self.settings, self.engine)

    @cached_property
    def queue(self) -> IngestQueue:
        """The background queue (Celery by task name)."""
        if self.queue_override is not None:
            return self.queue_override
        from ragbot.providers.celery_queue import CeleryQueue

        return CeleryQueue.from_settings(self.settings, database_url=self.engine.url.render_as_string(False))


def build(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    chat: ChatModel | None = None,
    notifier: Notifier | None = None,
    queue: IngestQueue | None = None,
    reranker: Reranker | None = None,
    check_index: bool = True,
    status_updaters: Sequence[StatusUpdater] = (),
) -> Services:
    """Connect, migrate on first use, check the index's model, and assemble the services.

    status_updaters come from the entry point (`ragbot.adapters.status.status_updaters`), so that the composition
    root imports no adapter.
    """
    engine = db.make_engine(db.database_url(settings))
    db.ensure_schema(engine)
    emb = embedder or make_embedder(settings)
    if check_index:
        ensure_index(engine, model=emb.model_id, dim=emb.dim)
    return Services(settings=settings, engine=engine, embedder=emb, chat=chat or make_chat_model(settings, emb),
                    notifier=notifier or make_notifier(engine, status_updaters,
                                                      hide_stale=settings.stale_policy == "hide"), queue_override=queue,
                    reranker=reranker or make_reranker(settings), read_engine=db.read_engine(settings))
