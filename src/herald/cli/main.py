"""The ``herald`` command: serve, worker, migrate and jobs here; accounts and keys in ``accounts.py``,
backup and copy in ``data.py``; the checks every command starts with in ``startup.py``."""

from __future__ import annotations

from typing import Annotated

import typer

from herald import __version__, wiring
from herald.accounts import service as accounts_service
from herald.cli import accounts, data, startup
from herald.db import migrate as db_migrate
from herald.db.engine import Database
from herald.jobs import runner
from herald.settings import Settings

app = typer.Typer(
    help="Herald: self-hosted email and SMS/MMS messaging with SenderGuide and ExpertSender APIs.\n\n"
    "Every setting comes from a HERALD_ environment variable; the database from HERALD_DATABASE_URL "
    "(default: sqlite:///./var/herald.db). A bad setting is one line on stderr and exit status 2.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(accounts.accounts_app, name="accounts")
app.add_typer(accounts.keys_app, name="keys")
app.command()(data.backup)
app.command()(data.copy)

DEFAULT_ACCOUNT = "default"


def _version(show: bool) -> None:
    if show:
        typer.echo(f"herald {__version__}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print Herald's version and stop."),
    ] = False,
) -> None:
    """Herald's command line."""


def _database() -> tuple[Settings, Database]:
    settings = startup.settings()
    return settings, startup.database(settings)


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
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(metavar="N", help="Server processes (PostgreSQL benefits most).")
    ] = 1,
) -> None:
    """Migrate the database, create a first account if there is none, and serve the API."""
    import uvicorn

    settings, database = _database()
    startup.secret_box(settings)  # creates the key file on first start
    startup.port(host, port)
    db_migrate.upgrade(database.writer)
    _bootstrap(database, settings.public_base_url or f"http://{host}:{port}")
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
            log_config=None,  # Herald's logging (HERALD_LOG_FORMAT) formats uvicorn's lines too
            access_log=False,
        )
    finally:
        if embedded is not None:
            embedded.stop()


@app.command()
def worker(
    name: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="How this worker names itself in leases and logs (default: host:pid)."
        ),
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
        startup.secret_box(settings)
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
def migrate(
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="REVISION",
            help="Take the schema back to this revision (to roll back a release), not up to the newest.",
        ),
    ] = None,
) -> None:
    """Bring the database schema to the newest version, and say which revisions that applied."""
    _, database = _database()
    if to is not None:
        was = db_migrate.downgrade(database.writer, to)
        typer.echo(f"schema taken back from {was} to {to}", err=True)
        return
    applied = db_migrate.upgrade(database.writer)
    if applied:
        typer.echo(
            f"applied {len(applied)} migration(s): {', '.join(applied)}; database is up to date", err=True
        )
    else:
        typer.echo("database is up to date: no migrations to apply", err=True)


def main() -> None:
    app(prog_name="herald")


if __name__ == "__main__":
    main()
