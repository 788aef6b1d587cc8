"""Every SQL model of the application, imported in one place for Alembic and table creation."""

from channels.telegram.models import TelegramEvent
from channels.viber.models import ViberAbuse, ViberBlock, ViberEvent, ViberRating
from hotline.admin.models import AuditEntry, CalendarDay, OfficeSettings, WeekHours
from hotline.conversation_log import Conversation, ConversationEvent
from hotline.queue_log import QueueEvent
from hotline.staff_sessions import StaffSession
from hotline.users import User
from intents.models import TreeNode, TreeNodeText, TreeVersion
from intents.screening.counts import ScreeningCount
from privacy.models import RetentionSettings
from registry_client.models import Case, Certificate, Consent, RegistryAudit, RegistryJob
from specialist_queue.chat import ChatMessage

__all__ = [
    "AuditEntry",
    "CalendarDay",
    "Case",
    "Certificate",
    "ChatMessage",
    "Consent",
    "Conversation",
    "ConversationEvent",
    "OfficeSettings",
    "QueueEvent",
    "RegistryAudit",
    "RegistryJob",
    "RetentionSettings",
    "ScreeningCount",
    "StaffSession",
    "TelegramEvent",
    "TreeNode",
    "TreeNodeText",
    "TreeVersion",
    "User",
    "ViberAbuse",
    "ViberBlock",
    "ViberEvent",
    "ViberRating",
    "WeekHours",
]
