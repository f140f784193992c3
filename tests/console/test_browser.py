"""The console in a real browser: Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import datetime as dt
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RED = "rgb(198, 40, 40)"


@pytest.fixture
def page(browser, live):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.dialogs = []  # every alert()/confirm() a page tries to open
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()


def sign_in(page, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("#current-user").count() == 1


def act(page, action: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"button[data-action={action}]")
    page.wait_for_load_state()


def test_duty_officer_acknowledges_records_release_and_closes(page, password, fresh_incident):
    iid = fresh_incident(title="城区积水影响出行")
    sign_in(page, "duty", password)
    page.goto(f"/incidents/{iid}")
    assert page.locator("#incident-title").inner_text() == "城区积水影响出行"
    act(page, "acknowledge")
    assert page.locator(".flash.ok").inner_text() == "已签收"
    assert page.locator(".badges .state").inner_text() == "已签收"

    page.locator("details.release-form summary").click() if not page.locator("#release-form").is_visible() else None
    def fill_release(unit_head: str) -> None:
        form = "#release-form"
        page.select_option(f"{form} select[name=channel]", "website")
        page.fill(f"{form} input[name=url]", "https://www.yn.gov.cn/notice/1.html")
        page.fill(f"{form} input[name=title]", "关于城区积水情况的通报")
        page.fill(f"{form} textarea[name=text]", "经核实，城区积水系暴雨所致。已组织排水抢险。积水已全部排除。")
        for step, person, at in (("drafter", "应急厅承办人", "09:00"), ("office_head", "应急厅新闻宣传处处长", "09:20"),
                                 ("unit_head", unit_head, "09:40")):
            page.fill(f"{form} input[name={step}]", person)
            page.fill(f"{form} input[name={step}_at]", f"2026-11-23T{at}")
        page.click(f"{form} button[type=submit]")
        page.wait_for_load_state()

    # One person signing two steps is refused, with the reason on the page.
    fill_release("应急厅新闻宣传处处长")
    error = page.locator(".flash.error").inner_text()
    assert "三级审核须由三名不同人员分别完成" in error and "应急厅新闻宣传处处长" in error
    assert page.locator("#releases li.release").count() == 0

    fill_release("应急厅副厅长")
    assert page.locator(".flash.ok").inner_text() == "已登记发布"
    release = page.locator("#releases li.release").first.inner_text()
    for text in ("情况通报", "政府网站", "关于城区积水情况的通报", "承办人初审：应急厅承办人",
                 "承办部门负责人审核：应急厅新闻宣传处处长", "单位负责人审发：应急厅副厅长", "2026-11-23 09:20",
                 "积水已全部排除。"):
        assert text in release
    assert page.locator(".badges .state").inner_text() == "已回应"
    assert "已按时完成" in page.locator("#clocks").inner_text()  # the release met the running clock

    act(page, "close")
    assert page.locator(".badges .state").inner_text() == "已办结"
    audited = page.locator("#audit tr.audit-row").evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert {"acknowledge", "record", "record_release", "close"} <= set(audited)
    assert page.dialogs == []


def test_office_staff_act_on_their_incident_and_get_403_on_another(page, password, seeded, fresh_incident):
    own = fresh_incident("prov_emergency", title="应急厅本单位事件")
    sign_in(page, "emerg", password)
    titles = page.locator("#incident-queue a.incident-title").all_inner_texts()
    assert "应急厅本单位事件" in titles and "医院挂号难引发关注" not in titles
    page.goto(f"/incidents/{own}")
    assert page.locator("button[data-action=dismiss]").count() == 0  # not an office staff action
    act(page, "acknowledge")
    assert page.locator(".badges .state").inner_text() == "已签收"

    resp = page.goto(f"/incidents/{seeded.health}")
    assert resp.status == 403
    assert "无权查看" in page.locator("main").inner_text()
    api = page.request.get(f"/api/incidents/{seeded.health}")
    assert api.status == 403
    forged = page.request.post(f"/api/incidents/{seeded.health}/actions/acknowledge",
                               headers={"X-CSRF-Token": "x"})
    assert forged.status == 403

    page.goto("/office")
    assert "应急厅本单位事件" in page.locator("#office-incidents").inner_text()


def test_countdown_ticks_and_turns_red_when_overdue(page, password, seeded, fresh_incident):
    soon = fresh_incident(title="即将超时的事件", due_in=dt.timedelta(seconds=2))
    sign_in(page, "duty", password)
    page.goto(f"/incidents/{seeded.emergency}")
    overdue = page.locator("#clocks tr[data-rule=authoritative_info] .countdown")
    assert overdue.inner_text().startswith("已超时 1小时")
    assert "overdue" in overdue.get_attribute("class")
    # A missed clock is a red badge (white on red) that keeps counting how long it is overdue.
    assert "overdue-badge" in overdue.get_attribute("class")
    assert overdue.evaluate("el => getComputedStyle(el).backgroundColor") == RED
    running = page.locator("#clocks tr[data-rule=response_48h] .countdown")
    # The server rendered 42 h (1天18小时00分) left; the script ticks from the server's time: 1天17小时59分.
    page.wait_for_function("el => el.textContent.includes('剩余 1天17小时59分')", arg=running.element_handle())
    assert "ok" in running.get_attribute("class")

    page.goto(f"/incidents/{soon}")
    clock = page.locator("#clocks .countdown")
    assert clock.inner_text().startswith("剩余")
    assert clock.evaluate("el => getComputedStyle(el).color") == RED  # under an hour left: red already
    page.wait_for_function("el => el.classList.contains('overdue')", arg=clock.element_handle(), timeout=6000)
    assert clock.inner_text().startswith("已超时")


def test_crawled_markup_renders_as_text_on_every_page(page, password, seeded, xss):
    sign_in(page, "duty", password)
    for path in ("/", f"/incidents/{seeded.xss}", "/office?office=prov_emergency", "/?q=塌方", "/reports"):
        page.goto(path)
        page.wait_for_timeout(100)
        assert page.locator("script").count() == 1, path  # only the console's own script
        assert page.locator("main img").count() == 0, path
        assert xss["title"] in page.locator("main").inner_text(), path
    assert xss["text"] in page.locator("#assessments").inner_text()
    page.goto(f"/incidents/{seeded.xss}")
    assert page.locator("#incident-title").inner_text() == xss["title"]
    assert page.locator("#incident-summary").inner_text() == xss["text"]
    assert xss["text"] in page.locator("#mentions .mention-text").first.inner_text()
    assert page.locator("#mentions a.mention-title").get_attribute("href") == "#"
    assert page.dialogs == []


def test_form_post_without_csrf_token_is_rejected(page, password, seeded, cstore):
    sign_in(page, "duty", password)
    page.goto("/")
    status = page.evaluate(
        """async (id) => (await fetch(`/incidents/${id}/actions/escalate`,
             {method: 'POST', body: new URLSearchParams({reason: 'x'})})).status""", seeded.health)
    assert status == 403
    assert cstore.get("incidents", seeded.health)["state"] == "assigned"
