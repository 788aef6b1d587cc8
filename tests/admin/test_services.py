"""Admin services on real SQL (each test on SQLite and on PostgreSQL): drafts, publishing, rollback,
audit, statistics, the office calendar and staff accounts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline import users
from hotline.admin import audit, drafts, editor, office, staff, stats
from hotline.admin.editor import NodeEdit
from hotline.admin.models import AuditEntry, CalendarDay
from hotline.admin.recent import Recent
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.db import transaction
from hotline.office_hours import OfficeHours, OfficeSource, QueuePolicy
from hotline.queue_log import QueueEvent
from intents import versions
from intents.tree import Tree

KYIV = "Europe/Kyiv"


def _admin(sessions: sessionmaker[Session], name: str = "anna") -> users.User:
    with transaction(sessions) as session:
        return users.create(session, username=name, password="s3cret-pass", role=users.Role.ADMIN)


def _without_answer(tree: Tree) -> Tree:
    node = tree.index["office_hours"]
    texts = {**node.texts, "ru": replace(node.text("ru"), short="")}
    return editor.update_node(tree, "office_hours", NodeEdit(node.key, texts, node.action, node.queue, node.priority))


def test_an_edit_changes_the_draft_only_and_is_audited(demo: sessionmaker[Session]) -> None:
    anna = _admin(demo)
    with transaction(demo) as session:
        changes = drafts.edit(
            session, actor=anna, action="tree.add_example", target="office_hours",
            change=lambda t: editor.add_phrase(t, "office_hours", "uk", "о котрій відчиняєтесь"),
        )  # fmt: skip
        assert [(c.slug, c.field, c.lang) for c in changes] == [("office_hours", "phrases", "uk")]
    with demo() as session:
        assert "о котрій відчиняєтесь" in drafts.draft(session).index["office_hours"].text("uk").phrases
        published = drafts.published(session)
        assert (
            published is not None and "о котрій відчиняєтесь" not in published.index["office_hours"].text("uk").phrases
        )
        assert len(drafts.unpublished(session)) == 1
        (entry,) = audit.recent(session)
    assert (entry.username, entry.action, entry.target) == ("anna", "tree.add_example", "office_hours")
    assert entry.detail["changes"][0]["new"].endswith("о котрій відчиняєтесь")


def test_a_draft_that_breaks_the_rules_is_not_published(demo: sessionmaker[Session]) -> None:
    anna = _admin(demo)
    cache = drafts.MatcherCache()
    with transaction(demo) as session:
        drafts.edit(session, actor=anna, action="tree.update", target="office_hours", change=_without_answer)
    with pytest.raises(drafts.Invalid) as refused, transaction(demo) as session:
        drafts.publish(session, actor=anna, note="break it", matchers=cache)
    assert {(p.code, p.slug, p.lang) for p in refused.value.problems} >= {("empty_answer", "office_hours", "ru")}
    with demo() as session:
        assert len(drafts.history(session)) == 1
        assert [e.action for e in audit.recent(session)] == ["tree.update"]


def test_publish_then_roll_back_as_a_new_version(demo: sessionmaker[Session]) -> None:
    anna = _admin(demo)
    cache = drafts.MatcherCache()
    with transaction(demo) as session:
        first = drafts.history(session)[0].id
        drafts.edit(session, actor=anna, action="tree.delete", target="office_hours",
                    change=lambda t: editor.delete_node(t, "office_hours"))  # fmt: skip
        second = drafts.publish(session, actor=anna, note="no hours", matchers=cache).id
    with pytest.raises(editor.EditError, match="same as the published"), transaction(demo) as session:
        drafts.publish(session, actor=anna, note="again", matchers=cache)
    with transaction(demo) as session:
        third = drafts.rollback(session, actor=anna, version_id=first, note="hours are back")
    with demo() as session:
        assert [v.id for v in drafts.history(session)] == [third.id, second, first]
        assert versions.current_version_id(session) == third.id and "rollback to version" in third.note
        assert "office_hours" in drafts.tree_of(session, third.id).index
        assert "office_hours" not in drafts.tree_of(session, second).index
        assert drafts.unpublished(session) == []  # the draft is the rolled-back tree too
        removed = [c for c in drafts.diff(drafts.tree_of(session, first), drafts.tree_of(session, second))]
        assert ("office_hours", "removed") in [(c.slug, c.what) for c in removed]
        assert [e.action for e in audit.recent(session)] == ["tree.rollback", "tree.publish", "tree.delete"]
    with pytest.raises(drafts.UnknownVersion), transaction(demo) as session:
        drafts.rollback(session, actor=anna, version_id=9999, note="nope")


def _conversation(session: Session, at: datetime, channel: str, *, intent: str | None, handoff: bool = False) -> str:
    cid = f"c{int(at.timestamp())}{channel}{intent}{handoff}"
    session.add(
        Conversation(id=cid, channel=channel, lang="uk", started_at=at, handoff_queue="subsidies" if handoff else None)
    )
    session.flush()
    if intent:
        session.add(ConversationEvent(conversation_id=cid, step=1, seq=1, at=at, kind="bot", text="…", intent=intent))
    return cid


def test_statistics_per_day_and_channel_in_the_office_time_zone(sessions: sessionmaker[Session]) -> None:
    # 21:30 UTC on 1 June is 00:30 on 2 June in Kyiv (UTC+3 in summer).
    late = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)
    noon = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        _conversation(session, noon, "web", intent="office_hours")
        _conversation(session, noon + timedelta(minutes=1), "web", intent=None)  # opened, asked nothing
        waited = _conversation(session, noon, "phone", intent="operator", handoff=True)
        gone = _conversation(session, late, "phone", intent=None, handoff=True)
        _conversation(session, late, "viber", intent="birth_grant")
        session.add_all([
            QueueEvent(at=noon, event="entered", conversation_id=waited),
            QueueEvent(at=noon + timedelta(seconds=45), event="connected", conversation_id=waited, wait_seconds=45),
            QueueEvent(at=late, event="entered", conversation_id=gone, channel="phone"),
            QueueEvent(at=late + timedelta(seconds=200), event="abandoned", conversation_id=gone, wait_seconds=200),
        ])  # fmt: skip
    with sessions() as session:
        period = stats.Period(date(2026, 6, 1), date(2026, 6, 2), KYIV)
        report = stats.report(session, period, threshold=60)
        stricter = stats.report(session, period, threshold=30)
    first, second = date(2026, 6, 1), date(2026, 6, 2)
    web = report.cell(first, "web")
    assert (web.conversations, web.settled, web.settled_share) == (2, 1, 50.0)
    phone = report.cell(first, "phone")
    assert (phone.conversations, phone.handoffs, phone.answered, phone.average_wait, phone.p90_wait) == (
        1,
        1,
        1,
        45,
        45,
    )
    assert report.cell(second, "phone").abandoned == 1 and report.cell(second, "viber").settled == 1
    total = report.total()
    assert (total.conversations, total.settled, total.handoffs, total.abandoned) == (5, 2, 2, 1)
    assert total.service_level == 50.0 and stricter.total().service_level == 0.0
    assert [(i.slug, i.by_channel) for i in report.top_intents] == [
        ("birth_grant", {"viber": 1}),
        ("office_hours", {"web": 1}),
        ("operator", {"phone": 1}),
    ]


def test_referrals_are_counted_apart_from_answers_and_small_talk_settles_nothing(
    sessions: sessionmaker[Session],
) -> None:
    noon = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        _conversation(session, noon, "web", intent="office_hours")
        _conversation(session, noon, "viber", intent="other_police")
        _conversation(session, noon + timedelta(minutes=1), "web", intent="other_police")
        _conversation(session, noon, "phone", intent="other_tax")
        _conversation(session, noon, "phone", intent="smalltalk_thanks")
    with sessions() as session:
        period = stats.Period(date(2026, 6, 1), date(2026, 6, 1), KYIV)
        counts = stats.count(
            session, period, threshold=60, referrals=frozenset({"other_police", "other_tax"}),
            small_talk=frozenset({"smalltalk_thanks"}),
        )  # fmt: skip
    total = stats.Report.of(counts, []).total()
    assert (total.conversations, total.settled, total.referred) == (5, 1, 3)
    assert [(i.slug, i.total) for i in counts.top_referrals] == [("other_police", 2), ("other_tax", 1)]
    assert [i.slug for i in counts.top_intents] == ["office_hours"]


def test_waits_take_the_nearest_rank_percentile_and_days_follow_the_clock_change(
    sessions: sessionmaker[Session],
) -> None:
    # Kyiv moves its clocks on 29 March 2026 (UTC+2 → UTC+3): 22:30 UTC on the 28th is already the
    # 29th there, 21:30 UTC on the 29th is already the 30th.
    noon = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        for n in range(1, 21):
            channel = "phone" if n <= 10 else "web"
            cid = _conversation(session, noon + timedelta(minutes=n), channel, intent=None, handoff=True)
            session.add(QueueEvent(at=noon + timedelta(minutes=n), event="connected", conversation_id=cid,
                                   channel=channel, wait_seconds=float(n)))  # fmt: skip
        for at in (datetime(2026, 3, 28, 21, 30, tzinfo=UTC), datetime(2026, 3, 28, 22, 30, tzinfo=UTC),
                   datetime(2026, 3, 29, 21, 30, tzinfo=UTC)):  # fmt: skip
            _conversation(session, at, "viber", intent="office_hours")
    period = stats.Period(date(2026, 3, 28), date(2026, 3, 30), KYIV)
    with sessions() as session:
        report = stats.report(session, period, threshold=15)
    day = date(2026, 3, 28)
    assert [report.cell(d, "viber").conversations for d in period.days()] == [1, 1, 1]
    assert (report.cell(day, "phone").p90_wait, report.cell(day, "web").p90_wait) == (9.0, 19.0)
    assert report.day_total(day).p90_wait == 18.0 and report.total().p90_wait == 18.0
    assert report.channel_total("web").p90_wait == 19.0 and report.channel_total("viber").p90_wait is None
    assert report.total().average_wait == 10.5 and report.total().service_level == 75.0
    assert report.day_total(date(2026, 3, 29)).p90_wait is None


def test_unmatched_phrases_are_grouped_and_known_examples_left_out(sessions: sessionmaker[Session]) -> None:
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        cid = _conversation(session, at, "web", intent=None)
        for step, text in enumerate(["Де мій паспорт?", "де мій паспорт", "ДЕ МІЙ ПАСПОРТ!!", "погода"], start=1):
            session.add(
                ConversationEvent(
                    conversation_id=cid, step=step, seq=0, at=at, kind="citizen_text", text=text, score=10.0
                )
            )
        session.add(ConversationEvent(conversation_id=cid, step=9, seq=0, at=at, kind="citizen_text", text="русский"))
    period = stats.Period(date(2026, 3, 2), date(2026, 3, 2), KYIV)
    with sessions() as session:
        found = stats.unmatched(session, period, limit=10)
        known = stats.unmatched(session, period, limit=10, known=frozenset({("uk", "погода")}))
    assert [(u.count, u.lang, u.channels) for u in found] == [(3, "uk", ("web",)), (1, "uk", ("web",))]
    assert found[0].text in {"Де мій паспорт?", "де мій паспорт", "ДЕ МІЙ ПАСПОРТ!!"}
    assert [u.count for u in known] == [3]


def test_holidays_are_preloaded_once_and_martial_law_years_are_worked(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        assert office.preload_holidays(session, 2026) == 11
        assert office.preload_holidays(session, 2021) > 11  # with days off moved from weekends
        assert office.preload_holidays(session, 2026) == 0
    with transaction(sessions) as session:
        days = {d.day: d for d in office.days(session, 2026)}
        assert days[date(2026, 8, 24)].name == "День незалежності України" and not days[date(2026, 8, 24)].closed
        assert all(d.closed for d in office.days(session, 2021))
        office.delete_day(session, day_id=days[date(2026, 3, 8)].id)
    with transaction(sessions) as session:
        assert office.preload_holidays(session, 2026) == 0  # a deleted holiday stays deleted
        assert date(2026, 3, 8) not in {d.day for d in office.days(session, 2026)}


def test_the_week_closures_and_policy_reach_every_process(sessions: sessionmaker[Session]) -> None:
    default = OfficeHours(week={0: (time(8), time(17))}, timezone=KYIV)
    clock = [0.0]

    def read() -> tuple[int, office.Office]:
        with sessions() as session:
            return office.load(session, default)

    def revision() -> int:
        with sessions() as session:
            return office.revision(session)

    source = OfficeSource(read, revision, recheck_seconds=2.0, clock=lambda: clock[0])
    assert source.hours().week == default.week and source.policy() == QueuePolicy()
    with transaction(sessions) as session:  # as another worker would
        office.save_week(session, {d: (time(9), time(18)) for d in range(5)})
        office.add_closure(session, day=date(2026, 12, 31), name="інвентаризація")
        office.save_policy(session, replace(QueuePolicy(), wrap_up_seconds=90))
    assert 4 not in source.hours().week  # still the snapshot: the revision is looked at every 2 s
    clock[0] = 2.5
    hours = source.hours()
    assert hours.week[4] == (time(9), time(18)) and date(2026, 12, 31) in hours.closed_days
    assert source.policy().wrap_up_seconds == 90
    assert not hours.is_open(datetime(2026, 12, 31, 10, 0, tzinfo=UTC))
    with pytest.raises(office.CalendarError), transaction(sessions) as session:
        office.save_week(session, {0: (time(18), time(9))})


def test_staff_accounts_skills_and_the_last_admin(sessions: sessionmaker[Session]) -> None:
    anna = _admin(sessions)
    with transaction(sessions) as session:
        olena = staff.create(
            session, actor=anna, username="olena", password="long-enough",
            profile=staff.Profile("Олена", users.Role.OPERATOR, ["subsidies", "idp"], ["uk"], "+380 (44) 123-45-67"),
        )  # fmt: skip
        olena_id = olena.id
    with transaction(sessions) as session:
        again = session.get(users.User, olena_id)
        assert again is not None and (again.skills, again.languages, again.phone) == (
            ["idp", "subsidies"],
            ["uk"],
            "+380441234567",
        )
        with pytest.raises(staff.StaffError) as refused:
            staff.update(session, actor=anna, user_id=anna.id, profile=staff.Profile("Anna", users.Role.OPERATOR))
        assert refused.value.code == "last_admin"
        staff.reset_password(session, actor=anna, user_id=olena_id, password="a-new-password")
    with transaction(sessions) as session:
        assert users.authenticate(session, username="olena", password="a-new-password") is not None
        with pytest.raises(staff.StaffError) as refused:
            staff.reset_password(session, actor=anna, user_id=olena_id, password="short")
        assert refused.value.code == "short_password"
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["user.create", "user.password_reset"]
    assert "a-new-password" not in str([e.detail for e in entries])
    with pytest.raises(staff.StaffError) as refused, transaction(sessions) as session:
        staff.create(
            session,
            actor=anna,
            username="olena",
            password="long-enough",
            profile=staff.Profile("", users.Role.OPERATOR),
        )
    assert refused.value.code == "user_exists"
    with sessions() as session:
        assert session.scalar(select(CalendarDay)) is None  # nothing else was written


def test_recent_results_are_kept_for_a_while_per_key() -> None:
    now = [100.0]
    recent = Recent[str](seconds=60, size=2, clock=lambda: now[0])
    work: list[str] = []

    def compute(name: str) -> Callable[[], str]:
        return lambda: work.append(name) or f"{name}{len(work)}"

    assert recent.get("a", compute("a")) == "a1" and recent.get("a", compute("a")) == "a1"
    now[0] += 59
    assert recent.get("a", compute("a")) == "a1" and recent.get("b", compute("b")) == "b2"
    now[0] += 1  # a minute after "a" was worked out: worked out again
    assert recent.get("a", compute("a")) == "a3"
    recent.get("c", compute("c"))  # only the last two keys are kept
    assert recent.get("b", compute("b")) == "b5" and work == ["a", "b", "a", "c", "b"]
