"""Read-your-writes for read replicas: spaces.write_seq counts the changes that alter what a space's search returns.

A trigger bumps it in the same transaction as the change (a document's indexed version, readiness or stale flag
moving, or its deletion), so a replica whose copy of the counter has caught up with the primary's has that change
committed too (ragbot/storage/replica.py). The trigger fires at the end of an ingestion's swap (mark_ready is its
last statement), so the spaces row is locked only for the commit. The constant default makes ADD COLUMN
metadata-only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UP = """
ALTER TABLE spaces ADD COLUMN write_seq bigint NOT NULL DEFAULT 0;

CREATE FUNCTION ragbot_space_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE spaces SET write_seq = write_seq + 1
    WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.space_id ELSE NEW.space_id END);
    RETURN NULL;
END $$;

CREATE TRIGGER documents_space_written AFTER UPDATE ON documents FOR EACH ROW
WHEN (OLD.indexed_version IS DISTINCT FROM NEW.indexed_version OR OLD.stale IS DISTINCT FROM NEW.stale
      OR (NEW.status = 'ready' AND OLD.status IS DISTINCT FROM NEW.status))
EXECUTE FUNCTION ragbot_space_written();

CREATE TRIGGER documents_space_deleted AFTER DELETE ON documents FOR EACH ROW
EXECUTE FUNCTION ragbot_space_written();
"""

DOWN = """
DROP TRIGGER IF EXISTS documents_space_deleted ON documents;
DROP TRIGGER IF EXISTS documents_space_written ON documents;
DROP FUNCTION IF EXISTS ragbot_space_written();
ALTER TABLE spaces DROP COLUMN IF EXISTS write_seq;
"""


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
