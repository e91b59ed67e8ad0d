"""Check results reused while their inputs are unchanged.

`check_results` holds one check's result (the JSON form of rules.check.CheckResult) under the
hash of everything it depends on: the plan's and the parent's content, the policy, the district's
registry and the rules' version. `check_runs.result_key` names the cached result a run stored, so
a night whose inputs did not change keeps the last run instead of writing an identical one.

Revision ID: 0003_check_results
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_check_results"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("check_results",
    sa.Column("key", sa.String(length=64), nullable=False),
    sa.Column("plan_hash", sa.String(length=64), nullable=False),
    sa.Column("parent_hash", sa.String(length=64), nullable=False),
    sa.Column("policy_hash", sa.String(length=64), nullable=False),
    sa.Column("registry_hash", sa.String(length=64), nullable=False),
    sa.Column("rules_version", sa.String(length=20), nullable=False),
    sa.Column("result", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("key")
    )
    with op.batch_alter_table("check_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_check_runs_result_key"), ["result_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_runs_result_key"))
        batch_op.drop_column("result_key")
    op.drop_table("check_results")
