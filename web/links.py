"""Links to dashboard pages, for artifacts, digests and reports (no FastAPI import here).

Pages are linked only when GONGKAI_BASE_URL says where the dashboard is served
(e.g. ``http://10.1.2.3:8000``); without it `page_url` returns None and callers leave links out.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlencode

BASE_URL_ENV = "GONGKAI_BASE_URL"


def _q(value: object) -> str:
    return quote(str(value), safe="")


def page_path(kind: str, **ids: object) -> str:
    """The path of a page: overview; district (district); plan (plan = document id; item = the
    directive item to jump to); run (run); finding (run, finding); unit (district, unit); upload."""
    fragment = ""
    if kind == "overview":
        path = "/"
    elif kind == "district":
        path = f"/districts/{_q(ids['district'])}"
    elif kind == "plan":
        path = f"/plans/{int(ids['plan'])}"
        if ids.get("item") is not None:
            fragment = f"#cov-{int(ids['item'])}"
    elif kind == "run":
        path = f"/runs/{int(ids['run'])}"
    elif kind == "finding":
        path = f"/runs/{int(ids['run'])}"
        fragment = f"#finding-{int(ids['finding'])}"
    elif kind == "unit":
        path = f"/units/{_q(ids['district'])}/{_q(ids['unit'])}"
    elif kind == "upload":
        path = "/upload"
    else:
        raise ValueError(f"未知的页面类型 {kind!r}")
    if ids.get("as_of"):
        path += "?" + urlencode({"as_of": str(ids["as_of"])})
    return path + fragment


def page_url(kind: str, base_url: str | None = None, **ids: object) -> str | None:
    """The full address of a dashboard page, or None when GONGKAI_BASE_URL (or `base_url`) is unset."""
    base = base_url if base_url is not None else os.environ.get(BASE_URL_ENV, "")
    base = base.strip().rstrip("/")
    if not base:
        return None
    return base + page_path(kind, **ids)
