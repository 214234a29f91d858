"""unused_forms: task forms published from the form editor that no deployed diagram names yet

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "unused_forms",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("schema", JSON_DOCUMENT, nullable=False),
        sa.Column("ui_schema", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", engine.models.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_unused_forms_updated_by_id_users")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_unused_forms")),
    )


def downgrade() -> None:
    op.drop_table("unused_forms")
