"""register aliases and retention (offender aliases, case retention)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offender_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offender_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("handle", sa.String(length=200), nullable=True),
        sa.Column("platform", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["offender_id"], ["offenders.id"],
                                name=op.f("fk_offender_aliases_offender_id_offenders"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offender_aliases")),
    )
    op.create_index(op.f("ix_offender_aliases_offender_id"), "offender_aliases", ["offender_id"])
    op.create_index(op.f("ix_offender_aliases_name"), "offender_aliases", ["name"])
    op.create_index(op.f("ix_offender_aliases_handle"), "offender_aliases", ["handle"])
    op.create_table(
        "case_retention",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("done_at", engine.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_retention_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "kind", name=op.f("pk_case_retention")),
    )


def downgrade() -> None:
    op.drop_table("case_retention")
    op.drop_index(op.f("ix_offender_aliases_handle"), table_name="offender_aliases")
    op.drop_index(op.f("ix_offender_aliases_name"), table_name="offender_aliases")
    op.drop_index(op.f("ix_offender_aliases_offender_id"), table_name="offender_aliases")
    op.drop_table("offender_aliases")
