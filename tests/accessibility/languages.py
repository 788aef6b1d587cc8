"""Is every Ukrainian and Russian word on the page marked with its language (WCAG 3.1.2)? A screen
reader reads text in the language of its closest `lang`: Russian in a Ukrainian page, unmarked, is read
with Ukrainian pronunciation, and the reverse.

A text is told by the letters only one of the two languages has (ы э ъ ё; і ї є ґ), by which are
more (a surzhyk word in a Ukrainian phrase list leaves it Ukrainian); short words without them go
unchecked, which is why the pages mark whole lines, not only the words this finds. What is checked is
what a person meets: text shown on the page, what is typed in a box, and the names and hints in
aria-label, title and placeholder."""

from __future__ import annotations

from typing import Any

FIND = """() => {
  const OWN = {ru: /[ыэъё]/gi, uk: /[іїєґ]/gi};
  const wrong = [];
  const langOf = (el) => ((el.closest("[lang]") || {}).lang || "").slice(0, 2);
  const shown = (el) => el.getClientRects().length > 0;
  const count = (text, letters) => (text.match(letters) || []).length;
  const check = (text, el, where) => {
    const ru = count(text, OWN.ru), uk = count(text, OWN.uk);
    const lang = ru > uk ? "ru" : uk > ru ? "uk" : null; // the more of its own letters: a surzhyk word is no switch
    if (lang && langOf(el) !== lang) {
      wrong.push(`${where} <${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> in lang="${langOf(el)}"`
        + ` is ${lang}: ${text.trim().slice(0, 60)}`);
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest("script, style, noscript, template, textarea") || !shown(el)) continue;
    check(node.textContent, el, "text");
  }
  for (const el of document.body.querySelectorAll("[aria-label], [title], [placeholder], textarea, input")) {
    if (!shown(el)) continue;
    for (const name of ["aria-label", "title", "placeholder"]) {
      if (el.hasAttribute(name)) check(el.getAttribute(name), el, name);
    }
    if (el.matches("textarea, input:not([type=hidden])")) check(el.value, el, "typed");
  }
  return wrong;
}"""


def unmarked(page: Any) -> list[str]:
    """Each Ukrainian or Russian text on the page whose closest `lang` is not its language."""
    found: list[str] = page.evaluate(FIND)
    return found


def check(page: Any, state: str) -> None:
    wrong = unmarked(page)
    assert not wrong, f"text not marked with its language on {page.url} ({state}):\n" + "\n".join(wrong[:20])
