"""interaction day counts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interaction_day_counts",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("day_s", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_interaction_day_counts_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "type", "day_s", name=op.f("pk_interaction_day_counts")),
    )
    # Existing ledgers: days are sums of their 15-minute buckets.
    op.execute(
        "INSERT INTO interaction_day_counts (message_id, type, day_s, n)"
        " SELECT message_id, type, bucket_s - ((bucket_s % 86400) + 86400) % 86400, SUM(n) FROM interaction_counts"
        " GROUP BY message_id, type, bucket_s - ((bucket_s % 86400) + 86400) % 86400"
    )


def downgrade() -> None:
    op.drop_table("interaction_day_counts")
