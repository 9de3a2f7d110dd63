"""Optional sign-in with ``st.login`` (OpenID Connect: Microsoft Entra ID, Google, Okta...).

Off unless ``.streamlit/secrets.toml`` has an ``[auth]`` section (see ``secrets.toml.example``):
then the app behaves exactly as without this module. On, :func:`require_sign_in` runs before
every page (``app.py``, after ``st.navigation``): a visitor who is not signed in sees only the
sign-in screen, and a signed-in one a "Sign out" button in the sidebar; saves and notes record the
signed-in identity (:func:`signed_in_user`, used by ``workspace.author()``).

With ``[centre_planner] view_links_without_sign_in = true``, a visitor who is not signed in may
open a **read-only** link (``?link=<viewing token>``) and look at that scenario on the pages in
:data:`VIEW_PAGES` (read-only there, as for any viewing link); an editing link, the workspace,
any other page and "Make my own copy" ask them to sign in. The settings themselves are read by
:func:`lib.auth_config.sign_in_config`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from lib.auth_config import UNREADABLE, SignInConfig, mentions_auth, sign_in_config
from lib.store import NotFound, StoreError
from lib.text import md, plain
from ui import workspace

log = logging.getLogger("centre_planner")

VIEW_PAGES = ("Plan", "Budget")
"""Pages a visitor who is not signed in may see, read-only, through a viewing link (when allowed)."""
IDENTITY_CLAIMS = ("email", "preferred_username", "upn", "name", "sub")
"""The identity recorded as author, first present: Entra ID often sends no ``email`` but a
``preferred_username`` (the user principal name, usually the work address)."""
HIDE_NAVIGATION = "<style>[data-testid='stTopNav'] {display: none;}</style>"


# --- the settings -------------------------------------------------------------------------------
def _secrets() -> tuple[Mapping[str, Any] | None, bool]:
    """The parsed secrets (``None`` when there are none), and whether a secrets file that could not
    be read mentions ``[auth`` (then sign-in is on but broken, never off)."""
    try:
        if st.secrets.load_if_toml_exists():
            return st.secrets.to_dict(), False
    except Exception:  # an unreadable file is handled below
        log.exception("secrets could not be read")
    try:
        from streamlit import config as st_config

        for name in st_config.get_option("secrets.files"):
            path = Path(name)
            if path.suffix == ".toml" and path.is_file() and mentions_auth(path.read_text("utf-8", "replace")):
                return None, True
    except Exception:
        log.exception("secrets files could not be checked")
    return None, False


def config() -> SignInConfig:
    """The sign-in settings of this server (read on every run: a changed secrets file applies at once)."""
    secrets, unreadable = _secrets()
    if unreadable:
        return SignInConfig(enabled=True, problems=(UNREADABLE,))
    return sign_in_config(secrets)


def sign_in_configured() -> bool:
    """Sign-in is on: the secrets have an ``[auth]`` section (working or not)."""
    return config().enabled


def _user_info() -> dict[str, Any]:
    """What Streamlit knows of this session's user (``st.user``); the one place that reads it."""
    try:
        return dict(st.user.to_dict())
    except Exception:  # no script context, or a host without user info
        return {}


def identity(info: Mapping[str, Any]) -> str | None:
    """The signed-in user's identity in ``info`` (``st.user``): e-mail, else user name, else name;
    ``None`` unless ``info`` says the user is logged in."""
    if info.get("is_logged_in") is not True:
        return None
    for claim in IDENTITY_CLAIMS:
        value = info.get(claim)
        if isinstance(value, str) and plain(value, limit=200).strip():
            return plain(value, limit=200).strip()
    return "signed-in user"


def signed_in_user() -> str | None:
    """The signed-in user's identity, or ``None`` (not signed in, or sign-in off)."""
    if not sign_in_configured():
        return None
    return identity(_user_info())


# --- the gate -----------------------------------------------------------------------------------
def _is_viewing_link(token: str) -> bool:
    try:
        return not workspace.store().open_link(token).can_edit
    except (NotFound, StoreError):
        return False


def anonymous_view_allowed(page_title: str) -> bool:
    """A visitor who is not signed in may see ``page_title`` now: a read-only link's scenario on
    a page of :data:`VIEW_PAGES`, and nothing else (the caller checks the setting)."""
    if page_title not in VIEW_PAGES:
        return False
    q = st.query_params
    if any(q.get(name) and st.session_state.get(f"opened_{name}") != q.get(name)
           for name in (workspace.OPEN, workspace.LEGACY)):
        return False  # only ?link= opens anything without sign-in
    link = q.get(workspace.LINK)
    if link and st.session_state.get(f"opened_{workspace.LINK}") != link:
        return _is_viewing_link(link) and (not workspace.scoped() or workspace.view_only())
    return workspace.view_only()


def _sign_in_buttons(cfg: SignInConfig) -> None:
    """One "Sign in" button per provider ("Sign in with Microsoft"... when there are several)."""
    for provider in cfg.providers:
        label = "Sign in" if len(cfg.providers) == 1 else f"Sign in with {(provider or 'default').title()}"
        if st.button(label, type="primary", key=f"sign_in_{provider or 'default'}"):
            try:
                st.login(provider)
            except Exception as exc:  # a broken provider setting: say so, never a traceback
                log.exception("st.login failed")
                st.error(f"Sign-in could not start ({md(type(exc).__name__)}). Whoever runs this server "
                         "should check the [auth] section of .streamlit/secrets.toml.")


def sign_in_screen(cfg: SignInConfig) -> None:
    """The screen a visitor who is not signed in sees instead of any page."""
    st.markdown(HIDE_NAVIGATION, unsafe_allow_html=True)
    with st.container(border=True, key="sign_in_screen"):
        st.markdown("## Centre Planner")
        st.markdown("Regroup children's centres into lots and see reach, deprivation and budget. "
                    "Sign in with your organisation's account to continue.")
        if st.query_params.get(workspace.LINK):
            st.caption("This link opens after you sign in.")
        if cfg.problems or not cfg.providers:
            st.error("Sign-in is switched on, but it is not set up correctly, so nobody can sign in yet. "
                     "Whoever runs this server should fix `.streamlit/secrets.toml`: "
                     + " ".join(md(p) for p in cfg.problems))
            return
        from streamlit.auth_util import is_authlib_installed

        if not is_authlib_installed():
            st.error("Sign-in needs the Authlib package on this server: `pip install -r requirements.txt`.")
            return
        _sign_in_buttons(cfg)


def _signed_in_bar(user: str) -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{md(user)}**")
        if st.button("Sign out", key="sign_out"):
            st.logout()


def _viewer_bar(cfg: SignInConfig) -> None:
    with st.sidebar:
        st.caption("Read-only view. Sign in to make your own copy or to see other pages.")
        _sign_in_buttons(cfg)


def require_sign_in(page_title: str) -> None:
    """Before any page: return when this visitor may see ``page_title``, else show the sign-in
    screen and stop the run. Does nothing when sign-in is off."""
    cfg = config()
    if not cfg.enabled:
        return
    user = identity(_user_info())  # Streamlit's signed cookie says so: let them in
    if user is not None:
        st.session_state[workspace.AUTHOR] = user  # the name field shows who is recorded
        _signed_in_bar(user)
        return
    if cfg.usable and cfg.view_links_without_sign_in and anonymous_view_allowed(page_title):
        _viewer_bar(cfg)
        return
    sign_in_screen(cfg)
    st.stop()
