"""Scenario persistence against real databases: a SQLite file and a PostgreSQL server.

PostgreSQL: ``$TEST_DATABASE_URL`` if set (CI starts one in ``.ci/run``), otherwise a throwaway
server started here by ``scripts/start_test_postgres.sh``; each test gets its own schema. The
PostgreSQL cases are skipped only when no PostgreSQL binaries are installed. No mocks.
"""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))  # store_worker, importable by spawned processes too

import store_worker  # noqa: E402

from lib.scenario import BudgetParameters, Lot, Rules, Scenario  # noqa: E402
from lib.store import (  # noqa: E402
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    SCHEMA_VERSION,
    ConflictError,
    NoEditRight,
    NotFound,
    ReadOnlyError,
    ScenarioStore,
    SchemaError,
    UTCDateTime,
    create_store_engine,
    default_url,
    normalise_url,
    upgrade_schema,
)

START_PG = ROOT / "scripts" / "start_test_postgres.sh"
ID_RE = re.compile(r"^[A-Za-z0-9_-]{11}$")
CENTRES = ["thetford", "diss", "holt", "swaffham", "cromer", "dereham"]


# --- fixtures: one SQLite file per test, one PostgreSQL schema per test --------------------
def _pg_binaries() -> bool:
    debian = [p for p in glob.glob("/usr/lib/postgresql/*/bin/initdb") if os.access(p, os.X_OK)]
    return bool(debian) or (shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None)


