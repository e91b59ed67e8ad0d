"""The dashboard app: pages over `reports.model`, plus two writes (a unit's filing, a draft upload).

Reading needs nothing. Writing needs GONGKAI_WEB_TOKEN: a person signs in once with the token
(a signed, HttpOnly, SameSite=Strict cookie) and every form carries a CSRF token derived from
that cookie; a script may instead send ``Authorization: Bearer <token>`` (browsers never add that
header by themselves, so it needs no CSRF token). Without GONGKAI_WEB_TOKEN the app is read-only.

A filing goes through `pipeline.obligations.record_filing` (what `gongkai file` calls); an
uploaded draft through `pipeline.nightly.check_filing` in this process (what `submit-draft` runs
without a Prefect server) — the web app never starts a Prefect server.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from notifications.entries import STATE_RANK
from reports.model import FILING_LABELS, SnapshotCache, plan_detail, unit_filings
from store.db import Store
from web.links import page_path
from web.render import configure_environment

PACKAGE = Path(__file__).resolve().parent
TOKEN_ENV = "GONGKAI_WEB_TOKEN"
SESSION_COOKIE = "gongkai_session"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
FORM_KINDS = ("plan", "report", "done")


@dataclass
class Settings:
    token: str | None = None
    as_of: date | None = None  # fixed day for every page (demo, tests); else today in Shanghai
    upload_dir: Path = field(default_factory=lambda: Path("var") / "uploads")
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    policy: dict[str, Any] | None = None


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _sign(token: str, message: str) -> str:
    return hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()


def create_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The dashboard over `store` (the caller keeps the store open while the app serves)."""
    from pipeline.alerts import current_policy

    settings = settings or Settings(token=os.environ.get(TOKEN_ENV) or None)
    policy = settings.policy if settings.policy is not None else current_policy()
    cache = SnapshotCache(store, policy)
    app = FastAPI(title="政务公开工作看板", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")
    # A district's heatmap is thousands of near-identical cells: compressed ~10×.
    app.add_middleware(GZipMiddleware, minimum_size=4096)
    templates = Jinja2Templates(directory=str(PACKAGE / "templates"))
    configure_environment(templates.env)
    app.state.store, app.state.cache, app.state.settings = store, cache, settings

    # ------------------------------------------------------------------ helpers

    def day(request: Request) -> date:
        from workdays.calendar import today_shanghai

        text = request.query_params.get("as_of")
        if text:
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise Refused(400, f"as_of 参数应为 YYYY-MM-DD，收到“{text}”") from None
        return settings.as_of or today_shanghai()

    def session_nonce(request: Request) -> str | None:
        if not settings.token:
            return None
        value = request.cookies.get(SESSION_COOKIE, "")
        nonce, _, signature = value.partition(".")
        if nonce and hmac.compare_digest(signature, _sign(settings.token, "session:" + nonce)):
            return nonce
        return None

    def csrf_for(nonce: str | None) -> str:
        return _sign(settings.token, "csrf:" + nonce)[:40] if settings.token and nonce else ""

    def bearer_ok(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        # Header values arrive decoded as latin-1; compare the bytes that were sent (UTF-8 tokens).
        sent = value.strip().encode("latin-1", errors="replace")
        return bool(settings.token) and scheme.lower() == "bearer" and hmac.compare_digest(sent, settings.token.encode())

    def require_writer(request: Request) -> str | None:
        """Before reading a write's body: writing is configured and the caller is signed in."""
        if not settings.token:
            raise Refused(403, f"网页为只读：服务器未设置 {TOKEN_ENV}，不能报送或上传。")
        if bearer_ok(request):
            return None
        nonce = session_nonce(request)
        if nonce is None:
            raise Refused(403, "需要先用令牌登录才能报送或上传。")
        return nonce

    def check_csrf(nonce: str | None, form: Any) -> None:
        if nonce is None:  # bearer token: no cookie involved, nothing to forge
            return
        sent = str(form.get("csrf") or "")
        if not sent or not hmac.compare_digest(sent, csrf_for(nonce)):
            raise Refused(403, "表单已失效或来源不明（CSRF 校验失败），请刷新页面后重试。")

    def check_length(request: Request) -> None:
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise Refused(411, "上传请求缺少 Content-Length。")
        if int(length) > settings.max_upload_bytes + 64 * 1024:
            raise Refused(413, f"文件过大：上限 {settings.max_upload_bytes // (1024 * 1024)} MB。")

    async def save_upload(upload: Any) -> Path:
        name = Path(upload.filename or "").name
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise Refused(415, f"文件类型不支持：{name or '（无文件名）'}；可上传 {' '.join(UPLOAD_SUFFIXES)}。")
        data = await upload.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise Refused(413, f"文件过大：上限 {settings.max_upload_bytes // (1024 * 1024)} MB。")
        if not data.strip():
            raise Refused(400, f"文件为空：{name}")
        folder = settings.upload_dir / uuid.uuid4().hex
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(data)
        return path

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        nonce = session_nonce(request)
        explicit = request.query_params.get("as_of")

        def url(kind: str, **ids: Any) -> str:
            return page_path(kind, as_of=explicit, **ids)

        context.update(
            request=request, url=url, can_write=bool(settings.token), signed_in=nonce is not None,
            csrf=csrf_for(nonce), message=request.query_params.get("msg", ""),
        )
        return templates.TemplateResponse(request, template, context, status_code=status_code)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        if "text/html" not in request.headers.get("accept", "") and request.method != "GET":
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return render(request, "error.html", status_code=exc.status, title="无法完成", error=exc.message)

    # Overview and district pages depend only on the day's snapshot (and whether someone is
    # signed in): rendered once per snapshot, served from memory until the store changes.
    pages: dict[tuple, HTMLResponse] = {}

    def cached(request: Request, snapshot: Any, build: Any) -> HTMLResponse:
        if session_nonce(request) is not None or request.query_params.get("msg"):
            return build()
        key = (id(snapshot), snapshot.fingerprint, request.url.path, str(request.query_params))
        page = pages.get(key)
        if page is None:
            if len(pages) > 256:
                pages.clear()
            page = pages[key] = build()
        return HTMLResponse(page.body, status_code=page.status_code, media_type="text/html")

    # ------------------------------------------------------------------ pages

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        snapshot = cache.get(day(request))
        return cached(request, snapshot,
                      lambda: render(request, "overview.html", snapshot=snapshot, title="全市政务公开工作总览"))

    @app.get("/districts/{district}", response_class=HTMLResponse)
    def district_page(request: Request, district: str) -> HTMLResponse:
        snapshot = cache.get(day(request))
        view = snapshot.district(district)
        if view is None:
            raise Refused(404, f"没有“{district}”的方案或责任事项。")
        return cached(request, snapshot, lambda: render(
            request, "district.html", snapshot=snapshot, district=view, heatmaps=snapshot.heatmaps(district),
            units=snapshot.unit_rows(district), months=snapshot.timeline(snapshot.district_statuses(district)),
            title=f"{district}政务公开工作"))

    @app.get("/plans/{plan_id}", response_class=HTMLResponse)
    def plan_page(request: Request, plan_id: int) -> HTMLResponse:
        detail = plan_detail(store, plan_id=plan_id)
        if detail is None:
            raise Refused(404, f"没有编号为 {plan_id} 的方案。")
        return render(request, "plan.html", detail=detail, title=detail.plan.name)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: int) -> HTMLResponse:
        detail = plan_detail(store, run_id=run_id)
        if detail is None:
            raise Refused(404, f"没有编号为 {run_id} 的检查记录。")
        return render(request, "plan.html", detail=detail, title=f"检查记录 {run_id}：{detail.plan.name}")

    @app.get("/units/{district}/{unit}", response_class=HTMLResponse)
    def unit_page(request: Request, district: str, unit: str) -> HTMLResponse:
        snapshot = cache.get(day(request))
        statuses = snapshot.unit_statuses(district, unit)
        if not statuses:
            raise Refused(404, f"{district}没有“{unit}”的责任事项。")
        # What the unit must do now comes first (red, yellow, then by due date); duties of plans
        # whose year has closed are history, listed apart below them.
        current = sorted((s for s in statuses if s.closed_on is None),
                         key=lambda s: (STATE_RANK.get(s.state, len(STATE_RANK)), s.due is None, s.due or date.max))
        closed = [s for s in statuses if s.closed_on is not None]
        # The plans in force are the ones a unit files against (the form offers them); a closed
        # plan's name is kept only to name its past filings.
        filable = {s.doc_key: s.plan_name for s in current}
        plans = {**filable, **{s.doc_key: s.plan_name for s in closed if s.doc_key not in filable}}
        filings = unit_filings(store, unit, set(plans))
        return render(request, "unit.html", snapshot=snapshot, district=district, unit=unit, statuses=current,
                      closed=closed, closed_unfinished=sum(1 for s in closed if s.state == "closed_unfinished"),
                      unit_light=snapshot.unit_light(district, unit), plans=plans, filable=filable, filings=filings,
                      today=snapshot.as_of, kinds=FORM_KINDS, title=f"{unit}（{district}）")

    @app.get("/upload", response_class=HTMLResponse)
    def upload_form(request: Request) -> HTMLResponse:
        return render(request, "upload.html", title="上传方案草稿即时检查", suffixes=UPLOAD_SUFFIXES,
                      limit_mb=settings.max_upload_bytes // (1024 * 1024))

    # ------------------------------------------------------------------ sign-in

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return render(request, "login.html", title="登录", next=request.query_params.get("next", "/"))

    @app.post("/login")
    async def login(request: Request) -> Response:
        if not settings.token:
            raise Refused(403, f"网页为只读：服务器未设置 {TOKEN_ENV}。")
        form = await request.form(max_files=0, max_fields=5)
        given = str(form.get("token") or "")
        target = str(form.get("next") or "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        if not hmac.compare_digest(given.encode(), settings.token.encode()):
            return render(request, "login.html", status_code=403, title="登录", next=target, error="令牌不正确。")
        nonce = secrets.token_urlsafe(16)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, f"{nonce}.{_sign(settings.token, 'session:' + nonce)}",
                            httponly=True, samesite="strict", max_age=12 * 3600)
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        nonce = require_writer(request)
        check_csrf(nonce, await request.form(max_files=0, max_fields=5))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # ------------------------------------------------------------------ writes

    @app.post("/units/{district}/{unit}/filings")
    async def file_for_unit(request: Request, district: str, unit: str) -> Response:
        from pipeline.obligations import record_filing

        nonce = require_writer(request)
        check_length(request)
        form = await request.form(max_files=1, max_fields=12)
        check_csrf(nonce, form)
        kind = str(form.get("kind") or "")
        if kind not in FORM_KINDS:
            raise Refused(400, f"报送类型应为 {'、'.join(FORM_KINDS)} 之一，收到“{kind}”。")
        plan = str(form.get("plan") or "").strip()
        if not plan:
            raise Refused(400, "请选择所依据的区方案。")
        period = str(form.get("period") or "").strip() or None
        item_text = str(form.get("item") or "").strip()
        if item_text and not item_text.isdigit():
            raise Refused(400, f"条目序号应为数字，收到“{item_text}”。")
        try:
            filed_on = date.fromisoformat(str(form.get("date") or "")) if form.get("date") else day(request)
        except ValueError:
            raise Refused(400, f"报送日期应为 YYYY-MM-DD，收到“{form.get('date')}”。") from None
        upload = form.get("file")
        path = await save_upload(upload) if getattr(upload, "filename", None) else None
        note = str(form.get("note") or "").strip() or None
        try:
            result = await run_in_threadpool(
                record_filing, store, kind, unit, plan, period=period, item=int(item_text) if item_text else None,
                filed_on=filed_on, path=path, policy=policy, note=note,
            )
        except Exception as exc:  # the pipeline's own one-line Chinese reasons
            if not isinstance(exc, ValueError) and type(exc).__name__ != "DocumentError":
                raise
            raise Refused(400, str(exc)) from None
        from notifications.entries import STATE_LABELS

        message = (f"已记录：{result.unit} 报送{FILING_LABELS.get(kind, '')}（{result.plan_name or result.doc_key}），"
                   f"报送日期 {result.filed_on.isoformat()}")
        if result.state:
            message += f"，{STATE_LABELS.get(result.state, result.state)}"
        target = page_path("unit", district=district, unit=unit, as_of=request.query_params.get("as_of"))
        return RedirectResponse(target + ("&" if "?" in target else "?") + "msg=" + quote(message), status_code=303)

    @app.post("/upload")
    async def upload_draft(request: Request) -> Response:
        from pipeline.filings import check_filing

        nonce = require_writer(request)
        check_length(request)
        form = await request.form(max_files=1, max_fields=6)
        check_csrf(nonce, form)
        upload = form.get("file")
        if not getattr(upload, "filename", None):
            raise Refused(400, "请选择要上传的方案草稿文件。")
        path = await save_upload(upload)
        against = str(form.get("against") or "").strip() or None
        try:
            summary = await run_in_threadpool(check_filing, store, path, day(request), policy, against=against)
        except Exception as exc:
            if not isinstance(exc, ValueError) and type(exc).__name__ != "DocumentError":
                raise
            raise Refused(400, str(exc)) from None
        run_id = summary.get("run_id")
        if run_id is None:
            raise Refused(500, "检查没有产生记录。")
        return RedirectResponse(page_path("run", run=run_id, as_of=request.query_params.get("as_of")),
                                status_code=303)

    return app
