"""The operator console page at `/operator`: a server-rendered shell, brought to life by console.js."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from channels.dialogue import NoPublishedTree
from hotline.bilingual import by_language
from hotline.csrf import csrf_token
from hotline.deps import Parts, PartsDep
from hotline.pages import render, staff_lang, staff_user
from hotline.users import SPECIALISTS
from specialist_queue.desk import MORE_TIME

STATIC = Path(__file__).parent / "static"
PAUSE_REASONS = ("break", "lunch", "training", "paperwork")

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Консоль фахівця", "Консоль специалиста"),
    "log_out": ("Вийти", "Выйти"),
    "search_link": ("Пошук розмов", "Поиск разговоров"),
    "my_state": ("Мій стан", "Моё состояние"),
    "state_available": ("Готовий приймати звернення", "Готов принимать обращения"),
    "state_busy": ("Розмова", "Разговор"),
    "state_wrap_up": ("Завершення звернення", "Завершение обращения"),
    "state_paused": ("Перерва", "Перерыв"),
    "state_offline": ("Не на лінії", "Не на линии"),
    "go_available": ("Приймати звернення", "Принимать обращения"),
    "go_pause": ("Перерва", "Перерыв"),
    "go_offline": ("Вийти з лінії", "Выйти с линии"),
    "pause_reason": ("Причина перерви", "Причина перерыва"),
    "reason_break": ("Коротка перерва", "Короткий перерыв"),
    "reason_lunch": ("Обід", "Обед"),
    "reason_training": ("Навчання", "Обучение"),
    "reason_paperwork": ("Робота з документами", "Работа с документами"),
    "reason_missed_offer": ("Пропущене звернення", "Пропущенное обращение"),
    "offer": ("Нове звернення для вас", "Новое обращение для вас"),
    "offer_emergency": ("Екстрене звернення для вас", "Экстренное обращение для вас"),
    "accept": ("Прийняти", "Принять"),
    "offer_left": ("Залишилось {n} с", "Осталось {n} с"),
    "offer_says": ("{offer}: {channel}, {queue}. Залишилось {n} с.", "{offer}: {channel}, {queue}. Осталось {n} с."),
    "more_time": ("Більше часу (+{n} с)", "Больше времени (+{n} с)"),
    "more_time_given": ("Звернення чекає на вас: залишилось {n} с.", "Обращение ждёт вас: осталось {n} с."),
    "no_more_time": (
        "Більше часу дати не можна: громадянин чекає. Прийміть звернення або воно перейде колезі.",
        "Больше времени дать нельзя: гражданин ждёт. Примите обращение, или оно перейдёт коллеге.",
    ),
    "offer_reminder": (
        "Залишилось {n} с, щоб прийняти звернення.",
        "Осталось {n} с, чтобы принять обращение.",
    ),
    "offer_gone": ("Звернення вже не для вас.", "Обращение уже не для вас."),
    "taken": ("Це звернення вже прийняв інший фахівець.", "Это обращение уже принял другой специалист."),
    "not_yours": ("Ця розмова вже не у вас: стан оновлено.", "Этот разговор уже не у вас: состояние обновлено."),
    "finish_first": ("Спершу завершіть поточну розмову.", "Сначала завершите текущий разговор."),
    "call_failed": (
        "Не вдалося з'єднати дзвінок; він чекає далі. Спробуйте ще раз.",
        "Не удалось соединить звонок; он ждёт дальше. Попробуйте ещё раз.",
    ),
    "no_phone_line": (
        "Цей дзвінок не можна з'єднати з вашим телефоном: сервер не налаштовано ({settings}). Він чекатиме далі; "
        "скажіть адміністратору. Чати це не зачіпає.",
        "Этот звонок нельзя соединить с вашим телефоном: сервер не настроен ({settings}). Он будет ждать дальше; "
        "скажите администратору. Чатов это не касается.",
    ),
    "no_offer": ("Нових звернень поки немає.", "Новых обращений пока нет."),
    "conversation": ("Розмова з громадянином", "Разговор с гражданином"),
    "channel": ("Канал", "Канал"),
    "language": ("Мова", "Язык"),
    "lang_uk": ("українська", "украинский"),
    "lang_ru": ("російська", "русский"),
    "queue": ("Черга", "Очередь"),
    "skill_general": ("Загальні питання", "Общие вопросы"),
    "skill_crisis": ("Кризова допомога", "Кризисная помощь"),
    "priority": ("Пріоритет", "Приоритет"),
    "priority_emergency": ("Екстрений", "Экстренный"),
    "priority_normal": ("Звичайний", "Обычный"),
    "waited": ("Чекає", "Ждёт"),
    "path": ("Шлях у меню", "Путь в меню"),
    "intents": ("Розпізнані питання", "Распознанные вопросы"),
    "transcript": ("Що було до вас", "Что было до вас"),
    "screening": ("Відповіді громадянина в опитуванні", "Ответы гражданина в опросе"),
    "robot": ("Робот", "Робот"),
    "citizen": ("Громадянин", "Гражданин"),
    "specialist": ("Фахівець", "Специалист"),
    "sender_note": ("Нотатка (бачите лише ви)", "Заметка (видите только вы)"),
    "sender_whisper": ("Підказка старшого фахівця", "Подсказка старшего специалиста"),
    "crisis_flag": (
        "Увага: кризові слова — можлива небезпека для людини. Дійте за кризовим порядком.",
        "Внимание: кризисные слова — возможна опасность для человека. Действуйте по кризисному порядку.",
    ),
    "ask_title": ("Сповіщення про нові звернення", "Уведомления о новых обращениях"),
    "ask_text": (
        "Щоб не пропустити звернення, коли консоль не на екрані, дозвольте браузеру показувати сповіщення. "
        "Нове звернення дзвенить на кожній сторінці, яку ви відкрили в системі.",
        "Чтобы не пропустить обращение, когда консоль не на экране, разрешите браузеру показывать уведомления. "
        "Новое обращение звенит на каждой странице системы, которую вы открыли.",
    ),
    "ask_allow": ("Дозволити сповіщення і звук", "Разрешить уведомления и звук"),
    "ask_later": ("Не зараз", "Не сейчас"),
    "my_conversations": ("Мої розмови", "Мои разговоры"),
    "load": (
        "чатів {chats} з {most}, дзвінків {calls} з {calls_most}",
        "чатов {chats} из {most}, звонков {calls} из {calls_most}",
    ),
    "unread": ("{n} нових", "{n} новых"),
    "message_in": ("Нове повідомлення в розмові {n}", "Новое сообщение в разговоре {n}"),
    "crisis_in": ("Кризові слова в розмові {n}", "Кризисные слова в разговоре {n}"),
    "kind_chat": ("Чат", "Чат"),
    "kind_call": ("Дзвінок", "Звонок"),
    "kind_callback": ("Зворотний дзвінок", "Обратный звонок"),
    "shortcuts": ("Клавіші", "Клавиши"),
    "key_accept": ("прийняти звернення", "принять обращение"),
    "key_send": ("надіслати відповідь (Shift+Enter — новий рядок)", "отправить ответ (Shift+Enter — новая строка)"),
    "key_close": ("завершити розмову", "завершить разговор"),
    "key_next": ("наступна / попередня розмова", "следующий / предыдущий разговор"),
    "key_jump": ("розмова за номером у списку", "разговор по номеру в списке"),
    "notes": ("Нотатки (громадянин їх не бачить)", "Заметки (гражданин их не видит)"),
    "note_text": ("Нова нотатка", "Новая заметка"),
    "save_note": ("Додати нотатку", "Добавить заметку"),
    "earlier": ("Звертався раніше", "Обращался раньше"),
    "earlier_none": ("Раніше не звертався (або його не впізнати).", "Раньше не обращался (или его не узнать)."),
    "earlier_robot": ("лише з роботом", "только с роботом"),
    "canned": ("Готові відповіді", "Готовые ответы"),
    "canned_hint": (
        "Готова відповідь: наберіть «/» і кілька літер, потім Enter або виберіть зі списку.",
        "Готовый ответ: наберите «/» и несколько букв, затем Enter или выберите из списка.",
    ),
    "transfer": ("Передати розмову", "Передать разговор"),
    "transfer_to": ("Кому передати", "Кому передать"),
    "transfer_colleagues": ("Колеги на лінії", "Коллеги на линии"),
    "transfer_queues": ("Інша черга", "Другая очередь"),
    "transfer_no_colleagues": ("інших фахівців на лінії немає", "других специалистов на линии нет"),
    "colleague_busy": ("{name} — зараз не може прийняти", "{name} — сейчас не может принять"),
    "colleague_cannot": ("{name} — не веде цю чергу", "{name} — не ведёт эту очередь"),
    "transfer_note": (
        "Що передати колезі (громадянин цього не бачить)",
        "Что передать коллеге (гражданин этого не видит)",
    ),
    "transfer_send": ("Передати", "Передать"),
    "transfer_done": (
        "Розмову передано, громадянину про це сказано. Заповніть підсумок.",
        "Разговор передан, гражданину об этом сказано. Заполните итог.",
    ),
    "transfer_refused": (
        "Не вдалося передати: колега вже не може її прийняти (зайнятий, не на лінії або не веде цю чергу). "
        "Виберіть іншого або чергу.",
        "Не удалось передать: коллега уже не может его принять (занят, не на линии или не ведёт эту очередь). "
        "Выберите другого или очередь.",
    ),
    "transfer_call": (
        "Скажіть абонентові, що передаєте дзвінок, і не кладіть слухавку: дзвінок перейде на телефон колеги, "
        "коли той його прийме.",
        "Скажите абоненту, что передаёте звонок, и не кладите трубку: звонок перейдёт на телефон коллеги, "
        "когда тот его примет.",
    ),
    "transfer_no_line": (
        "Цей сервер не може перевести дзвінок, що триває, на інший телефон: не налаштовано {settings}. "
        "Скажіть адміністратору; поки що завершіть розмову самі.",
        "Этот сервер не может перевести идущий звонок на другой телефон: не настроено {settings}. "
        "Скажите администратору; пока завершите разговор сами.",
    ),
    "transfers": ("Передано", "Передано"),
    "transfer_line": ("{by} → {to}", "{by} → {to}"),
    "chat": ("Листування", "Переписка"),
    "citizen_typing": ("Громадянин друкує…", "Гражданин печатает…"),
    "seen": ("Переглянуто", "Просмотрено"),
    "reply": ("Ваша відповідь", "Ваш ответ"),
    "send": ("Надіслати", "Отправить"),
    "end": ("Завершити розмову", "Завершить разговор"),
    "open_case": ("Відкрити справу в реєстрі", "Открыть дело в реестре"),
    "on_phone": (
        "Дзвінок переведено на вас: розмовляйте по телефону.",
        "Звонок переведён на вас: говорите по телефону.",
    ),
    "callback": ("Зворотний дзвінок", "Обратный звонок"),
    "offer_callback": ("Зворотний дзвінок для вас", "Обратный звонок для вас"),
    "kind": ("Вид", "Вид"),
    "number": ("Номер", "Номер"),
    "hidden_number": ("прихований", "скрыт"),
    "requested_at": ("Просив передзвонити", "Просил перезвонить"),
    "due": ("Обіцяли передзвонити", "Обещали перезвонить"),
    "due_from": ("з {time}", "с {time}"),
    "attempts": ("Спроб уже", "Попыток уже"),
    "pressed": ("натиснув {key}", "нажал {key}"),
    "typed": ("набрав {key}", "набрал {key}"),
    "confidence": ("розпізнано з упевненістю {n} %", "распознано с уверенностью {n} %"),
    "silence": ("мовчав", "молчал"),
    "keys_offered": ("Клавіші", "Клавиши"),
    "reached_banner": (
        "Ви додзвонилися. Коли розмову закінчено, натисніть «Завершити розмову» і заповніть підсумок.",
        "Вы дозвонились. Когда разговор окончен, нажмите «Завершить разговор» и заполните итог.",
    ),
    "call_citizen": ("Зателефонуйте громадянину", "Позвоните гражданину"),
    "voice_message": ("Голосове повідомлення", "Голосовое сообщение"),
    "listen": ("Прослухати запис", "Прослушать запись"),
    "listen_only": (
        "Номер приховано: лише прослухати повідомлення",
        "Номер скрыт: только прослушать сообщение",
    ),
    "transcription_pending": ("Розшифровка ще не надійшла.", "Расшифровка ещё не пришла."),
    "transcription_none": ("Розшифровки немає: прослухайте запис.", "Расшифровки нет: прослушайте запись."),
    "outcome_reached": ("Додзвонився", "Дозвонился"),
    "outcome_no_answer": ("Не відповідає", "Не отвечает"),
    "outcome_given_up": ("Припинити спроби", "Прекратить попытки"),
    "wrap_up": ("Підсумок звернення", "Итог обращения"),
    "disposition": ("Тема звернення", "Тема обращения"),
    "other": ("Інше", "Другое"),
    "note": ("Примітка", "Примечание"),
    "save": ("Зберегти", "Сохранить"),
    "queues": ("Черги", "Очереди"),
    "col_waiting": ("Чекають", "Ждут"),
    "col_longest": ("Найдовше чекання", "Дольше всех ждёт"),
    "col_estimate": ("Орієнтовне чекання", "Ожидаемое ожидание"),
    "col_staffed": ("На лінії", "На линии"),
    "col_answered": ("Прийнято сьогодні", "Принято сегодня"),
    "col_service": ("Рівень обслуговування", "Уровень обслуживания"),
    "col_abandoned": ("Не дочекались", "Не дождались"),
    "no_queues": ("Черги порожні.", "Очереди пусты."),
    "unserved": ("⚠ ніхто на зміні не може прийняти — уже {time}", "⚠ никто на смене не может принять — уже {time}"),
    "offered_of": ("{n} (пропонується {offered})", "{n} (предлагается {offered})"),
    "seconds": ("{n} с", "{n} с"),
    "minutes": ("{m} хв {s} с", "{m} мин {s} с"),
    "reconnecting": ("Зв'язок утрачено, відновлюю…", "Связь потеряна, восстанавливаю…"),
    "failed": ("Не вдалося: {message}", "Не удалось: {message}"),
}
CONSOLE_TEXT = by_language(_TEXT)
# Queues that are not a top category of the tree (see the engine's `skill_of` and the crisis intent).
OTHER_SKILLS = ("general", "crisis")

router = APIRouter(include_in_schema=False)


@router.get("/operator", response_class=HTMLResponse)
def operator_page(request: Request, parts: PartsDep) -> Response:
    """The console: login first; operators and admins only."""
    user = staff_user(request, parts, SPECIALISTS)
    if isinstance(user, Response):
        return user
    lang = staff_lang(request)
    context = {
        "user": user,
        "csrf": csrf_token(request),
        "texts": {key: text[lang] for key, text in CONSOLE_TEXT.items()} | channel_names(parts, lang),
        "reasons": PAUSE_REASONS,
        "dispositions": _dispositions(parts, lang),
        "skills": skill_titles(parts, lang),
        "more_time": MORE_TIME,
        "offer_timeout": round(parts.settings.queue_offer_timeout_seconds),
    }
    return render(request, "operator.html", context, texts=CONSOLE_TEXT)


def channel_names(parts: Parts, lang: str) -> dict[str, str]:
    """`channel_{name}` → what the registered channel is called in `lang`, for the pages' scripts."""
    return {f"channel_{name}": label for name, label in parts.channels.labels(lang).items()}


