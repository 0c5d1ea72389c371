"""SQLAlchemy 2 models mirroring the tables the migrations create."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, ForeignKey, LargeBinary, SmallInteger, Text, func
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base for Ragbot's tables."""


class SpaceRow(Base):
    """A Slack workspace, a Discord guild, or a local space."""

    __tablename__ = "spaces"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    platform: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IndexMetaRow(Base):
    """The embedding model and dimension the index holds."""

    __tablename__ = "index_meta"
    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    model: Mapped[str] = mapped_column(Text)
    dim: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DocumentRow(Base):
    """A document and its ingestion state."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(Text)
    source_uri: Mapped[str] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(Text)
    uploader: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    indexed_version: Mapped[int | None]
    indexed_hash: Mapped[str | None] = mapped_column(Text)
    chunk_count: Mapped[int] = mapped_column(default=0)
    chat_ref: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    status_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DocumentBlobRow(Base):
    """The original bytes of a file document."""

    __tablename__ = "document_blobs"
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ChunkRow(Base):
    """A retrievable piece of a document with its embedding."""

    __tablename__ = "chunks"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    space_id: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    ordinal: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text, default="")
    tsv: Mapped[Any] = mapped_column(TSVECTOR, server_default=None, insert_default=None)
    embedding: Mapped[Any] = mapped_column(Vector())


class EmbeddingCacheRow(Base):
    """A cached embedding keyed by (model, text hash)."""

    __tablename__ = "embedding_cache"
    model: Mapped[str] = mapped_column(Text, primary_key=True)
    text_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    embedding: Mapped[Any] = mapped_column(Vector())


class QuestionRow(Base):
    """A question asked in chat and the answer given."""

    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    space_id: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(Text)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    grounded: Mapped[bool]
    latency_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FeedbackRow(Base):
    """A user's vote on an answer."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    vote: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProcessedEventRow(Base):
    """A chat event id already handled (deduplication of redeliveries)."""

    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(Text, primary_key=True)
    platform: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
