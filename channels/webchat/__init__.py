"""The web-chat channel: a JSON API and the page with the chat widget."""
