"""The transactions every entry point uses, and the cheap reads made on every request."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from herald.db.engine import Database
from tests.conftest import make_tenant


def _account_count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM accounts")).scalar_one())


def test_glance_sees_what_is_committed_before_each_statement_on_postgresql(database: Database) -> None:
    with database.glance() as session:
        before = _account_count(session)
        make_tenant(database, "arrives-between-statements")
        after = _account_count(session)
    # PostgreSQL runs each statement of a glance on its own (autocommit); SQLite reads one snapshot, which
    # costs it nothing and is as fresh as the first statement.
    assert after == before + (1 if database.dialect == "postgresql" else 0)


def test_glance_holds_no_transaction_open_on_postgresql(database: Database) -> None:
    if database.dialect != "postgresql":
        assert database.glancer is None
        return
    with database.glance() as session:
        moments = session.execute(text("SELECT statement_timestamp() = transaction_timestamp()")).scalar_one()
    assert moments is True


def test_change_stamp_moves_on_every_commit_of_the_sqlite_file(database: Database) -> None:
    first = database.change_stamp()
    if database.dialect == "postgresql":
        assert first is None
        return
    assert first is not None
    assert database.change_stamp() == first  # reading moves nothing
    make_tenant(database, "moves-the-stamp")
    assert database.change_stamp() != first
