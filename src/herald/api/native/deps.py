"""FastAPI dependencies of the native API: the shared context and the calling account."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from herald.accounts.schemas import Principal
from herald.api.context import AppContext, key_from_authorization
from herald.errors import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="An API key from `herald keys create`.")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, as a header.")


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(get_context)]


def get_principal(
    request: Request,
    context: Context,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    x_api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    """The account of ``Authorization: Bearer KEY`` (or Basic with the key as password, or ``X-API-Key``)."""
    known: Principal | None = getattr(request.state, "principal", None)  # checked by CredentialsFirst
    if known is not None:
        return known
    key = key_from_authorization(request.headers.get("authorization")) or x_api_key
    principal = context.principal_for_key(key)
    if principal is None:
        raise Unauthenticated("missing or invalid API key" if key else "an API key is required")
    return principal


CurrentAccount = Annotated[Principal, Depends(get_principal)]
