"""The dashboard in a real browser (Debian's chromium through Playwright) over the demo store:
click from the overview down to a finding's evidence, file for a unit and see its light change,
upload a draft and see its findings; writes without the token or the CSRF token are refused.
Screenshots at 1280 and 390 px wide go to var/screenshots/."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_AS_OF, DEMO_TOKEN, SAMPLES
from tests.drafts import make_draft

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (installed by .ci/browser; never Playwright's own
    browser download). Module-scoped: Playwright's sync API keeps an event loop running in the
    main thread while it is open, which other modules' asyncio.run() calls must not meet."""
    chromium = "/usr/bin/chromium"
    if not os.path.exists(chromium):
        message = f"{chromium} missing: run .ci/browser (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright gives the browser a fresh temporary profile of its own.
    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=chromium,
            timeout=180_000,  # a busy 2-core machine can take well over Playwright's default 30 s
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def _page(browser, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


def _sign_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=token]", DEMO_TOKEN)
    page.click("form.form button[type=submit]")
    page.wait_for_url(base + "/")


def test_click_from_overview_to_finding_evidence(browser, dashboard, shots):
    context, page = _page(browser)
    page.goto(dashboard + "/")
    rows = page.locator("#districts tbody tr")
    assert rows.count() == 2
    changning = page.locator("#districts tbody tr", has_text="长宁区")
    # Its units' annual plans are overdue on the demo day: a red or yellow light, never green.
    assert changning.locator(".light").get_attribute("class") in ("light light-red", "light light-yellow")
    assert "22" in changning.locator("td[data-label=约束条目已覆盖]").inner_text()
    # The light is the duties' (督办), and the page says so: it is not a verdict on the plan.
    assert page.locator("#districts thead th").nth(1).inner_text() == "督办灯"
    assert "绿灯不代表方案没有问题" in page.locator("#light-legend").inner_text()
    page.screenshot(path=str(shots / "overview-1280.png"), full_page=True)

    changning.locator("a", has_text="长宁区").click()
    page.wait_for_url("**/districts/*")
    assert page.locator("h1").inner_text().startswith("长宁区政务公开工作")
    cells = page.locator("table.heatmap td.cov-covered a")
    assert cells.count() >= 20
    assert page.locator("#units tbody tr").count() > 10
    page.screenshot(path=str(shots / "district-1280.png"), full_page=True)

    # City item 12 (a unified policy platform) is taken up by Changning's item 5.
    cell = page.locator("table.heatmap a[href$='#cov-12']").first
    cell.click()
    page.wait_for_url("**/plans/*#cov-12")
    row = page.locator("#cov-12")
    assert row.is_visible()
    assert "已覆盖" in row.inner_text() and "第5项" in row.inner_text()
    assert "政策" in row.locator("td[data-label=上级条目]").inner_text()
    page.screenshot(path=str(shots / "plan-1280.png"), full_page=False)

    findings = page.locator("#findings li.finding")
    assert findings.count() >= 1
    first = findings.first
    first.locator("summary").click()
    evidence = first.locator("table.evidence")
    assert evidence.is_visible()
    code = first.locator("code").first.inner_text()
    assert code in (
        "UNKNOWN_UNIT", "WEAK_COVERAGE", "ITEM_WITHOUT_DEADLINE", "DEADLINE_AFTER_MANDATED", "PLAN_ISSUED_LATE",
        "ITEM_WITHOUT_UNIT", "DEADLINE_CONFLICT", "UNIT_CONFLICT", "DEADLINE_BEFORE_ISSUE", "MISSING_MANDATED_ITEM",
    )
    # The evidence in words: the rule and every fact labelled in Chinese, no code words or JSON.
    labels = evidence.locator("th").all_inner_texts()
    assert labels[0] == "依据规则" and len(labels) >= 2
    text = evidence.inner_text()
    assert not any(word in text for word in ("{", "score", "plan_item", "gongkai_", "true", "false")), text
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) or label.startswith("（") for label in labels), labels
    page.screenshot(path=str(shots / "finding-1280.png"), full_page=False)
    context.close()


