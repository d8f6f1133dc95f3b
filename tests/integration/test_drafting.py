"""Offline drafts for a segment: the taxonomy's lawful angle, facts that exist (or saying there are none), the
opt-out line on profiled pushes, no person or condition in group copy, prices from the request."""

from __future__ import annotations

import pytest

from agent.checks import run_checks
from agent.drafting import compose_draft
from agent.drafting.composer import OPT_OUT
from agent.taxonomy import taxonomy
from knowledge.index import KnowledgeBase


def blocking(draft) -> list[str]:  # type: ignore[no-untyped-def]
    return [f["rule"] for f in draft.findings if f["severity"] == "block"]


def test_blood_pressure_angle_states_the_sodium_figures_of_the_batch_on_sale(kb: KnowledgeBase) -> None:
    draft = compose_draft(kb, kind="script", sku="SOY-LOWNA-500", segment="blood_pressure")
    angle = draft.revision.trace["angle"]
    assert angle["tag"] == "blood_pressure" and angle["angle"] == taxonomy().tags["blood_pressure"].angle
    assert [f["key"] for f in angle["facts"]][0] == "钠" and angle["missing"] == []
    assert all(f["chunk_id"].startswith("soy-lowna-500-") for f in angle["facts"])
    line = next(s for s in draft.revision.sentences if s["text"].startswith("钠："))
    assert "4480" in line["text"] and line["citations"] == [angle["facts"][0]["chunk_id"]]
    assert "注意控盐饮食的家人可以重点看看这几项：" in draft.revision.text
    assert blocking(draft) == [] and not any(f["rule"].startswith("dis.") for f in draft.findings)
    # 苯甲酸及其钠盐 contains 钠 but is another item: never offered as the sodium figure
    assert all("苯甲酸" not in f["key"] for f in angle["facts"])


def test_no_fact_for_the_angle_is_said_not_invented(kb: KnowledgeBase) -> None:
    draft = compose_draft(kb, kind="push", sku="OIL-EVOO-500", segment="maternal_infant")
    angle = draft.revision.trace["angle"]
    assert angle["facts"] == [] and angle["missing"] == ["铁", "锌", "钙"]
    assert "家里有宝宝的家人关心的这几项，这款商品的资料里没有写" in draft.revision.text
    assert not any(word in draft.revision.text for word in ("铁", "锌", "钙"))
    assert blocking(draft) == []


@pytest.mark.parametrize("tag", sorted(taxonomy().tags))
def test_every_tag_gives_a_lawful_checked_push(kb: KnowledgeBase, tag: str) -> None:
    for sku in ("OIL-EVOO-500", "SOY-LOWNA-500"):
        draft = compose_draft(kb, kind="push", sku=sku, segment=tag, member_names=["王阿姨", "小李妈妈"])
        assert blocking(draft) == [], (sku, tag, draft.findings)
        assert draft.revision.text.endswith(OPT_OUT)
        assert taxonomy().tags[tag].audience in draft.revision.text
        for fact in draft.revision.trace["angle"]["facts"]:
            assert f"{fact['key']}：{fact['value']}" in draft.revision.text


def test_only_profiled_pushes_carry_the_opt_out_and_a_missing_one_blocks(kb: KnowledgeBase) -> None:
    assert OPT_OUT not in compose_draft(kb, kind="push", sku="OIL-EVOO-500").revision.text
    assert OPT_OUT not in compose_draft(kb, kind="script", sku="OIL-EVOO-500", segment="baking").revision.text
    bare = run_checks("【直播预告】今晚8点带大家看减盐酱油。", kind="push", segment="blood_pressure")
    assert [(f["rule"], f["severity"]) for f in bare] == [("privacy.opt_out_missing", "block")]
    assert run_checks("【直播预告】今晚8点。" + OPT_OUT, kind="push", segment="blood_pressure") == []
    assert (
        run_checks("【直播预告】今晚8点。", kind="push") == []
    )  # a push to the whole group was not profiled


def test_group_copy_never_names_a_member_or_their_condition() -> None:
    findings = run_checks(
        "王阿姨血压高，这款减盐酱油正合适；楼上那位宝妈怀孕了也能吃", member_names=["王阿姨"]
    )
    rules = [f["rule"] for f in findings]
    assert "privacy.member_named" in rules and rules.count("privacy.health_statement") == 1
    assert "privacy.health_statement" in [f["rule"] for f in run_checks("她家孩子过敏，别买这款")]
    # speaking to a segment's interest is how group copy should sound
    assert run_checks("注意控盐饮食的家人可以看看这款减盐酱油，有过敏史的家人先看配料表") == []


