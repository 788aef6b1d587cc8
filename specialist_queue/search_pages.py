"""Search over conversations (`specialist_queue.search`) for specialists, supervisors and admins: the page
`/operator/search` (a form and a table, no script) and `GET /api/operator/search` (the same as JSON).

Parameters, all optional: `from`, `to` (dates, YYYY-MM-DD, whole days in the office's time zone), `channel`,
`queue` (a queue's skill), `intent` (a slug), `operator` (a user id), `phone`, `words`, `page`, `size`. A value
that cannot be one of them is refused with 422 and a sentence saying which and why: in English for the API, in
the page's language on the page, naming the field by its label ("Пошук не виконано: З дати — …").
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select

from channels.dialogue import NoPublishedTree
from hotline.bilingual import by_language
from hotline.deps import Parts, PartsDep, StaffUser, require
from hotline.pages import render, staff_lang, staff_user
from hotline.users import SPECIALISTS, User
from specialist_queue import console, search, transfer

router = APIRouter(tags=["operator"])
Specialist = Annotated[StaffUser, require(*SPECIALISTS)]
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # beyond them no conversation was or will be kept
LAST_PAGE, MOST_A_PAGE = 10_000, 100

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Пошук розмов", "Поиск разговоров"),
    "log_out": ("Вийти", "Выйти"),
    "back": ("До консолі", "К консоли"),
    "from": ("З дати", "С даты"),
    "to": ("По дату", "По дату"),
    "channel": ("Канал", "Канал"),
    "queue": ("Черга", "Очередь"),
    "intent": ("Тема", "Тема"),
    "operator": ("Фахівець", "Специалист"),
    "phone": ("Номер телефону", "Номер телефона"),
    "words": ("Слова з розмови", "Слова из разговора"),
    "any": ("будь-який", "любой"),
    "search": ("Шукати", "Искать"),
    "found": ("Знайдено: {n}", "Найдено: {n}"),
    "nothing": ("Нічого не знайдено.", "Ничего не найдено."),
    "refused": ("Пошук не виконано: {message}", "Поиск не выполнен: {message}"),
    "page": ("Сторінка", "Страница"),
    "size": ("Результатів на сторінці", "Результатов на странице"),
    # Why a value was refused, after its field's label ("З дати — …").
    "why_date": ("потрібна дата від {earliest} до {latest}", "нужна дата от {earliest} до {latest}"),
    "why_order": ("пізніше, ніж «По дату»", "позже, чем «По дату»"),
    "why_name": ("такого немає", "такого нет"),
    "why_operator": ("такого фахівця немає", "такого специалиста нет"),
    "why_phone": (
        "лише цифри (від 3 до 15), можна з «+» на початку",
        "только цифры (от 3 до 15), можно с «+» в начале",
    ),
    "why_words": ("від 2 до 100 знаків, без керівних символів", "от 2 до 100 знаков, без управляющих символов"),
    "why_page": ("ціле число від 1 до {last_page}", "целое число от 1 до {last_page}"),
    "why_size": ("ціле число від 1 до {most_a_page}", "целое число от 1 до {most_a_page}"),
    "why_unknown": ("такого параметра пошук не знає", "такого параметра поиск не знает"),
    "col_when": ("Коли", "Когда"),
    "col_language": ("Мова", "Язык"),
    "col_operators": ("Фахівці", "Специалисты"),
    "robot_only": ("лише робот", "только робот"),
    "pages": ("Сторінки результатів", "Страницы результатов"),
    "previous": ("Попередня сторінка", "Предыдущая страница"),
    "next": ("Наступна сторінка", "Следующая страница"),
    "page_of": ("Сторінка {page} з {pages}", "Страница {page} из {pages}"),
    "lang_uk": ("українська", "украинский"),
    "lang_ru": ("російська", "русский"),
}
SEARCH_TEXT = by_language(_TEXT)
# Each form field and the kind of value it takes (`why_<kind>` in the texts).
WHY = {
    "from": "date",
    "to": "date",
    "channel": "name",
    "queue": "name",
    "intent": "name",
    "operator": "operator",
    "phone": "phone",
    "words": "words",
    "page": "page",
    "size": "size",
}


class SearchForm(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: date | None = Field(default=None, alias="from", ge=EARLIEST, le=LATEST)
    end: date | None = Field(default=None, alias="to", ge=EARLIEST, le=LATEST)
    channel: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,16}$")
    queue: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,48}$", description="A queue's skill.")
    intent: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,62}$")
    operator: int | None = Field(default=None, ge=1, le=2**31 - 1)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9]{3,15}$")
    words: str | None = Field(default=None, min_length=2, max_length=100)
    page: int = Field(default=1, ge=1, le=LAST_PAGE)
    size: int = Field(default=search.PAGE_SIZE, ge=1, le=MOST_A_PAGE)

    @model_validator(mode="before")
    @classmethod
    def blanks_are_none(cls, values: Any) -> Any:
        """An empty field of the page's form means "any"."""
        if isinstance(values, dict):
            return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}
        return values

    @field_validator("words")
    @classmethod
    def printable(cls, value: str | None) -> str | None:
        if value is not None and any(ord(c) < 32 for c in value):
            raise ValueError("words cannot hold control characters")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def in_order(self) -> SearchForm:
        if self.start and self.end and self.start > self.end:
            raise ValueError("'from' is after 'to'")
        return self

    def filters(self) -> search.Filters:
        return search.Filters(
            start=self.start,
            end=self.end,
            channel=self.channel,
            skill=self.queue,
            intent=self.intent,
            operator=self.operator,
            phone=self.phone,
            words=self.words,
            page=self.page,
            size=self.size,
        )


