"""The supervisor's view at `/supervisor` (supervisors and admins): the live wallboard, a silent view of any
live conversation (personal data masked, as `privacy.conversations` reads it) and a whisper to the specialist
holding it (never shown to the citizen).

- `GET /api/supervisor/wallboard` — the wallboard as JSON (`specialist_queue.wallboard`);
- `WS /api/supervisor/live` — the same, live;
- `WS /api/supervisor/conversations/{id}/live` — one conversation, silently: who holds it, each message masked;
- `POST /api/supervisor/conversations/{id}/whisper` `{"text"}` — a word to the specialist holding it.

The masked conversation itself, and unmasking a closed one with a reason, are `privacy.conversations`'
(`GET /api/supervisor/conversations/{id}`, `POST …/unmask`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Request, WebSocket, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.bilingual import by_language
from hotline.csrf import csrf_token, verify_csrf
from hotline.deps import Parts, PartsDep, StaffUser, require, staff_of
from hotline.pages import render, staff_lang, staff_user
from hotline.users import Role
from privacy.masking import mask
from specialist_queue import chat, console, context, live
from specialist_queue.runtime import Specialists

SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
Supervisor = Annotated[StaffUser, require(*SUPERVISORS)]
ConversationId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Табло старшого фахівця", "Табло старшего специалиста"),
    "log_out": ("Вийти", "Выйти"),
    "search_link": ("Пошук розмов", "Поиск разговоров"),
    "alarms": ("Тривоги", "Тревоги"),
    "no_alarms": ("Усе гаразд: жоден поріг не перевищено.", "Всё в порядке: ни один порог не превышен."),
    "thresholds": (
        "Пороги: у черзі більше {waiting}, хтось чекає довше {wait_seconds} с, рівень обслуговування нижче "
        "{service_level_percent} %.",
        "Пороги: в очереди больше {waiting}, кто-то ждёт дольше {wait_seconds} с, уровень обслуживания ниже "
        "{service_level_percent} %.",
    ),
    "change_thresholds": ("Змінити пороги", "Изменить пороги"),
    "sound_on": ("Увімкнути звук тривог", "Включить звук тревог"),
    "sound_is_on": ("Звук тривог увімкнено", "Звук тревог включён"),
    "queues": ("Черги", "Очереди"),
    "queue": ("Черга", "Очередь"),
    "col_waiting": ("Чекають", "Ждут"),
    "col_offered": ("з них пропоновано", "из них предложено"),
    "col_longest": ("Найдовше чекання", "Дольше всех ждёт"),
    "col_estimate": ("Орієнтовне чекання", "Ожидаемое ожидание"),
    "col_service": ("Рівень обслуговування", "Уровень обслуживания"),
    "col_target": ("ціль {n} %", "цель {n} %"),
    "col_abandoned": ("Не дочекались", "Не дождались"),
    "col_staffed": ("На лінії", "На линии"),
    "no_queues": ("Черги порожні.", "Очереди пусты."),
    "operators": ("Фахівці", "Специалисты"),
    "col_operator": ("Фахівець", "Специалист"),
    "col_state": ("Стан", "Состояние"),
    "col_since": ("З", "С"),
    "col_now": ("Зараз", "Сейчас"),
    "col_handled": ("Оброблено сьогодні", "Обработано сегодня"),
    "col_average": ("Середній час розмови", "Среднее время разговора"),
    "no_operators": ("Сьогодні ще ніхто не працював.", "Сегодня ещё никто не работал."),
    "state_available": ("вільний", "свободен"),
    "state_busy": ("у розмові", "в разговоре"),
    "state_wrap_up": ("завершує звернення", "завершает обращение"),
    "state_paused": ("перерва", "перерыв"),
    "state_offline": ("не на лінії", "не на линии"),
    "reason_break": ("коротка перерва", "короткий перерыв"),
    "reason_lunch": ("обід", "обед"),
    "reason_training": ("навчання", "обучение"),
    "reason_paperwork": ("робота з документами", "работа с документами"),
    "reason_missed_offer": ("пропустив звернення", "пропустил обращение"),
    "offered_now": ("пропонується: {queue}", "предлагается: {queue}"),
    "watch": ("Переглянути", "Просмотреть"),
    "alarm_unserved": (
        "«{queue}»: ніхто на зміні не може прийняти — уже {time}",
        "«{queue}»: никто на смене не может принять — уже {time}",
    ),
    "alarm_waiting": ("«{queue}»: у черзі {n}", "«{queue}»: в очереди {n}"),
    "alarm_longest": ("«{queue}»: чекають уже {time}", "«{queue}»: ждут уже {time}"),
    "alarm_service_level": (
        "«{queue}»: рівень обслуговування {n} %",
        "«{queue}»: уровень обслуживания {n} %",
    ),
    "alarm_missed_offer": (
        "{name} пропустив звернення і стоїть на перерві",
        "{name} пропустил обращение и стоит на перерыве",
    ),
    "nobody_can_take": ("ніхто не може прийняти", "никто не может принять"),
    "silent_view": (
        "Перегляд розмови (громадянин і фахівець вас не бачать)",
        "Просмотр разговора (гражданин и специалист вас не видят)",
    ),
    "close_view": ("Закрити перегляд", "Закрыть просмотр"),
    "masked_note": (
        "Персональні дані приховано. Розкрити можна лише завершену розмову, із зазначенням причини.",
        "Персональные данные скрыты. Раскрыть можно только завершённый разговор, с указанием причины.",
    ),
    "held_by": ("Розмову веде: {name}", "Разговор ведёт: {name}"),
    "not_held": ("Розмова вже не триває.", "Разговор уже не идёт."),
    "whisper": ("Підказка фахівцю (громадянин її не побачить)", "Подсказка специалисту (гражданин её не увидит)"),
    "send_whisper": ("Надіслати підказку", "Отправить подсказку"),
    "whisper_sent": ("Підказку надіслано.", "Подсказка отправлена."),
    "unmask_title": ("Розкрити завершену розмову", "Раскрыть завершённый разговор"),
    "unmask_reason": (
        "Причина (не менше 10 символів, її буде записано в журнал)",
        "Причина (не менее 10 символов, её запишут в журнал)",
    ),
    "unmask": ("Розкрити", "Раскрыть"),
    "citizen": ("Громадянин", "Гражданин"),
    "specialist": ("Фахівець", "Специалист"),
    "note": ("Нотатка фахівця", "Заметка специалиста"),
    "whisper_from": ("Підказка старшого фахівця", "Подсказка старшего специалиста"),
    "robot": ("Робот", "Робот"),
    "path": ("Шлях у меню", "Путь в меню"),
    "transcript": ("Що було до фахівця", "Что было до специалиста"),
    "kind_call": ("дзвінок", "звонок"),
    "kind_callback": ("зворотний дзвінок", "обратный звонок"),
    "kind_chat": ("чат", "чат"),
    "lang_uk": ("українська", "украинский"),
    "lang_ru": ("російська", "русский"),
    "seconds": ("{n} с", "{n} с"),
    "minutes": ("{m} хв {s} с", "{m} мин {s} с"),
    "hours": ("{h} год {m} хв", "{h} ч {m} мин"),
    "reconnecting": ("Зв'язок утрачено, відновлюю…", "Связь потеряна, восстанавливаю…"),
    "failed": ("Не вдалося: {message}", "Не удалось: {message}"),
}
SUPERVISOR_TEXT = by_language(_TEXT)

router = APIRouter(tags=["supervisor"])


class Whisper(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=1000)

    @field_validator("text")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the whisper is empty")
        return value.strip()


def specialists(parts: Parts) -> Specialists:
    if parts.specialists is None:
        raise HTTPException(status_code=503, detail="the specialist queue is not running")
    return parts.specialists


@router.get("/supervisor", response_class=HTMLResponse, include_in_schema=False)
def supervisor_page(request: Request, parts: PartsDep) -> Response:
    """The wallboard: login first; supervisors and admins only."""
    user = staff_user(request, parts, SUPERVISORS)
    if isinstance(user, Response):
        return user
    lang = staff_lang(request)
    texts = {key: text[lang] for key, text in SUPERVISOR_TEXT.items()} | console.channel_names(parts, lang)
    context = {
        "user": user,
        "csrf": csrf_token(request),
        "texts": texts,
        "skills": console.skill_titles(parts, lang),
        "is_admin": user.role is Role.ADMIN,
        "may_unmask": user.role is Role.SUPERVISOR,
    }
    return render(request, "supervisor.html", context, texts=SUPERVISOR_TEXT)


@router.get("/api/supervisor/wallboard")
async def wallboard(user: Supervisor, parts: PartsDep) -> dict[str, Any]:
    """Queues (figures, alarms), operators (state, since, offer and conversations, today's work), thresholds."""
    return await specialists(parts).wallboard.get()


@router.post(
    "/api/supervisor/conversations/{conversation_id}/whisper", status_code=201, dependencies=[Depends(verify_csrf)]
)
def whisper(conversation_id: ConversationId, body: Whisper, user: Supervisor, parts: PartsDep) -> dict[str, Any]:
    """A word to the specialist holding the conversation, on their console only (409 when nobody holds it)."""
    found = specialists(parts)
    if found.queue.held_by(conversation_id) is None:
        raise HTTPException(status_code=409, detail="nobody is holding this conversation now")
    stored = chat.add(
        found.queue.sessions,
        conversation_id=conversation_id,
        sender=chat.Sender.WHISPER,
        text=body.text,
        operator_id=user.id,
    )
    found.queue.store.notify_chat(conversation_id)
    return context.message_view(stored)


@router.websocket("/api/supervisor/live")
async def wallboard_live(websocket: WebSocket) -> None:
    parts = await _admitted(websocket)
    if parts is None:
        return
    found = specialists(parts)
    await live.stream(
        websocket, lambda: live.wallboard_updates(found.wallboard, found.live_redis, found.queue.store.prefix)
    )


@router.websocket("/api/supervisor/conversations/{conversation_id}/live")
async def silent_view(websocket: WebSocket, conversation_id: ConversationId, lang: Literal["uk", "ru"] = "uk") -> None:
    parts = await _admitted(websocket)
    if parts is None:
        return
    found = specialists(parts)
    shown = lambda text: mask(text, lang)  # noqa: E731  (what the view shows: masked, as privacy reads it)
    await live.stream(websocket, lambda: live.watched(found.queue, found.live_redis, conversation_id, shown))


async def _admitted(websocket: WebSocket) -> Parts | None:
    """The app's parts once a supervisor's (or admin's) page of ours has connected; else the socket is closed."""
    parts: Parts = websocket.app.state.parts
    user = await to_thread.run_sync(lambda: staff_of(websocket, parts))
    ours = live.same_origin(websocket, parts.settings.public_url)
    if user is None or user.role not in SUPERVISORS or parts.specialists is None or not ours:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return None
    await websocket.accept()
    return parts
