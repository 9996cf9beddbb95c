"""Initial schema: organisations, users and memberships, postings and their contacts, events.

Read and corrected by hand: column types are plain SQLAlchemy types (UTC datetimes are
``timestamp with time zone``; the UTCDateTime decorator only converts in Python), every
constraint is named by the metadata naming convention, enumerations are CHECK constraints
rather than native enums so that SQLite and PostgreSQL hold the same schema.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 10:26:14.535061

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('presentation', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=False),
    sa.Column('website', sa.String(length=500), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_media_type', sa.String(length=40), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("locale IN ('fr', 'en')", name=op.f('ck_organisation_locale')),
    sa.CheckConstraint('(logo IS NULL) = (logo_media_type IS NULL)', name=op.f('ck_organisation_logo_has_media_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('slug', name=op.f('uq_organisation_slug'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_event_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'lead')", name=op.f('ck_membership_role')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_membership_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_membership_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('user_id', 'organisation_id', name=op.f('uq_membership_user_id_organisation_id'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('posting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('contract_type', sa.String(length=20), nullable=False),
    sa.Column('presentation', sa.Text(), nullable=False),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('missions', sa.Text(), nullable=False),
    sa.Column('profile', sa.Text(), nullable=False),
    sa.Column('diploma', sa.Text(), nullable=False),
    sa.Column('experience', sa.Text(), nullable=False),
    sa.Column('contract_start', sa.Date(), nullable=True),
    sa.Column('contract_end', sa.Date(), nullable=True),
    sa.Column('duration_min_months', sa.Integer(), nullable=True),
    sa.Column('duration_max_months', sa.Integer(), nullable=True),
    sa.Column('start_earliest', sa.Date(), nullable=True),
    sa.Column('start_latest', sa.Date(), nullable=True),
    sa.Column('closure_note', sa.Text(), nullable=False),
    sa.Column('working_time', sa.String(length=16), nullable=False),
    sa.Column('hours_per_week', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('schedule_note', sa.Text(), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('places', sa.Text(), nullable=False),
    sa.Column('travel', sa.Text(), nullable=False),
    sa.Column('remote', sa.String(length=16), nullable=False),
    sa.Column('remote_note', sa.Text(), nullable=False),
    sa.Column('pay_kind', sa.String(length=16), nullable=False),
    sa.Column('pay_min', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('pay_max', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('pay_period', sa.String(length=8), nullable=True),
    sa.Column('pay_basis', sa.String(length=8), nullable=True),
    sa.Column('pay_note', sa.Text(), nullable=False),
    sa.Column('benefits', sa.Text(), nullable=False),
    sa.Column('collective_agreement', sa.String(length=200), nullable=False),
    sa.Column('asks_cv', sa.Boolean(), nullable=False),
    sa.Column('asks_letter', sa.Boolean(), nullable=False),
    sa.Column('other_documents', sa.Text(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_end_of_day', sa.Boolean(), nullable=False),
    sa.Column('subject_line', sa.String(length=200), nullable=False),
    sa.Column('accepts_email', sa.Boolean(), nullable=False),
    sa.Column('answer_promise', sa.Boolean(), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("contract_type IN ('cdi', 'cdd', 'stage', 'alternance', 'apprentissage', 'service_civique', 'other')", name=op.f('ck_posting_contract_type')),
    sa.CheckConstraint("pay_basis IS NULL OR pay_basis IN ('gross', 'net')", name=op.f('ck_posting_pay_basis')),
    sa.CheckConstraint("pay_kind IN ('unspecified', 'amount', 'gratification')", name=op.f('ck_posting_pay_kind')),
    sa.CheckConstraint("pay_period IS NULL OR pay_period IN ('hour', 'month', 'year')", name=op.f('ck_posting_pay_period')),
    sa.CheckConstraint("remote IN ('none', 'occasional', 'partial', 'full')", name=op.f('ck_posting_remote')),
    sa.CheckConstraint("status = 'draft' OR (published_at IS NOT NULL AND deadline IS NOT NULL) OR (status = 'archived' AND published_at IS NULL)", name=op.f('ck_posting_published_fields')),
    sa.CheckConstraint("status IN ('draft', 'published', 'closed', 'archived', 'filled')", name=op.f('ck_posting_status')),
    sa.CheckConstraint("working_time IN ('full_time', 'part_time')", name=op.f('ck_posting_working_time')),
    sa.CheckConstraint('contract_start IS NULL OR contract_end IS NULL OR contract_start <= contract_end', name=op.f('ck_posting_contract_dates')),
    sa.CheckConstraint('duration_min_months IS NULL OR duration_max_months IS NULL OR duration_min_months <= duration_max_months', name=op.f('ck_posting_duration_range')),
    sa.CheckConstraint('pay_min IS NULL OR pay_max IS NULL OR pay_min <= pay_max', name=op.f('ck_posting_pay_range')),
    sa.CheckConstraint('start_earliest IS NULL OR start_latest IS NULL OR start_earliest <= start_latest', name=op.f('ck_posting_start_window')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_posting_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_posting_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posting'))
    )
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posting_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_posting_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('posting_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('to', 'cc', 'info')", name=op.f('ck_posting_contact_role')),
    sa.CheckConstraint("user_id IS NOT NULL OR email <> ''", name=op.f('ck_posting_contact_user_or_email')),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_posting_contact_posting_id_posting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_posting_contact_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posting_contact'))
    )
    with op.batch_alter_table('posting_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posting_contact_posting_id'), ['posting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posting_contact_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('posting_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posting_contact_user_id'))
        batch_op.drop_index(batch_op.f('ix_posting_contact_posting_id'))

    op.drop_table('posting_contact')
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.drop_index('ix_posting_status_deadline')
        batch_op.drop_index(batch_op.f('ix_posting_organisation_id'))

    op.drop_table('posting')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_organisation_id'))

    op.drop_table('membership')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_organisation_id'))
        batch_op.drop_index('ix_event_object')

    op.drop_table('event')
    op.drop_table('user_account')
    op.drop_table('organisation')
