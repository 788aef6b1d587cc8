"""What every chat channel (web chat, Viber, Telegram) shares: how a reply reads in writing, and the
chat features that do not depend on the messenger."""
