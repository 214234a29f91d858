"""domain tables for processes (offender register)

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offenders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("handle", sa.String(length=200), nullable=True),
        sa.Column("platform", sa.String(length=100), nullable=True),
        sa.Column("first_seen_at", engine.models.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", engine.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offenders")),
    )
    op.create_index(op.f("ix_offenders_name"), "offenders", ["name"])
    op.create_index(op.f("ix_offenders_handle"), "offenders", ["handle"])
    op.create_table(
        "offender_cases",
        sa.Column("offender_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["offender_id"], ["offenders.id"], name=op.f("fk_offender_cases_offender_id_offenders"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_offender_cases_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("offender_id", "case_id", name=op.f("pk_offender_cases")),
    )


def downgrade() -> None:
    op.drop_table("offender_cases")
    op.drop_index(op.f("ix_offenders_handle"), table_name="offenders")
    op.drop_index(op.f("ix_offenders_name"), table_name="offenders")
    op.drop_table("offenders")
