"""forms: plain JSON on PostgreSQL, which keeps a form's questions in the order its author wrote them
(JSONB sorts an object's keys); SQLite already stores the text as written

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FORM_COLUMNS = (("process_model_versions", "forms"), ("spec_bundles", "forms"), ("unused_forms", "schema"),
                ("unused_forms", "ui_schema"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Forms stored before this keep the order JSONB gave them until they are next published.
    for table, column in FORM_COLUMNS:
        op.alter_column(table, column, type_=sa.JSON(), existing_type=postgresql.JSONB(astext_type=sa.Text()),
                        postgresql_using=f"{column}::json")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in FORM_COLUMNS:
        op.alter_column(table, column, type_=postgresql.JSONB(astext_type=sa.Text()), existing_type=sa.JSON(),
                        postgresql_using=f"{column}::jsonb")
