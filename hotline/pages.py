"""Staff pages (server-rendered): the login form and, behind it, the operator and admin start pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from hotline.conversation_log import Conversation
from hotline.deps import PartsDep, StaffUser, current_user
from hotline.users import Role
from intents import versions
from intents.models import PUBLISHED, TreeVersion

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

STAFF_TEXT: dict[str, dict[str, str]] = {
    "title_login": {"uk": "Вхід для працівників", "ru": "Вход для сотрудников"},
    "username": {"uk": "Користувач", "ru": "Пользователь"},
    "password": {"uk": "Пароль", "ru": "Пароль"},
    "log_in": {"uk": "Увійти", "ru": "Войти"},
    "log_out": {"uk": "Вийти", "ru": "Выйти"},
    "wrong_credentials": {"uk": "Неправильний користувач або пароль.", "ru": "Неверный пользователь или пароль."},
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


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    lang = staff_lang(request)
    context = {**context, "lang": lang, "t": lambda key: STAFF_TEXT[key][lang]}
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.set_cookie("staff_lang", lang, samesite="lax", httponly=True)
    return response


router = APIRouter(include_in_schema=False)


def _staff(request: Request, parts: PartsDep, role: Role) -> StaffUser | Response:
    """The logged-in user with `role` (admins may open everything), or where to send the browser."""
    try:
        user = current_user(request, parts)
    except HTTPException:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if user.role is not role and user.role is not Role.ADMIN:
        return HTMLResponse("403: your role may not open this page", status_code=403)
    return user


@router.get("/operator", response_class=HTMLResponse)
def operator_page(request: Request, parts: PartsDep) -> Response:
    user = _staff(request, parts, Role.OPERATOR)
    if isinstance(user, Response):
        return user
    with parts.sessions() as session:
        waiting = session.scalars(
            select(Conversation)
            .where(Conversation.handoff_queue.is_not(None))
            .order_by(Conversation.started_at.desc())
            .limit(50)
        ).all()
    return render(request, "operator.html", {"user": user, "waiting": waiting})


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, parts: PartsDep) -> Response:
    user = _staff(request, parts, Role.ADMIN)
    if isinstance(user, Response):
        return user
    with parts.sessions() as session:
        version_id = versions.current_version_id(session)
        version = session.get(TreeVersion, version_id) if version_id else None
        tree = versions.to_tree(version) if version else None
        total = session.scalar(select(func.count()).select_from(Conversation)) or 0
        published = session.scalar(select(func.count()).where(TreeVersion.status == PUBLISHED)) or 0
    context = {"user": user, "version": version, "tree": tree, "total": total, "published": published}
    return render(request, "admin.html", context)
