"""Scenario persistence: SQLite by default, PostgreSQL when ``DATABASE_URL`` says so.

One :class:`ScenarioStore` per process (it owns a connection pool and is safe to
share between threads). It keeps:

- **scenarios**: the scenario JSON (``Scenario.to_json()``) with its catalogue
  metadata (name, description, author, dataset, timestamps, ``version``);
- **notes**: consultation notes (benefit / challenge / comment) on a whole
  scenario or on one of its groups;
- **drafts**: the unsaved work of a browser session, upserted on every edit so
  that nothing is lost when a tab closes or the server restarts.

Nothing is ever overwritten silently. Every change to a stored scenario is one
atomic ``UPDATE ... SET version = version + 1 WHERE id = :id AND version =
:expected``; when another user saved first no row matches and
:class:`ConflictError` says who changed it and what the version is now. The
caller then reloads, or keeps its own edit with :meth:`ScenarioStore.save_as_copy`.

Access is by link. Every scenario has two unguessable tokens (192 random bits each): an
**editing** token and a **viewing** token. :meth:`ScenarioStore.open_link` turns a token into
the scenario and the right it carries; every change (update, rename, description, delete,
restore, notes on a non-example) must come with the editing token, checked inside the same
``UPDATE`` that applies it, so no page can change a scenario it was only shown. A viewing
token never reveals the editing one. A browser that created a scenario, or opened its editing
link, keeps the right as a *grant* (:meth:`ScenarioStore.grant`), keyed by its browser key.

The database schema is created and upgraded by the app itself (table
``schema_version``, migrations in :data:`MIGRATIONS`), under a lock, so any number
of processes may open a new or old database at once.

Example::

    store = ScenarioStore()                      # var/scenarios.sqlite3, or $DATABASE_URL
    saved = store.save_new(scenario, name="Three lots", dataset="Norfolk", author="Ann")
    later = store.update(saved.id, edited, expected_version=saved.version, author="Ann")
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import IntegrityError

from lib.scenario import Scenario

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_NAME",
    "MAX_NOTE",
    "NOTE_KINDS",
    "SCHEMA_VERSION",
    "ConflictError",
    "Draft",
    "ExampleExists",
    "NoEditRight",
    "NotFound",
    "Note",
    "ReadOnlyError",
    "ScenarioStore",
    "SchemaError",
    "StoreError",
    "StoredScenario",
    "StoredSummary",
    "default_url",
    "normalise_url",
    "upgrade_schema",
]

SCHEMA_VERSION = 3
"""The schema this code reads and writes; older databases are upgraded on open."""

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_NOTE = 5000
MAX_SHORT = 200  # author, dataset, group label, session key
MAX_PAYLOAD = 20_000_000  # characters of scenario JSON; a whole-England scenario is well under 1 MB
MAX_SEARCH = 1000
NOTE_KINDS = ("benefit", "challenge", "comment")
SQLITE_BUSY_SECONDS = 30.0

REPO_ROOT = Path(__file__).resolve().parent.parent
_WRITE = "centre_planner_write"  # execution option: take SQLite's write lock at BEGIN
_PG_LOCK_KEY = 0x43656E747265  # "Centre": advisory lock serialising schema upgrades
_ID_BYTES = 8  # secrets.token_urlsafe(8): 11 url-safe characters, 64 random bits
_TOKEN_BYTES = 24  # secrets.token_urlsafe(24): 32 url-safe characters, 192 random bits
_MAX_TOKEN = 64
_MAX_ID = 64


# --- errors -------------------------------------------------------------------------------
class StoreError(Exception):
    """Base class of the store's own errors."""


