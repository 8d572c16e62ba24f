"""Every router of the native API, in the order they appear in the docs."""

from __future__ import annotations

from fastapi import APIRouter

from herald.api.native import interactions

ALL: list[APIRouter] = []
ALL.append(interactions.router)
