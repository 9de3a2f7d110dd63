"""What a markdown body shows, for assertions on AppTest elements (a module of its own: ``conftest`` is
ambiguous when tests/ and tests/browser/ are collected together)."""

from __future__ import annotations

import re


def shown(markdown: str) -> str:
    """The text a markdown body shows: the backslash escapes of ``lib.text.md`` undone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)