class NotFound(StoreError, KeyError):
    """No scenario with this id (or it was deleted)."""

    def __init__(self, scenario_id: object):
        self.scenario_id = scenario_id
        super().__init__(f"no saved scenario with id {scenario_id!r}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ConflictError(StoreError):
    """Someone else saved the scenario after you loaded it; your change was not applied.

    Attributes: ``scenario_id``, ``expected_version`` (the version you edited),
    ``current_version``, ``updated_by`` and ``updated_at`` (who saved last, when).
    """

    def __init__(self, scenario_id: str, name: str, expected_version: int, current_version: int,
                 updated_by: str, updated_at: datetime):
        self.scenario_id = scenario_id
        self.name = name
        self.expected_version = expected_version
        self.current_version = current_version
        self.updated_by = updated_by
        self.updated_at = updated_at
        who = updated_by or "someone else"
        super().__init__(
            f"Scenario {name!r} was saved by {who} at {updated_at:%Y-%m-%d %H:%M} UTC: it is now version "
            f"{current_version}, you edited version {expected_version}. Nothing was overwritten: "
            f"reload it, or save your changes as a copy.")


class ReadOnlyError(StoreError, PermissionError):
    """The scenario is read-only (an example): save a copy instead."""


class NoEditRight(ReadOnlyError):
    """The change did not come with the scenario's editing token: nothing was changed."""

    def __init__(self, name: str):
        super().__init__(f"You do not have the editing link for {name!r}: nothing was changed. "
                         "Save your own copy to keep your changes.")


class ExampleExists(StoreError):
    """The dataset already has an example of this name (examples are seeded once)."""

    def __init__(self, dataset: str, name: str):
        super().__init__(f"dataset {dataset!r} already has an example named {name!r}")


class SchemaError(StoreError):
    """The database schema is newer than this code, or is not a scenario store."""


# --- records ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredSummary:
    """A saved scenario's catalogue entry (what :meth:`ScenarioStore.list` returns)."""

    id: str
    name: str
    description: str
    author: str
    dataset: str
    created_at: datetime
    updated_at: datetime
    updated_by: str
    version: int
    is_example: bool
    read_only: bool
    parent_id: str | None


@dataclass(frozen=True)
class StoredScenario(StoredSummary):
    """A saved scenario: its metadata plus ``scenario`` (whose ``name`` is the stored name)."""

    scenario: Scenario
    edit_token: str | None = None  # only for whoever holds the editing right
    view_token: str | None = None  # for whoever holds either right

    @property
    def can_edit(self) -> bool:
        """True when this copy came with the editing token (from :meth:`ScenarioStore.save_new`, an
        editing link, or a grant)."""
        return self.edit_token is not None

    @property
    def summary(self) -> StoredSummary:
        return StoredSummary(**{f.name: getattr(self, f.name) for f in dataclasses.fields(StoredSummary)})


@dataclass(frozen=True)
class Note:
    """A consultation note; ``group_label`` None means the note is about the whole scenario."""

    id: int
    scenario_id: str
    group_label: str | None
    kind: str
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class Draft:
    """A browser session's unsaved work: scenario JSON, and the stored scenario/version it started from."""

    session_key: str
    payload: str
    scenario_id: str | None
    base_version: int | None
    updated_at: datetime
    browser_key: str | None = None
    state: str = ""  # the app's own JSON (undo history, dataset, origin); opaque to the store
    changes: int = 0  # edits since the scenario was opened, for "12 changes" in the offer

    @property
    def scenario(self) -> Scenario:
        return Scenario.from_json(self.payload)


# --- column types -------------------------------------------------------------------------
class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC in, timezone-aware UTC out, on every backend (SQLite stores naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- the current schema (what queries use; migrations below build it) ---------------------
metadata = sa.MetaData()

scenarios = sa.Table(
    "scenarios", metadata,
    sa.Column("id", sa.String(_MAX_ID), primary_key=True),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("author", sa.String(MAX_SHORT), nullable=False),
    sa.Column("dataset", sa.String(MAX_SHORT), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("is_example", sa.Boolean, nullable=False),
    # v2
    sa.Column("read_only", sa.Boolean, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("updated_by", sa.String(MAX_SHORT), nullable=False),
    sa.Column("parent_id", sa.String(_MAX_ID), nullable=True),
    sa.Column("search_text", sa.Text, nullable=False),
    # v3
    sa.Column("edit_token", sa.String(_MAX_TOKEN), nullable=False, unique=True),
    sa.Column("view_token", sa.String(_MAX_TOKEN), nullable=False, unique=True),
)

notes_table = sa.Table(
    "notes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scenario_id", sa.String(_MAX_ID), sa.ForeignKey("scenarios.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("group_label", sa.String(MAX_SHORT), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(MAX_SHORT), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("kind IN ('benefit', 'challenge', 'comment')", name="notes_kind"),
)

drafts = sa.Table(
    "drafts", metadata,
    sa.Column("session_key", sa.String(MAX_SHORT), primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("scenario_id", sa.String(_MAX_ID), nullable=True),
    sa.Column("base_version", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # v3
    sa.Column("browser_key", sa.String(MAX_SHORT), nullable=True, index=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("changes", sa.Integer, nullable=False),
)

grants = sa.Table(
    "grants", metadata,
    sa.Column("browser_key", sa.String(MAX_SHORT), primary_key=True),
    sa.Column("scenario_id", sa.String(_MAX_ID), sa.ForeignKey("scenarios.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

schema_version_table = sa.Table(
    "schema_version", sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)


# --- migrations: each brings the schema from version n - 1 to n; never edit a released one --
def _migrate_1(conn: Connection) -> None:
    """Version 1: the scenarios table."""
    md = sa.MetaData()
    sa.Table(
        "scenarios", md,
        sa.Column("id", sa.String(_MAX_ID), primary_key=True),
        sa.Column("name", sa.String(MAX_NAME), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("author", sa.String(MAX_SHORT), nullable=False),
        sa.Column("dataset", sa.String(MAX_SHORT), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("is_example", sa.Boolean, nullable=False),
    )
    md.create_all(conn)


def _migrate_2(conn: Connection) -> None:
    """Version 2: read-only and soft-delete flags, last editor, lineage, search text; notes; drafts."""
    for ddl in (
        "ALTER TABLE scenarios ADD COLUMN read_only BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE scenarios ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE",
        f"ALTER TABLE scenarios ADD COLUMN updated_by VARCHAR({MAX_SHORT}) NOT NULL DEFAULT ''",
        f"ALTER TABLE scenarios ADD COLUMN parent_id VARCHAR({_MAX_ID})",
        "ALTER TABLE scenarios ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX ix_scenarios_listing ON scenarios (deleted, updated_at)",
        "CREATE INDEX ix_scenarios_dataset ON scenarios (dataset)",
    ):
        conn.exec_driver_sql(ddl)
    md = sa.MetaData()
    sa.Table("scenarios", md, sa.Column("id", sa.String(_MAX_ID), primary_key=True))
    sa.Table(
        "notes", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scenario_id", sa.String(_MAX_ID), sa.ForeignKey("scenarios.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("group_label", sa.String(MAX_SHORT), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(MAX_SHORT), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("kind IN ('benefit', 'challenge', 'comment')", name="notes_kind"),
    )
    sa.Table(
        "drafts", md,
        sa.Column("session_key", sa.String(MAX_SHORT), primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("scenario_id", sa.String(_MAX_ID), nullable=True),
        sa.Column("base_version", sa.Integer, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    md.tables["notes"].create(conn)
    md.tables["drafts"].create(conn)
    # backfill: the last editor of an old row is its author; search text from its fields
    rows = conn.execute(sa.text("SELECT id, name, description, author FROM scenarios")).all()
    for row in rows:
        conn.execute(sa.text("UPDATE scenarios SET updated_by = :a, search_text = :s WHERE id = :id"),
                     {"a": row.author, "s": _search_text(row.name, row.description, row.author),
                      "id": row.id})


def _migrate_3(conn: Connection) -> None:
    """Version 3: editing and viewing tokens per scenario (backfilled), grants, drafts per browser with
    their undo history, and examples unique per dataset and name (duplicates from a seeding race are
    soft-deleted, the oldest kept)."""
    for ddl in (
        f"ALTER TABLE scenarios ADD COLUMN edit_token VARCHAR({_MAX_TOKEN})",
        f"ALTER TABLE scenarios ADD COLUMN view_token VARCHAR({_MAX_TOKEN})",
        f"ALTER TABLE drafts ADD COLUMN browser_key VARCHAR({MAX_SHORT})",
        "ALTER TABLE drafts ADD COLUMN state TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE drafts ADD COLUMN changes INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX ix_drafts_browser_key ON drafts (browser_key)",
    ):
        conn.exec_driver_sql(ddl)
    for (row_id,) in conn.execute(sa.text("SELECT id FROM scenarios")).all():
        conn.execute(sa.text("UPDATE scenarios SET edit_token = :e, view_token = :v WHERE id = :id"),
                     {"e": _new_token(), "v": _new_token(), "id": row_id})
    seen: set[tuple[str, str]] = set()
    for row in conn.execute(sa.text("SELECT id, dataset, name FROM scenarios WHERE is_example AND NOT deleted "
                                    "ORDER BY created_at, id")).all():
        if (row.dataset, row.name) in seen:
            conn.execute(sa.text("UPDATE scenarios SET deleted = TRUE WHERE id = :id"), {"id": row.id})
        seen.add((row.dataset, row.name))
    for ddl in (
        "CREATE UNIQUE INDEX ux_scenarios_edit_token ON scenarios (edit_token)",
        "CREATE UNIQUE INDEX ux_scenarios_view_token ON scenarios (view_token)",
        "CREATE UNIQUE INDEX ux_scenarios_example ON scenarios (dataset, name) WHERE is_example AND NOT deleted",
    ):
        conn.exec_driver_sql(ddl)
    md = sa.MetaData()
    sa.Table("scenarios", md, sa.Column("id", sa.String(_MAX_ID), primary_key=True))
    sa.Table(
        "grants", md,
        sa.Column("browser_key", sa.String(MAX_SHORT), primary_key=True),
        sa.Column("scenario_id", sa.String(_MAX_ID), sa.ForeignKey("scenarios.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    md.tables["grants"].create(conn)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migrate_1, 2: _migrate_2, 3: _migrate_3}
assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


# --- engine -------------------------------------------------------------------------------
def default_url() -> str:
    """``$DATABASE_URL`` if set, else the SQLite file ``<repo>/var/scenarios.sqlite3``."""
    env = os.environ.get("DATABASE_URL", "").strip()
    if env:
        return env
    return f"sqlite:///{REPO_ROOT / 'var' / 'scenarios.sqlite3'}"


def normalise_url(url: str | os.PathLike[str] | URL) -> URL:
    """Parse a database URL; ``postgresql://`` and ``postgres://`` use the psycopg 3 driver.

    A plain file path (no ``://``) means a SQLite file.
    """
    if isinstance(url, os.PathLike) or (isinstance(url, str) and "://" not in url):
        return URL.create("sqlite", database=str(Path(url).expanduser().resolve()))
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_store_engine(url: str | os.PathLike[str] | URL) -> Engine:
    """An engine configured for the store: SQLite in WAL mode with a busy timeout; PostgreSQL via psycopg 3."""
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:") or "mode=memory" in str(parsed):
            raise ValueError("the scenario store needs a SQLite file, not an in-memory database "
                             "(several processes and threads share it)")
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        connect_args: dict[str, Any] = {}
        if parsed.get_driver_name() == "psycopg":
            connect_args["connect_timeout"] = 10
            if "application_name" not in parsed.query:
                connect_args["application_name"] = "centre-planner"
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    raise ValueError(f"unsupported database {parsed.drivername!r}: use sqlite:///FILE or postgresql://...")


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control from the sqlite3 module (it would not BEGIN before a SELECT or DDL);
    # SQLAlchemy's "begin" event below emits BEGIN itself.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_SECONDS * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        deadline = time.monotonic() + SQLITE_BUSY_SECONDS
        while True:  # switching to WAL needs a moment alone with the file; it then persists in the file
            try:
                if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    cur.execute("PRAGMA journal_mode = WAL")
                break
            except Exception as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        # In WAL mode NORMAL loses no committed transaction when a process dies (kill -9); only an OS
        # crash or power cut may roll back the last commits.
        cur.execute("PRAGMA synchronous = NORMAL")
    finally:
        cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # Writers take the write lock at BEGIN (IMMEDIATE): the busy timeout then applies, and a writer never
    # fails half-way through with "database is locked" after having read.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _current_schema_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        if sa.inspect(conn).has_table("scenarios"):
            raise SchemaError("the database has a 'scenarios' table but no 'schema_version': not a scenario store")
        return 0
    return int(conn.execute(sa.select(sa.func.max(schema_version_table.c.version))).scalar() or 0)


def upgrade_schema(engine: Engine, target: int = SCHEMA_VERSION) -> int:
    """Create or upgrade the schema to ``target``; idempotent and safe with many processes at once.

    Returns the schema version found before upgrading (0 for an empty database). Raises
    :class:`SchemaError` if the database is newer than ``target``.
    """
    if not 1 <= target <= SCHEMA_VERSION:
        raise ValueError(f"schema version must be 1..{SCHEMA_VERSION}")
    with engine.connect() as conn:  # fast path: already current, no lock taken
        try:
            found = _current_schema_version(conn)
        except SchemaError:  # maybe another process committed its upgrade between our two looks: decide under the lock
            found = -1
    if found == target:
        return found
    if found > target:
        raise SchemaError(f"the database schema is version {found}, newer than this app understands "
                          f"({target}): upgrade the app")
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():  # DDL is transactional on both backends: an upgrade lands whole or not at all
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            found = _current_schema_version(conn)  # again, under the lock: another process may have done it
            if found > target:
                raise SchemaError(f"the database schema is version {found}, newer than this app understands "
                                  f"({target}): upgrade the app")
            if found == 0:
                schema_version_table.create(conn)
            for version in range(found + 1, target + 1):
                MIGRATIONS[version](conn)
                conn.execute(schema_version_table.insert().values(version=version, applied_at=_now()))
    return found


# --- helpers ------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _check_id(scenario_id: object) -> None:
    """Raise :class:`NotFound` for what cannot be a scenario id (not text, empty, too long), before any query."""
    if not isinstance(scenario_id, str) or not 0 < len(scenario_id) <= _MAX_ID:
        raise NotFound(scenario_id)


def _new_id() -> str:
    return secrets.token_urlsafe(_ID_BYTES)


def _new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def _search_text(name: str, description: str, author: str) -> str:
    """What :meth:`ScenarioStore.list` searches: the fields, case-folded (so "ÉCOLE" finds "école")."""
    return "\n".join((name, description, author)).casefold()


def _check_text(value: object, what: str, limit: int, *, required: bool = False) -> str:
    """User text is stored exactly as given; only what no database can hold is refused."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{what} is {len(value):,} characters long; the limit is {limit:,}")
    if required and not value.strip():
        raise ValueError(f"{what} is blank")
    if "\x00" in value:
        raise ValueError(f"{what} contains a NUL character (\\x00), which cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} contains characters that are not valid Unicode (position {exc.start})") from None
    return value


def _check_version(value: object, what: str = "expected_version") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, not {value!r}")
    return value


def _payload(scenario: Scenario, name: str) -> str:
    if not isinstance(scenario, Scenario):
        raise ValueError(f"expected a Scenario, not {type(scenario).__name__}")
    text = dataclasses.replace(scenario, name=name).to_json()
    return _check_text(text, "scenario", MAX_PAYLOAD)


def _renamed_payload(payload: str, name: str) -> str:
    data = json.loads(payload)
    data["name"] = name
    return json.dumps(data, indent=1, ensure_ascii=False)


def _draft(row: Any) -> Draft:
    return Draft(session_key=row.session_key, payload=row.payload, scenario_id=row.scenario_id,
                 base_version=row.base_version, updated_at=row.updated_at, browser_key=row.browser_key,
                 state=row.state, changes=row.changes)


_SUMMARY_COLUMNS = [scenarios.c[f.name] for f in dataclasses.fields(StoredSummary)]


def _summary(row: Any) -> StoredSummary:
    return StoredSummary(**{f.name: getattr(row, f.name) for f in dataclasses.fields(StoredSummary)})


def _stored(row: Any) -> StoredScenario:
    """From a result row or a dict of column values."""
    values = row if isinstance(row, dict) else row._asdict()
    fields = {f.name: values[f.name] for f in dataclasses.fields(StoredSummary)}
    return StoredScenario(**fields, scenario=Scenario.from_json(values["payload"]))


class _All:
    def __repr__(self) -> str:
        return "ALL"


ALL: Any = _All()
"""Default of ``notes(group_label=...)``: every note of the scenario."""


# --- the store ----------------------------------------------------------------------------
class ScenarioStore:
    """Saved scenarios, consultation notes and session drafts in one database.

    ``url``: a SQLAlchemy URL (``sqlite:///path``, ``postgresql://user:pw@host/db``), a file path
    (SQLite), or None for :func:`default_url`. Opening creates or upgrades the schema.
    """

    def __init__(self, url: str | os.PathLike[str] | None = None):
        self._url = normalise_url(url if url is not None else default_url())
        self._engine = create_store_engine(self._url)
        try:
            upgrade_schema(self._engine)
        except BaseException:
            self._engine.dispose()
            raise

    # --- housekeeping ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @property
    def engine(self) -> Engine:
        return self._engine

    def schema_version(self) -> int:
        with self._engine.connect() as conn:
            return _current_schema_version(conn)

    def close(self) -> None:
        """Close the pooled connections (the store can still be used: it reconnects)."""
        self._engine.dispose()

    def __enter__(self) -> ScenarioStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ScenarioStore({self.url!r})"

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (on SQLite it holds the write lock from BEGIN)."""
        with self._engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            yield conn

    # --- scenarios: create ----------------------------------------------------------------
    def save_new(self, scenario: Scenario, *, name: str, description: str = "", author: str = "",
                 dataset: str, is_example: bool = False, read_only: bool | None = None,
                 parent_id: str | None = None) -> StoredScenario:
        """Save ``scenario`` under a new id, version 1, with new editing and viewing tokens (returned).

        Its ``name`` becomes ``name``. ``read_only`` defaults to ``is_example``: examples cannot be
        changed, only copied; there is at most one example of a name per dataset (see
        :meth:`seed_example`). Raises ValueError for a blank or too long name (200), description
        (5000), author or dataset (200).
        """
        name = _check_text(name, "name", MAX_NAME, required=True)
        description = _check_text(description, "description", MAX_DESCRIPTION)
        author = _check_text(author, "author", MAX_SHORT)
        dataset = _check_text(dataset, "dataset", MAX_SHORT, required=True)
        if parent_id is not None:
            parent_id = _check_text(parent_id, "parent id", _MAX_ID, required=True)
        payload = _payload(scenario, name)
        now = _now()
        values = {
            "name": name, "description": description, "author": author, "dataset": dataset,
            "created_at": now, "updated_at": now, "updated_by": author, "version": 1,
            "is_example": bool(is_example), "read_only": bool(is_example if read_only is None else read_only),
            "deleted": False, "parent_id": parent_id, "payload": payload,
        }
        for attempt in range(5):  # random ids and tokens: a clash is astronomically unlikely, but never fatal
            scenario_id, edit_token, view_token = _new_id(), _new_token(), _new_token()
            try:
                with self._write() as conn:
                    conn.execute(scenarios.insert().values(
                        id=scenario_id, search_text=_search_text(name, description, author),
                        edit_token=edit_token, view_token=view_token, **values))
                break
            except IntegrityError:
                if is_example and self._example(dataset, name) is not None:
                    raise ExampleExists(dataset, name) from None
                if attempt == 4:
                    raise
        fields = {k: v for k, v in values.items() if k not in ("deleted", "payload")}
        return StoredScenario(id=scenario_id, **fields, scenario=Scenario.from_json(payload),
                              edit_token=edit_token, view_token=view_token)

    def _example(self, dataset: str, name: str) -> StoredSummary | None:
        with self._read() as conn:
            row = conn.execute(sa.select(*_SUMMARY_COLUMNS).where(
                scenarios.c.is_example, sa.not_(scenarios.c.deleted), scenarios.c.dataset == dataset,
                scenarios.c.name == name)).first()
        return None if row is None else _summary(row)

    def seed_example(self, scenario: Scenario, *, name: str, description: str = "", author: str = "",
                     dataset: str) -> bool:
        """Save a read-only example unless the dataset already has one of that name; True if saved.

        Safe when many sessions seed an empty store at the same instant: a unique index on
        (dataset, name) of live examples lets exactly one insert land.
        """
        try:
            self.save_new(scenario, name=name, description=description, author=author, dataset=dataset,
                          is_example=True)
        except ExampleExists:
            return False
        return True

    # --- links and grants -----------------------------------------------------------------
    def open_link(self, token: str) -> StoredScenario:
        """The scenario a link's token opens, with the right it carries.

        An editing token gives both tokens (``can_edit``); a viewing token gives only the viewing
        token. Raises :class:`NotFound` for any other string (unknown, malformed, deleted).
        """
        if not isinstance(token, str) or not 16 <= len(token) <= _MAX_TOKEN:
            raise NotFound("link")
        with self._read() as conn:
            row = conn.execute(sa.select(scenarios).where(
                sa.or_(scenarios.c.edit_token == token, scenarios.c.view_token == token))).first()
        if row is None or row.deleted:
            raise NotFound("link")
        can_edit = secrets.compare_digest(row.edit_token, token)
        return dataclasses.replace(_stored(row), edit_token=row.edit_token if can_edit else None,
                                   view_token=row.view_token)

    def grant(self, browser_key: str, scenario_id: str, edit_token: str) -> None:
        """Remember that this browser holds the editing right (it created the scenario or opened its
        editing link). Raises :class:`NoEditRight` if ``edit_token`` is not the scenario's."""
        browser_key = _check_text(browser_key, "browser key", MAX_SHORT, required=True)
        with self._write() as conn:
            row = self._current(conn, scenario_id)
            if not isinstance(edit_token, str) or not secrets.compare_digest(row.edit_token, edit_token):
                raise NoEditRight(row.name)
            exists = conn.execute(sa.select(grants.c.scenario_id).where(
                grants.c.browser_key == browser_key, grants.c.scenario_id == scenario_id)).first()
            if exists is None:
                conn.execute(grants.insert().values(browser_key=browser_key, scenario_id=scenario_id,
                                                    created_at=_now()))

    def granted(self, browser_key: str, scenario_id: str) -> StoredScenario | None:
        """The scenario with both tokens if this browser holds a grant for it, else None."""
        if not isinstance(browser_key, str) or not browser_key:
            return None
        with self._read() as conn:
            row = conn.execute(sa.select(scenarios).join(grants, grants.c.scenario_id == scenarios.c.id).where(
                grants.c.browser_key == browser_key, scenarios.c.id == scenario_id,
                sa.not_(scenarios.c.deleted))).first()
        if row is None:
            return None
        return dataclasses.replace(_stored(row), edit_token=row.edit_token, view_token=row.view_token)

    def granted_ids(self, browser_key: str) -> set[str]:
        """Ids of the scenarios this browser may edit."""
        with self._read() as conn:
            return set(conn.execute(sa.select(grants.c.scenario_id).where(
                grants.c.browser_key == browser_key)).scalars())

    def save_as_copy(self, source: str | Scenario, name: str, *, author: str = "", description: str | None = None,
                     dataset: str | None = None, based_on: str | None = None) -> StoredScenario:
        """Save a copy under a new id (version 1, never read-only), e.g. after a :class:`ConflictError`.

        ``source`` is a stored scenario's id (its saved content is copied) or a :class:`Scenario` (your
        own edit). Description and dataset default to those of the stored scenario (``source`` or
        ``based_on``); with a Scenario and no ``based_on``, ``dataset`` is required.
        """
        parent: StoredScenario | None = None
        if isinstance(source, str):
            parent_id: str | None = source
            parent = self.get(source)
            scenario = parent.scenario
        elif isinstance(source, Scenario):
            parent_id, scenario = based_on, source
            if based_on is not None:  # the original may have been deleted meanwhile: still take its metadata
                with self._read() as conn:
                    row = conn.execute(sa.select(scenarios).where(scenarios.c.id == based_on)).first()
                if row is None:
                    raise NotFound(based_on)
                parent = _stored(row)
        else:
            raise ValueError(f"source must be a scenario id or a Scenario, not {type(source).__name__}")
        if dataset is None:
            if parent is None:
                raise ValueError("dataset is required when copying a scenario that is not stored")
            dataset = parent.dataset
        if description is None:
            description = parent.description if parent is not None else ""
        return self.save_new(scenario, name=name, description=description, author=author, dataset=dataset,
                             parent_id=parent_id)

    def duplicate(self, scenario_id: str, new_name: str, *, author: str = "") -> StoredScenario:
        """A copy of the stored scenario under a new id and name (its notes stay with the original)."""
        return self.save_as_copy(scenario_id, new_name, author=author)

    # --- scenarios: change ----------------------------------------------------------------
    def _current(self, conn: Connection, scenario_id: str) -> Any:
        row = conn.execute(sa.select(scenarios).where(scenarios.c.id == scenario_id)).first()
        if row is None or row.deleted:
            raise NotFound(scenario_id)
        return row

    def _conflict(self, conn: Connection, scenario_id: str, expected: int) -> ConflictError:
        row = self._current(conn, scenario_id)
        return ConflictError(scenario_id, row.name, expected, row.version, row.updated_by, row.updated_at)

    def _guarded_update(self, scenario_id: str, expected_version: int | None, author: str,
                        change: Callable[[Any], dict[str, Any]], edit_token: str) -> dict[str, Any]:
        """Apply ``change(row) -> new column values`` iff the row is still at ``expected_version`` and
        ``edit_token`` is its editing token.

        The guard is the UPDATE's own WHERE clause (id, version and editing token), checked by its
        row count: two writers that both start from version v cannot both succeed, on any backend or
        isolation level, and no writer without the token ever succeeds. ``expected_version`` None
        (delete without a version) means "whatever is current".
        """
        _check_id(scenario_id)
        author = _check_text(author, "author", MAX_SHORT)
        with self._write() as conn:
            row = self._current(conn, scenario_id)
            if row.read_only:
                raise ReadOnlyError(f"{row.name!r} is read-only (an example): save a copy to change it")
            if not isinstance(edit_token, str) or not secrets.compare_digest(row.edit_token, edit_token):
                raise NoEditRight(row.name)
            expected = row.version if expected_version is None else _check_version(expected_version)
            if row.version != expected:
                raise ConflictError(scenario_id, row.name, expected, row.version, row.updated_by, row.updated_at)
            values = change(row)
            now = _now()
            values.update(updated_at=now, updated_by=author, version=scenarios.c.version + 1)
            if {"name", "description"} & values.keys() or row.search_text == "":
                values["search_text"] = _search_text(values.get("name", row.name),
                                                     values.get("description", row.description),
                                                     row.author)
            result = conn.execute(
                scenarios.update()
                .where(scenarios.c.id == scenario_id, scenarios.c.version == expected,
                       scenarios.c.edit_token == edit_token,
                       sa.not_(scenarios.c.deleted), sa.not_(scenarios.c.read_only))
                .values(**values))
            if result.rowcount != 1:
                raise self._conflict(conn, scenario_id, expected)
            return {**row._asdict(), **values, "version": expected + 1}

    def update(self, scenario_id: str, scenario: Scenario, *, expected_version: int, edit_token: str,
               author: str = "", name: str | None = None, description: str | None = None) -> StoredScenario:
        """Replace the stored scenario if it is still at ``expected_version``; returns version + 1.

        Raises :class:`ConflictError` (nothing written) when someone saved in between,
        :class:`NotFound`, :class:`ReadOnlyError` (an example), :class:`NoEditRight` (``edit_token``
        is not the scenario's), or ValueError for bad text. The stored name is
        kept unless ``name`` is given; the saved scenario's ``name`` is set to it.
        """
        if name is not None:
            name = _check_text(name, "name", MAX_NAME, required=True)
        if description is not None:
            description = _check_text(description, "description", MAX_DESCRIPTION)
        if not isinstance(scenario, Scenario):
            raise ValueError(f"expected a Scenario, not {type(scenario).__name__}")

        def change(row: Any) -> dict[str, Any]:
            values: dict[str, Any] = {"payload": _payload(scenario, name if name is not None else row.name)}
            if name is not None:
                values["name"] = name
            if description is not None:
                values["description"] = description
            return values

        return self._with_tokens(self._guarded_update(scenario_id, _check_version(expected_version), author,
                                                      change, edit_token))

    def rename(self, scenario_id: str, name: str, expected_version: int, *, edit_token: str,
               author: str = "") -> StoredScenario:
        """Rename (the saved scenario's ``name`` too); checked like :meth:`update`."""
        name = _check_text(name, "name", MAX_NAME, required=True)
        return self._with_tokens(self._guarded_update(
            scenario_id, _check_version(expected_version), author,
            lambda row: {"name": name, "payload": _renamed_payload(row.payload, name)}, edit_token))

    def set_description(self, scenario_id: str, description: str, expected_version: int, *, edit_token: str,
                        author: str = "") -> StoredScenario:
        """Change the description; checked like :meth:`update`."""
        description = _check_text(description, "description", MAX_DESCRIPTION)
        return self._with_tokens(self._guarded_update(scenario_id, _check_version(expected_version), author,
                                                      lambda row: {"description": description}, edit_token))

    def delete(self, scenario_id: str, *, edit_token: str, expected_version: int | None = None,
               author: str = "") -> None:
        """Delete (softly: :meth:`restore` brings it back). With ``expected_version``, conflict-checked."""
        if expected_version is not None:
            _check_version(expected_version)
        self._guarded_update(scenario_id, expected_version, author, lambda row: {"deleted": True}, edit_token)

    @staticmethod
    def _with_tokens(values: dict[str, Any]) -> StoredScenario:
        return dataclasses.replace(_stored(values), edit_token=values["edit_token"], view_token=values["view_token"])

    def restore(self, scenario_id: str, *, edit_token: str, author: str = "") -> StoredScenario:
        """Undo :meth:`delete` (a new version, like any change); needs the editing token."""
        _check_id(scenario_id)
        author = _check_text(author, "author", MAX_SHORT)
        if not isinstance(edit_token, str):
            raise NotFound(scenario_id)
        with self._write() as conn:
            result = conn.execute(
                scenarios.update()
                .where(scenarios.c.id == scenario_id, scenarios.c.deleted, scenarios.c.edit_token == edit_token)
                .values(deleted=False, version=scenarios.c.version + 1, updated_at=_now(), updated_by=author))
            if result.rowcount != 1:
                raise NotFound(scenario_id)
        return self.get(scenario_id)

    # --- scenarios: read ------------------------------------------------------------------
    def get(self, scenario_id: str, *, with_view_token: bool = False) -> StoredScenario:
        """The stored scenario, without its tokens (``with_view_token``: with the viewing one, for a
        workspace that lists every scenario anyway); raises :class:`NotFound` (also for a deleted one)."""
        _check_id(scenario_id)
        with self._read() as conn:
            row = self._current(conn, scenario_id)
        stored = _stored(row)
        return dataclasses.replace(stored, view_token=row.view_token) if with_view_token else stored

    def version(self, scenario_id: str) -> int:
        """The scenario's stored version: one read by primary key, no payload (what a follow view polls
        every second); raises :class:`NotFound`, also for a deleted one."""
        _check_id(scenario_id)
        with self._read() as conn:
            row = conn.execute(sa.select(scenarios.c.version, scenarios.c.deleted)
                               .where(scenarios.c.id == scenario_id)).first()
        if row is None or row.deleted:
            raise NotFound(scenario_id)
        return int(row.version)

    def list(self, search: str = "", dataset: str | None = None, *, include_examples: bool = True,
             limit: int | None = None) -> list[StoredSummary]:
        """Catalogue entries, most recently saved first.

        ``search``: every word must occur (any case, any position) in the name, description or
        author; ``%`` and ``_`` are plain characters. ``dataset``: only that dataset's scenarios.
        """
        search = _check_text(search, "search", MAX_SEARCH)
        query = sa.select(*_SUMMARY_COLUMNS).where(sa.not_(scenarios.c.deleted))
        for word in search.casefold().split():
            query = query.where(scenarios.c.search_text.contains(word, autoescape=True))
        if dataset is not None:
            query = query.where(scenarios.c.dataset == dataset)
        if not include_examples:
            query = query.where(sa.not_(scenarios.c.is_example))
        query = query.order_by(scenarios.c.updated_at.desc(), scenarios.c.created_at.desc(), scenarios.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [_summary(row) for row in conn.execute(query)]

    def count(self) -> int:
        """Number of stored (not deleted) scenarios."""
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(scenarios)
                                    .where(sa.not_(scenarios.c.deleted))).scalar_one())

    # --- notes ----------------------------------------------------------------------------
    def add_note(self, scenario_id: str, text: str, kind: str, author: str, group_label: str | None = None, *,
                 edit_token: str | None = None) -> Note:
        """Add a consultation note (kind: benefit, challenge or comment) to a scenario or one of its groups.

        Needs the editing token, except on the shared read-only examples (notes do not change the
        scenario, and nobody holds an example's editing link). Raises :class:`NoEditRight`.
        """
        text = _check_text(text, "note", MAX_NOTE, required=True)
        if kind not in NOTE_KINDS:
            raise ValueError(f"note kind must be one of {', '.join(NOTE_KINDS)}, not {kind!r}")
        author = _check_text(author, "author", MAX_SHORT)
        if group_label is not None:
            group_label = _check_text(group_label, "group label", MAX_SHORT, required=True)
        now = _now()
        with self._write() as conn:
            row = self._current(conn, scenario_id)
            if not row.is_example and not (isinstance(edit_token, str)
                                           and secrets.compare_digest(row.edit_token, edit_token)):
                raise NoEditRight(row.name)
            note_id = conn.execute(notes_table.insert().values(
                scenario_id=scenario_id, group_label=group_label, kind=kind, text=text, author=author,
                created_at=now)).inserted_primary_key[0]
        return Note(id=int(note_id), scenario_id=scenario_id, group_label=group_label, kind=kind, text=text,
                    author=author, created_at=now)

    def notes(self, scenario_id: str, *, group_label: Any = ALL) -> list[Note]:
        """The scenario's notes, oldest first: all of them, or one group's (``group_label=None``: whole-scenario)."""
        query = sa.select(notes_table).where(notes_table.c.scenario_id == scenario_id)
        if group_label is None:
            query = query.where(notes_table.c.group_label.is_(None))
        elif group_label is not ALL:
            query = query.where(notes_table.c.group_label == group_label)
        with self._read() as conn:
            self._current(conn, scenario_id)
            rows = conn.execute(query.order_by(notes_table.c.created_at, notes_table.c.id)).all()
        return [Note(id=r.id, scenario_id=r.scenario_id, group_label=r.group_label, kind=r.kind, text=r.text,
                     author=r.author, created_at=r.created_at) for r in rows]

    def delete_note(self, note_id: int, *, edit_token: str) -> None:
        """Remove a note (no error if it is already gone); needs its scenario's editing token."""
        with self._write() as conn:
            conn.execute(notes_table.delete().where(
                notes_table.c.id == note_id,
                notes_table.c.scenario_id.in_(sa.select(scenarios.c.id).where(scenarios.c.edit_token == edit_token))))

    # --- drafts ---------------------------------------------------------------------------
    def save_draft(self, session_key: str, scenario_json: str, *, scenario_id: str | None = None,
                   base_version: int | None = None, browser_key: str | None = None, state: str = "",
                   changes: int = 0) -> Draft:
        """Upsert the session's unsaved work (called after every edit).

        ``scenario_id``/``base_version``: the stored scenario the edit started from, so a recovered
        draft can still be saved with a conflict check. ``browser_key``: the browser it belongs to
        (:meth:`drafts_of` finds it after a reload or restart); ``state``: the app's JSON (undo
        history, dataset); ``changes``: how many edits it holds.
        """
        session_key = _check_text(session_key, "session key", MAX_SHORT, required=True)
        scenario_json = _check_text(scenario_json, "draft", MAX_PAYLOAD)
        state = _check_text(state, "draft state", MAX_PAYLOAD)
        if scenario_id is not None:
            scenario_id = _check_text(scenario_id, "scenario id", _MAX_ID, required=True)
        if base_version is not None:
            base_version = _check_version(base_version, "base_version")
        if browser_key is not None:
            browser_key = _check_text(browser_key, "browser key", MAX_SHORT, required=True)
        if isinstance(changes, bool) or not isinstance(changes, int) or changes < 0:
            raise ValueError(f"changes must be a whole number >= 0, not {changes!r}")
        values = {"payload": scenario_json, "scenario_id": scenario_id, "base_version": base_version,
                  "updated_at": _now(), "browser_key": browser_key, "state": state, "changes": changes}
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            stmt = insert(drafts).values(session_key=session_key, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=[drafts.c.session_key], set_=values))
        return Draft(session_key=session_key, **values)

    def load_draft(self, session_key: str) -> Draft | None:
        """The session's last draft, or None."""
        with self._read() as conn:
            row = conn.execute(sa.select(drafts).where(drafts.c.session_key == session_key)).first()
        return None if row is None else _draft(row)

    def drafts_of(self, browser_key: str, *, limit: int = 10) -> list[Draft]:
        """The browser's drafts, newest first (its sessions' unsaved work, across reloads and restarts)."""
        if not isinstance(browser_key, str) or not browser_key:
            return []
        with self._read() as conn:
            rows = conn.execute(sa.select(drafts).where(drafts.c.browser_key == browser_key)
                                .order_by(drafts.c.updated_at.desc()).limit(limit)).all()
        return [_draft(row) for row in rows]

    def delete_draft(self, session_key: str) -> None:
        """Forget the session's draft (after it was saved or discarded)."""
        with self._write() as conn:
            conn.execute(drafts.delete().where(drafts.c.session_key == session_key))

    def prune_drafts(self, older_than: timedelta = timedelta(days=30)) -> int:
        """Delete drafts untouched for ``older_than``; returns how many."""
        with self._write() as conn:
            return conn.execute(drafts.delete().where(drafts.c.updated_at < _now() - older_than)).rowcount

