"""The SenderGuide (Everlytic) JSON dialect."""

from __future__ import annotations

from starlette.applications import Starlette

from herald.api.context import AppContext


def create_senderguide_app(context: AppContext) -> Starlette:
    app = Starlette()
    app.state.context = context
    return app
