"""Staff pages (server-rendered): the login form; `render` for every staff page.

The admin pages live in `hotline/admin/`, the operator console in `specialist_queue/console.py`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

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
    "operator_title": {"uk": "Консоль фахівця", "ru": "Консоль специалиста"},
    "admin_title": {"uk": "Адміністрування", "ru": "Администрирование"},
    "handoffs": {"uk": "Звернення, передані фахівцю", "ru": "Обращения, переданные специалисту"},
    "none_yet": {"uk": "Поки немає.", "ru": "Пока нет."},
    "channel": {"uk": "Канал", "ru": "Канал"},
    "language": {"uk": "Мова", "ru": "Язык"},
    "queue": {"uk": "Черга", "ru": "Очередь"},
    "started": {"uk": "Почато", "ru": "Начато"},
    "published": {"uk": "Опублікована версія дерева", "ru": "Опубликованная версия дерева"},
    "categories": {"uk": "Розділи", "ru": "Разделы"},
    "intents": {"uk": "Питань (інтентів)", "ru": "Вопросов (интентов)"},
    "conversations": {"uk": "Розмов усього", "ru": "Разговоров всего"},
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
    context = {**context, "lang": lang, "t": lambda key: texts[key][lang]}
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.set_cookie("staff_lang", lang, samesite="lax", httponly=True)
    return response

