"""An import applied in memory first: which rows create contacts, which update which contact, and every
conflict, before anything is written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from herald.contacts import repository as contacts_repository
from herald.contacts.imports.errors import RowProblem
from herald.contacts.imports.schemas import ImportRow
from herald.contacts.repository import StoredContact
from herald.contacts.rules import merge_attributes


@dataclass
class Draft:
    """A contact as the import leaves it; ``stored`` is its row before the import (None when new)."""

    email: str | None
    phone: str | None
    attributes: dict[str, Any]
    stored: StoredContact | None = None
    list_ids: set[int] = field(default_factory=set)

    def changed(self) -> bool:
        stored = self.stored
        return stored is None or (self.email, self.phone, self.attributes) != (
            stored.email,
            stored.phone,
            stored.attributes,
        )


@dataclass
class Plan:
    new: list[Draft] = field(default_factory=list)
    matched: dict[int, Draft] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)


def plan_import(session: Session, *, account_id: int, rows: Sequence[tuple[int, ImportRow]]) -> Plan:
    """Apply the rows in order to the affected contacts, in memory, finding every conflict first."""
    plan = Plan()
    emails = {row.email for _, row in rows if row.email is not None}
    phones = {row.phone for _, row in rows if row.phone is not None}
    by_email: dict[str, Draft] = {}
    by_phone: dict[str, Draft] = {}
    for stored in contacts_repository.contacts_with_keys(
        session, account_id=account_id, emails=emails, phones=phones
    ):
        known = Draft(stored.email, stored.phone, stored.attributes, stored=stored)
        if stored.email is not None:
            by_email[stored.email] = known
        if stored.phone is not None:
            by_phone[stored.phone] = known

    for number, row in rows:
        draft = by_email.get(row.email) if row.email is not None else None
        if draft is None and row.phone is not None:
            draft = by_phone.get(row.phone)
            if draft is not None and row.email is not None and draft.email is not None:
                plan.problems.append(
                    RowProblem(
                        number, "phone", f"{row.phone} belongs to the contact with email {draft.email}"
                    )
                )
                continue
        if draft is not None and row.phone is not None and row.phone != draft.phone:
            holder = by_phone.get(row.phone)
            if holder is not None:
                if holder.email is not None:
                    taken_by = f"the contact with email {holder.email}"
                elif holder.stored is not None:
                    taken_by = f"contact {holder.stored.id}"
                else:
                    taken_by = "a contact of an earlier row"
                plan.problems.append(RowProblem(number, "phone", f"{row.phone} belongs to {taken_by}"))
                continue
        try:
            attributes = merge_attributes(draft.attributes if draft else {}, row.attributes)
        except ValueError as exc:
            plan.problems.append(RowProblem(number, "attributes", str(exc)))
            continue
        if draft is None:
            draft = Draft(row.email, row.phone, attributes)
            plan.new.append(draft)
        else:
            draft.attributes = attributes
            if row.email is not None and draft.email is None:
                draft.email = row.email
            if row.phone is not None and row.phone != draft.phone:
                if draft.phone is not None:
                    del by_phone[draft.phone]
                draft.phone = row.phone
            if draft.stored is not None:
                plan.matched[draft.stored.id] = draft
        if draft.email is not None:
            by_email[draft.email] = draft
        if draft.phone is not None:
            by_phone[draft.phone] = draft
        draft.list_ids.update(row.list_ids)
    return plan
