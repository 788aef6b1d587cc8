"""The statistics page (tables and SVG charts over a date range), its CSV export and its JSON."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from channels.registry import Channels
from hotline.admin import charts, drafts, screening_stats, stats
from hotline.admin.errors import AdminError
from hotline.admin.recent import Recent
from hotline.admin.texts import say
from hotline.admin.web import AdminUser, Matchers, RecentCounts, api, page, pages
from hotline.db import transaction
from hotline.deps import Parts, PartsDep, StaffUser
from hotline.pages import staff_lang
from intents.normalise import normalise
from intents.tree import Action, Tree
from selfservice import topics

DEFAULT_DAYS = 30
# Each registered channel's line in the charts, in the registry's order (contrast checked on white).
COLOURS = ("#1f4e79", "#7b519d", "#2e8b57", "#b35900", "#00607a", "#8b1a4a")
OTHER_COLOUR = "#999999"
From = Annotated[str, Query(alias="from", max_length=10)]
To = Annotated[str, Query(alias="to", max_length=10)]


def _period(first: str, last: str, timezone: str) -> stats.Period:
    today = stats.today(timezone)
    try:
        end = date.fromisoformat(last) if last else today
        start = date.fromisoformat(first) if first else end - timedelta(days=DEFAULT_DAYS - 1)
        return stats.Period(start, end, timezone)
    except stats.BadPeriod as exc:
        raise AdminError("bad_period", str(exc), max=stats.MAX_DAYS) from None
    except ValueError:
        raise AdminError("bad_date", "dates are written YYYY-MM-DD") from None


def _known(tree: Tree) -> frozenset[tuple[str, str]]:
    """(language, normalised phrase) of every example already in the draft."""
    return frozenset(
        (lang, normalise(phrase, lang))
        for node in tree.intents()
        for lang, t in node.texts.items()
        for phrase in t.phrases
    )


def _titles(tree: Tree, lang: str) -> dict[str, str]:
    """Intent slug → its title in `lang` (statistics name intents as the office does; the slug is on hover)."""
    return {node.slug: node.text(lang).title or node.slug for node in tree.intents()}


def _charts(
    report: stats.Report, channels: Channels, lang: str, threshold: int, titles: dict[str, str]
) -> dict[str, Markup]:
    days = report.period.days()
    labels = [d.strftime("%d.%m") for d in days]
    names = {c: channels.label(c, lang) for c in report.channels}
    colours = dict(zip(channels.names(), COLOURS, strict=False))
    per_channel = [
        charts.Series(names[c], [report.cell(d, c).conversations for d in days], colours.get(c, OTHER_COLOUR))
        for c in report.channels
    ]
    settled = [
        charts.Series(names[c], [report.cell(d, c).settled_share for d in days], colours.get(c, OTHER_COLOUR))
        for c in report.channels
    ]
    totals = [report.day_total(d) for d in days]
    people = [
        charts.Series(say("handoffs", lang), [t.handoffs for t in totals], "#d9822b"),
        charts.Series(say("abandoned", lang), [t.abandoned for t in totals], "#a40000"),
    ]
    waits = [
        charts.Series(say("average_wait", lang), [t.average_wait for t in totals], "#1f4e79"),
        charts.Series(say("p90_wait", lang), [t.p90_wait for t in totals], "#8fb3d9"),
    ]
    level = [charts.Series(say("service_level", lang), [t.service_level for t in totals], "#2e8b57")]
    intents = [(titles.get(i.slug, i.slug), float(i.total)) for i in report.top_intents]
    return {
        "conversations": charts.bars(labels, per_channel, title=say("chart_conversations", lang)),
        "settled": charts.lines(labels, settled, title=say("chart_settled", lang)),
        "people": charts.bars(labels, people, title=say("chart_people", lang), stacked=False),
        "waits": charts.bars(
            labels,
            waits,
            title=say("chart_waits", lang),
            unit=" " + say("unit_seconds", lang),
            stacked=False,
            whole=False,
        ),
        "level": charts.lines(labels, level, title=say("chart_level", lang, seconds=threshold)),
        "intents": charts.hbars(
            intents, title=say("chart_intents", lang), colour="#1f4e79", hover=[i.slug for i in report.top_intents]
        ),
    }


def _report(
    parts: Parts, user: StaffUser, recent: Recent[stats.Counts], first: str, last: str, *, unmatched_limit: int = 50
) -> tuple[stats.Report, Tree]:
    """The figures over the asked period (a minute old at most); the phrases nothing matched as they
    are now, less those that already are examples in the draft."""
    period = _period(first, last, parts.settings.timezone)
    threshold = parts.office.policy().service_level_seconds
    with transaction(parts.sessions) as session:
        tree = drafts.draft(session, author=user.username)
        kinds = {
            a: frozenset(n.slug for n in tree.intents() if n.action is a) for a in (Action.REFERRAL, Action.SMALLTALK)
        }

        def figures() -> stats.Counts:
            return stats.count(
                session,
                period,
                threshold=threshold,
                referrals=kinds[Action.REFERRAL],
                small_talk=kinds[Action.SMALLTALK],
                channels=parts.channels.names(),
            )

        counts = recent.get((period, threshold), figures)
        found = stats.unmatched(session, period, known=_known(tree), limit=unmatched_limit)
    return stats.Report.of(counts, found), tree


@pages.get("/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    cache: Matchers,
    recent: RecentCounts,
    first: From = "",
    last: To = "",
) -> Response:
    report, tree = _report(parts, user, recent, first, last)
    period, threshold, lang = report.period, int(report.threshold), staff_lang(request)
    with parts.sessions() as session:
        screening = screening_stats.figures(session, period)
        subscribers = topics.counts(session)  # as they stand now, not over the period
    titles = _titles(tree, lang)
    matcher = cache.get(tree)
    suggestions = {}
    for item in report.unmatched:
        found = matcher.match(item.text, item.lang)
        # The matcher's best candidate: what it answered, asked about, or ranked first below the bar.
        best = found.intent or found.confirm or next((a.slug for a in found.alternatives), None)
        suggestions[(item.text, item.lang)] = best
    context = {
        "report": report,
        "period": period,
        "threshold": threshold,
        "charts": _charts(report, parts.channels, lang, threshold, titles),
        "titles": titles,
        "intents": list(titles.items()),
        "suggestions": suggestions,
        "query": request.url.query,
        "screening": screening,
        "subscriber_counts": subscribers,
    }
    return page(request, user, "admin_stats.html", context)


def _cell(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _safe(text: str) -> str:
    """A citizen's words as a spreadsheet cell that cannot run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


