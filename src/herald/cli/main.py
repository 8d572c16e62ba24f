"""The ``herald`` command: serve, worker, migrate, and manage accounts and API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from herald import __version__, wiring
from herald.accounts import service as accounts_service
from herald.db import migrate as db_migrate
from herald.db.engine import Database, connect
from herald.errors import HeraldError
from herald.jobs import runner
from herald.logging import configure as configure_logging
from herald.settings import Settings
from herald.webhooks.secrets import load_secret_box

app = typer.Typer(
    help="Herald: self-hosted email and SMS/MMS messaging with SenderGuide and ExpertSender APIs.\n\n"
    "The database comes from HERALD_DATABASE_URL (default: sqlite:///./var/herald.db).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
accounts_app = typer.Typer(help="Manage accounts (tenants).", no_args_is_help=True)
keys_app = typer.Typer(help="Issue and revoke API keys.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")

DEFAULT_ACCOUNT = "default"


def _database() -> tuple[Settings, Database]:
    settings = Settings()
    configure_logging(settings.log_level)
    return settings, connect(settings)


def _fail(exc: HeraldError) -> typer.Exit:
    typer.echo(f"error: {exc.detail}", err=True)
    return typer.Exit(code=1)


def _bootstrap(database: Database, base_url: str) -> None:
    """On an empty database, create the default account and print its first key once."""
    with database.write() as session:
        if accounts_service.has_accounts(session):
            return
        account = accounts_service.create_account(session, name=DEFAULT_ACCOUNT)
        issued = accounts_service.issue_key(session, account_id=account.id)
    typer.echo(
        "\n".join(
            [
                "",
                "  Herald created the account 'default' and this API key. It is shown once; keep it:",
                "",
                f"    {issued.key}",
                "",
                f"  Base URL: {base_url}",
                f"  Try:      curl -H 'Authorization: Bearer {issued.key}' {base_url}/v1/messages",
                f"  API docs: {base_url}/docs",
                "",
            ]
        ),
        err=True,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (PostgreSQL benefits most).")] = 1,
) -> None:
    """Migrate the database, create a first account if there is none, and serve the API."""
    import uvicorn

    settings, database = _database()
    db_migrate.upgrade(database.writer)
    _bootstrap(database, settings.public_base_url or f"http://{host}:{port}")
    load_secret_box(settings.secret_key, settings.secret_key_file)  # creates the key file on first start
    database.dispose()
    embedded = runner.EmbeddedWorker() if settings.embedded_worker else None
    if embedded is not None:
        embedded.start()
    try:
        uvicorn.run(
            "herald.cli.server:build_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level,
            access_log=False,
        )
    finally:
        if embedded is not None:
            embedded.stop()


@app.command()
def worker(
    name: Annotated[
        str | None, typer.Option(help="How this worker names itself in leases and logs (default: host:pid).")
    ] = None,
    embedded_in: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run every lane of due work (webhook deliveries, jobs) until stopped; Ctrl-C or SIGTERM finish
    what is in flight.

    Run any number of these against PostgreSQL, on any hosts; set HERALD_EMBEDDED_WORKER=false for
    `herald serve` when you do. On SQLite, `herald serve` already runs one.
    """
    if embedded_in is not None:
        # The embedded worker dies with its server. On SQLite it owns the whole queue, so at start it
        # takes back whatever its predecessor left running; on PostgreSQL it shares it under leases.
        runner.die_with_parent(embedded_in)
        settings, database = _database()
        owns_queue = settings.is_sqlite
    else:
        settings, database = _database()
        db_migrate.upgrade(database.writer)
        owns_queue = False
    wiring.wire()
    runner.run_forever(settings, database, wiring.lanes(settings), owns_queue=owns_queue, name=name)


@app.command()
def jobs() -> None:
    """Show every lane's queue: items per kind and state (webhook deliveries per event type, jobs per
    kind)."""
    settings, database = _database()
    db_migrate.upgrade(database.writer)
    with database.read() as session:
        counts = [row for lane in wiring.lanes(settings) for row in lane.counts(session)]
    if not counts:
        typer.echo("no jobs and no webhook deliveries yet", err=True)
        return
    typer.echo(f"{'queue':<10} {'kind':<24} {'state':<10} {'count':>10}")
    for row in counts:
        typer.echo(f"{row.queue:<10} {row.kind:<24} {row.state:<10} {row.count:>10}")


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version."""
    _, database = _database()
    applied = db_migrate.upgrade(database.writer)
    if applied:
        typer.echo(
            f"applied {len(applied)} migration(s): {', '.join(applied)}; database is up to date", err=True
        )
    else:
        typer.echo("database is up to date: no migrations to apply", err=True)


@accounts_app.command("create")
def accounts_create(
    name: str,
    timezone: Annotated[
        str, typer.Option(help="IANA zone for report dates, e.g. Africa/Johannesburg.")
    ] = "UTC",
) -> None:
    """Create an account; prints its id."""
    _, database = _database()
    db_migrate.upgrade(database.writer)
    try:
        with database.write() as session:
            account = accounts_service.create_account(session, name=name, timezone=timezone)
    except HeraldError as exc:
        raise _fail(exc) from exc
    typer.echo(f"account {account.name!r} created with id {account.id}", err=True)
    typer.echo(str(account.id))


@keys_app.command("create")
def keys_create(account: Annotated[str, typer.Option("--account", help="The account's name.")]) -> None:
    """Issue a new API key; prints the key alone on stdout (it is not shown again)."""
    _, database = _database()
    db_migrate.upgrade(database.writer)
    try:
        with database.write() as session:
            found = accounts_service.find_account(session, name=account)
            issued = accounts_service.issue_key(session, account_id=found.id)
    except HeraldError as exc:
        raise _fail(exc) from exc
    typer.echo(issued.key)


@keys_app.command("revoke")
def keys_revoke(key_prefix: str) -> None:
    """Revoke the key that starts with KEY_PREFIX (the first 11 characters are enough)."""
    _, database = _database()
    try:
        with database.write() as session:
            accounts_service.revoke_key(session, prefix=key_prefix)
    except HeraldError as exc:
        raise _fail(exc) from exc
    typer.echo(f"revoked the key starting with {key_prefix}", err=True)


@app.command()
def version() -> None:
    """Print Herald's version."""
    typer.echo(__version__)


def main() -> None:
    app(prog_name="herald")


if __name__ == "__main__":
    main()
