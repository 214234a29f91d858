"""directories: police forces and the council's resource links

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "police_forces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("officer_name", sa.String(length=200), nullable=False),
        sa.Column("officer_collar_number", sa.String(length=40), nullable=False),
        sa.Column("officer_contact", sa.String(length=300), nullable=False),
        sa.Column("adviser_name", sa.String(length=200), nullable=False),
        sa.Column("adviser_contact", sa.String(length=300), nullable=False),
        sa.Column("updated_at", engine.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_police_forces")),
        sa.UniqueConstraint("name", name=op.f("uq_police_forces_name")),
    )
    op.create_table(
        "resource_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", engine.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_links")),
    )


def downgrade() -> None:
    op.drop_table("resource_links")
    op.drop_table("police_forces")
