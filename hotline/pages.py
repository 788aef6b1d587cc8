"""Staff pages (server-rendered): the login form; `render` for every staff page.

`STAFF_TEXT` is what every staff page may say (the login form and the layout); each area adds its own.

The admin pages live in `hotline/admin/`, the operator console in `specialist_queue/console.py`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from hotline.csrf import csrf_token
from hotline.static_files import template_static_url

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["static_url"] = template_static_url  # scripts and styles by their content hash

STAFF_TEXT: dict[str, dict[str, str]] = {
    "title_login": {"uk": "Вхід для працівників", "ru": "Вход для сотрудников"},
    "username": {"uk": "Користувач", "ru": "Пользователь"},
    "password": {"uk": "Пароль", "ru": "Пароль"},
    "log_in": {"uk": "Увійти", "ru": "Войти"},
    "log_out": {"uk": "Вийти", "ru": "Выйти"},
    "wrong_credentials": {"uk": "Неправильний користувач або пароль.", "ru": "Неверный пользователь или пароль."},
    "too_many_attempts": {
        "uk": "Забагато невдалих спроб. Зачекайте трохи й спробуйте знову.",
        "ru": "Слишком много неудачных попыток. Подождите немного и попробуйте снова.",
    },
    "form_expired": {
        "uk": "Сторінка застаріла: спробуйте увійти ще раз.",
        "ru": "Страница устарела: попробуйте войти ещё раз.",
    },
}


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
