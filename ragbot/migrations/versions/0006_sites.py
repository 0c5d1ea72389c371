"""Crawled sites: one `sites` row per documentation site, and each crawled page's document points to it.

A site keeps what its crawl needs to run again (root URL, path prefix, page budget, who added it) and how the
last crawl went (state, counters, the reason it stopped), plus the chat message that shows its progress. Pages
stay ordinary URL documents; `documents.site_id` groups them so a site can be listed, re-synced or forgotten
whole. ON DELETE SET NULL: forgetting a site deletes its pages one by one under their locks, never by cascade.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE sites (
            id               bigserial PRIMARY KEY,
            space_id         text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
            channel          text,
            root_url         text NOT NULL,
            prefix           text NOT NULL,
            max_pages        int NOT NULL,
            uploader         text,
            uploader_name    text,
            added_via        text NOT NULL DEFAULT 'cli',
            added_at         timestamptz NOT NULL DEFAULT now(),
            chat_ref         jsonb,
            state            text NOT NULL DEFAULT 'queued',
            counts           jsonb NOT NULL DEFAULT '{}'::jsonb,
            note             text,
            crawled_at       timestamptz,
            state_changed_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE UNIQUE INDEX sites_root_key ON sites (space_id, coalesce(channel, ''), root_url)")
    op.execute("ALTER TABLE documents ADD COLUMN site_id bigint REFERENCES sites(id) ON DELETE SET NULL")
    op.execute("CREATE INDEX documents_site ON documents (site_id) WHERE site_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX documents_site")
    op.execute("ALTER TABLE documents DROP COLUMN site_id")
    op.execute("DROP TABLE sites")
