"""``herald accounts`` and ``herald keys``: tenants and their API keys, from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from herald.accounts import service as accounts_service
from herald.cli import startup
from herald.db import migrate as db_migrate
from herald.db.engine import Database
from herald.errors import HeraldError

accounts_app = typer.Typer(help="Manage accounts (tenants).", no_args_is_help=True, rich_markup_mode=None)
keys_app = typer.Typer(help="Issue, list and revoke API keys.", no_args_is_help=True, rich_markup_mode=None)

Name = Annotated[str, typer.Argument(metavar="NAME", help="The account's name.")]
AccountOption = Annotated[str, typer.Option("--account", metavar="NAME", help="The account's name.")]
ZONE_HELP = "IANA time zone for report days and times, e.g. Africa/Johannesburg."
Zone = Annotated[str, typer.Option(metavar="ZONE", help=ZONE_HELP)]
NewZone = Annotated[str | None, typer.Option(metavar="ZONE", help=ZONE_HELP)]


def _migrated() -> Database:
    settings = startup.settings()
    database = startup.database(settings)
    db_migrate.upgrade(database.writer)
    return database


def _fail(exc: HeraldError) -> typer.Exit:
    typer.echo(f"error: {exc.detail}", err=True)
    return typer.Exit(code=1)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


@accounts_app.command("create")
def accounts_create(name: Name, timezone: Zone = "UTC") -> None:
    """Create an account; prints its id."""
    database = _migrated()
    try:
        with database.write() as session:
            account = accounts_service.create_account(session, name=name, timezone=timezone)
    except HeraldError as exc:
        raise _fail(exc) from exc
    typer.echo(f"account {account.name!r} created with id {account.id}", err=True)
    typer.echo(str(account.id))


@accounts_app.command("list")
def accounts_list() -> None:
    """Show every account: id, name, time zone and when it was made."""
    database = _migrated()
    with database.read() as session:
        rows = accounts_service.list_accounts(session)
    typer.echo(f"{'id':>6}  {'name':<24} {'timezone':<24} created (UTC)")
    for row in rows:
        typer.echo(f"{row.id:>6}  {row.name:<24} {row.timezone:<24} {_when(row.created_at)}")


@accounts_app.command("update")
def accounts_update(name: Name, timezone: NewZone = None) -> None:
    """Change an account's settings; report days and times follow a new time zone from now on."""
    database = _migrated()
    try:
        with database.write() as session:
            account = accounts_service.update_account(session, name=name, timezone=timezone)
    except HeraldError as exc:
        raise _fail(exc) from exc
    typer.echo(f"account {account.name!r}: timezone {account.timezone}", err=True)


@keys_app.command("create")
def keys_create(account: AccountOption) -> None:
    """Issue a new API key; prints the key alone on stdout (it is not shown again)."""
    database = _migrated()
    try:
        with database.write() as session:
            found = accounts_service.find_account(session, name=account)
            issued = accounts_service.issue_key(session, account_id=found.id)
    except HeraldError as exc:
        raise _fail(exc) from exc
    typer.echo(issued.key)


@keys_app.command("list")
def keys_list(account: AccountOption) -> None:
    """Show an account's keys: their prefixes (never the keys), when made, last used and revoked."""
    database = _migrated()
    try:
        with database.read() as session:
            found = accounts_service.find_account_view(session, name=account)
            keys = accounts_service.list_keys(session, account_id=found.id)
    except HeraldError as exc:
        raise _fail(exc) from exc
    typer.echo(f"{'prefix':<14} {'created (UTC)':<17} {'last used':<17} revoked")
    for key in keys:
        typer.echo(
            f"{key.prefix:<14} {_when(key.created_at):<17} {_when(key.last_used_at):<17} "
            f"{_when(key.revoked_at)}"
        )


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[
        str, typer.Argument(metavar="PREFIX", help="The key's first characters (11 are always enough).")
    ],
) -> None:
    """Revoke the key that starts with PREFIX."""
    database = _migrated()
    try:
        with database.write() as session:
            accounts_service.revoke_key(session, prefix=prefix)
    except HeraldError as exc:
        raise _fail(exc) from exc
    typer.echo(f"revoked the key starting with {prefix}", err=True)
