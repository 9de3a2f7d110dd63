"""Remember this browser: a random key in a first-party cookie, written by a tiny ``components.v2`` script.

The key (32 url-safe characters, 192 random bits) is generated on the server; the script
only stores it (``path=/``, one year, ``SameSite=Strict``). Streamlit reads cookies when a
session starts (``st.context.cookies``), so after a reload, a closed tab or a server restart
the next session knows its browser at once: its drafts and its editing rights come back.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["write_cookie"]

_JS = """
export default function browserKey(component) {
  const { data } = component;
  if (!data || typeof data.name !== "string" || !/^[A-Za-z0-9_-]{32}$/.test(data.value || "")) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${data.name}=${data.value}; path=/; max-age=31536000; SameSite=Strict${secure}`;
}
"""

_mount = st.components.v2.component("browser_key", html="<span hidden></span>", js=_JS)


def write_cookie(name: str, value: str) -> None:
    """Store ``value`` in the cookie ``name`` (the element is hidden; it takes no space)."""
    _mount(data={"name": name, "value": value}, key="browser_key_cookie")
