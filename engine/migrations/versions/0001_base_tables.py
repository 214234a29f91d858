"""base tables

Revision ID: 0001
Revises:
Create Date: 2026-11-25 08:38:24.459227
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.models

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('case_sequences',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_case_sequences'))
    )
    op.create_table('political_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('support_contact_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['support_contact_id'], ['users.id'], name=op.f('fk_political_groups_support_contact_id_users'), ondelete='SET NULL', use_alter=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_political_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_political_groups_name'))
    )
    op.create_table('spec_bundles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('specs', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('forms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spec_bundles')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_spec_bundles_content_hash'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('political_group_id', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['political_group_id'], ['political_groups.id'], name=op.f('fk_users_political_group_id_political_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('councillor_id', sa.Integer(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('closed_at', engine.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['councillor_id'], ['users.id'], name=op.f('fk_cases_councillor_id_users')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_cases_reported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_councillor_id'), ['councillor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)

    op.create_table('process_model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('forms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_process_model_versions_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_model_versions')),
    sa.UniqueConstraint('process_id', 'version', name=op.f('uq_process_model_versions_process_id_version'))
    )
    with op.batch_alter_table('process_model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_model_versions_process_id'), ['process_id'], unique=False)

    op.create_table('settings',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_settings'))
    )
    op.create_table('user_roles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_roles_role'), ['role'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_audit_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_instance_id'), ['instance_id'], unique=False)

    op.create_table('instances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('spec_bundle_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('next_wake_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('created_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('completed_at', engine.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_instances_case_id_cases')),
    sa.ForeignKeyConstraint(['model_version_id'], ['process_model_versions.id'], name=op.f('fk_instances_model_version_id_process_model_versions')),
    sa.ForeignKeyConstraint(['spec_bundle_id'], ['spec_bundles.id'], name=op.f('fk_instances_spec_bundle_id_spec_bundles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instances'))
    )
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instances_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_model_version_id'), ['model_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_next_wake_at'), ['next_wake_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_process_id'), ['process_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_status'), ['status'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('spec_name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('lane', sa.String(length=100), nullable=True),
    sa.Column('role', sa.String(length=60), nullable=True),
    sa.Column('form', sa.String(length=200), nullable=True),
    sa.Column('ui_form', sa.String(length=200), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('created_at', engine.models.UTCDateTime(), nullable=False),
    sa.Column('completed_at', engine.models.UTCDateTime(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_tasks_case_id_cases')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_tasks_completed_by_id_users')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_tasks_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_tasks_open_by_assignee', ['assignee_id', 'status', 'due_at', 'created_at'], unique=False)
        batch_op.create_index('ix_tasks_open_by_role', ['status', 'role', 'assignee_id', 'due_at', 'created_at'], unique=False)

    op.bulk_insert(sa.table("audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
                            sa.column("last_hash", sa.String)),
                   [{"id": 1, "seq": 0, "last_hash": "0" * 64}])


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_open_by_role')
        batch_op.drop_index('ix_tasks_open_by_assignee')
        batch_op.drop_index(batch_op.f('ix_tasks_instance_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_case_id'))

    op.drop_table('tasks')
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instances_status'))
        batch_op.drop_index(batch_op.f('ix_instances_process_id'))
        batch_op.drop_index(batch_op.f('ix_instances_next_wake_at'))
        batch_op.drop_index(batch_op.f('ix_instances_model_version_id'))
        batch_op.drop_index(batch_op.f('ix_instances_case_id'))

    op.drop_table('instances')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_instance_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_case_id'))

    op.drop_table('audit_events')
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_roles_role'))

    op.drop_table('user_roles')
    op.drop_table('settings')
    with op.batch_alter_table('process_model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_model_versions_process_id'))

    op.drop_table('process_model_versions')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_councillor_id'))

    op.drop_table('cases')
    op.drop_table('users')
    op.drop_table('spec_bundles')
    op.drop_table('political_groups')
    op.drop_table('case_sequences')
    op.drop_table('audit_head')
