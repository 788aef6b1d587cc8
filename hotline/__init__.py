"""Hotline: a round-the-clock information line for a social-protection office."""
