"""The behaviour of contacts themselves; lists, segments, suppressions and imports are rooms of their own
(``lists/``, ``segments/``, ``suppressions/``, ``imports/``), each above this one.

Every function runs in its caller's transaction (it never commits), takes the account it acts for, and
treats another account's row as not found. Writers of one table take the account's writer lock first
(``sql.lock``): on PostgreSQL ids then commit in order, so paging by id never skips a row, and a check
that an email or phone is free holds until commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from herald.contacts import repository
from herald.contacts.models import Contact
from herald.contacts.rules import merge_attributes
from herald.contacts.schemas import ContactCreate, ContactFilter, ContactPatch, ContactView
from herald.contacts.sql import lock
from herald.db.base import utcnow
from herald.errors import Conflict, FieldProblem, InvalidInput, NotFound


def _load_contact(session: Session, *, account_id: int, contact_id: int) -> Contact:
    contact = repository.contact(session, account_id=account_id, contact_id=contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


def _ensure_free(
    session: Session, *, account_id: int, email: str | None, phone: str | None, contact_id: int | None
) -> None:
    """Conflict when another contact of the account has this email or phone."""
    if email is not None:
        holder = repository.contact_id_with_email(session, account_id=account_id, email=email)
        if holder is not None and holder != contact_id:
            raise Conflict(
                f"contact {holder} has the email {email} already",
                problems=[FieldProblem("email", f"taken by contact {holder}")],
            )
    if phone is not None:
        holder = repository.contact_id_with_phone(session, account_id=account_id, phone=phone)
        if holder is not None and holder != contact_id:
            raise Conflict(
                f"contact {holder} has the phone {phone} already",
                problems=[FieldProblem("phone", f"taken by contact {holder}")],
            )


def create_contact(session: Session, *, account_id: int, command: ContactCreate) -> ContactView:
    """Add a contact; Conflict when its email or phone belongs to another contact. Null attributes are
    dropped (null means "no value" everywhere)."""
    lock(session, table="contacts", account_id=account_id)
    _ensure_free(session, account_id=account_id, email=command.email, phone=command.phone, contact_id=None)
    contact = Contact(
        account_id=account_id,
        email=command.email,
        phone=command.phone,
        attributes=merge_attributes({}, command.attributes),
    )
    session.add(contact)
    session.flush()
    return ContactView.model_validate(contact)


def get_contact(session: Session, *, account_id: int, contact_id: int) -> ContactView:
    return ContactView.model_validate(_load_contact(session, account_id=account_id, contact_id=contact_id))


def update_contact(session: Session, *, account_id: int, contact_id: int, patch: ContactPatch) -> ContactView:
    """Apply a partial update: given email/phone replace (null removes), attributes merge key by key
    (null deletes). InvalidInput when neither email nor phone would remain; Conflict when taken."""
    lock(session, table="contacts", account_id=account_id)
    contact = _load_contact(session, account_id=account_id, contact_id=contact_id)
    given = patch.model_fields_set
    email = patch.email if "email" in given else contact.email
    phone = patch.phone if "phone" in given else contact.phone
    if email is None and phone is None:
        raise InvalidInput(
            "a contact needs an email or a phone",
            problems=[FieldProblem("email", "would leave the contact without email and phone")],
        )
    _ensure_free(session, account_id=account_id, email=email, phone=phone, contact_id=contact.id)
    try:
        attributes = merge_attributes(contact.attributes or {}, patch.attributes)
    except ValueError as exc:
        raise InvalidInput(str(exc), problems=[FieldProblem("attributes", str(exc))]) from exc
    if (email, phone, attributes) != (contact.email, contact.phone, contact.attributes):
        contact.email, contact.phone, contact.attributes = email, phone, attributes
        contact.updated_at = utcnow()
        session.flush()
    return ContactView.model_validate(contact)


def delete_contact(session: Session, *, account_id: int, contact_id: int) -> None:
    """Delete a contact and its list memberships; NotFound when it is not the account's."""
    if not repository.delete_contact(session, account_id=account_id, contact_id=contact_id):
        raise NotFound(f"no contact {contact_id}")


def list_contacts(
    session: Session, *, account_id: int, after: int | None, fetch: int, filters: ContactFilter
) -> list[ContactView]:
    """Up to ``fetch`` contacts in id order after ``after``; the email filter is case-insensitive.

    InvalidInput when ``filters.list_id`` is not a list of the account.
    """
    if filters.list_id is not None and not repository.known_list_ids(
        session, account_id=account_id, ids=[filters.list_id]
    ):
        raise InvalidInput(
            f"no list {filters.list_id}", problems=[FieldProblem("list_id", "not a list of this account")]
        )
    rows = repository.contacts_page(
        session,
        account_id=account_id,
        after=after,
        fetch=fetch,
        email=filters.email.strip().lower() if filters.email is not None else None,
        phone=filters.phone.strip() if filters.phone is not None else None,
        list_id=filters.list_id,
    )
    return [ContactView.model_validate(row) for row in rows]


def addresses_of_account(
    session: Session, *, account_id: int, ids: Iterable[int]
) -> dict[int, tuple[str | None, str | None]]:
    """(email, phone) of those ``ids`` that are the account's contacts; others are absent."""
    return repository.addresses_of_account(session, account_id=account_id, ids=ids)
