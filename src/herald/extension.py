"""Extension points: where a lower layer lets a higher one plug in behaviour without importing it.

A domain that must reach upward (the ledger telling consumers what it recorded, a list asking who still
uses it) declares an ``ExtensionPoint``; only the composition root (``herald.wiring``) fills it, once per
process, and then seals it. Using a point before it is sealed raises ``NotWired``: an entry point that
forgot ``wire()`` fails loudly instead of, say, recording events that no webhook ever hears about.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_ALL: list[ExtensionPoint[object]] = []


class NotWired(RuntimeError):
    """An extension point was used before the composition root filled it."""


class ExtensionPoint(Generic[T]):
    """Named items, in the order the composition root added them; read-only once sealed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}
        self._sealed = False
        _ALL.append(self)  # type: ignore[arg-type]

    def add(self, key: str, item: T) -> None:
        if self._sealed:
            raise RuntimeError(f"{self.name} is sealed; add to it in herald.wiring before it is")
        if key in self._items:
            raise ValueError(f"{self.name} already has {key!r}")
        self._items[key] = item

    def seal(self) -> None:
        self._sealed = True

    @property
    def sealed(self) -> bool:
        return self._sealed

    def _ready(self) -> dict[str, T]:
        if not self._sealed:
            raise NotWired(f"{self.name} is not wired: call herald.wiring.wire() when the process starts")
        return self._items

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._ready().values()))

    def get(self, key: str) -> T | None:
        return self._ready().get(key)

    def keys(self) -> list[str]:
        return list(self._ready())


def all_points() -> list[ExtensionPoint[object]]:
    """Every extension point declared so far (the modules that declare them must be imported)."""
    return list(_ALL)
