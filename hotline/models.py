"""The tables of the application's floor (staff, the conversation and queue logs, the admins' settings).

The tables of channels and domain packages are theirs; `hotline.schema`, the composition root of the
schema, gathers them all for Alembic and table creation.
"""

from hotline.admin.models import AuditEntry, CalendarDay, OfficeSettings, WeekHours
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.pronunciation import Pronunciation
from hotline.queue_log import QueueEvent
from hotline.staff_sessions import StaffSession
from hotline.users import User

__all__ = [
    "AuditEntry",
    "CalendarDay",
    "Conversation",
    "ConversationEvent",
    "OfficeSettings",
    "Pronunciation",
    "QueueEvent",
    "StaffSession",
    "User",
    "WeekHours",
]
