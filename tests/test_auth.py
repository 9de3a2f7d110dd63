"""Optional sign-in: the settings (lib.auth_config), the identity, and the gate in the running app."""

from __future__ import annotations

import pytest
from apptest import APP, IDS, run
from streamlit.testing.v1 import AppTest
from textcheck import shown

from lib.auth_config import UNREADABLE, SignInConfig, mentions_auth, sign_in_config
from lib.scenario import Scenario
from lib.store import ScenarioStore
from ui import auth
from ui.auth import identity

SHARED = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "a-long-random-test-secret-0123"}
PROVIDER = {"client_id": "client", "client_secret": "secret",
            "server_metadata_url": "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration"}
AUTH = {**SHARED, **PROVIDER}
OFFICER = {"is_logged_in": True, "email": "ann.officer@council.gov.uk", "name": "Ann Officer"}


# --- the settings ---------------------------------------------------------------------------------
def test_no_auth_section_means_no_sign_in():
    for secrets in (None, {}, {"other": {"x": 1}}, {"centre_planner": {"view_links_without_sign_in": True}}):
        cfg = sign_in_config(secrets)
        assert not cfg.enabled and not cfg.usable and cfg.problems == ()
    assert sign_in_config({"centre_planner": {"view_links_without_sign_in": True}}).view_links_without_sign_in


def test_default_provider_in_auth():
    cfg = sign_in_config({"auth": AUTH})
    assert cfg == SignInConfig(enabled=True, providers=(None,), view_links_without_sign_in=False, problems=())
    assert cfg.usable


def test_named_providers():
    cfg = sign_in_config({"auth": {**SHARED, "microsoft": PROVIDER, "google": PROVIDER,
                                   "client_kwargs": {"prompt": "login"}}})
    assert cfg.usable and cfg.providers == ("microsoft", "google")
    both = sign_in_config({"auth": {**AUTH, "okta": PROVIDER}})
    assert both.usable and both.providers == (None, "okta")


@pytest.mark.parametrize(("auth", "says"), [
    ({}, "names no provider"),
    (SHARED, "names no provider"),
    ({**PROVIDER, "redirect_uri": SHARED["redirect_uri"]}, "cookie_secret"),
    ({**PROVIDER, "cookie_secret": "x" * 20}, "redirect_uri"),
    ({**AUTH, "redirect_uri": "http://localhost:8501/"}, "/oauth2callback"),
    ({**AUTH, "client_secret": ""}, "client_secret"),
    ({**SHARED, "client_id": "only this"}, "client_secret, server_metadata_url"),
    ({**SHARED, "microsoft": {"client_id": "x"}}, "[auth.microsoft] is missing"),
    ({**SHARED, "my_idp": PROVIDER}, "underscore"),
    ("not a table", "must be a table"),
])
def test_an_incomplete_auth_section_keeps_sign_in_on_and_says_why(auth, says):
    cfg = sign_in_config({"auth": auth})
    assert cfg.enabled and not cfg.usable  # never "off" because a setting is missing
    assert any(says in p for p in cfg.problems), cfg.problems


@pytest.mark.parametrize(("value", "allowed"), [(True, True), (False, False), ("true", False), (1, False)])
def test_view_links_without_sign_in_only_when_true(value, allowed):
    cfg = sign_in_config({"auth": AUTH, "centre_planner": {"view_links_without_sign_in": value}})
    assert cfg.view_links_without_sign_in is allowed
    assert not sign_in_config({"auth": AUTH, "centre_planner": "true"}).view_links_without_sign_in
    assert not sign_in_config({"auth": AUTH}).view_links_without_sign_in


