"""Stale sources: a flag beside a document's status, and a copy of it on its chunks so search can skip them.

A URL source that answers 404/410 on re-sync, or fails re-sync RAGBOT_STALE_AFTER_FAILURES times in a row, is
stale until a re-sync succeeds. The chunk copy keeps the filter inside the hybrid SQL's own WHERE clause (no
join with documents on the hot path). Constant defaults make both ADD COLUMNs metadata-only on PostgreSQL 11+.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE documents ADD COLUMN stale boolean NOT NULL DEFAULT false,"
        " ADD COLUMN sync_failures int NOT NULL DEFAULT 0"
    )
    op.execute("ALTER TABLE chunks ADD COLUMN stale boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE chunks DROP COLUMN stale")
    op.execute("ALTER TABLE documents DROP COLUMN stale, DROP COLUMN sync_failures")