@pytest.fixture(scope="session")
def pg_server_url():
    """A PostgreSQL server: $TEST_DATABASE_URL, or a throwaway one for this test session."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        yield url
        return
    if not _pg_binaries():
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: `apt-get install postgresql`, "
                    "or set TEST_DATABASE_URL to a server")
    workdir = tempfile.mkdtemp(prefix="centre-planner-pg-")
    started = subprocess.run(["bash", str(START_PG), workdir], capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail(f"could not start a throwaway PostgreSQL with {START_PG.name} "
                    f"(exit {started.returncode}):\n{started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(START_PG), "--stop", workdir], capture_output=True, timeout=120)


@pytest.fixture
def pg_url(pg_server_url):
    """A fresh, empty schema on the server, as a URL whose search_path points at it."""
    schema = f"test_{secrets.token_hex(6)}"
    admin = sa.create_engine(normalise_url(pg_server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = normalise_url(pg_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scenarios.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    with ScenarioStore(db_url) as s:
        yield s


def rich_scenario(name: str = "Three lots") -> Scenario:
    """A scenario using every field, so a round trip proves all of them survive."""
    sc = (Scenario.baseline(CENTRES, name=name)
          .move(["thetford", "diss"], "G1").move(["holt", "cromer"], "G2")
          .merge("swaffham", "dereham").close("cromer")
          .with_lot("G1", Lot(route="application", lead_agency="Action for Children – Norfolk")))
    return replace(sc, rules=Rules(min_reach=550.0, group_max=3, mixed_phases=True),
                   budget=BudgetParameters(cut_percent=12.5, envelope_amount=5_200_000.0),
                   notes="Board workshop, 3 March: «keep Diss open»")


def raw_rows(store: ScenarioStore) -> list:
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT id, version, payload, deleted FROM scenarios")).all()


# --- round trip ---------------------------------------------------------------------------
def test_round_trip(store, db_url):
    sc = rich_scenario()
    saved = store.save_new(sc, name="Three lots", description="North / south split", author="Ann Officer",
                           dataset="Norfolk")
    assert ID_RE.match(saved.id)
    assert (saved.version, saved.name, saved.author, saved.updated_by, saved.dataset) == (
        1, "Three lots", "Ann Officer", "Ann Officer", "Norfolk")
    assert not saved.is_example and not saved.read_only and saved.parent_id is None
    assert saved.created_at.tzinfo is not None and saved.created_at.utcoffset() == timedelta(0)
    loaded = store.get(saved.id)
    assert loaded.scenario == sc
    assert loaded == replace(saved, edit_token=None, view_token=None)  # a plain read shows no token
    # another store (another process, another app server) reads the same
    with ScenarioStore(db_url) as other:
        assert other.get(saved.id).scenario == sc
        assert other.get(saved.id).updated_at == saved.updated_at


def test_stored_name_is_the_scenario_name(store):
    saved = store.save_new(rich_scenario("working title"), name="Final plan", dataset="Norfolk")
    assert saved.scenario.name == "Final plan" == store.get(saved.id).scenario.name
    assert saved.scenario == replace(rich_scenario(), name="Final plan")


# --- versions and conflicts ---------------------------------------------------------------
def test_two_users_conflict_then_copy(store):
    first = store.save_new(rich_scenario("Plan"), name="Plan", description="shared plan", author="Ann",
                           dataset="Norfolk")
    ann_view = store.get(first.id)  # both load version 1
    bob_view = store.get(first.id)
    ann_edit = ann_view.scenario.move(["dereham"], "G1")
    bob_edit = bob_view.scenario.move(["thetford"], "G3")

    after_ann = store.update(first.id, ann_edit, expected_version=ann_view.version, author="Ann",
                             edit_token=first.edit_token)
    assert after_ann.version == 2 and after_ann.updated_by == "Ann" and after_ann.author == "Ann"
    assert after_ann.updated_at >= first.updated_at

    with pytest.raises(ConflictError) as caught:
        store.update(first.id, bob_edit, expected_version=bob_view.version, author="Bob",
                     edit_token=first.edit_token)
    err = caught.value
    assert (err.expected_version, err.current_version, err.updated_by) == (1, 2, "Ann")
    assert "version 2" in str(err) and "Ann" in str(err) and "Nothing was overwritten" in str(err)
    assert store.get(first.id).scenario == ann_edit  # Ann's save stands
    assert store.get(first.id).version == 2

    copy = store.save_as_copy(bob_edit, "Plan (Bob's version)", author="Bob", based_on=first.id)
    assert copy.id != first.id and copy.version == 1 and copy.parent_id == first.id
    assert copy.dataset == "Norfolk" and copy.description == "shared plan" and copy.author == "Bob"
    assert store.get(copy.id).scenario == replace(bob_edit, name="Plan (Bob's version)")
    assert {s.id for s in store.list()} == {first.id, copy.id}

    # a later conflict-free update continues from the version Ann left
    assert store.update(first.id, bob_edit, expected_version=2, author="Bob",
                        edit_token=first.edit_token).version == 3


def test_version_follows_saves_from_another_store_and_deletion(store, db_url):
    saved = store.save_new(rich_scenario(), name="Followed", dataset="Norfolk")
    assert store.version(saved.id) == 1
    with ScenarioStore(db_url) as other:  # another app server saves: the follower's cheap poll sees it
        other.update(saved.id, rich_scenario().close("holt"), expected_version=1, edit_token=saved.edit_token)
        assert store.version(saved.id) == 2 == store.get(saved.id).version
        other.rename(saved.id, "Followed (v3)", 2, edit_token=saved.edit_token)
    assert store.version(saved.id) == 3
    store.delete(saved.id, edit_token=saved.edit_token)
    for gone in (saved.id, "nope", "", "x" * 100, None):
        with pytest.raises(NotFound):
            store.version(gone)


def test_update_keeps_or_changes_name_and_description(store):
    saved = store.save_new(rich_scenario(), name="A", description="first", dataset="Norfolk")
    kept = store.update(saved.id, rich_scenario("ignored"), expected_version=1, edit_token=saved.edit_token)
    assert kept.name == "A" == kept.scenario.name and kept.description == "first"
    changed = store.update(saved.id, rich_scenario(), expected_version=2, name="B", description="second",
                           edit_token=saved.edit_token)
    assert (changed.name, changed.scenario.name, changed.description, changed.version) == ("B", "B", "second", 3)
    assert store.get(saved.id) == replace(changed, edit_token=None, view_token=None)
    assert store.set_description(saved.id, "third", 3, edit_token=saved.edit_token).description == "third"


def test_update_of_deleted_or_unknown_scenario(store):
    saved = store.save_new(rich_scenario(), name="Doomed", dataset="Norfolk")
    view = store.get(saved.id)
    store.delete(saved.id, author="Cat", edit_token=saved.edit_token)
    with pytest.raises(NotFound):
        store.update(saved.id, view.scenario, expected_version=view.version, edit_token=saved.edit_token)
    # the user keeps their work as a copy of the deleted scenario; its metadata is still known
    copy = store.save_as_copy(view.scenario, "Rescued", based_on=saved.id)
    assert copy.dataset == "Norfolk" and copy.parent_id == saved.id
    for bad in ("nope", "", "x" * 100, None, 42):
        with pytest.raises(NotFound):
            store.get(bad)


# --- catalogue operations -----------------------------------------------------------------
def test_rename_duplicate_delete_and_list(store):
    a = store.save_new(rich_scenario(), name="North lots", description="Three lots in the north",
                       author="Ann Officer", dataset="Norfolk")
    b = store.save_new(rich_scenario(), name="Coastal merge", description="École-style hubs 50%_off",
                       author="Bob Carter", dataset="Norfolk")
    c = store.save_new(rich_scenario(), name="Herts pilot", description="", author="Ann Officer",
                       dataset="Hertfordshire")
    ids = lambda rows: [r.id for r in rows]  # noqa: E731

    assert ids(store.list()) == [c.id, b.id, a.id]  # newest first
    assert ids(store.list(dataset="Norfolk")) == [b.id, a.id]
    assert ids(store.list("ann")) == [c.id, a.id]  # author, any case
    assert ids(store.list("ANN officer", dataset="Norfolk")) == [a.id]  # every word must match
    assert ids(store.list("école")) == [b.id] == ids(store.list("ÉCOLE"))  # Unicode case folding
    assert ids(store.list("50%")) == [b.id] and ids(store.list("%")) == [b.id]  # wildcards are literal
    assert ids(store.list("_")) == [b.id]
    assert store.list("nothing like this") == []

    renamed = store.rename(a.id, "North and west lots", a.version, author="Cat", edit_token=a.edit_token)
    assert (renamed.version, renamed.name, renamed.scenario.name, renamed.updated_by) == (
        2, "North and west lots", "North and west lots", "Cat")
    assert ids(store.list("west")) == [a.id]
    assert ids(store.list())[0] == a.id  # most recently saved first
    with pytest.raises(ConflictError):
        store.rename(a.id, "Stale rename", 1, edit_token=a.edit_token)

    store.add_note(a.id, "keeps Holt", "benefit", "Dee", edit_token=a.edit_token)
    dup = store.duplicate(a.id, "North and west lots (2)", author="Dee")
    assert dup.id != a.id and dup.version == 1 and dup.parent_id == a.id and dup.author == "Dee"
    assert dup.scenario == replace(renamed.scenario, name="North and west lots (2)")
    assert store.notes(dup.id) == []  # notes stay with the original
    assert len(store.list("north")) == 2

    store.delete(b.id, edit_token=b.edit_token)
    with pytest.raises(NotFound):
        store.get(b.id)
    with pytest.raises(NotFound):
        store.delete(b.id, edit_token=b.edit_token)
    assert b.id not in ids(store.list()) and store.list("école") == []
    assert store.count() == 3
    with pytest.raises(NotFound):
        store.restore(b.id, edit_token=a.edit_token)  # another scenario's token restores nothing
    restored = store.restore(b.id, edit_token=b.edit_token)
    assert restored.version == 3 and store.count() == 4  # delete and restore are versioned changes
    with pytest.raises(ConflictError):
        store.delete(b.id, expected_version=1, edit_token=b.edit_token)
    store.delete(b.id, expected_version=3, edit_token=b.edit_token)
    assert store.list(limit=1)[0].id == dup.id


def test_examples_are_read_only(store):
    example = store.save_new(rich_scenario(), name="Example: Hertfordshire-style lots", dataset="Norfolk",
                             is_example=True)
    assert example.is_example and example.read_only
    with pytest.raises(ReadOnlyError):
        store.update(example.id, rich_scenario(), expected_version=1, edit_token=example.edit_token)
    with pytest.raises(ReadOnlyError):
        store.rename(example.id, "mine now", 1, edit_token=example.edit_token)
    with pytest.raises(ReadOnlyError):
        store.delete(example.id, edit_token=example.edit_token)
    assert store.get(example.id).version == 1
    mine = store.duplicate(example.id, "My version")
    assert not mine.is_example and not mine.read_only
    assert store.update(mine.id, rich_scenario(), expected_version=1, edit_token=mine.edit_token).version == 2
    store.add_note(example.id, "a good starting point", "comment", "Eve")  # notes do not change it
    assert [s.id for s in store.list(include_examples=False)] == [mine.id]


# --- notes --------------------------------------------------------------------------------
def test_notes_per_scenario_and_per_group(store):
    a = store.save_new(rich_scenario(), name="A", dataset="Norfolk")
    b = store.save_new(rich_scenario(), name="B", dataset="Norfolk")
    ta = {"edit_token": a.edit_token}
    n1 = store.add_note(a.id, "Fewer lots cut management cost", "benefit", "Board", **ta)
    n2 = store.add_note(a.id, "G1 spans 45 km: travel for staff", "challenge", "Provider", group_label="G1", **ta)
    n3 = store.add_note(a.id, "Ask health visitors", "comment", "Health", group_label="G2", **ta)
    n4 = store.add_note(a.id, "Parents like the hub", "benefit", "Parent", group_label="G1", **ta)
    store.add_note(b.id, "Other scenario", "comment", "X", edit_token=b.edit_token)

    assert [n.id for n in store.notes(a.id)] == [n1.id, n2.id, n3.id, n4.id]
    assert store.notes(a.id) == [n1, n2, n3, n4]
    assert store.notes(a.id, group_label="G1") == [n2, n4]
    assert store.notes(a.id, group_label=None) == [n1]
    assert [n.text for n in store.notes(b.id)] == ["Other scenario"]
    assert n2.group_label == "G1" and n2.kind == "challenge" and n2.created_at.tzinfo is not None

    with pytest.raises(ValueError, match="benefit, challenge, comment"):
        store.add_note(a.id, "?", "praise", "X", **ta)
    with pytest.raises(ValueError, match="blank"):
        store.add_note(a.id, "   ", "comment", "X", **ta)
    with pytest.raises(NotFound):
        store.add_note("missing-id", "text", "comment", "X")
    with pytest.raises(NotFound):
        store.notes("missing-id")
    store.delete_note(n3.id, edit_token=b.edit_token)  # another scenario's token deletes nothing
    assert len(store.notes(a.id)) == 4
    store.delete_note(n3.id, **ta)
    assert store.notes(a.id, group_label="G2") == []
    # editing the scenario leaves its notes alone
    store.update(a.id, rich_scenario(), expected_version=1, **ta)
    assert len(store.notes(a.id)) == 3


# --- user text ----------------------------------------------------------------------------
HOSTILE = [
    "Robert'); DROP TABLE scenarios;--",
    "100% of 'lots' _and_ \\ backslashes \"quoted\"",
    "Ünïcödé – Norfolk ✓ 🏫 日本語 עברית",
    "line one\nline two\ttabbed\r\n",
    "  leading and trailing spaces  ",
]


def test_user_strings_are_stored_as_given(store):
    for text in HOSTILE:
        saved = store.save_new(rich_scenario(), name=text, description=text * 3, author=text, dataset="Norfolk")
        note = store.add_note(saved.id, text, "comment", text, group_label=text, edit_token=saved.edit_token)
        got = store.get(saved.id)
        assert (got.name, got.description, got.author, got.scenario.name) == (text, text * 3, text, text)
        assert store.notes(saved.id) == [note] and note.text == text
    assert store.count() == len(HOSTILE)
    assert [s.name for s in store.list("drop table")] == [HOSTILE[0]]


def test_length_limits_and_unstorable_text(store):
    ok = store.save_new(rich_scenario(), name="n" * MAX_NAME, description="d" * MAX_DESCRIPTION, dataset="Norfolk")
    assert len(store.get(ok.id).name) == MAX_NAME
    store.add_note(ok.id, "t" * MAX_NOTE, "comment", "A", edit_token=ok.edit_token)
    cases = [
        (dict(name="n" * (MAX_NAME + 1)), "name is 201 characters long; the limit is 200"),
        (dict(name="ok", description="d" * (MAX_DESCRIPTION + 1)), "description is 5,001 characters"),
        (dict(name="   "), "name is blank"),
        (dict(name="nul\x00byte"), "NUL"),
        (dict(name="lone \ud800 surrogate"), "not valid Unicode"),
        (dict(name="ok", author="a" * 201), "author is 201"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            store.save_new(rich_scenario(), dataset="Norfolk", **kwargs)
    with pytest.raises(ValueError, match="note is 5,001 characters"):
        store.add_note(ok.id, "t" * (MAX_NOTE + 1), "comment", "A", edit_token=ok.edit_token)
    with pytest.raises(ValueError, match="limit is 200"):
        store.rename(ok.id, "x" * 201, 1, edit_token=ok.edit_token)
    for bad in (0, -1, True, "1", None):
        with pytest.raises(ValueError, match="expected_version"):
            store.update(ok.id, rich_scenario(), expected_version=bad, edit_token=ok.edit_token)
    assert store.count() == 1 and store.get(ok.id).version == 1  # nothing half-written


TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT.filter(str.strip), description=TEXT, author=TEXT.filter(lambda s: len(s) <= 200), note=TEXT)
def test_any_text_round_trips(store, name, description, author, note):
    saved = store.save_new(rich_scenario(), name=name, description=description, author=author, dataset="Norfolk")
    got = store.get(saved.id)
    assert (got.name, got.description, got.author, got.scenario.name) == (name, description, author, name)
    if note.strip():
        store.add_note(saved.id, note, "comment", author, group_label=name, edit_token=saved.edit_token)
        assert [n.text for n in store.notes(saved.id, group_label=name)] == [note]
    word = name.split()[0]
    assert saved.id in [s.id for s in store.list(word)]


# --- drafts -------------------------------------------------------------------------------
def test_drafts_upsert_and_recover(store, db_url):
    assert store.load_draft("session-1") is None
    sc = rich_scenario()
    store.save_draft("session-1", sc.to_json())
    edited = sc.move(["holt"], "G3")
    saved = store.save_new(sc, name="Three lots", dataset="Norfolk")
    store.save_draft("session-1", edited.to_json(), scenario_id=saved.id, base_version=saved.version)
    store.save_draft("session-2", "{not json yet")  # whatever the app had, kept as given
    with ScenarioStore(db_url) as after_restart:
        draft = after_restart.load_draft("session-1")
        assert draft.scenario == edited and draft.scenario_id == saved.id and draft.base_version == 1
        assert after_restart.load_draft("session-2").payload == "{not json yet"
    store.delete_draft("session-1")
    assert store.load_draft("session-1") is None
    assert store.prune_drafts(timedelta(days=1)) == 0
    assert store.prune_drafts(timedelta(seconds=-1)) == 1
    assert store.load_draft("session-2") is None


# --- schema -------------------------------------------------------------------------------
def applied_versions(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT version FROM schema_version ORDER BY version"))]


def test_schema_creation_is_idempotent(db_url):
    with ScenarioStore(db_url) as first:
        saved = first.save_new(rich_scenario(), name="Kept", dataset="Norfolk")
        first.add_note(saved.id, "kept too", "comment", "A", edit_token=saved.edit_token)
        assert first.schema_version() == SCHEMA_VERSION
    for _ in range(2):
        with ScenarioStore(db_url) as again:
            assert again.schema_version() == SCHEMA_VERSION
            assert applied_versions(again.engine) == list(range(1, SCHEMA_VERSION + 1))
            assert again.get(saved.id) == replace(saved, edit_token=None, view_token=None)
            assert len(again.notes(saved.id)) == 1
            assert set(sa.inspect(again.engine).get_table_names()) >= {
                "schema_version", "scenarios", "notes", "drafts", "grants"}
    engine = create_store_engine(db_url)
    assert upgrade_schema(engine) == SCHEMA_VERSION  # nothing to do
    engine.dispose()


def test_upgrade_from_schema_version_1(db_url):
    engine = create_store_engine(db_url)
    assert upgrade_schema(engine, target=1) == 0
    assert applied_versions(engine) == [1]
    old_columns = {c["name"] for c in sa.inspect(engine).get_columns("scenarios")}
    assert "read_only" not in old_columns and "search_text" not in old_columns
    payload = rich_scenario("Saved by version 1").to_json()
    insert = sa.text(
        "INSERT INTO scenarios (id, name, description, author, dataset, created_at, updated_at, version, "
        "payload, is_example) VALUES ('old-id-0001', 'Saved by version 1', 'From before notes', 'Ann Old', "
        "'Norfolk', :t, :t, 4, :p, :ex)").bindparams(sa.bindparam("t", type_=UTCDateTime),
                                                     sa.bindparam("ex", type_=sa.Boolean))
    with engine.begin() as conn:  # a row exactly as the version-1 app wrote it
        conn.execute(insert, {"t": datetime(2024, 5, 1, 9, 30, tzinfo=UTC), "p": payload, "ex": False})
    engine.dispose()

    with ScenarioStore(db_url) as store:
        assert store.schema_version() == SCHEMA_VERSION and applied_versions(store.engine) == [1, 2, 3]
        old = store.get("old-id-0001")
        assert old.scenario == rich_scenario("Saved by version 1")
        assert (old.version, old.author, old.updated_by, old.read_only, old.parent_id) == (
            4, "Ann Old", "Ann Old", False, None)
        assert old.created_at.year == 2024 and old.created_at.tzinfo is not None
        assert [s.id for s in store.list("ann old")] == ["old-id-0001"]  # search text backfilled
        with store.engine.connect() as conn:  # version 3 gave the old row its own tokens
            token, view = conn.execute(sa.text("SELECT edit_token, view_token FROM scenarios")).one()
        assert len(token) >= 32 and len(view) >= 32 and token != view
        assert store.open_link(view).edit_token is None and store.open_link(token).can_edit
        with pytest.raises(NoEditRight):
            store.update("old-id-0001", old.scenario, expected_version=4, edit_token=view)
        with pytest.raises(ConflictError):
            store.update("old-id-0001", old.scenario, expected_version=3, edit_token=token)
        assert store.update("old-id-0001", old.scenario, expected_version=4, author="Bo",
                            edit_token=token).version == 5
        store.add_note("old-id-0001", "notes work on upgraded rows", "benefit", "Bo", edit_token=token)
        store.save_draft("s", "{}")


def test_newer_schema_is_refused(db_url):
    insert = sa.text("INSERT INTO schema_version (version, applied_at) VALUES (99, :t)").bindparams(
        sa.bindparam("t", type_=UTCDateTime))
    with ScenarioStore(db_url) as store, store.engine.begin() as conn:
        conn.execute(insert, {"t": datetime(2030, 1, 1, tzinfo=UTC)})
    with pytest.raises(SchemaError, match="version 99"):
        ScenarioStore(db_url)


def test_urls(monkeypatch, tmp_path):
    assert normalise_url("postgresql://u:secret@db.example:5433/plans").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/plans").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/plans?sslmode=require").query == {"sslmode": "require"}
    assert normalise_url(tmp_path / "x.sqlite3").database == str(tmp_path / "x.sqlite3")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert default_url() == f"sqlite:///{ROOT / 'var' / 'scenarios.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/plans")
    assert default_url() == "postgresql://app@db/plans"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'deep' / 'dir' / 'env.sqlite3'}")
    with ScenarioStore() as env_store:  # no url: $DATABASE_URL; the folder is created
        assert env_store.backend == "sqlite" and (tmp_path / "deep" / "dir" / "env.sqlite3").exists()
    for memory in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(ValueError, match="in-memory"):
            ScenarioStore(memory)
    with pytest.raises(ValueError, match="unsupported database"):
        ScenarioStore("mysql://u@h/db")


def test_sqlite_is_set_up_for_several_processes(tmp_path):
    with ScenarioStore(tmp_path / "s.sqlite3") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# --- several app servers, several processes -----------------------------------------------
def test_two_app_servers_share_one_database(db_url):
    with ScenarioStore(db_url) as server_a, ScenarioStore(db_url) as server_b:
        saved = server_a.save_new(rich_scenario(), name="Shared", dataset="Norfolk", author="Ann")
        assert [s.id for s in server_b.list()] == [saved.id]
        assert server_b.get(saved.id).scenario == rich_scenario("Shared")
        server_b.update(saved.id, rich_scenario().move(["holt"], "G1"), expected_version=1, author="Bob",
                        edit_token=saved.edit_token)
        with pytest.raises(ConflictError, match="Bob"):
            server_a.update(saved.id, rich_scenario(), expected_version=1, author="Ann",
                            edit_token=saved.edit_token)
        server_a.save_draft("browser-7", rich_scenario().to_json())  # the session moves to server B
        assert server_b.load_draft("browser-7").scenario == rich_scenario()
        server_b.add_note(saved.id, "seen on B", "comment", "Bob", group_label="G1", edit_token=saved.edit_token)
        assert [n.text for n in server_a.notes(saved.id)] == ["seen on B"]


POOL_TIMEOUT = 300  # seconds; a worker that cannot start fails the test instead of hanging the run


@contextlib.contextmanager
def _spawned(n: int):
    """A spawn-context ``(Manager, Pool(n))``, started with a blank ``__main__``.

    A spawned process re-imports the parent's ``__main__``; after an AppTest that can be app.py, which
    dies outside Streamlit, and a Pool replaces dead workers for ever. A blank module gives the children
    nothing to import (they need only ``store_worker``, found on ``sys.path``).
    """
    context = multiprocessing.get_context("spawn")
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        with context.Manager() as manager, context.Pool(n) as pool:
            yield manager, pool
    finally:
        sys.modules["__main__"] = saved


def _starmap(pool, func, jobs: list[tuple]) -> list:
    """``pool.starmap`` that raises ``multiprocessing.TimeoutError`` after POOL_TIMEOUT seconds."""
    return pool.starmap_async(func, jobs).get(POOL_TIMEOUT)


def test_many_processes_open_an_empty_database_at_once(db_url):
    with _spawned(6) as (_, pool):
        ids = _starmap(pool, store_worker.open_and_save, [(db_url, w) for w in range(6)])
    assert len(set(ids)) == 6
    with ScenarioStore(db_url) as store:
        assert store.count() == 6
        assert applied_versions(store.engine) == list(range(1, SCHEMA_VERSION + 1))  # each migration ran once


WORKERS = 8
NEW_PER_WORKER = 100
UPDATES_PER_WORKER = 25  # 8 * (100 + 25) = 1,000 saves
SHARED = 6


def test_eight_processes_save_and_conflict(db_url):
    started = time.perf_counter()
    with ScenarioStore(db_url) as store:
        shared = {s.id: s.edit_token for s in (
            store.save_new(store_worker.scenario(f"shared {k}"), name=f"shared {k}", dataset="Norfolk",
                           author="setup") for k in range(SHARED))}
    with _spawned(WORKERS) as (manager, pool):
        barrier = manager.Barrier(WORKERS)  # all eight start hammering at the same moment
        jobs = [(db_url, w, shared, NEW_PER_WORKER, UPDATES_PER_WORKER, 1000 + w, barrier) for w in range(WORKERS)]
        results = _starmap(pool, store_worker.hammer, jobs)

    created = {sid: marker for r in results for sid, marker in r["created"].items()}
    assert len(created) == WORKERS * NEW_PER_WORKER  # no two saves got the same id
    landed = {sid: sum(r["updates"].get(sid, 0) for r in results) for sid in shared}
    conflicts = sum(r["conflicts"] for r in results)
    assert sum(landed.values()) + conflicts == WORKERS * UPDATES_PER_WORKER  # each update landed or conflicted
    assert sum(r["stale_conflicts"] for r in results) > 0 and conflicts > 0

    with ScenarioStore(db_url) as store:
        rows = raw_rows(store)
        assert len(rows) == SHARED + len(created) == store.count()  # no lost save
        for row in rows:  # every payload parses, every version is 1 + the updates that landed
            sc = Scenario.from_json(row.payload)
            if row.id in landed:
                assert row.version == 1 + landed[row.id], (row.id, row.version, landed[row.id])
                expected_notes = f"shared {list(shared).index(row.id)}" if row.version == 1 else f"v{row.version} by "
                assert sc.notes.startswith(expected_notes)  # the payload is the one the winning update wrote
            else:
                assert row.version == 1 and sc.notes == created[row.id] == sc.name
    stale = sum(r["stale_conflicts"] for r in results)
    print(f"\n{db_url.split(':')[0]}: {WORKERS} processes, {WORKERS * (NEW_PER_WORKER + UPDATES_PER_WORKER)} "
          f"saves, {sum(landed.values())} updates landed, {conflicts} conflicts ({stale} deliberately stale, "
          f"{conflicts - stale} lost races); hammering {max(r['seconds'] for r in results):.1f} s, "
          f"whole test {time.perf_counter() - started:.1f} s")


def test_kill_9_mid_write_loses_no_committed_save(db_url):
    ScenarioStore(db_url).close()
    rng = random.Random(7)
    reported_new: dict[str, int] = {}
    last_version: dict[str, tuple[int, str]] = {}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_no in range(3):
        proc = subprocess.Popen([sys.executable, str(TESTS / "store_worker.py"), "writer", db_url],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines: list[str] = []
        want = rng.randint(15, 40)
        try:
            while len(lines) < want:
                line = proc.stdout.readline()
                if not line:
                    pytest.fail(f"writer stopped early: {proc.stderr.read()}")
                lines.append(line)
            time.sleep(rng.uniform(0, 0.03))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
        # read on through the pipe object: lines readline() already buffered are not lost (communicate()
        # would read the raw pipe and skip them)
        lines += proc.stdout.read().splitlines(keepends=True)
        proc.stdout.close()
        proc.stderr.close()
        assert proc.wait(timeout=30) == -signal.SIGKILL
        for line in lines:
            if not line.endswith("\n"):
                continue  # cut off by the kill: not reported as committed
            kind, sid, *more = line.split()
            if kind == "new":
                reported_new[sid] = int(more[0])
                last_version[sid] = (1, f"new {more[0]}")
            else:
                last_version[sid] = (int(more[0]), f"upd {more[1]}")

        with ScenarioStore(db_url) as store:  # it opens after the crash
            if store.backend == "sqlite":
                with store.engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            # every reported save is there; at most one per round committed without being reported
            count = store.count()
            assert len(reported_new) <= count <= len(reported_new) + round_no + 1, (count, len(reported_new))
            for sid, i in reported_new.items():
                got = store.get(sid)
                assert got.name == f"kill {i}"
                version, notes = last_version[sid]
                assert got.version >= version
                if got.version == version:
                    assert got.scenario.notes == notes
            for row in raw_rows(store):
                Scenario.from_json(row.payload)


# --- links: editing and viewing tokens ---------------------------------------------------
def test_links_give_exactly_their_right(store):
    saved = store.save_new(rich_scenario(), name="Shared plan", dataset="Norfolk", author="Ann")
    edit, view = saved.edit_token, saved.view_token
    assert edit != view and len(edit) >= 32 and len(view) >= 32  # 24 random bytes each: 192 bits
    assert store.get(saved.id).edit_token is None is store.get(saved.id).view_token  # a plain read shows none
    assert all(edit not in repr(e) and view not in repr(e) for e in store.list())  # nor does the catalogue

    by_view = store.open_link(view)
    assert by_view.id == saved.id and not by_view.can_edit and by_view.view_token == view
    by_edit = store.open_link(edit)
    assert by_edit.can_edit and by_edit.edit_token == edit and by_edit.view_token == view

    # nothing a page can pass changes the scenario without the editing token
    for token in (view, "", None, saved.id, edit[:-1] + ("A" if edit[-1] != "A" else "B"), edit.upper(), "x" * 32):
        with pytest.raises((NoEditRight, ReadOnlyError)):
            store.update(saved.id, rich_scenario().move(["holt"], "G1"), expected_version=1, edit_token=token)
        with pytest.raises(NoEditRight):
            store.rename(saved.id, "hijacked", 1, edit_token=token)
        with pytest.raises(NoEditRight):
            store.set_description(saved.id, "hijacked", 1, edit_token=token)
        with pytest.raises(NoEditRight):
            store.delete(saved.id, edit_token=token)
        with pytest.raises(NoEditRight):
            store.add_note(saved.id, "hijacked", "comment", "Mallory", edit_token=token)
    got = store.get(saved.id)
    assert (got.version, got.name, got.scenario) == (1, "Shared plan", rich_scenario("Shared plan"))
    assert store.notes(saved.id) == []
    assert store.update(saved.id, rich_scenario(), expected_version=1, edit_token=edit).version == 2

    # garbage, a scenario id or a deleted scenario's token opens nothing
    for bad in ("", "garbage", saved.id, "x" * 32, "x" * 500, None, 42, edit + "x"):
        with pytest.raises(NotFound):
            store.open_link(bad)
    store.delete(saved.id, edit_token=edit)
    for token in (edit, view):
        with pytest.raises(NotFound):
            store.open_link(token)


def test_tokens_are_unique_and_random(store):
    saved = [store.save_new(rich_scenario(), name=f"s{i}", dataset="Norfolk") for i in range(200)]
    tokens = [t for s in saved for t in (s.edit_token, s.view_token)]
    assert len(set(tokens)) == len(tokens) == 400
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)
    # 400 tokens x 32 characters of a 64-letter alphabet: each letter should appear about 200 times
    counts = {ch: 0 for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"}
    for t in tokens:
        for ch in t:
            counts[ch] += 1
    assert min(counts.values()) > 100 and max(counts.values()) < 320


def test_grants_keep_a_browser_s_editing_right(store):
    mine = store.save_new(rich_scenario(), name="Mine", dataset="Norfolk")
    theirs = store.save_new(rich_scenario(), name="Theirs", dataset="Norfolk")
    store.grant("browser-a", mine.id, mine.edit_token)
    store.grant("browser-a", mine.id, mine.edit_token)  # idempotent
    with pytest.raises(NoEditRight):
        store.grant("browser-a", theirs.id, theirs.view_token)  # a viewing link grants nothing
    with pytest.raises(NoEditRight):
        store.grant("browser-a", theirs.id, mine.edit_token)  # nor another scenario's token
    assert store.granted_ids("browser-a") == {mine.id} and store.granted_ids("browser-b") == set()
    assert store.granted("browser-a", mine.id).edit_token == mine.edit_token
    assert store.granted("browser-a", theirs.id) is None and store.granted("browser-b", mine.id) is None
    assert store.granted("", mine.id) is None
    store.delete(mine.id, edit_token=mine.edit_token)
    assert store.granted("browser-a", mine.id) is None


def test_examples_take_notes_without_a_token(store):
    example = store.save_new(rich_scenario(), name="Example: baseline", dataset="Norfolk", is_example=True)
    store.add_note(example.id, "a good starting point", "comment", "Eve")
    assert len(store.notes(example.id)) == 1


def test_drafts_belong_to_a_browser(store, db_url):
    sc = rich_scenario()
    store.save_draft("tab-1", sc.to_json(), browser_key="browser-a", state='{"undo": []}', changes=3)
    store.save_draft("tab-2", sc.move(["holt"], "G3").to_json(), browser_key="browser-a", changes=5)
    store.save_draft("tab-3", sc.to_json(), browser_key="browser-b", changes=1)
    with ScenarioStore(db_url) as after_restart:
        got = after_restart.drafts_of("browser-a")
        assert [d.session_key for d in got] == ["tab-2", "tab-1"]  # newest first
        assert (got[1].state, got[1].changes, got[0].changes) == ('{"undo": []}', 3, 5)
        assert [d.session_key for d in after_restart.drafts_of("browser-b")] == ["tab-3"]
        assert after_restart.drafts_of("nobody") == [] and after_restart.drafts_of("") == []
    with pytest.raises(ValueError, match="changes"):
        store.save_draft("tab-1", "{}", changes=-1)


def test_examples_are_seeded_once_by_two_processes_at_once(db_url):
    ScenarioStore(db_url).close()
    with _spawned(4) as (manager, pool):
        barrier = manager.Barrier(4)
        results = _starmap(pool, store_worker.seed_examples, [(db_url, w, barrier) for w in range(4)])
    with ScenarioStore(db_url) as store:
        examples = [e for e in store.list() if e.is_example]
    assert sorted(e.name for e in examples) == [f"Example {k}" for k in range(store_worker.N_EXAMPLES)]
    assert sum(r for r in results) == store_worker.N_EXAMPLES  # each example saved by exactly one process


def test_upgrade_from_schema_2_keeps_one_of_each_raced_example(db_url):
    engine = create_store_engine(db_url)
    upgrade_schema(engine, target=2)
    insert = sa.text(
        "INSERT INTO scenarios (id, name, description, author, dataset, created_at, updated_at, version, payload, "
        "is_example, read_only, deleted, updated_by, search_text) VALUES (:id, :name, '', '', 'Norfolk', :t, :t, 1, "
        ":p, :ex, :ex, :no, '', '')").bindparams(sa.bindparam("t", type_=UTCDateTime),
                                                  sa.bindparam("ex", type_=sa.Boolean),
                                                  sa.bindparam("no", type_=sa.Boolean))
    payload = rich_scenario().to_json()
    with engine.begin() as conn:  # two sessions seeded the same examples at the same instant
        for i, (name, t) in enumerate([("Example: baseline", 1), ("Example: baseline", 2), ("Example: 2019", 1),
                                       ("Example: 2019", 3), ("Mine", 1)]):
            conn.execute(insert, {"id": f"old-{i}", "name": name, "p": payload, "ex": name != "Mine", "no": False,
                                  "t": datetime(2025, 1, t, tzinfo=UTC)})
    engine.dispose()
    with ScenarioStore(db_url) as store:
        assert sorted(e.id for e in store.list()) == ["old-0", "old-2", "old-4"]  # the oldest of each kept
        assert not store.seed_example(rich_scenario(), name="Example: baseline", dataset="Norfolk")
        assert store.seed_example(rich_scenario(), name="Example: baseline", dataset="Suffolk")


def test_cli_prints_both_links_of_a_stored_scenario(tmp_path, monkeypatch, capsys):
    import json as json_module

    from lib.cli import main

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    with ScenarioStore(url) as store:
        saved = store.save_new(rich_scenario(), name="Shared before tokens", dataset="Norfolk")
    assert main(["links", saved.id, "--base", "https://plans.example/", "--format", "json"]) == 0
    out = json_module.loads(capsys.readouterr().out)
    assert out["edit_link"] == f"https://plans.example/?link={saved.edit_token}"
    assert out["view_link"] == f"https://plans.example/?link={saved.view_token}"
    assert main(["links", "no-such-id"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_a_database_that_is_not_a_store_is_refused(db_url):
    engine = create_store_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE scenarios (id VARCHAR(10) PRIMARY KEY)")
    engine.dispose()
    with pytest.raises(SchemaError, match="not a scenario store"):  # also after the unlocked first look
        ScenarioStore(db_url)
