"""Who added a document's current version, from where and when, so replacing it can be checked and shown.

`uploader` (the platform user id) already existed; this adds the display name, the way in (cli, slash, dm, url,
resync) and the time. Existing rows get their origin from `source_kind` and their time from `updated_at`, and
keep a NULL uploader, which counts as admin-owned.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE documents ADD COLUMN uploader_name text,"
        " ADD COLUMN added_via text NOT NULL DEFAULT 'cli',"
        " ADD COLUMN added_at timestamptz NOT NULL DEFAULT now()"
    )
    op.execute(
        "UPDATE documents SET added_at = updated_at, added_via = CASE source_kind WHEN 'url' THEN 'url'"
        " WHEN 'upload' THEN 'slash' ELSE 'cli' END"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE documents DROP COLUMN uploader_name, DROP COLUMN added_via, DROP COLUMN added_at")
