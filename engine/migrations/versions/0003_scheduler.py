"""scheduler tables (incidents, outbox) and the columns retries and reminders need

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('sent_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', engine.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outbox_messages_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_incidents_case_id_cases')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_incidents_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_incidents_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_status'), ['status'], unique=False)

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wake_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', engine.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', engine.models.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_tasks_to_escalate', ['status', 'escalated_at', 'due_at'], unique=False)
        batch_op.create_index('ix_tasks_to_remind', ['status', 'reminded_at', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_to_remind')
        batch_op.drop_index('ix_tasks_to_escalate')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('reminded_at')

    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('wake_attempts')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_status'))
        batch_op.drop_index(batch_op.f('ix_incidents_instance_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_case_id'))

    op.drop_table('incidents')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_due')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_case_id'))

    op.drop_table('outbox_messages')
