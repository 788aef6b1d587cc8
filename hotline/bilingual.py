"""Texts as the code writes them, `{key: (Ukrainian, Russian)}`, and as pages and replies read them,
`{key: {"uk": …, "ru": …}}` (a page's `t(key)`, `say(key, lang)`): one table a module, turned once."""

from __future__ import annotations

from collections.abc import Mapping

Pairs = Mapping[str, tuple[str, str]]
Texts = dict[str, dict[str, str]]


def by_language(pairs: Pairs, *, prefix: str = "") -> Texts:
    """Each `key: (uk, ru)` as `prefix + key: {"uk": uk, "ru": ru}`."""
    return {f"{prefix}{key}": {"uk": uk, "ru": ru} for key, (uk, ru) in pairs.items()}
