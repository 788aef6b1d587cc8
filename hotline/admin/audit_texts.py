"""What the audit log's view says, in Ukrainian and Russian: each action in words, who did it when it was
not a logged-in user, and the names of the fields its details carry (`hotline.admin.audit_view`)."""

from __future__ import annotations

_T = dict[str, dict[str, str]]


def _pairs(prefix: str, words: dict[str, tuple[str, str]]) -> _T:
    return {f"{prefix}{key}": {"uk": uk, "ru": ru} for key, (uk, ru) in words.items()}


# Every action `audit.record` is called with (docs/ADMIN.md lists them); the code stays on hover.
AUDIT_ACTIONS: _T = _pairs(
    "audit_",
    {
        "tree.add": ("Дерево: додано пункт", "Дерево: добавлен пункт"),
        "tree.update": ("Дерево: змінено пункт", "Дерево: изменён пункт"),
        "tree.move": ("Дерево: переміщено пункт", "Дерево: перемещён пункт"),
        "tree.delete": ("Дерево: видалено пункт", "Дерево: удалён пункт"),
        "tree.welcome": ("Дерево: змінено привітання", "Дерево: изменено приветствие"),
        "tree.add_example": ("Дерево: додано приклад фрази", "Дерево: добавлен пример фразы"),
        "tree.publish": ("Опубліковано версію дерева", "Опубликована версия дерева"),
        "tree.rollback": ("Повернуто попередню версію дерева", "Возвращена прежняя версия дерева"),
        "office.week": ("Змінено години роботи", "Изменены часы работы"),
        "office.policy": ("Змінено налаштування черги", "Изменены настройки очереди"),
        "office.closure": ("Додано неробочий день", "Добавлен нерабочий день"),
        "office.day": ("Змінено день календаря", "Изменён день календаря"),
        "office.day_delete": ("Прибрано день з календаря", "Убран день из календаря"),
        "user.create": ("Додано користувача", "Добавлен пользователь"),
        "user.update": ("Змінено користувача", "Изменён пользователь"),
        "user.password_reset": ("Змінено пароль користувача", "Изменён пароль пользователя"),
        "viber.block.lift": ("Знято блокування Viber", "Снята блокировка Viber"),
        "privacy.retention_settings": ("Змінено строки зберігання даних", "Изменены сроки хранения данных"),
        "privacy.retention": ("Нічне очищення старих даних", "Ночная очистка старых данных"),
        "privacy.export": ("Дані громадянина вивантажено", "Данные гражданина выгружены"),
        "privacy.erase": ("Дані громадянина стерто", "Данные гражданина стёрты"),
        "privacy.unmask": ("Розмову прочитано без маскування", "Разговор прочитан без маскировки"),
        "replies.save": ("Збережено шаблон відповіді", "Сохранён шаблон ответа"),
        "replies.delete": ("Видалено шаблон відповіді", "Удалён шаблон ответа"),
        "wallboard.thresholds": ("Змінено пороги табло", "Изменены пороги табло"),
    },
)

# Who acted when no staff member was logged in.
AUDIT_ACTORS: _T = _pairs(
    "audit_by_",
    {
        "command_line": ("командний рядок ({user})", "командная строка ({user})"),
        "retention": ("нічне очищення", "ночная очистка"),
    },
)

# The names of the fields audit details carry (values of the same names are explained by their label).
AUDIT_FIELDS: _T = _pairs(
    "audit_field_",
    {
        "changes": ("Зміни", "Изменения"),
        "set": ("Встановлено", "Установлено"),
        "old": ("Було", "Было"),
        "new": ("Стало", "Стало"),
        "reason": ("Підстава", "Основание"),
        "note": ("Примітка", "Примечание"),
        "from_version": ("З версії", "Из версии"),
        "version": ("Версія", "Версия"),
        "periods": ("Строки, днів", "Сроки, дней"),
        "week": ("Тиждень", "Неделя"),
        "day": ("День", "День"),
        "name": ("Назва", "Название"),
        "closed": ("Не працюємо", "Не работаем"),
        "block": ("Блокування №", "Блокировка №"),
        "display_name": ("Ім'я для колег", "Имя для коллег"),
        "role": ("Роль", "Роль"),
        "skills": ("Навички (черги)", "Навыки (очереди)"),
        "languages": ("Мови", "Языки"),
        "phone": ("Телефон", "Телефон"),
        "is_active": ("Активний", "Активен"),
        "capacity_calls": ("Дзвінків одночасно", "Звонков одновременно"),
        "capacity_chats": ("Чатів одночасно", "Чатов одновременно"),
        "conversations": ("Розмови", "Разговоры"),
        "transcripts": ("Розпізнане мовлення", "Распознанная речь"),
        "recordings": ("Голосові повідомлення", "Голосовые сообщения"),
        "certificates": ("Довідки з реєстру", "Справки из реестра"),
        "audit": ("Журнали", "Журналы"),
        "turns": ("Реплік знеособлено", "Реплик обезличено"),
        "citizens": ("Розмов без ідентифікатора", "Разговоров без идентификатора"),
        "chat_messages": ("Повідомлень фахівцям", "Сообщений специалистам"),
        "queue_events": ("Подій черги", "Событий очереди"),
        "recordings_left_at_twilio": ("Записів лишилось у Twilio", "Записей осталось в Twilio"),
        "audit_entries": ("Записів журналу змін", "Записей журнала изменений"),
        "registry_audit": ("Записів журналу реєстру", "Записей журнала реестра"),
        "cases": ("Справи", "Дела"),
        "title": ("Назва", "Название"),
        "text": ("Текст", "Текст"),
        "lang": ("Мова", "Язык"),
        "queue": ("Черга", "Очередь"),
    },
)

AUDIT_WORDS: _T = {
    **AUDIT_ACTIONS,
    **AUDIT_ACTORS,
    **AUDIT_FIELDS,
    "audit_all": {"uk": "усі зміни", "ru": "все изменения"},
    "audit_yes": {"uk": "так", "ru": "да"},
    "audit_no": {"uk": "ні", "ru": "нет"},
    "audit_empty": {"uk": "(порожньо)", "ru": "(пусто)"},
    "audit_version": {"uk": "версія {id}", "ru": "версия {id}"},
}
