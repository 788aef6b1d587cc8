"""Specialist queues and operators."""
