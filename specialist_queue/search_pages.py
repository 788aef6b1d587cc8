"""Search over conversations (`specialist_queue.search`) for specialists, supervisors and admins: the page
`/operator/search` (a form and a table, no script) and `GET /api/operator/search` (the same as JSON).

Parameters, all optional: `from`, `to` (dates, YYYY-MM-DD, whole days in the office's time zone), `channel`,
`queue` (a queue's skill), `intent` (a slug), `operator` (a user id), `phone`, `words`, `page`, `size`. A value
that cannot be one of them is refused with 422 and a sentence saying which and why (the page shows it).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select

from channels.dialogue import NoPublishedTree
from hotline.deps import Parts, PartsDep, StaffUser, current_user, require
from hotline.pages import render, staff_lang
from hotline.users import SPECIALISTS, User
from specialist_queue import console, search, transfer

router = APIRouter(tags=["operator"])
Specialist = Annotated[StaffUser, require(*SPECIALISTS)]
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # beyond them no conversation was or will be kept

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
SEARCH_TEXT = {key: {"uk": uk, "ru": ru} for key, (uk, ru) in _TEXT.items()}


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
    page: int = Field(default=1, ge=1, le=10_000)
    size: int = Field(default=search.PAGE_SIZE, ge=1, le=100)

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


def run(parts: Parts, form: SearchForm) -> search.Page:
    """The search, after the names it refers to are checked against this office's (422 for an unknown one)."""
    if form.channel and form.channel not in parts.channels.labels("uk"):
        raise HTTPException(status_code=422, detail=f"channel: there is no channel {form.channel!r}")
    if form.queue and form.queue not in console.skill_titles(parts, "uk"):
        raise HTTPException(status_code=422, detail=f"queue: there is no queue {form.queue!r}")
    if form.intent and form.intent not in dict(_intents(parts, "uk")):
        raise HTTPException(status_code=422, detail=f"intent: there is no intent {form.intent!r}")
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
    try:
        user = current_user(request, parts)
    except HTTPException:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if user.role not in SPECIALISTS:
        return HTMLResponse("403: your role may not open this page", status_code=403)
    lang = staff_lang(request)
    asked = {k: v for k, v in request.query_params.items() if k != "lang"}
    found: search.Page | None = None
    refused = ""
    try:
        form = SearchForm.model_validate(asked)
        if asked:
            found = run(parts, form)
    except ValidationError as exc:
        refused = "; ".join(_sentence(e) for e in exc.errors())
        form = SearchForm()
    except HTTPException as exc:
        refused = str(exc.detail)
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


def _sentence(error: Any) -> str:
    """A refused value as the API says it: the parameter, then why."""
    field = ".".join(str(p) for p in error.get("loc", ()))
    why = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{field}: {why}" if field else why


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
