"""The operator's desk in a real browser: log in, open a draft, follow a citation to its report paragraph, edit,
approve, and find the approval in the audit log; a host types a script and sees 降血压 marked with its rewrite;
the pages hold at phone width; the print view carries the evidence cards; an operator filters members by tag and
downloads a 接龙 pick list."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Served

pytestmark = pytest.mark.browser

HAND_TYPED = """【开场】家人们晚上好，我是老陈，今晚给大家带来减盐酿造酱油。
这款酱油钠含量比普通酿造酱油低，每15ml含钠683mg。
家里有老人的一定要换，天天吃能降血压。"""


def log_in(page: Page, served: Served, role: str) -> None:
    page.goto(f"{served.base}/")
    page.get_by_role("link", name=re.compile("登录")).click()
    page.get_by_label("访问令牌").fill(served.tokens[role])
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".me")).to_contain_text("demo-" + role)


def shot(page: Page, artifacts: Path, name: str, full: bool = True) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=full)


def test_operator_follows_a_citation_edits_approves_and_finds_it_in_the_audit(
    page: Page, served: Served, artifacts: Path
) -> None:
    log_in(page, served, "operator")
    expect(page).to_have_url(f"{served.base}/inbox")
    script = served.drafts["oil_script"]
    expect(page.locator(f"tr[data-draft='{script}']")).to_be_visible()
    assert page.locator("tr[data-draft]").count() >= len(served.drafts)
    shot(page, artifacts, "01-inbox")

    page.locator(f"tr[data-draft='{script}'] a", has_text=f"#{script}").click()
    expect(page.locator("h1")).to_contain_text(f"直播脚本 #{script}")
    expect(page.locator(".badge.ai")).to_have_text("AI 生成")

    # the 品质证据 sentence about acidity cites batch EV2611A's test report: open the citation beside it
    sentence = page.locator(".row.sentence").filter(
        has=page.locator("p.text", has_text="酸度（以游离脂肪酸计）")
    )
    sentence.locator("a.ref").first.click()
    cite = sentence.locator("details.cite").first
    expect(cite).to_have_attribute("open", "")
    expect(cite.locator("blockquote.source")).to_contain_text("0.2")
    expect(cite.locator("dl.meta")).to_contain_text("EV2611A")
    expect(cite.locator("dl.meta")).to_contain_text("2027-11-04")
    expect(cite.locator("dl.meta")).to_contain_text("检测报告")
    sentence.scroll_into_view_if_needed()
    shot(page, artifacts, "02-draft-citation-open", full=False)

    cite.get_by_role("link", name="单独查看此段来源").click()
    expect(page.locator("#source-text")).to_contain_text("酸度")
    expect(page.locator("dl.meta")).to_contain_text("EV2611A")
    shot(page, artifacts, "03-source-paragraph")
    page.go_back()

    # edit: a new revision, checked again, back in review
    box = page.locator("#edit-form textarea[name=text]")
    box.fill(box.input_value().replace("家人们晚上好", "各位邻居晚上好"))
    page.locator("#edit-form").get_by_role("button", name="保存新修订").click()
    expect(page.locator(".alert.ok")).to_contain_text("已保存为新修订")
    expect(page.locator("#revision")).to_have_text("第 2 版")
    expect(page.locator(".draft-text")).to_contain_text("各位邻居晚上好")

    page.locator("#approve-form").get_by_role("button", name="批准").click()
    expect(page.locator(".alert.ok")).to_contain_text("已批准此修订")
    expect(page.locator("#draft-status")).to_have_attribute("data-status", "approved")

    page.get_by_role("link", name="审计日志").click()
    row = page.locator(f"tr[data-action='draft.approve'][data-object='draft:{script}']")
    expect(row).to_have_count(1)
    expect(row.locator(".actor")).to_have_text("demo-operator")
    expect(row).to_contain_text("运营")
    expect(row).to_contain_text("第 2 版")
    expect(row).to_contain_text(datetime.now(UTC).strftime("%Y-%m-%d"))
    edit_row = page.locator(f"tr[data-action='draft.edit'][data-object='draft:{script}']")
    expect(edit_row).to_have_count(1)
    shot(page, artifacts, "04-audit")


def test_host_types_a_script_and_sees_the_finding_marked_with_its_rewrite(
    page: Page, served: Served, artifacts: Path
) -> None:
    log_in(page, served, "host")
    expect(page).to_have_url(f"{served.base}/host")
    form = page.locator("#ask-form")
    form.get_by_label("商品").select_option("SOY-LOWNA-500")
    form.get_by_label("活动时间与主题").fill("周四晚8点厨房直播")
    form.locator("#typed summary").click()
    form.locator("textarea[name=text]").fill(HAND_TYPED)
    shot(page, artifacts, "05-host-request")
    form.get_by_role("button", name="生成并送审").click()

    expect(page.locator(".alert.ok")).to_contain_text("草稿已生成")
    expect(page.locator("#draft-status")).to_have_attribute("data-status", "in_review")
    expect(page.locator(".badge.human")).to_have_text("人工撰写")
    expect(page.locator("#approve-form")).to_have_count(0)  # a host cannot approve
    mark = page.locator(".draft-text p.text mark.sev-block", has_text="降血压")
    expect(mark).to_be_visible()
    card_id = mark.locator("a").get_attribute("href")
    assert card_id and card_id.startswith("#f-")
    card = page.locator(card_id)
    expect(card).to_contain_text("疾病功效声称")
    expect(card.locator(".rewrite:not(.grounded)")).to_contain_text("建议改写")
    grounded = card.locator(".rewrite.grounded")  # the sentence rewritten from the soy sauce's own documents
    expect(grounded).to_contain_text("683mg")
    expect(grounded.locator("a")).not_to_have_count(0)  # its sources, each a link to the paragraph
    mark.click()
    expect(page).to_have_url(re.compile(re.escape(card_id) + "$"))
    shot(page, artifacts, "06-host-typed-finding")

    # the same page at phone width: one column, nothing wider than the screen
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(mark).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at a 375px viewport"
    shot(page, artifacts, "07-phone-draft")
    page.goto(f"{served.base}/inbox")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, artifacts, "08-phone-inbox")

    # the host takes the rewrite: it replaces the sentence in the edit box, and the saved revision is clean of it
    page.set_viewport_size({"width": 1280, "height": 900})
    page.go_back()
    rewrite = grounded.locator("p").first.inner_text().split("：", 1)[1]
    grounded.get_by_role("button", name="用这句替换编辑框里的原句").click()
    box = page.locator("#edit-form textarea[name=text]")
    expect(box).to_be_focused()
    assert rewrite in box.input_value() and "降血压" not in box.input_value()
    page.locator("#edit-form").get_by_role("button", name="保存新修订").click()
    expect(page.locator("#revision")).to_have_text("第 2 版")
    expect(page.locator(".draft-text mark", has_text="降血压")).to_have_count(0)
    expect(page.locator(".draft-text p.text", has_text="683mg").first).to_be_visible()
    shot(page, artifacts, "09-rewrite-taken")


def test_print_view_carries_evidence_cards(page: Page, served: Served, artifacts: Path) -> None:
    log_in(page, served, "host")
    page.goto(f"{served.base}/drafts/{served.drafts['soy_segment']}/print")
    cards = page.locator(".evidence-card")
    assert cards.count() >= 3
    expect(cards.first.locator("blockquote.source")).not_to_be_empty()
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".print-script")).to_contain_text("主播禁说")
    shot(page, artifacts, "09-print-view")


def test_members_page_shows_tags_with_their_evidence(page: Page, served: Served, artifacts: Path) -> None:
    log_in(page, served, "operator")
    page.get_by_role("link", name="成员").click()
    tagged = page.locator("tr[data-member]", has=page.locator(".badge.tag")).first
    tagged.locator("a").first.click()
    expect(page.locator(".tag-card").first.locator(".evidence-list li").first).to_be_visible()
    expect(page.locator(".original")).to_have_count(0)  # the text as sent only on an operator's request
    shot(page, artifacts, "10-member")


def test_operator_finds_a_segment_and_downloads_a_chains_pick_list(
    page: Page, served: Served, artifacts: Path, tmp_path: Path
) -> None:
    log_in(page, served, "operator")
    page.get_by_role("link", name="成员").click()
    page.locator("nav.counts a[data-tag=baking]").click()
    expect(page.locator("nav.counts a[data-tag=baking]")).to_have_attribute("aria-current", "true")
    expect(page.locator("tr[data-member] td:first-child a")).to_have_text(["王阿姨"])
    page.get_by_label("昵称或 ID").fill("小林")
    page.locator("select[name=tag]").select_option("")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("tr[data-member] td:first-child a")).to_have_text(["小林"])
    shot(page, artifacts, "11-members-filtered")
    page.get_by_role("link", name="接龙").click()
    chain = page.locator("details[data-chain]").first
    expect(chain).to_have_attribute("open", "")
    expect(chain.locator("[data-total]")).to_have_text("3瓶")
    expect(chain.locator("tbody tr")).to_have_count(2)
    shot(page, artifacts, "12-chains")
    with page.expect_download() as download:
        chain.get_by_role("link", name=re.compile("下载配货单")).click()
    saved = tmp_path / "picklist.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == "序号,昵称,数量,单位,备注" and lines[2] == "1,王阿姨,2,瓶,"
    assert lines[-1].startswith("合计,,3,瓶")
