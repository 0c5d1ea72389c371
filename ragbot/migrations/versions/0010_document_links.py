"""Document links: where a cited upload opens (a Slack file's permalink, the Discord message that carried it).

An uploaded file's source stays its name, so that uploading it again replaces it; the link changes with each upload.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE documents ADD COLUMN link text")


def downgrade() -> None:
    op.execute("ALTER TABLE documents DROP COLUMN link")