def test_a_chains_price_is_the_requests(kb: KnowledgeBase) -> None:
    draft = compose_draft(kb, kind="chain", sku="SOY-LOWNA-500", price="¥19.9", deadline="今晚22:00")
    assert "团购价：¥19.9" in draft.revision.text and blocking(draft) == []
    edited = draft.revision.text.replace("¥19.9", "¥15.9")
    wrong = [
        f for f in run_checks(edited, sku="SOY-LOWNA-500", kb=kb, prices=["¥19.9"]) if "price" in f["rule"]
    ]
    assert [(f["rule"], f["text"]) for f in wrong] == [("grounding.price_wrong_value", "¥15.9")]


def test_a_script_states_the_product_sheets_sanctioned_points_that_pass_every_check(
    kb: KnowledgeBase,
) -> None:
    draft = compose_draft(kb, kind="script", sku="SOY-LOWNA-500")
    points = next(s for s in draft.revision.sentences if s["text"].startswith("先给大家划几个重点："))
    assert "每15ml含钠683mg" in points["text"] and "钠含量比普通酿造酱油降低30%" in points["text"]
    # the sheet that sanctions the points is cited; so is the batch's report wherever a point repeats its figures
    assert points["citations"][-1].startswith("soy-lowna-500-product#")
    assert all(c.startswith(("soy-lowna-500-report", "soy-lowna-500-product#")) for c in points["citations"])
    assert draft.revision.trace["prompt_version"] == "script-v2" and blocking(draft) == []


def test_a_quoted_document_sentence_that_says_nothing_new_is_left_out(kb: KnowledgeBase) -> None:
    """The oil's origin line states 西班牙, 安达卢西亚 and 哈恩省; the sheet's own 这瓶油产自西班牙南部安达卢西亚的
    哈恩省 repeats all three and is not quoted after it, while the estate's story (new names and figures) is."""
    draft = compose_draft(kb, kind="script", sku="OIL-EVOO-500")
    story = [s["text"] for s in draft.revision.sentences if s["segment"] == "源头故事"]
    assert sum("哈恩省" in s for s in story) == 1, story
    assert any("庄园" in s and "320公顷" in s for s in story) and blocking(draft) == []


def test_the_requests_own_dates_are_no_product_claims(kb: KnowledgeBase) -> None:
    """The event time and cut-off the host asked for appear in the copy; they stand on the request, while the same
    date said about the product stands on nothing."""
    draft = compose_draft(
        kb,
        kind="chain",
        sku="OIL-EVOO-500",
        event="11月25日晚8点溯源直播",
        price="¥89/瓶",
        deadline="11月25日 22:00",
    )
    assert "11月25日" in draft.revision.text
    assert not [f for f in draft.findings if f["severity"] == "block"], draft.findings
    said = "这批橄榄油是11月25日在西班牙压榨的。"
    assert [f for f in run_checks(said, sku="OIL-EVOO-500", kb=kb) if f["rule"].startswith("grounding")]
    given = run_checks(said, sku="OIL-EVOO-500", kb=kb, given=["11月25日晚8点溯源直播"])
    assert not [f for f in given if f["text"] == "11月25日"]


def test_a_typed_script_cites_what_its_lines_stand_on_and_an_edit_keeps_it(
    kb: KnowledgeBase, community: str
) -> None:
    from agent.drafting import submit_text
    from api.services import edit_draft
    from community import db
    from community.principal import CLI

    typed = "家人们晚上好，今晚讲橄榄油。\n这批油酸度0.2%，产自西班牙哈恩省。\n每瓶500ml。"
    with db.session_scope() as s:
        doc = submit_text(s, CLI, kb, community_id=community, kind="script", sku="OIL-EVOO-500", text=typed)
    first = doc["sentences"]
    assert [s["text"] for s in first] == typed.splitlines()
    greeting, figures, volume = first
    assert greeting["citations"] == []  # nothing to stand on, nothing cited
    assert "oil-evoo-500-report-ev2611a#002" in figures["citations"]  # the 0.2% of the batch on sale's report
    assert any(c.startswith("oil-evoo-500-product#") for c in figures["citations"])  # the origin
    assert volume["citations"] and all(h.sku == "OIL-EVOO-500" for h in kb.get_chunks(volume["citations"]))
    edited = typed.replace("今晚讲橄榄油", "今晚讲特级初榨橄榄油") + "\n保质期24个月。"
    with db.session_scope() as s:
        again = edit_draft(s, CLI, kb, doc["id"], edited)
    second = again["sentences"]
    assert second[1] == figures and second[2] == volume  # kept lines keep their citations
    assert second[0]["citations"] == [] and second[3]["citations"]
