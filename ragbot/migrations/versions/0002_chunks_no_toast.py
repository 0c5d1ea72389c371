"""Keep chunk rows inline: no TOAST compression attempts on write.

A chunk row (384-4096 float vector, ~400 characters of text and their tsvector) is just over the default 2 kB
TOAST threshold, so every insert tried to compress its widest values, which barely compress. A higher
toast_tuple_target keeps rows up to a full page inline and uncompressed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE chunks SET (toast_tuple_target = 8160)")
    op.execute("ALTER TABLE embedding_cache SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    op.execute("ALTER TABLE chunks RESET (toast_tuple_target)")
    op.execute("ALTER TABLE embedding_cache RESET (toast_tuple_target)")
