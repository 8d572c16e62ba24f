"""The behaviour of lists and their memberships. Runs in the caller's transaction; another account's list
is not found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from herald.contacts import repository as contacts_repository
from herald.contacts import usage
from herald.contacts.lists import repository
from herald.contacts.lists.schemas import ListView, MembersAdded
from herald.contacts.models import ContactList
from herald.contacts.rules import named_ids
from herald.contacts.schemas import ContactView
from herald.contacts.sql import lock
from herald.contacts.usage import Audience
from herald.db.base import utcnow
from herald.errors import Conflict, FieldProblem, InvalidInput, NotFound


def _list_view(contact_list: ContactList, member_count: int) -> ListView:
    return ListView(
        id=contact_list.id,
        name=contact_list.name,
        member_count=member_count,
        created_at=contact_list.created_at,
    )


def _load_list(session: Session, *, account_id: int, list_id: int) -> ContactList:
    contact_list = repository.contact_list(session, account_id=account_id, list_id=list_id)
    if contact_list is None:
        raise NotFound(f"no list {list_id}")
    return contact_list


def ensure_name_free(kind: str, *, holder: int | None, name: str, own_id: int | None) -> None:
    """Conflict when another list or segment (``holder``, not ``own_id``) already has ``name``."""
    if holder is not None and holder != own_id:
        raise Conflict(
            f"{kind} {holder} is named {name!r} already",
            problems=[FieldProblem("name", f"taken by {kind} {holder}")],
        )


def _ensure_list_name_free(session: Session, *, account_id: int, name: str, list_id: int | None) -> None:
    holder = repository.list_id_with_name(session, account_id=account_id, name=name)
    ensure_name_free("list", holder=holder, name=name, own_id=list_id)


def create_list(session: Session, *, account_id: int, name: str) -> ListView:
    """Add an empty list; Conflict when the account has a list of that name."""
    lock(session, table="lists", account_id=account_id)
    _ensure_list_name_free(session, account_id=account_id, name=name, list_id=None)
    contact_list = ContactList(account_id=account_id, name=name)
    session.add(contact_list)
    session.flush()
    return _list_view(contact_list, 0)


def get_list(session: Session, *, account_id: int, list_id: int) -> ListView:
    row = repository.list_with_count(session, account_id=account_id, list_id=list_id)
    if row is None:
        raise NotFound(f"no list {list_id}")
    return _list_view(*row)


def rename_list(session: Session, *, account_id: int, list_id: int, name: str) -> ListView:
    """Rename a list; Conflict when another list has the name."""
    lock(session, table="lists", account_id=account_id)
    contact_list = _load_list(session, account_id=account_id, list_id=list_id)
    _ensure_list_name_free(session, account_id=account_id, name=name, list_id=list_id)
    contact_list.name = name
    session.flush()
    return get_list(session, account_id=account_id, list_id=list_id)


def delete_list(session: Session, *, account_id: int, list_id: int) -> None:
    """Delete a list and its memberships (not the contacts). Conflict while anything uses it (a segment's
    condition, a message's targets: whoever the composition root registered in ``usage.referrers``)."""
    _load_list(session, account_id=account_id, list_id=list_id)
    usage.ensure_unused(session, account_id=account_id, kind=Audience.LIST, target_id=list_id)
    repository.delete_list(session, account_id=account_id, list_id=list_id)


def list_lists(session: Session, *, account_id: int, after: int | None, fetch: int) -> list[ListView]:
    rows = repository.lists_page(session, account_id=account_id, after=after, fetch=fetch)
    return [_list_view(*row) for row in rows]


def add_members(
    session: Session, *, account_id: int, list_id: int, contact_ids: Sequence[int]
) -> MembersAdded:
    """Make the contacts members of the list; idempotent. InvalidInput naming the ids that are not the
    account's contacts, and then nothing is added."""
    _load_list(session, account_id=account_id, list_id=list_id)
    wanted = set(contact_ids)
    unknown = wanted - contacts_repository.known_contact_ids(session, account_id=account_id, ids=wanted)
    if unknown:
        raise InvalidInput(
            f"not contacts of this account: {named_ids(unknown)}; nothing was added",
            problems=[FieldProblem("contact_ids", f"unknown ids: {named_ids(unknown)}")],
        )
    present = repository.member_ids(session, list_id=list_id, contact_ids=wanted)
    repository.insert_members(session, pairs=[(list_id, c) for c in sorted(wanted - present)], at=utcnow())
    return MembersAdded(added=len(wanted - present), already_members=len(present))


def remove_member(session: Session, *, account_id: int, list_id: int, contact_id: int) -> None:
    """NotFound when the list is not the account's or the contact is not a member."""
    _load_list(session, account_id=account_id, list_id=list_id)
    if not repository.delete_member(session, list_id=list_id, contact_id=contact_id):
        raise NotFound(f"contact {contact_id} is not a member of list {list_id}")


def list_members(
    session: Session, *, account_id: int, list_id: int, after: int | None, fetch: int
) -> list[ContactView]:
    """Up to ``fetch`` member contacts in id order after ``after``."""
    _load_list(session, account_id=account_id, list_id=list_id)
    rows = contacts_repository.contacts_page(
        session, account_id=account_id, after=after, fetch=fetch, list_id=list_id
    )
    return [ContactView.model_validate(row) for row in rows]


def existing_ids(session: Session, *, account_id: int, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` are lists of the account."""
    return contacts_repository.known_list_ids(session, account_id=account_id, ids=set(ids))


def names_of(session: Session, *, account_id: int, ids: Iterable[int]) -> dict[int, str]:
    """Names of the account's lists among ``ids``; ids that are no list of the account are absent."""
    return repository.list_names(session, account_id=account_id, ids=set(ids))
