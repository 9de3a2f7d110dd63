"""Sign-in settings, read from the app's secrets (``.streamlit/secrets.toml``), as plain data.

Sign-in is **off** unless the secrets have an ``[auth]`` section (Streamlit's own OpenID Connect
settings for ``st.login``). With one, it is **on**, and stays on even when the section is
incomplete: the sign-in screen then says what is missing instead of letting anyone in.

- ``[auth]`` itself holding ``client_id``, ``client_secret`` and ``server_metadata_url`` is the
  default provider (``st.login()``); each ``[auth.<name>]`` table holding them is a named one
  (``st.login("<name>")``). ``redirect_uri`` and ``cookie_secret`` are always in ``[auth]``.
- ``[centre_planner] view_links_without_sign_in = true`` lets a visitor who is not signed in
  open a read-only link (default false: every visitor signs in). Only the TOML boolean ``true``
  turns it on.

No Streamlit here: :mod:`ui.auth` passes the secrets in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PROVIDER_KEYS", "SHARED_KEYS", "UNREADABLE", "SignInConfig", "mentions_auth", "sign_in_config"]

SHARED_KEYS = ("redirect_uri", "cookie_secret")
"""Keys of ``[auth]`` every provider uses."""
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
"""Keys a provider needs (in ``[auth]`` for the default one, in ``[auth.<name>]`` for a named one)."""
APP_SECTION = "centre_planner"
VIEW_LINKS = "view_links_without_sign_in"
CALLBACK_PATH = "/oauth2callback"
UNREADABLE = "secrets.toml could not be read (is its TOML valid?), and it has an [auth] section."
_AUTH_TABLE = re.compile(r"^\s*\[\s*auth\s*[.\]]", re.MULTILINE)


@dataclass(frozen=True)
class SignInConfig:
    """What the secrets say about sign-in."""

    enabled: bool = False  # an [auth] section exists: everyone signs in (or is refused)
    providers: tuple[str | None, ...] = ()  # None: the default provider ([auth] itself); else [auth.<name>]
    view_links_without_sign_in: bool = False
    problems: tuple[str, ...] = ()  # why sign-in cannot work as configured (empty when it can)

    @property
    def usable(self) -> bool:
        """Sign-in is on and a visitor can actually sign in."""
        return self.enabled and bool(self.providers) and not self.problems


def _missing(section: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if not (isinstance(section.get(k), str) and section.get(k).strip())]


def sign_in_config(secrets: Mapping[str, Any] | None) -> SignInConfig:
    """The sign-in settings in ``secrets`` (the parsed ``secrets.toml``; ``None`` when there is none)."""
    secrets = secrets if isinstance(secrets, Mapping) else {}
    app = secrets.get(APP_SECTION)
    view_links = isinstance(app, Mapping) and app.get(VIEW_LINKS) is True
    if "auth" not in secrets:
        return SignInConfig(view_links_without_sign_in=view_links)
    auth = secrets["auth"]
    if not isinstance(auth, Mapping):
        return SignInConfig(True, (), view_links, ("[auth] in secrets.toml must be a table of settings.",))
    problems: list[str] = []
    missing = _missing(auth, SHARED_KEYS)
    if missing:
        problems.append(f"[auth] is missing {', '.join(missing)}.")
    redirect = auth.get("redirect_uri")
    if isinstance(redirect, str) and redirect.strip() and not redirect.rstrip().endswith(CALLBACK_PATH):
        problems.append(f"[auth] redirect_uri must be the app's address ending in {CALLBACK_PATH}.")
    shared_problems = len(problems)
    providers: list[str | None] = []
    if any(k in auth for k in PROVIDER_KEYS):
        missing = _missing(auth, PROVIDER_KEYS)
        if missing:
            problems.append(f"[auth] is missing {', '.join(missing)}.")
        else:
            providers.append(None)
    for name, section in auth.items():
        if not isinstance(section, Mapping) or name == "client_kwargs":
            continue
        missing = _missing(section, PROVIDER_KEYS)
        if "_" in name:
            problems.append(f"[auth.{name}]: a provider's name cannot contain an underscore.")
        elif missing:
            problems.append(f"[auth.{name}] is missing {', '.join(missing)}.")
        else:
            providers.append(str(name))
    if not providers and len(problems) == shared_problems:  # no provider, nor a broken one
        problems.append("[auth] names no provider: add client_id, client_secret and server_metadata_url "
                        "to [auth], or an [auth.<name>] table with them.")
    return SignInConfig(True, tuple(providers), view_links, tuple(problems))


def mentions_auth(toml_text: str) -> bool:
    """The text of a secrets file has an ``[auth]`` or ``[auth.<name>]`` table (read even when it is
    not valid TOML, so that a typo elsewhere in the file never switches sign-in off)."""
    return bool(_AUTH_TABLE.search(toml_text))
