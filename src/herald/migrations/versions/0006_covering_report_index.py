"""the report index covers the page's columns

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ["message_id", "type", "occurred_s", "id"]
NEW = [*OLD, "contact_id", "contact_email"]


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_report")
        batch_op.create_index("ix_interactions_report", NEW, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_report")
        batch_op.create_index("ix_interactions_report", OLD, unique=False)