def test_a_secrets_file_that_is_not_valid_toml_never_switches_sign_in_off(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.runtime.secrets import Secrets
    from streamlit.testing.v1.util import patch_config_options

    assert mentions_auth('[auth]\nredirect_uri = "x"') and mentions_auth("x = 1\n  [ auth.microsoft ]\n")
    assert not mentions_auth("[authority]\n") and not mentions_auth('note = "see [auth] later"')
    path = tmp_path / "secrets.toml"
    monkeypatch.setattr(st, "secrets", Secrets())  # a fresh store that reads only this file
    with patch_config_options({"secrets.files": [str(path)]}):
        assert auth.config() == SignInConfig()  # no file: off
        path.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = \n')
        cfg = auth.config()
        assert cfg.enabled and not cfg.usable and cfg.problems == (UNREADABLE,)
        path.write_text('[centre_planner\nview_links_without_sign_in = true\n')
        assert not auth.config().enabled  # broken, but no [auth]: off, as before


def test_identity_of_the_signed_in_user():
    assert identity({}) is None
    assert identity({"email": "test@example.com"}) is None  # AppTest's default user: not logged in
    assert identity({"is_logged_in": False, "email": "a@b.uk"}) is None
    assert identity(OFFICER) == "ann.officer@council.gov.uk"
    assert identity({"is_logged_in": True, "preferred_username": "ann@council.gov.uk", "name": "Ann"}) == \
        "ann@council.gov.uk"  # Entra ID without an email claim
    assert identity({"is_logged_in": True, "email": "", "name": "Ann\x00 Officer\u202e"}) == "Ann Officer"
    assert identity({"is_logged_in": True}) == "signed-in user"
    assert len(identity({"is_logged_in": True, "email": "x" * 500})) == 200  # fits the store's author column


# --- the running app ------------------------------------------------------------------------------
def app(secrets: dict | None = None, user: dict | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    # always some secrets, so that a developer's own .streamlit/secrets.toml cannot change the test
    at.secrets.update(secrets or {"unrelated": "value"})
    if user is not None:
        at.user = user
    at.query_params.update(query or {})
    return run(at)


def labels(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def on_sign_in_screen(at: AppTest) -> bool:
    texts = " ".join(m.value for m in at.main.markdown)
    return "Sign in" in labels(at) and "Centre Planner" in texts


def shows_no_page(at: AppTest) -> bool:
    return not at.metric and not at.dataframe and not at.multiselect and not at.number_input and not at.text_input


def save_as_new(at: AppTest, name: str) -> AppTest:
    at.switch_page("views/scenarios.py")
    run(at)
    at.text_input(key="save_as_name").set_value(name)
    next(b for b in at.button if b.label == "Save as new").click()
    return run(at)


def test_without_auth_the_plan_page_shows_as_before(db):
    for at in (app(), app(user=OFFICER), app({"centre_planner": {"view_links_without_sign_in": True}})):
        assert metrics(at)["Lots"] == "54" and "Move" in labels(at)
        assert not {"Sign in", "Sign out"} & labels(at) and not at.sidebar.button
        assert not on_sign_in_screen(at)


def test_without_auth_the_author_is_the_typed_name(db):
    at = app(user=OFFICER)  # even if the host says someone is logged in: sign-in is off
    at.switch_page("views/scenarios.py")
    run(at)
    at.text_input(key="author").set_value("Jo Typed")
    save_as_new(at, "Typed")
    mine = [e for e in ScenarioStore(db).list() if not e.is_example]
    assert [(e.name, e.author) for e in mine] == [("Typed", "Jo Typed")]


@pytest.mark.parametrize("user", [{}, {"email": "test@example.com"}, {"is_logged_in": False}])
def test_with_auth_and_no_user_only_the_sign_in_screen(db, user):
    at = app({"auth": AUTH}, user=user)
    assert on_sign_in_screen(at) and shows_no_page(at)
    assert not at.error  # configured correctly: no complaint
    assert "history" not in at.session_state  # no page ran: no dataset loaded, no scenario
    for page in ("views/scenarios.py", "views/budget.py", "views/data.py", "views/compare.py"):
        at.switch_page(page)
        run(at)
        assert on_sign_in_screen(at) and shows_no_page(at), page


def test_with_a_broken_auth_section_nobody_gets_in(db):
    at = app({"auth": {**SHARED, "client_id": "only this"}}, user={"is_logged_in": False})
    assert shows_no_page(at) and "Sign in" not in labels(at)
    assert at.error and "not set up correctly" in at.error[0].value


def test_several_providers_give_one_button_each(db):
    at = app({"auth": {**SHARED, "microsoft": PROVIDER, "google": PROVIDER}}, user={"is_logged_in": False})
    assert {"Sign in with Microsoft", "Sign in with Google"} <= labels(at) and shows_no_page(at)


def test_a_signed_in_user_uses_the_app_and_is_the_author(db):
    at = app({"auth": AUTH}, user=OFFICER)
    assert metrics(at)["Lots"] == "54" and "Move" in labels(at)
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    assert any("ann.officer@council.gov.uk" in shown(c.value) for c in at.sidebar.caption)
    at.switch_page("views/scenarios.py")
    run(at)
    at.text_input(key="author").set_value("Someone Else")  # the name field cannot change who is recorded
    save_as_new(at, "Signed")
    store = ScenarioStore(db)
    mine = [e for e in store.list() if not e.is_example]
    assert [(e.name, e.author, e.updated_by) for e in mine] == [
        ("Signed", "ann.officer@council.gov.uk", "ann.officer@council.gov.uk")]
    at.text_area(key="note_text").set_value("A note")
    next(b for b in at.button if b.label == "Add note").click()
    run(at)
    assert [n.author for n in store.notes(mine[0].id)] == ["ann.officer@council.gov.uk"]


def test_sign_out_signs_out(db):
    at = app({"auth": AUTH}, user=OFFICER)
    at.sidebar.button[0].click()
    run(at)
    assert at.user == {"is_logged_in": False}
    at = run(at)
    assert on_sign_in_screen(at) and shows_no_page(at)


def saved(db: str):
    return ScenarioStore(db).save_new(Scenario.baseline(IDS).move([IDS[5]], "G1"), name="Linked", dataset="Norfolk")


def viewing(allowed: bool) -> dict:
    return {"auth": AUTH, "centre_planner": {"view_links_without_sign_in": allowed}}


def test_a_read_only_link_without_sign_in_when_allowed(db):
    s = saved(db)
    at = app(viewing(True), user={"is_logged_in": False}, query={"link": s.view_token})
    assert not on_sign_in_screen(at)
    assert at.session_state["history"].present.group_of[IDS[5]] == "G1"  # the linked scenario
    assert metrics(at)["Lots"] == "53"
    assert "Move" not in labels(at) and all(n.disabled for n in at.number_input)  # read-only
    assert "Sign in" in {b.label for b in at.sidebar.button}  # and a way to sign in
    at.switch_page("views/budget.py")
    run(at)
    widgets = [*at.number_input, *at.slider, *at.radio]
    assert widgets and all(w.disabled for w in widgets) and not on_sign_in_screen(at)
    for page in ("views/scenarios.py", "views/data.py", "views/compare.py", "views/overview.py"):
        at.switch_page(page)  # "Make my own copy" and everything else: sign in first
        run(at)
        assert on_sign_in_screen(at) and shows_no_page(at), page
    at.switch_page("views/plan.py")
    run(at)
    assert metrics(at)["Lots"] == "53" and not on_sign_in_screen(at)
    assert ScenarioStore(db).get(s.id).version == 1


def test_a_read_only_link_asks_for_sign_in_when_not_allowed(db):
    s = saved(db)
    for secrets in (viewing(False), {"auth": AUTH}):
        at = app(secrets, user={"is_logged_in": False}, query={"link": s.view_token})
        assert on_sign_in_screen(at) and shows_no_page(at)
        assert "history" not in at.session_state  # the link was not opened


def test_only_read_only_links_open_without_sign_in(db):
    s = saved(db)
    for query in ({"link": s.edit_token}, {"scenario": s.id}, {"open": s.id}, {"link": "garbage"},
                  {"link": s.view_token[:-2]}, {}):
        at = app(viewing(True), user={"is_logged_in": False}, query=query)
        assert on_sign_in_screen(at) and shows_no_page(at), query
        assert "history" not in at.session_state, query
    assert ScenarioStore(db).granted_ids("any") == set()


def test_a_signed_in_user_opens_an_editing_link(db):
    s = saved(db)
    at = app(viewing(False), user=OFFICER, query={"link": s.edit_token})
    assert at.session_state["history"].present.group_of[IDS[5]] == "G1"
    assert "Move" in labels(at) and not on_sign_in_screen(at)