class UnknownName(HTTPException):
    """A channel, queue or intent this office does not have (422)."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(status_code=422, detail=f"{field}: there is no {field} {value!r}")
        self.field = field


def run(parts: Parts, form: SearchForm) -> search.Page:
    """The search, after the names it refers to are checked against this office's (`UnknownName`)."""
    if form.channel and form.channel not in parts.channels.labels("uk"):
        raise UnknownName("channel", form.channel)
    if form.queue and form.queue not in console.skill_titles(parts, "uk"):
        raise UnknownName("queue", form.queue)
    if form.intent and form.intent not in dict(_intents(parts, "uk")):
        raise UnknownName("intent", form.intent)
    with parts.sessions() as session:
        return search.search(
            session, form.filters(), timezone=parts.office_hours().timezone, name_of=transfer.names(session)
        )


@router.get("/api/operator/search")
def search_api(form: Annotated[SearchForm, Query()], user: Specialist, parts: PartsDep) -> dict[str, Any]:
    """Conversations matching every filter given, newest first: `total` and one page of `results`."""
    found = run(parts, form)
    return {"total": found.total, "page": form.page, "size": form.size, "results": found.results}


@router.get("/operator/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, parts: PartsDep) -> Response:
    """The form and one page of results; a refused value is said on the page (422)."""
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    lang = staff_lang(request)
    asked = {k: v for k, v in request.query_params.items() if k != "lang"}
    found: search.Page | None = None
    refused = ""
    try:
        form = SearchForm.model_validate(asked)
        if asked:
            found = run(parts, form)
    except ValidationError as exc:
        refused = "; ".join(dict.fromkeys(_refusal(e, lang) for e in exc.errors()))  # one sentence a field
        form = SearchForm()
    except UnknownName as exc:
        refused = _said(exc.field, "why_name", lang)
    context = {
        "user": user,
        "asked": asked,
        "form": form,
        "found": found,
        "refused": refused,
        "channels": parts.channels.labels(lang),
        "skills": console.skill_titles(parts, lang),
        "intents": _intents(parts, lang),
        "operators": _operators(parts),
        "pages": -(-found.total // form.size) if found else 0,
        "page_url": lambda page: "/operator/search?" + urlencode({**asked, "page": page}),
        "local_time": partial(_local_time, ZoneInfo(parts.office_hours().timezone)),
    }
    return render(request, "operator_search.html", context, status_code=422 if refused else 200, texts=SEARCH_TEXT)


def _local_time(zone: ZoneInfo, iso: str) -> str:
    """When a conversation started, on the office's clock."""
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%d.%m.%Y %H:%M")


def _refusal(error: Any, lang: str) -> str:
    """A refused value as the page says it: the field's label, then what it takes."""
    loc = error.get("loc", ())
    if not loc:  # the one check of the whole form: the dates' order
        return _said("from", "why_order", lang)
    field = str(loc[0])
    return _said(field, f"why_{WHY[field]}" if field in WHY else "why_unknown", lang)  # else: extra_forbidden


def _said(field: str, why: str, lang: str) -> str:
    label = SEARCH_TEXT[field][lang] if field in WHY else field
    bounds = {"earliest": f"{EARLIEST:%d.%m.%Y}", "latest": f"{LATEST:%d.%m.%Y}", "last_page": LAST_PAGE}
    return f"{label} — " + SEARCH_TEXT[why][lang].format(**bounds, most_a_page=MOST_A_PAGE)


def _intents(parts: Parts, lang: str) -> list[tuple[str, str]]:
    trees = parts.dialogue.trees
    try:
        tree = trees.get(trees.current_version()).tree
    except NoPublishedTree:
        return []
    return sorted(((n.slug, n.text(lang).title) for n in tree.intents()), key=lambda item: item[1])


def _operators(parts: Parts) -> list[tuple[int, str]]:
    with parts.sessions() as session:
        users = session.scalars(select(User).where(User.role.in_([r.value for r in SPECIALISTS])))
        return sorted(((u.id, u.display_name or u.username) for u in users), key=lambda item: item[1])
