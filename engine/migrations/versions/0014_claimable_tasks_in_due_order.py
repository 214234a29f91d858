"""tasks: an index of the claimable tasks (open, nobody holds them) by role in due order

PostgreSQL does not read `assignee_id IS NULL` as pinning that column, so the older index by status, role and
assignee could not give a role's claimable tasks in due order: it fetched and sorted all of them for a page.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMABLE = sa.text("status = 'open' AND assignee_id IS NULL")


def upgrade() -> None:
    op.create_index("ix_tasks_claimable", "tasks", ["role", "due_at", "created_at", "id"],
                    postgresql_where=CLAIMABLE, sqlite_where=CLAIMABLE)


def downgrade() -> None:
    op.drop_index("ix_tasks_claimable", table_name="tasks")
