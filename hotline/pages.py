"""Staff pages (server-rendered): the login form; `render` for every staff page; `staff_user`, the door of
every staff page outside `/admin`; `refused`, the page that says in the page's language why not (403, 413).

`STAFF_TEXT` is what every staff page may say (the login form, the layout, the refusals); each area adds its own.

The admin pages live in `hotline/admin/`, the operator console in `specialist_queue/console.py`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hotline.bilingual import by_language
from hotline.csrf import csrf_token
from hotline.deps import Parts, StaffUser, current_user
from hotline.static_files import template_static_url
from hotline.users import Role

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["static_url"] = template_static_url  # scripts and styles by their content hash

STAFF_TEXT = by_language({
    "title_login": ("Вхід для працівників", "Вход для сотрудников"),
    "username": ("Користувач", "Пользователь"),
    "password": ("Пароль", "Пароль"),
    "log_in": ("Увійти", "Войти"),
    "log_out": ("Вийти", "Выйти"),
    "wrong_credentials": ("Неправильний користувач або пароль.", "Неверный пользователь или пароль."),
    "too_many_attempts": (
        "Забагато невдалих спроб. Зачекайте трохи й спробуйте знову.",
        "Слишком много неудачных попыток. Подождите немного и попробуйте снова.",
    ),
    "form_expired": (
        "Сторінка застаріла: спробуйте увійти ще раз.",
        "Страница устарела: попробуйте войти ещё раз.",
    ),
    "refused_role_title": ("Немає доступу", "Нет доступа"),
    "refused_role": (
        "Ваша роль не дає змоги відкрити цю сторінку. Якщо вона потрібна вам для роботи, зверніться до "
        "адміністратора.",
        "Ваша роль не позволяет открыть эту страницу. Если она нужна вам для работы, обратитесь к "
        "администратору.",
    ),
    "refused_home": ("На мою сторінку", "На мою страницу"),
    "refused_other_user": ("Увійти як інший користувач", "Войти как другой пользователь"),
    "too_large_title": ("Забагато даних", "Слишком много данных"),
    "too_large": (
        "Надіслано забагато даних за один раз. Скоротіть текст або файл і спробуйте ще раз.",
        "Отправлено слишком много данных за один раз. Сократите текст или файл и попробуйте ещё раз.",
    ),
    "refused_back": ("← Повернутися", "← Вернуться"),
})


def staff_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("staff_lang") or "uk"
    return lang if lang in {"uk", "ru"} else "uk"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    texts: Mapping[str, Mapping[str, str]] = STAFF_TEXT,
) -> Response:
    lang = staff_lang(request)
    # Every staff page has the session's CSRF token: the layout's log-out form sends it too.
    context = {"csrf": csrf_token(request), **context, "lang": lang, "t": lambda key: texts[key][lang]}
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.set_cookie("staff_lang", lang, samesite="lax", httponly=True)
    return response


def home_of(role: Role) -> str:
    """Where a staff user starts: admins in the admin area, everyone else in the console."""
    return "/admin" if role is Role.ADMIN else "/operator"


def staff_user(request: Request, parts: Parts, roles: Collection[Role]) -> StaffUser | Response:
    """The logged-in user if their role may open this page; else the login form (303) or the 403 page."""
    try:
        user = current_user(request, parts)
    except HTTPException:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if user.role not in roles:
        links = [(home_of(user.role), "refused_home"), (f"/login?next={quote(request.url.path)}", "refused_other_user")]
        return refused(request, 403, "refused_role", links=links, user=user)
    return user


def refused(
    request: Request,
    status_code: int,
    sentence: str,
    *,
    links: list[tuple[str, str]],
    user: StaffUser | None = None,
) -> Response:
    """A refusal as a staff page: its title and `sentence` (a key of `STAFF_TEXT`) in the page's language,
    with `links` (path, text key) onward. No session is needed: a body over the limit is refused before the
    session is read."""
    lang = staff_lang(request)
    context = {
        "user": user,
        "csrf": csrf_token(request) if user else "",  # the layout's log-out form
        "lang": lang,
        "t": lambda key: STAFF_TEXT[key][lang],
        "title": f"{sentence}_title",
        "sentence": sentence,
        "links": links,
    }
    return templates.TemplateResponse(request, "refused.html", context, status_code=status_code)