@pytest.mark.parametrize("path,name", [("/", "overview"), ("/districts/长宁区", "district")])
def test_phone_width_has_no_sideways_page(browser, dashboard, shots, path, name):
    context, page = _page(browser, 390)
    page.goto(dashboard + path)
    # Tables turn into labelled cards; only the heatmap scrolls inside its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    assert page.locator("h1").is_visible()
    page.screenshot(path=str(shots / f"{name}-390.png"), full_page=True)
    context.close()


def test_phone_width_plan_page_reads_its_evidence(browser, dashboard, shots):
    context, page = _page(browser, 390)
    page.goto(dashboard + "/districts/长宁区")
    page.locator("#plans a").first.click()
    page.wait_for_url("**/plans/*")
    finding = page.locator("#findings li.finding").first
    finding.locator("summary").click()
    assert finding.locator("table.evidence").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    page.screenshot(path=str(shots / "plan-390.png"), full_page=False)
    context.close()


def _unit_with_one_late_plan(store) -> str:
    """A Changning unit whose only red/yellow duty is its own annual plan."""
    from pipeline.obligations import obligation_status

    by_unit = defaultdict(list)
    for s in obligation_status(store, DEMO_AS_OF, "长宁区"):
        if s.light != "green":
            by_unit[s.unit].append(s)
    units = sorted(u for u, late in by_unit.items() if len(late) == 1 and late[0].kind == "plan")
    assert units, "the demo day should leave units whose only late duty is their own plan"
    return units[0]


def test_filing_with_the_token_turns_the_unit_green(browser, dashboard, demo_store, shots):
    unit = _unit_with_one_late_plan(demo_store)
    context, page = _page(browser)
    page.goto(f"{dashboard}/units/长宁区/{unit}")
    assert page.locator("#unit-light .light").get_attribute("class") in ("light light-red", "light light-yellow")
    assert page.locator("#filing-form").count() == 0  # not signed in: no form
    _sign_in(page, dashboard)
    page.goto(f"{dashboard}/units/长宁区/{unit}")
    form = page.locator("#filing-form")
    form.locator("select[name=kind]").select_option("plan")
    form.locator("select[name=plan]").select_option("长府办〔2026〕8号")
    page.screenshot(path=str(shots / "unit-form-1280.png"), full_page=True)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("p.notice")
    assert f"已记录：{unit} 报送年度计划（长府办〔2026〕8号）" in page.locator("p.notice").inner_text()
    assert page.locator("#unit-light .light").get_attribute("class") == "light light-green"
    # Periods as people write them, not 2026Q2.
    periods = page.locator("#duties td[data-label=期间]").all_inner_texts()
    assert "2026年第二季度" in periods and not [p for p in periods if "Q" in p]
    assert page.locator("#filings tbody tr", has_text="年度计划").count() == 1
    page.screenshot(path=str(shots / "unit-filed-1280.png"), full_page=True)
    context.close()


