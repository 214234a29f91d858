"""drafts: diagrams and forms saved from the admin editors before they are deployed; and the foreign key
from political_groups.support_contact_id to users, which 0001 declared with use_alter and so never made on
PostgreSQL (SQLite has it inline)

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SUPPORT_CONTACT_FK = "fk_political_groups_support_contact_id_users"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        known = {fk["name"] for fk in sa.inspect(op.get_bind()).get_foreign_keys("political_groups")}
        if SUPPORT_CONTACT_FK not in known:
            op.create_foreign_key(SUPPORT_CONTACT_FK, "political_groups", "users", ["support_contact_id"], ["id"],
                                  ondelete="SET NULL")
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", engine.models.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_drafts_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_drafts_kind_name")),
    )


def downgrade() -> None:
    op.drop_table("drafts")
    # The foreign key stays: 0001 means it to exist.
