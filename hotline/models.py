"""Every SQL model of the application, imported in one place for Alembic and table creation."""

from hotline.conversation_log import Conversation, ConversationEvent
from hotline.queue_log import QueueEvent
from hotline.users import User
from intents.models import TreeNode, TreeNodeText, TreeVersion

__all__ = ["Conversation", "ConversationEvent", "QueueEvent", "TreeNode", "TreeNodeText", "TreeVersion", "User"]