def test_uploaded_draft_shows_its_findings(browser, dashboard, tmp_path, shots):
    # Items 5 and 9 of the Changning plan take up city items 12 and 16.
    draft = make_draft(SAMPLES / "changning-2026-district-plan.txt", tmp_path / "长宁区方案草稿.txt", delete=(5, 9))
    context, page = _page(browser)
    _sign_in(page, dashboard)
    page.goto(dashboard + "/upload")
    page.set_input_files("#upload-form input[name=file]", str(draft))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/runs/*")
    assert "草稿" in page.locator("h1").inner_text()
    missing = page.locator("#findings li.sev-error", has_text="第12项")
    assert missing.count() >= 1
    assert page.locator("#findings li.sev-error", has_text="第16项").count() >= 1
    assert "缺失" in page.locator("#cov-12").inner_text()
    page.screenshot(path=str(shots / "draft-1280.png"), full_page=False)
    context.close()


def _filings(store) -> int:
    from store.obligations import list_filings

    with store.transaction() as session:
        return len(list_filings(session))


def test_writes_are_refused_without_token_or_csrf(dashboard, demo_store, tmp_path):
    before = _filings(demo_store)
    unit_url = f"{dashboard}/units/长宁区/区教育局/filings"
    form = {"kind": "plan", "plan": "长府办〔2026〕8号"}
    draft = {"file": ("draft.txt", (SAMPLES / "changning-2026-district-plan.txt").read_bytes(), "text/plain")}
    with httpx.Client() as anonymous:
        assert anonymous.post(unit_url, data=form).status_code == 403
        assert anonymous.post(dashboard + "/upload", files=draft).status_code == 403
        wrong = anonymous.post(unit_url, data=form, headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 403
    with httpx.Client() as signed_in:
        login = signed_in.post(dashboard + "/login", data={"token": DEMO_TOKEN, "next": "/"})
        assert login.status_code == 303 and "gongkai_session" in signed_in.cookies
        # A signed-in cookie without the form's CSRF token (what a forged cross-site form sends).
        refused = signed_in.post(unit_url, data=form)
        assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
        assert signed_in.post(unit_url, data={**form, "csrf": "0" * 40}).status_code == 403
    with httpx.Client(headers={"Authorization": f"Bearer {DEMO_TOKEN}".encode()}) as script:
        # The token is right, but the upload is of the wrong type or too large.
        bad_type = script.post(dashboard + "/upload", files={"file": ("draft.exe", b"MZ...", "application/octet-stream")})
        assert bad_type.status_code == 415
        big = script.post(dashboard + "/upload", files={"file": ("big.txt", "一" * 200_000, "text/plain")})
        assert big.status_code == 413
    assert _filings(demo_store) == before


def test_read_only_without_a_configured_token(demo_store):
    from fastapi.testclient import TestClient

    from web.app import Settings, create_app

    client = TestClient(create_app(demo_store, Settings(token=None, as_of=DEMO_AS_OF)))
    page = client.get("/units/长宁区/区教育局")
    assert page.status_code == 200 and "网页为只读" in page.text and "filing-form" not in page.text
    refused = client.post("/units/长宁区/区教育局/filings", data={"kind": "plan", "plan": "长府办〔2026〕8号"},
                          headers={"Authorization": "Bearer anything"})
    assert refused.status_code == 403 and "GONGKAI_WEB_TOKEN" in refused.json()["error"]
    assert client.post("/login", data={"token": ""}).status_code == 403


def test_times_are_shown_in_shanghai_time(demo_store):
    """The store keeps UTC (SQLite gives it back without its zone); a 政务公开科 reads the night's
    02:00 run as 02:00, not as the evening before."""
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from store.checks import CheckRun
    from web.app import Settings, create_app
    from web.render import cn_date

    assert cn_date(datetime(2026, 12, 3, 18, 5)) == "2026-12-04 02:05"  # naive: UTC
    assert cn_date(datetime(2026, 12, 3, 18, 5, tzinfo=UTC)) == "2026-12-04 02:05"
    assert cn_date(date(2026, 12, 4)) == "2026-12-04"
    with demo_store.transaction() as session:
        last = session.scalar(select(func.max(CheckRun.created_at)).where(CheckRun.kind == "nightly"))
    shown = last.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    page = TestClient(create_app(demo_store, Settings(token=None, as_of=DEMO_AS_OF))).get("/")
    assert f"最近一次夜间检查 {shown}" in page.text


def test_a_unit_page_puts_what_to_do_now_first(tmp_path):
    """Red duties head the unit's table; duties of plans whose year has closed (长宁 2025) are
    listed apart below it, not mixed in by due date as if 400 days overdue."""
    import re

    from fastapi.testclient import TestClient

    from pipeline.ingest import ingest_files
    from store.db import open_store
    from web.app import Settings, create_app

    store = open_store(str(tmp_path / "two-years.db"))
    ingest_files(store, [SAMPLES / "changning-2025-task-table.txt", SAMPLES / "shanghai-2026-municipal-plan.txt",
                         SAMPLES / "changning-2026-district-plan.txt"])
    client = TestClient(create_app(store, Settings(token=DEMO_TOKEN, as_of=DEMO_AS_OF)))
    page = client.get("/units/长宁区/区教育局")
    assert client.post("/login", data={"token": DEMO_TOKEN}).status_code in (200, 303)
    form = client.get("/units/长宁区/区教育局").text
    store.dispose()
    # the filing form offers the plan in force only, not last year's
    select = form[form.index('<select name="plan">'):]
    select = select[: select.index("</select>")]
    assert "长府办〔2026〕8号" in select and "长府办〔2025〕12号" not in select
    assert page.status_code == 200
    duties, _, rest = page.text.partition('id="closed-duties"')
    duties = duties[duties.index('id="duties"'):]
    rows = re.findall(r'<tr class="row-(\w+)">', duties)
    assert rows and "年度已结束未完成" not in duties
    order = {"red": 0, "yellow": 1, "green": 2}
    assert [order[r] for r in rows] == sorted(order[r] for r in rows)
    closed = rest[: rest.index("</details>")]
    assert "长府办〔2025〕12号" in closed and "年度已结束未完成" in closed and "长府办〔2026〕8号" not in closed
    assert re.search(r"往年已结束的方案：(\d+)项责任事项，其中\1项年度结束时未完成", closed)


def test_a_plan_whose_year_has_closed_is_history_on_the_overview(demo_store):
    """静安's 2025 要点 closed in April 2026: on the demo day the overview counts no plan in force
    for 静安 and says it has no 2026 plan, instead of showing the old plan's 13 errors as today's."""
    import re

    from fastapi.testclient import TestClient

    from web.app import Settings, create_app

    client = TestClient(create_app(demo_store, Settings(token=None, as_of=DEMO_AS_OF)))
    overview = client.get("/").text
    row = re.search(r'<tr class="row-\w+">\s*<td data-label="区"><a [^>]*>静安区</a>.*?</tr>', overview, re.S).group(0)
    assert "0 / 0" in row and "尚无2026年区级方案" in row
    assert re.search(r'data-label="错误" class="num ">0<', row)
    changning = re.search(r'<tr class="row-\w+">\s*<td data-label="区"><a [^>]*>长宁区</a>.*?</tr>', overview, re.S).group(0)
    assert "1 / 1" in changning and "尚无" not in changning
    district = client.get("/districts/静安区").text
    assert "年度已结束" in district and "2025年静安区政务公开工作要点" in district


def test_page_url_follows_base_url(monkeypatch):
    from web.links import page_url

    monkeypatch.delenv("GONGKAI_BASE_URL", raising=False)
    assert page_url("district", district="长宁区") is None
    monkeypatch.setenv("GONGKAI_BASE_URL", "http://10.0.0.5:8000/")
    assert page_url("district", district="长宁区") == "http://10.0.0.5:8000/districts/%E9%95%BF%E5%AE%81%E5%8C%BA"
    assert page_url("finding", run=7, finding=3) == "http://10.0.0.5:8000/runs/7#finding-3"
    assert page_url("plan", plan=2, item=12, as_of="2026-06-20") == "http://10.0.0.5:8000/plans/2?as_of=2026-06-20#cov-12"
    with pytest.raises(ValueError):
        page_url("nowhere")


def test_artifacts_link_to_the_dashboard_when_it_has_an_address(monkeypatch):
    from flows.artifacts import dashboard_links, findings_table

    summary = {"kind": "nightly", "as_of": "2026-06-20", "districts": {"长宁区": {
        "plans": [{"key": "长府办〔2026〕8号", "run_id": 5}],
        "findings": [{"district": "长宁区", "doc_number": "长府办〔2026〕8号", "severity": "error", "code": "MISSING_MANDATED_ITEM",
                      "directive_item": 12, "plan_item": None, "units": [], "message": "缺少上级第12项"}]}}}
    monkeypatch.delenv("GONGKAI_BASE_URL", raising=False)
    assert "看板链接" not in findings_table(summary)[0] and dashboard_links(summary) == ""
    monkeypatch.setenv("GONGKAI_BASE_URL", "http://10.0.0.5:8000")
    assert findings_table(summary)[0]["看板链接"] == "http://10.0.0.5:8000/runs/5"
    assert "(http://10.0.0.5:8000/districts/%E9%95%BF%E5%AE%81%E5%8C%BA)" in dashboard_links(summary)
    # a unit's draft without a 发文字号 is named by its title, not by the store's key for it
    draft = {"kind": "draft", "as_of": "2026-06-20", "districts": {"长宁区": {"plans": [
        {"key": "上海市长宁区教育局:2026:2026年长宁区教育局政务公开工作计划", "run_id": 7,
         "title": "2026年长宁区教育局政务公开工作计划", "doc_number": None}]}}}
    links = dashboard_links(draft)
    assert "[草稿检查结果：《2026年长宁区教育局政务公开工作计划》](http://10.0.0.5:8000/runs/7)" in links
    assert ":2026:" not in links
