"""Initial schema: spaces, documents, blobs, chunks, embedding cache, questions, feedback, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UP = """
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE spaces (
    id          text PRIMARY KEY,             -- 'local', 'slack:T123', 'discord:456'
    platform    text NOT NULL,
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Which embedding model and dimension the stored vectors come from (one row).
CREATE TABLE index_meta (
    id          int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    model       text NOT NULL,
    dim         int NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    id                bigserial PRIMARY KEY,
    space_id          text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    channel           text,                   -- NULL: visible in the whole space
    title             text NOT NULL,
    source_kind       text NOT NULL,          -- file | upload | url
    source_uri        text NOT NULL,
    filename          text,
    uploader          text,
    content_hash      text,
    status            text NOT NULL DEFAULT 'queued',
    error             text,
    progress          int NOT NULL DEFAULT 0,
    version           int NOT NULL DEFAULT 1,
    indexed_version   int,
    indexed_hash      text,
    chunk_count       int NOT NULL DEFAULT 0,
    chat_ref          jsonb,                  -- {platform, channel, message_id}: the status message to edit
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT documents_status_check CHECK (status IN ('queued', 'processing', 'ready', 'failed'))
);
CREATE UNIQUE INDEX documents_source_key ON documents (space_id, coalesce(channel, ''), source_uri);
CREATE INDEX documents_status ON documents (status, status_changed_at);

-- Original bytes of every file document, so that workers on any machine can (re)ingest it.
CREATE TABLE document_blobs (
    document_id   bigint PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    content_hash  text NOT NULL,
    data          bytea NOT NULL
);

CREATE TABLE chunks (
    id           bigserial PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    space_id     text NOT NULL,               -- copied from the document so filters sit beside the vector
    channel      text,
    ordinal      int NOT NULL,
    text         text NOT NULL,
    location     text NOT NULL DEFAULT '',
    tsv          tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    embedding    vector NOT NULL,
    CONSTRAINT chunks_document_ordinal UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
CREATE INDEX chunks_scope ON chunks (space_id, channel);

CREATE TABLE embedding_cache (
    model      text NOT NULL,
    text_hash  bytea NOT NULL,
    embedding  vector NOT NULL,
    PRIMARY KEY (model, text_hash)
);

CREATE TABLE questions (
    id          bigserial PRIMARY KEY,
    space_id    text NOT NULL,
    channel     text,
    platform    text NOT NULL,
    user_id     text,
    question    text NOT NULL,
    answer      text NOT NULL,
    citations   jsonb NOT NULL DEFAULT '[]',
    grounded    boolean NOT NULL,
    latency_ms  int,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX questions_space_time ON questions (space_id, created_at DESC);

CREATE TABLE feedback (
    id           bigserial PRIMARY KEY,
    question_id  bigint NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    platform     text NOT NULL,
    user_id      text NOT NULL,
    vote         smallint NOT NULL CHECK (vote IN (-1, 1)),
    comment      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT feedback_one_vote UNIQUE (question_id, user_id)
);

-- Chat events already handled, so that a platform's redelivery is not answered twice.
CREATE TABLE processed_events (
    event_id    text PRIMARY KEY,
    platform    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
"""

DOWN = """
DROP TABLE IF EXISTS processed_events;
DROP TABLE IF EXISTS feedback;
DROP TABLE IF EXISTS questions;
DROP TABLE IF EXISTS embedding_cache;
DROP TABLE IF EXISTS chunks;
DROP TABLE IF EXISTS document_blobs;
DROP TABLE IF EXISTS documents;
DROP TABLE IF EXISTS index_meta;
DROP TABLE IF EXISTS spaces;
"""


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
