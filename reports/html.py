"""The self-contained HTML report: the dashboard's views in one file (styles inlined, no links
out except to the dashboard when GONGKAI_BASE_URL is set), for mail or an offline intranet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from reports.model import Snapshot


def render_html(snapshot: Snapshot, district: str | None = None) -> str:
    from web.links import page_url
    from web.render import environment, stylesheet

    districts = [d for d in snapshot.districts if district is None or d.name == district]
    statuses = [s for d in districts for s in snapshot.district_statuses(d.name)]

    def url(kind: str, **ids: object) -> str:
        # Cells link to the dashboard when it has an address, else to nothing (the report stands alone).
        return page_url(kind, **ids) or ""

    title = f"{district or '全市'}政务公开工作报告（截至 {snapshot.as_of.isoformat()}）"
    return environment().get_template("report.html").render(
        title=title, snapshot=snapshot, districts=districts, generated=datetime.now(UTC), inline_css=stylesheet(),
        url=url, heatmaps={d.name: snapshot.heatmaps(d.name) for d in districts},
        units={d.name: snapshot.unit_rows(d.name) for d in districts},
        timelines={d.name: snapshot.timeline(snapshot.district_statuses(d.name)) for d in districts},
        city_timeline=snapshot.timeline(statuses), request=None, can_write=False, standalone=True,
    )


def write_html(snapshot: Snapshot, path: str | Path, district: str | None = None) -> Path:
    path = Path(path)
    text = render_html(snapshot, district)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # never a half-written report under the asked name
    return path
