"""Watched channels: files shared in them are ingested in the background.

One row per watched channel of a space; workspace_wide says whether its files answer the whole workspace or server
(offered for public channels only) or only that channel. Shared files are ordinary documents: the platform's file
id sits in their chat_ref, indexed so a file deleted in chat finds its document.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE watched_channels (
            space_id        text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
            channel         text NOT NULL,
            workspace_wide  boolean NOT NULL DEFAULT false,
            added_by        text,
            added_at        timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (space_id, channel)
        )
        """
    )
    op.execute(
        "CREATE INDEX documents_shared_file_idx ON documents (space_id, (chat_ref->>'file_id'))"
        " WHERE chat_ref ? 'file_id'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS documents_shared_file_idx")
    op.execute("DROP TABLE IF EXISTS watched_channels")
