"""What every command checks before it works: the settings, the database, the port. A problem is one clear
line on stderr and exit status 2, never a traceback: an operator fixes a setting, not a stack."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from herald.db.engine import Database, connect
from herald.logging import configure as configure_logging
from herald.settings import Settings
from herald.webhooks.secrets import load_secret_box

SETTING_PROBLEM = 2


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=SETTING_PROBLEM)


def settings() -> Settings:
    """The settings from the environment, each checked; the first bad one ends the command."""
    try:
        loaded = Settings()
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "a setting"
        value = first.get("input")
        shown = f"={value}" if isinstance(value, str | int | float) and len(str(value)) <= 200 else ""
        reason = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
        fail(f"HERALD_{field.upper()}{shown} is not valid: {reason}")
    configure_logging(loaded.log_level, loaded.log_format)
    return loaded


def database(loaded: Settings) -> Database:
    """An open database that answers a query; a missing server or database, or a SQLite file that cannot
    be created, ends the command with a sentence naming it."""
    path = loaded.sqlite_path()
    try:
        opened = connect(loaded)
    except OSError as error:
        fail(f"cannot create the database {path}: {error.strerror or error}")
    try:
        with opened.read() as session:
            session.connection().exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
        opened.dispose()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        where = str(path) if path is not None else _shown_url(loaded.database_url)
        fail(f"cannot open the database {where}: {reason}")
    return opened


def secret_box(loaded: Settings) -> None:
    """The key that seals webhook secrets: readable, or created on first start."""
    try:
        load_secret_box(loaded.secret_key, loaded.secret_key_file)
    except ValueError as error:
        fail(f"HERALD_SECRET_KEY is not valid: {error}")
    except OSError as error:
        fail(f"cannot read or create the key file {loaded.secret_key_file}: {error.strerror or error}")


def port(host: str, number: int) -> None:
    """Fail now, with a sentence, when the address cannot be listened on (uvicorn would log a traceback)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, number))
        except OSError as error:
            reason = (
                "the port is in use" if error.errno == errno.EADDRINUSE else (error.strerror or str(error))
            )
            fail(f"cannot listen on {host}:{number}: {reason}")


def writable_file(path: Path) -> None:
    if path.exists() or not path.parent.exists():
        fail(f"{path} exists already, or its folder does not; give a new file in an existing folder")


def _shown_url(url: str) -> str:
    """A database URL without its password."""
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        rest = f"{credentials.split(':', 1)[0]}@{host}"
    return f"{scheme}://{rest}"
