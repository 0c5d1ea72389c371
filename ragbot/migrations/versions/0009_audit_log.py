"""Audit trail: who added, replaced, deleted, reindexed or gave away a document, and when.

No foreign keys on purpose: the trail must outlive the document (and the space) it speaks of.
content_changed_at is when a document's content last changed (a re-sync or reindex that finds the same content
does not count), so answers can say that a source is old; dated_hash is the content it dates. Existing rows start
from their last update.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE audit_log (
            id           bigserial PRIMARY KEY,
            space_id     text NOT NULL,
            at           timestamptz NOT NULL DEFAULT now(),
            actor        text,
            actor_name   text,
            action       text NOT NULL,
            document_id  bigint,
            subject      text NOT NULL,
            detail       text
        )
        """
    )
    op.execute("CREATE INDEX audit_log_space_at ON audit_log (space_id, at DESC)")
    op.execute("ALTER TABLE documents ADD COLUMN content_changed_at timestamptz, ADD COLUMN dated_hash text")
    op.execute("UPDATE documents SET content_changed_at = updated_at, dated_hash = indexed_hash"
               " WHERE indexed_hash IS NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE documents DROP COLUMN content_changed_at, DROP COLUMN dated_hash")
    op.execute("DROP TABLE audit_log")