HEADER = [
    "day", "channel", "conversations", "settled_by_robot", "settled_share_pct", "referred_elsewhere", "handoffs",
    "queued", "answered", "abandoned", "average_wait_s", "p90_wait_s", "service_level_pct",
]  # fmt: skip


def _rows(report: stats.Report) -> list[list[Any]]:
    def row(day: str, channel: str, f: stats.Figures) -> list[Any]:
        return [
            day, channel, f.conversations, f.settled, _cell(f.settled_share), f.referred, f.handoffs, f.queued,
            f.answered, f.abandoned, _cell(f.average_wait), _cell(f.p90_wait), _cell(f.service_level),
        ]  # fmt: skip

    rows = [row(d.isoformat(), c, report.cell(d, c)) for d in report.period.days() for c in report.channels]
    rows += [row("total", c, report.channel_total(c)) for c in report.channels]
    rows.append(row("total", "all", report.total()))
    return rows


@pages.get("/stats.csv")
def stats_csv(
    parts: PartsDep,
    user: AdminUser,
    recent: RecentCounts,
    first: From = "",
    last: To = "",
    table: Literal["days", "unmatched"] = "days",
) -> Response:
    """The figures per day and channel (or `table=unmatched`: what matched nothing) as CSV."""
    report, _ = _report(parts, user, recent, first, last, unmatched_limit=10_000)
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "unmatched":
        writer.writerow(["text", "lang", "count", "last_at", "channels"])
        for u in report.unmatched:
            writer.writerow([_safe(u.text), u.lang, u.count, u.last_at.isoformat(), " ".join(u.channels)])
    else:
        writer.writerow(HEADER)
        writer.writerows(_rows(report))
    name = f"hotline-{table}-{report.period.first}-{report.period.last}.csv"
    # A byte-order mark, so spreadsheet programs read the Cyrillic as UTF-8.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@api.get("/stats")
def stats_json(
    parts: PartsDep,
    user: AdminUser,
    recent: RecentCounts,
    first: From = "",
    last: To = "",
    lang: Literal["uk", "ru"] = "uk",
) -> dict[str, Any]:
    """The same figures as the page: per day and channel, totals, top intents (with their titles in `lang`),
    unmatched phrases."""
    report, tree = _report(parts, user, recent, first, last)
    titles = _titles(tree, lang)
    with parts.sessions() as session:
        screening = screening_stats.figures(session, report.period).as_dict()
        subscribers = [asdict(count) for count in topics.counts(session)]
    return {
        "from": report.period.first,
        "to": report.period.last,
        "service_level_seconds": int(report.threshold),
        "columns": HEADER,
        "rows": _rows(report),
        "top_intents": [
            {"intent": i.slug, "title": titles.get(i.slug, i.slug), "total": i.total, "by_channel": i.by_channel}
            for i in report.top_intents
        ],
        "unmatched": [
            {"text": u.text, "lang": u.lang, "count": u.count, "last_at": u.last_at, "channels": u.channels}
            for u in report.unmatched
        ],
        "screening": screening,
        "subscribers": subscribers,
    }
