"""User text, shown as text: the one escaping helper for markdown, HTML and plain displays.

Every string a user (or an uploaded file) supplies — centre, group, lead agency, scenario,
note, author, file, sheet and column names — passes through one of these before it is
shown, so it can never become a link, an image, HTML or script:

- :func:`md` for anything rendered as markdown (Streamlit's markdown, captions, alerts,
  toasts, button, tab, metric and expander labels): every ASCII punctuation character is
  backslash-escaped (CommonMark makes an escaped punctuation character literal), so
  ``![x](http://host/px)`` shows as those characters, ``http://`` is no autolink and
  ``<img>`` no tag;
- :func:`html_text` for HTML (exports, component tooltips built in Python);
- :func:`plain` for displays that show text as it is (tables, pickers): it only removes what
  cannot be displayed.

All three drop NUL and other control characters (tab and newline become spaces), replace
lone surrogates with U+FFFD, and shorten text beyond ``limit`` characters with an ellipsis.
"""

from __future__ import annotations

import html
import re

__all__ = ["DISPLAY_LIMIT", "control_characters", "count", "html_text", "md", "plain"]

DISPLAY_LIMIT = 300
"""Characters of one user string shown at most (a 10,000-character name is cut, with "…")."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def plain(value: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """Displayable text: controls and bidi overrides removed (tab, newline -> space), lone
    surrogates -> U+FFFD, at most ``limit`` characters (the last one "…" when cut)."""
    text = "" if value is None else str(value)
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def md(value: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """Markdown that renders exactly as the text: :func:`plain`, then every ASCII punctuation
    character backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", plain(value, limit))


def html_text(value: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """HTML text (element content or a quoted attribute value) that shows exactly the text."""
    return html.escape(plain(value, limit), quote=True)


def control_characters(value: str) -> list[str]:
    """The control characters, bidi overrides and lone surrogates in ``value``, as ``U+XXXX``
    (for a message saying why a text cannot be stored)."""
    found = [*_CONTROL.findall(value.replace("\t", "").replace("\n", "").replace("\r", "")),
             *_SURROGATE.findall(value)]
    return sorted({f"U+{ord(c):04X}" for c in found})


def count(n: int | float, noun: str, plural: str | None = None) -> str:
    """'1 area', '2 areas', '1,204 children' ('child' -> 'children'; never '-0')."""
    k = round(n)
    k = 0 if k == 0 else k
    word = noun if abs(k) == 1 else plural or ("children" if noun == "child" else noun + "s")
    return f"{k:,} {word}"
