"""Baseline: the schema as it stood before migrations (what `create_all` made until then).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("alert_ledger",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("key", sa.String(length=500), nullable=False),
    sa.Column("recipient", sa.String(length=320), nullable=False),
    sa.Column("state", sa.String(length=30), nullable=False),
    sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_as_of", sa.Date(), nullable=False),
    sa.Column("message_id", sa.String(length=250), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("key", "recipient", name="uq_alert_key_recipient")
    )
    with op.batch_alter_table("alert_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_ledger_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_ledger_recipient"), ["recipient"], unique=False)

    op.create_table("documents",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("doc_key", sa.String(length=200), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("content_hash", sa.String(length=64), nullable=False),
    sa.Column("doc_number", sa.String(length=100), nullable=True),
    sa.Column("title", sa.String(length=500), nullable=False),
    sa.Column("year", sa.Integer(), nullable=True),
    sa.Column("place", sa.String(length=50), nullable=True),
    sa.Column("level", sa.String(length=20), nullable=False),
    sa.Column("issuer", sa.String(length=200), nullable=True),
    sa.Column("issue_date", sa.Date(), nullable=True),
    sa.Column("layout", sa.String(length=30), nullable=False),
    sa.Column("source_path", sa.Text(), nullable=True),
    sa.Column("is_draft", sa.Boolean(), nullable=False),
    sa.Column("parent_key", sa.String(length=200), nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("doc_key", "version", name="uq_document_version")
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_doc_key"), ["doc_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_place"), ["place"], unique=False)

    op.create_table("obligation_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("doc_key", sa.String(length=200), nullable=False),
    sa.Column("item", sa.Integer(), nullable=False),
    sa.Column("unit", sa.String(length=200), nullable=False),
    sa.Column("event", sa.String(length=100), nullable=False),
    sa.Column("occurred_on", sa.Date(), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("doc_key", "item", "unit", "occurred_on", name="uq_obligation_event")
    )
    with op.batch_alter_table("obligation_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_obligation_events_doc_key"), ["doc_key"], unique=False)

    op.create_table("outbox_messages",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.String(length=250), nullable=False),
    sa.Column("run_key", sa.String(length=100), nullable=False),
    sa.Column("district", sa.String(length=50), nullable=False),
    sa.Column("recipient", sa.String(length=320), nullable=False),
    sa.Column("recipient_name", sa.String(length=200), nullable=False),
    sa.Column("sender", sa.String(length=320), nullable=False),
    sa.Column("subject", sa.Text(), nullable=False),
    sa.Column("raw", sa.LargeBinary(), nullable=False),
    sa.Column("alerts", sa.JSON(), nullable=False),
    sa.Column("as_of", sa.Date(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("claimed_by", sa.String(length=64), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("message_id")
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_messages_recipient"), ["recipient"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_messages_run_key"), ["run_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_messages_status"), ["status"], unique=False)

    op.create_table("check_runs",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("plan_document_id", sa.Integer(), nullable=True),
    sa.Column("directive_document_id", sa.Integer(), nullable=True),
    sa.Column("plan_key", sa.String(length=200), nullable=False),
    sa.Column("directive_key", sa.String(length=200), nullable=True),
    sa.Column("district", sa.String(length=50), nullable=True),
    sa.Column("as_of", sa.Date(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("coverage", sa.JSON(), nullable=False),
    sa.Column("counts", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["directive_document_id"], ["documents.id"], ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["plan_document_id"], ["documents.id"], ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("check_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_runs_district"), ["district"], unique=False)
        batch_op.create_index(batch_op.f("ix_check_runs_plan_key"), ["plan_key"], unique=False)

    op.create_table("items",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("document_id", sa.Integer(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("section", sa.Text(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("units", sa.JSON(), nullable=False),
    sa.Column("deadlines", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("document_id", "number", name="uq_item_number")
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_document_id"), ["document_id"], unique=False)

    op.create_table("obligations",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("obligation_key", sa.String(length=500), nullable=False),
    sa.Column("doc_key", sa.String(length=200), nullable=False),
    sa.Column("document_id", sa.Integer(), nullable=True),
    sa.Column("doc_number", sa.String(length=100), nullable=True),
    sa.Column("title", sa.String(length=500), nullable=False),
    sa.Column("district", sa.String(length=50), nullable=True),
    sa.Column("unit", sa.String(length=200), nullable=False),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("item", sa.Integer(), nullable=True),
    sa.Column("period", sa.String(length=20), nullable=True),
    sa.Column("due", sa.Date(), nullable=True),
    sa.Column("issued_on", sa.Date(), nullable=True),
    sa.Column("opened_on", sa.Date(), nullable=True),
    sa.Column("phrase", sa.Text(), nullable=False),
    sa.Column("lead_units", sa.JSON(), nullable=False),
    sa.Column("action", sa.Text(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("event", sa.String(length=100), nullable=True),
    sa.Column("calendar_note", sa.Text(), nullable=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("obligation_key")
    )
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_obligations_district"), ["district"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligations_doc_key"), ["doc_key"], unique=False)
        batch_op.create_index("ix_obligations_doc_unit", ["doc_key", "unit"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligations_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligations_unit"), ["unit"], unique=False)

    op.create_table("filings",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("obligation_key", sa.String(length=500), nullable=False),
    sa.Column("doc_key", sa.String(length=200), nullable=False),
    sa.Column("unit", sa.String(length=200), nullable=False),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("item", sa.Integer(), nullable=True),
    sa.Column("period", sa.String(length=20), nullable=True),
    sa.Column("filed_on", sa.Date(), nullable=False),
    sa.Column("path", sa.Text(), nullable=True),
    sa.Column("document_key", sa.String(length=200), nullable=True),
    sa.Column("check_run_id", sa.Integer(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["check_run_id"], ["check_runs.id"], ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_filings_doc_key"), ["doc_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_filings_document_key"), ["document_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_filings_obligation_key"), ["obligation_key"], unique=False)

    op.create_table("findings",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("run_id", sa.Integer(), nullable=False),
    sa.Column("code", sa.String(length=40), nullable=False),
    sa.Column("severity", sa.String(length=10), nullable=False),
    sa.Column("directive_item", sa.Integer(), nullable=True),
    sa.Column("plan_item", sa.Integer(), nullable=True),
    sa.Column("units", sa.JSON(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("evidence", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["run_id"], ["check_runs.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_run_id"), ["run_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_run_id"))
        batch_op.drop_index(batch_op.f("ix_findings_code"))

    op.drop_table("findings")
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filings_obligation_key"))
        batch_op.drop_index(batch_op.f("ix_filings_document_key"))
        batch_op.drop_index(batch_op.f("ix_filings_doc_key"))

    op.drop_table("filings")
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligations_unit"))
        batch_op.drop_index(batch_op.f("ix_obligations_due"))
        batch_op.drop_index("ix_obligations_doc_unit")
        batch_op.drop_index(batch_op.f("ix_obligations_doc_key"))
        batch_op.drop_index(batch_op.f("ix_obligations_district"))

    op.drop_table("obligations")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_document_id"))

    op.drop_table("items")
    with op.batch_alter_table("check_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_runs_plan_key"))
        batch_op.drop_index(batch_op.f("ix_check_runs_district"))

    op.drop_table("check_runs")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_run_key"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_recipient"))

    op.drop_table("outbox_messages")
    with op.batch_alter_table("obligation_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligation_events_doc_key"))

    op.drop_table("obligation_events")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_place"))
        batch_op.drop_index(batch_op.f("ix_documents_doc_key"))
        batch_op.drop_index(batch_op.f("ix_documents_content_hash"))

    op.drop_table("documents")
    with op.batch_alter_table("alert_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_ledger_recipient"))
        batch_op.drop_index(batch_op.f("ix_alert_ledger_key"))

    op.drop_table("alert_ledger")
