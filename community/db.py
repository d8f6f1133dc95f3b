"""Engine, sessions and migrations. SQLite (WAL) under LINLI_HOME by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


_engines: dict[str, Engine] = {}
_makers: dict[
    Engine, sessionmaker[Session]
] = {}  # one per engine: building a sessionmaker per unit of work costs


def get_engine() -> Engine:
    """The process-wide engine for the configured database URL (created on first use)."""
    settings = get_settings()
    url = settings.db_url
    if url not in _engines:
        if url.startswith("sqlite"):
            settings.ensure_home()
            # a pool as large as the server's concurrency: with the default 5 (+10 overflow) a busy `linli serve`
            # opened and closed a connection (and re-ran the pragmas) for about one request in three
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, pool_size=20, max_overflow=20
            )
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _engines[url] = engine
    return _engines[url]


def reset_engine() -> None:
    """Dispose of cached engines (tests and the demo switch LINLI_HOME)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _makers.clear()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commit on success, roll back everything on any error."""
    engine = get_engine()
    maker = _makers.get(engine)
    if maker is None:
        maker = _makers[engine] = sessionmaker(bind=engine, expire_on_commit=False)
    session = maker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", get_settings().db_url)
    return cfg


def migrate() -> str:
    """Bring the schema to the latest revision (idempotent); return the revision now in place."""
    cfg = alembic_config()
    with get_engine().begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    from alembic.runtime.migration import MigrationContext

    with get_engine().connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def require_schema() -> None:
    """Fail with a clear next step when the database has not been created or migrated yet."""
    from alembic.runtime.migration import MigrationContext

    from community.errors import AppError

    with get_engine().connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head_revision():
        raise AppError(
            f"database at {get_settings().db_url} is at schema {current or 'none'}, expected {head_revision()}: "
            "run `linli init`"
        )
