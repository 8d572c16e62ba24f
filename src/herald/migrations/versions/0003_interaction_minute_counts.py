"""interaction minute counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interaction_minute_counts",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("minute_s", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_interaction_minute_counts_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "type", "minute_s", name=op.f("pk_interaction_minute_counts")),
    )
    # Existing ledgers: minutes are sums of their per-second cells.
    op.execute(
        "INSERT INTO interaction_minute_counts (message_id, type, minute_s, n)"
        " SELECT message_id, type, second_s - ((second_s % 60) + 60) % 60, SUM(n)"
        " FROM interaction_fine_counts"
        " GROUP BY message_id, type, second_s - ((second_s % 60) + 60) % 60"
    )


def downgrade() -> None:
    op.drop_table("interaction_minute_counts")
