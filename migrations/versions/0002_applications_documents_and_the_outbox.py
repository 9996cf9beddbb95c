"""Applications, documents and the outbox.

Candidates (per organisation), applications (one per candidate and offer) with their
submissions (each sending is a version) and documents (bytes in the database, beside the
application); the outbox (message, message_attachment) and organisations' own email templates;
two organisation settings (retention, attaching documents to notifications).

Read and corrected by hand: the two new organisation columns get a server default so that the
upgrade works on a database with organisations in it; the retention CHECK constraint, which
autogenerate does not see on an existing table, is added explicitly.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:20:43.581183

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('keep_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_candidate_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate')),
    sa.UniqueConstraint('organisation_id', 'email', name=op.f('uq_candidate_organisation_id_email'))
    )
    op.create_table('message_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_message_template_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template')),
    sa.UniqueConstraint('organisation_id', 'kind', 'locale', name=op.f('uq_message_template_organisation_id_kind_locale'))
    )
    op.create_table('application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('link_key', sa.String(length=43), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retain_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('form', 'email', 'manual')", name=op.f('ck_application_channel')),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_application_candidate_id_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_application_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_application_posting_id_posting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application')),
    sa.UniqueConstraint('posting_id', 'candidate_id', name=op.f('uq_application_posting_id_candidate_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_application_reference'))
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_application_posting_submitted', ['posting_id', 'submitted_at'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('sender', sa.String(length=320), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('cc', sa.JSON(), nullable=False),
    sa.Column('reply_to', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sending_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name=op.f('ck_message_sent_has_time')),
    sa.CheckConstraint("status IN ('draft', 'pending', 'sending', 'sent', 'failed', 'discarded')", name=op.f('ck_message_status')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_message_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_message_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_message_posting_id_posting'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('message_id', name=op.f('uq_message_message_id'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_message_due', ['status', 'next_try_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_posting_id'), ['posting_id'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('letter_text', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('form', 'email', 'manual')", name=op.f('ck_submission_channel')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_submission_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission')),
    sa.UniqueConstraint('application_id', 'version', name=op.f('uq_submission_application_id_version'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_application_id'), ['application_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('cv', 'letter', 'other')", name=op.f('ck_document_kind')),
    sa.CheckConstraint('size > 0', name=op.f('ck_document_not_empty')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_document_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_submission_id'), ['submission_id'], unique=False)

    op.create_table('message_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint('(document_id IS NULL) <> (content IS NULL)', name=op.f('ck_message_attachment_document_or_content')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_message_attachment_document_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_message_attachment_message_id_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachment'))
    )
    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_attachment_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_attachment_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=False,
                                      server_default='24'))
        batch_op.add_column(sa.Column('attach_documents', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.create_check_constraint(
            op.f('ck_organisation_retention_months'), 'retention_months BETWEEN 1 AND 24'
        )



def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisation_retention_months'), type_='check')
        batch_op.drop_column('attach_documents')
        batch_op.drop_column('retention_months')

    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_attachment_message_id'))
        batch_op.drop_index(batch_op.f('ix_message_attachment_document_id'))

    op.drop_table('message_attachment')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_submission_id'))

    op.drop_table('document')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_application_id'))

    op.drop_table('submission')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_posting_id'))
        batch_op.drop_index(batch_op.f('ix_message_organisation_id'))
        batch_op.drop_index('ix_message_due')
        batch_op.drop_index(batch_op.f('ix_message_application_id'))

    op.drop_table('message')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_posting_submitted')
        batch_op.drop_index(batch_op.f('ix_application_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_application_candidate_id'))

    op.drop_table('application')
    op.drop_table('message_template')
    op.drop_table('candidate')
