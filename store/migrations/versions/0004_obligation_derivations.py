"""Obligation derivations reused while their inputs are unchanged.

`obligation_derivations` holds, per plan (doc key), the hash of everything its last derivation
read — the plan's content, its office registry, the policy, the working-day calendar, its recorded
events, the filing that names its unit and the rules' version — and what that derivation reported
(number of obligations, warnings), so the nightly run re-derives only plans whose inputs changed.

Revision ID: 0004_obligation_derivations
Revises: 0003_check_results
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_obligation_derivations"
down_revision = "0003_check_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("obligation_derivations",
    sa.Column("doc_key", sa.String(length=200), nullable=False),
    sa.Column("key", sa.String(length=64), nullable=False),
    sa.Column("document_id", sa.Integer(), nullable=True),
    sa.Column("district", sa.String(length=50), nullable=True),
    sa.Column("unit", sa.String(length=200), nullable=True),
    sa.Column("obligations", sa.Integer(), nullable=False),
    sa.Column("warnings", sa.JSON(), nullable=False),
    sa.Column("derived_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("doc_key")
    )


def downgrade() -> None:
    op.drop_table("obligation_derivations")
