"""The community registry client."""
