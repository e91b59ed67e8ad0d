"""The MetaData every table shares (`store.base.Base.metadata`), and the check tables declared in
SQLAlchemy Core with the statements an on-demand check runs on them, without the ORM.

`gongkai check` answered from a kept result reads one row and records one run with its findings;
importing the ORM and mapping the table classes would cost it about 0.15 s of its 0.8 s. The ORM
classes in store.checks map these very tables, so there is one definition of each; a run is
built by `run_row` and `finding_rows` whichever way it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.engine import Connection

from documents.model import jsonable

metadata = MetaData()

check_runs = Table(
    "check_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # on_demand | nightly | draft
    Column("plan_document_id", ForeignKey("documents.id", ondelete="SET NULL")),
    Column("directive_document_id", ForeignKey("documents.id", ondelete="SET NULL")),
    Column("plan_key", String(200), nullable=False, index=True),
    Column("directive_key", String(200)),
    Column("district", String(50), index=True),
    Column("as_of", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("coverage", JSON, nullable=False),
    Column("counts", JSON, nullable=False),
    # The key of the kept result this run stored (None for runs made before results were kept).
    Column("result_key", String(64), index=True),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("check_runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code", String(40), nullable=False, index=True),
    Column("severity", String(10), nullable=False),
    Column("directive_item", Integer),
    Column("plan_item", Integer),
    Column("units", JSON, nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
)

# One check's result under the hash of all its inputs (see rules.check.check_key).
check_results = Table(
    "check_results",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("plan_hash", String(64), nullable=False),
    Column("parent_hash", String(64), nullable=False),
    Column("policy_hash", String(64), nullable=False),
    Column("registry_hash", String(64), nullable=False),
    Column("rules_version", String(20), nullable=False),
    Column("result", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def run_row(
    *,
    kind: str,
    result: Mapping[str, Any],
    plan_document_id: int | None,
    directive_document_id: int | None,
    plan_key: str,
    directive_key: str | None,
    district: str | None,
    as_of: date,
    result_key: str | None = None,
) -> dict[str, Any]:
    """The check_runs row of one check (`result`: the JSON form of rules.check.CheckResult)."""
    return {
        "kind": kind,
        "plan_document_id": plan_document_id,
        "directive_document_id": directive_document_id,
        "plan_key": plan_key,
        "directive_key": directive_key,
        "district": district,
        "as_of": as_of,
        "created_at": datetime.now(UTC),
        "coverage": result["coverage"],
        "counts": result["counts"],
        "result_key": result_key,
    }


def finding_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The findings rows of one check, without their run's id."""
    return [
        {
            "code": f["code"],
            "severity": f["severity"],
            "directive_item": f["directive_item"],
            "plan_item": f["plan_item"],
            "units": f["units"],
            "message": f["message"],
            "evidence": jsonable(f["evidence"]),
        }
        for f in result["findings"]
    ]


def kept_result(connection: Connection, key: str) -> dict[str, Any] | None:
    """The result kept under `key`, if any (store.checks.cached_results for one key)."""
    return connection.execute(select(check_results.c.result).where(check_results.c.key == key)).scalar()


def keep_result(connection: Connection, key: str, parts: Mapping[str, str], result: Mapping[str, Any]) -> None:
    """Keep `result` under `key` (a result already kept under that key is left as it is: the same
    inputs give the same result)."""
    if connection.execute(select(check_results.c.key).where(check_results.c.key == key)).first() is None:
        connection.execute(insert(check_results).values(key=key, result=jsonable(result),
                                                        created_at=datetime.now(UTC), **parts))


def record_check(connection: Connection, **run: Any) -> int:
    """Store one check run with its findings (store.checks.save_check's arguments); its id."""
    primary_key = connection.execute(insert(check_runs).values(run_row(**run))).inserted_primary_key
    assert primary_key is not None
    run_id = int(primary_key[0])
    rows = finding_rows(run["result"])
    if rows:
        connection.execute(insert(findings), [{**row, "run_id": run_id} for row in rows])
    return run_id
