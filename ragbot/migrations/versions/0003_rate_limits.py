"""Rate-limit counters shared by every replica when there is no Redis.

One row per limited key (a user's questions, a workspace's questions, a user's uploads): when its current window
started (epoch seconds; a window starts at its first hit, as in Redis) and the hits in it. A new window overwrites
the row, so the table holds one row per key ever limited.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE rate_limits (key text PRIMARY KEY, window_start double precision NOT NULL, hits integer NOT NULL)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE rate_limits")
