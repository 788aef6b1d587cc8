"""The phone channel (Twilio)."""
