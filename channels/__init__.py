"""Channel adapters: the common interface, web chat, Viber."""