def _dispositions(parts: Parts, lang: str) -> list[tuple[str, str]]:
    """The published tree's intents as (slug, title), for the wrap-up form."""
    trees = parts.dialogue.trees
    try:
        tree = trees.get(trees.current_version()).tree
    except NoPublishedTree:
        return []
    return sorted(((n.slug, n.text(lang).title) for n in tree.intents()), key=lambda item: item[1])


def skill_titles(parts: Parts, lang: str) -> dict[str, str]:
    """Queue skill → what the console calls it: the tree's top categories, and the queues beside them."""
    titles = {skill: CONSOLE_TEXT[f"skill_{skill}"][lang] for skill in OTHER_SKILLS}
    trees = parts.dialogue.trees
    try:
        tree = trees.get(trees.current_version()).tree
    except NoPublishedTree:
        return titles
    return titles | {node.slug: node.text(lang).title for node in tree.children_of(None) if not node.is_intent}


def queue_title(skills: dict[str, str], lang: str) -> Callable[[str], str]:
    """`subsidies:uk` as the office says it in `lang`: `Житлова субсидія · українська` (`skills`: their titles)."""

    def title(queue: str) -> str:
        skill, _, language = queue.rpartition(":")
        name = CONSOLE_TEXT.get(f"lang_{language}", {}).get(lang, language)
        return f"{skills.get(skill, skill)} · {name}"

    return title
