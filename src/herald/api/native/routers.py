"""Every router of the native API, in the order they appear in the docs."""

from __future__ import annotations

from fastapi import APIRouter

from herald.api.native import contacts as contacts_api
from herald.api.native import interactions
from herald.api.native import lists as lists_api
from herald.api.native import messages as messages_api
from herald.api.native import segments as segments_api
from herald.api.native import suppressions as suppressions_api
from herald.api.native.webhooks import routes as webhooks_api

ALL: list[APIRouter] = []
ALL.append(interactions.router)
ALL.append(messages_api.router)
ALL.append(contacts_api.router)
ALL.append(lists_api.router)
ALL.append(segments_api.router)
ALL.append(suppressions_api.router)
ALL.append(webhooks_api.router)
