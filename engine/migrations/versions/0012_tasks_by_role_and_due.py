"""tasks: an index of open tasks by role in due order, whoever holds them (the inbox's "all" tab)

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tasks_open_by_role_due", "tasks", ["status", "role", "due_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_open_by_role_due", table_name="tasks")
