"""`gongkai report`: one snapshot of the store, written as html, xlsx or docx."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from reports.model import build_snapshot
from store.db import Store

FORMATS = ("html", "xlsx", "docx")


def write_report(store: Store, fmt: str, path: str | Path, *, as_of: date, district: str | None = None,
                 policy: dict[str, Any] | None = None) -> Path:
    """Write the report; ValueError (nothing written) for an unknown format or district."""
    if fmt not in FORMATS:
        raise ValueError(f"--format 应为 {'、'.join(FORMATS)} 之一，收到“{fmt}”")
    path = Path(path)
    if path.exists() and path.is_dir():
        raise ValueError(f"{path}：是目录，请给出文件名（如 报告.{fmt}）")
    snapshot = build_snapshot(store, as_of, policy)
    if district is not None and snapshot.district(district) is None:
        known = "、".join(d.name for d in snapshot.districts) or "（无）"
        raise ValueError(f"--district：没有“{district}”的方案或责任事项；已有：{known}")
    if fmt == "html":
        from reports.html import write_html

        return write_html(snapshot, path, district)
    if fmt == "xlsx":
        from reports.xlsx import write_xlsx

        return write_xlsx(store, snapshot, path, district)
    from reports.docx import write_docx

    return write_docx(snapshot, path, district)
