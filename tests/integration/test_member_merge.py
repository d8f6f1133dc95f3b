"""One person under two ids (a text export keyed by nickname, a WeCom archive keyed by userid), merged by an
operator: history, consent and human labels move; a later import lands on the kept member; erasure covers both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.tagging import infer_community
from api.services import label_tag, merge_members, set_health_consent
from community import db
from community.errors import Forbidden, InvalidInput, NotFound
from community.importers import import_file
from community.members import forget_member, list_members, possible_duplicates
from community.models import AuditEvent, Member, Message
from community.principal import CLI, Principal

pytestmark = pytest.mark.both_databases

TEXT = """2026-11-20 20:01:05 二宝妈Cindy: 老大对鸡蛋过敏，买蛋糕都要问清楚
2026-11-20 20:02:05 二宝妈Cindy: 周末烤了戚风
2026-11-20 20:03:05 王阿姨: 我爸血压高，医生让少吃盐
"""


def wecom_rows(texts: list[str], start: int) -> str:
    rows = [
        {
            "msgid": f"w{start + n}",
            "action": "send",
            "from": "wmCindy",
            "tolist": ["wr1"],
            "roomid": "wr1",
            "msgtime": 1763700000000 + (start + n) * 60_000,
            "msgtype": "text",
            "text": {"content": text},
        }
        for n, text in enumerate(texts)
    ]
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"


def load(
    tmp_path: Path, name: str, content: str, community: str, roster: dict[str, str] | None = None
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with db.session_scope() as s:
        import_file(s, CLI, path, community, secret=b"k", roster=roster)


@pytest.fixture
def two_ids(tmp_path: Path, community: str) -> tuple[int, int]:
    load(tmp_path, "jiankang.txt", TEXT, community)
    load(
        tmp_path,
        "hongbei.jsonl",
        wecom_rows(["宝宝八个月了在加辅食"], 0),
        community,
        {"wmCindy": "二宝妈Cindy"},
    )
    with db.session_scope() as s:
        ids = [m["member_id"] for m in list_members(s, CLI, community) if m["name"] == "二宝妈Cindy"]
        assert possible_duplicates(s, CLI, community) == [ids]  # the hint an operator starts from
    assert len(ids) == 2
    return ids[0], ids[1]


def members_named(community: str, name: str) -> list[dict]:
    with db.session_scope() as s:
        return [m for m in list_members(s, CLI, community) if m["name"] == name]


def test_merge_moves_history_keeps_the_stricter_consent_and_the_human_labels(
    tmp_path: Path, community: str, two_ids: tuple[int, int]
) -> None:
    keep, other = two_ids
    with db.session_scope() as s:
        set_health_consent(s, CLI, keep, community, "granted")
        set_health_consent(s, CLI, other, community, "refused")
        label_tag(s, CLI, other, "baking", "rejected")  # an operator's label on the other id
        infer_community(s, CLI, community)
    with db.session_scope() as s:
        done = merge_members(s, CLI, keep, other, community)
    assert done["messages_moved"] == 1 and done["health_consent"] == "refused"  # the stricter stands
    listed = members_named(community, "二宝妈Cindy")
    assert [m["member_id"] for m in listed] == [keep]  # the other id is listed no more
    assert not {t["tag"] for t in listed[0]["tags"]} & {"allergy", "maternal_infant"}  # no consent: none
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.member_id == keep)) == 3
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "member.merge")).one()
        assert event.detail["merged"] == other and event.detail["consent_before"]["health"] == {
            "kept": "granted",
            "merged": "refused",
        }
        with pytest.raises(NotFound, match=f"merged into member {keep}"):
            merge_members(s, CLI, other, keep, community)
        set_health_consent(s, CLI, keep, community, "granted")  # asked again: now it may be tagged
        infer_community(s, CLI, community)
    tags = {t["tag"]: t for t in members_named(community, "二宝妈Cindy")[0]["tags"]}
    assert "allergy" in tags and "maternal_infant" in tags  # from both ids' messages
    assert "baking" not in tags  # the operator's rejection on the other id still stands


def test_a_later_import_of_the_merged_id_lands_on_the_kept_member_and_erasure_covers_both(
    tmp_path: Path, community: str, two_ids: tuple[int, int]
) -> None:
    keep, other = two_ids
    with db.session_scope() as s:
        merge_members(s, CLI, keep, other, community)
    load(
        tmp_path, "hongbei-2.jsonl", wecom_rows(["今天又烤了吐司"], 10), community, {"wmCindy": "二宝妈Cindy"}
    )
    with db.session_scope() as s:
        latest = s.scalars(select(Message).order_by(Message.id.desc())).first()
        assert latest is not None and latest.member_id == keep
        forget_member(s, CLI, keep, community)
        alias = s.get(Member, other)
        assert alias is not None and alias.erased_at is not None and "Cindy" not in alias.display_name
    load(tmp_path, "hongbei-3.jsonl", wecom_rows(["还在吗"], 20), community, {"wmCindy": "二宝妈Cindy"})
    with db.session_scope() as s:  # an old export of either id brings nothing back
        assert (
            s.scalar(select(func.count()).select_from(Message).where(Message.member_id.in_((keep, other))))
            == 0
        )


def test_merge_refuses_what_it_cannot_do(community: str, two_ids: tuple[int, int]) -> None:
    keep, other = two_ids
    host = Principal(user_id=None, name="host", role="host", communities=frozenset({community}))
    with db.session_scope() as s:
        with pytest.raises(Forbidden):
            merge_members(s, host, keep, other, community)
        with pytest.raises(InvalidInput, match="itself"):
            merge_members(s, CLI, keep, keep, community)
        with pytest.raises(NotFound):
            merge_members(s, CLI, keep, 99999, community)
        forget_member(s, CLI, other, community)
        with pytest.raises(InvalidInput, match="erased"):
            merge_members(s, CLI, keep, other, community)


def test_a_tag_both_ids_had_is_kept_once_with_the_evidence_of_both(tmp_path: Path, community: str) -> None:
    load(tmp_path, "a.txt", "2026-11-20 20:02:05 二宝妈Cindy: 周末烤了戚风\n", community)
    load(tmp_path, "b.jsonl", wecom_rows(["烤箱到了 今天烤吐司"], 0), community, {"wmCindy": "二宝妈Cindy"})
    with db.session_scope() as s:
        infer_community(s, CLI, community)
        keep, other = (m["member_id"] for m in list_members(s, CLI, community))
        merge_members(s, CLI, keep, other, community)
    (cindy,) = members_named(community, "二宝妈Cindy")
    baking = [t for t in cindy["tags"] if t["tag"] == "baking"]
    assert len(baking) == 1 and len(baking[0]["evidence"]) == 2  # shown at once, before any new inference
    with db.session_scope() as s:
        assert infer_community(s, CLI, community)["considered"] == 1  # the merged member is looked at again
