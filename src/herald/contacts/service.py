"""The behaviour of contacts, lists, segments, suppressions and bulk imports.

Every function runs in its caller's transaction (it never commits), takes the account it acts for, and
treats another account's row as not found. Writers of one table take the account's writer lock first
(``repository.lock``): on PostgreSQL ids then commit in order, so paging by id never skips a row, and a
check that an email, phone or name is free holds until commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from herald.contacts import repository
from herald.contacts.errors import ImportRejected, RowProblem
from herald.contacts.models import Contact, ContactList, Segment, Suppression
from herald.contacts.schemas import (
    AttributeCondition,
    AttributeScalar,
    ContactCreate,
    ContactFilter,
    ContactPatch,
    ContactView,
    ImportResult,
    ImportRow,
    ListCondition,
    ListView,
    MembersAdded,
    SegmentCreate,
    SegmentDefinition,
    SegmentPatch,
    SegmentView,
    SuppressionCreate,
    SuppressionView,
    merge_attributes,
)
from herald.db.base import utcnow
from herald.errors import Conflict, FieldProblem, InvalidInput, NotFound
from herald.messages import service as messages_service
from herald.messages.schemas import TargetKind

MAX_IDS_NAMED = 50


def _named_ids(ids: Collection[int]) -> str:
    ordered = sorted(ids)
    shown = ", ".join(str(i) for i in ordered[:MAX_IDS_NAMED])
    return shown + (f" and {len(ordered) - MAX_IDS_NAMED} more" if len(ordered) > MAX_IDS_NAMED else "")


# --- contacts ----------------------------------------------------------------------------------------


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
    repository.lock(session, table="contacts", account_id=account_id)
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
    repository.lock(session, table="contacts", account_id=account_id)
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


# --- lists -------------------------------------------------------------------------------------------


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


def _ensure_name_free(kind: str, *, holder: int | None, name: str, own_id: int | None) -> None:
    """Conflict when another list or segment (``holder``, not ``own_id``) already has ``name``."""
    if holder is not None and holder != own_id:
        raise Conflict(
            f"{kind} {holder} is named {name!r} already",
            problems=[FieldProblem("name", f"taken by {kind} {holder}")],
        )


def _ensure_list_name_free(session: Session, *, account_id: int, name: str, list_id: int | None) -> None:
    holder = repository.list_id_with_name(session, account_id=account_id, name=name)
    _ensure_name_free("list", holder=holder, name=name, own_id=list_id)


def create_list(session: Session, *, account_id: int, name: str) -> ListView:
    """Add an empty list; Conflict when the account has a list of that name."""
    repository.lock(session, table="lists", account_id=account_id)
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
    repository.lock(session, table="lists", account_id=account_id)
    contact_list = _load_list(session, account_id=account_id, list_id=list_id)
    _ensure_list_name_free(session, account_id=account_id, name=name, list_id=list_id)
    contact_list.name = name
    session.flush()
    return get_list(session, account_id=account_id, list_id=list_id)


def delete_list(session: Session, *, account_id: int, list_id: int) -> None:
    """Delete a list and its memberships (not the contacts). Conflict while a segment or message uses it."""
    _load_list(session, account_id=account_id, list_id=list_id)
    users = [
        segment.id
        for segment in repository.all_segments(session, account_id=account_id)
        if list_id in _list_ids_of(SegmentDefinition.model_validate(segment.definition))
    ]
    if users:
        raise Conflict(f"segments {_named_ids(users)} refer to list {list_id}; change them first")
    messages_service.ensure_not_targeted(
        session, account_id=account_id, kind=TargetKind.LIST, target_id=list_id
    )
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
    unknown = wanted - repository.known_contact_ids(session, account_id=account_id, ids=wanted)
    if unknown:
        raise InvalidInput(
            f"not contacts of this account: {_named_ids(unknown)}; nothing was added",
            problems=[FieldProblem("contact_ids", f"unknown ids: {_named_ids(unknown)}")],
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
    rows = repository.contacts_page(session, account_id=account_id, after=after, fetch=fetch, list_id=list_id)
    return [ContactView.model_validate(row) for row in rows]


# --- segments ----------------------------------------------------------------------------------------


def _list_ids_of(definition: SegmentDefinition) -> set[int]:
    return {c.list_id for c in definition.conditions if isinstance(c, ListCondition)}


def _segment_view(segment: Segment) -> SegmentView:
    definition = SegmentDefinition.model_validate(segment.definition)
    return SegmentView(
        id=segment.id,
        name=segment.name,
        match=definition.match,
        conditions=definition.conditions,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


def _load_segment(session: Session, *, account_id: int, segment_id: int) -> Segment:
    segment = repository.segment(session, account_id=account_id, segment_id=segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id}")
    return segment


def _checked_definition(
    session: Session, *, account_id: int, definition: SegmentDefinition
) -> dict[str, Any]:
    """The definition as stored; InvalidInput naming each condition whose list is not the account's."""
    known = repository.known_list_ids(session, account_id=account_id, ids=_list_ids_of(definition))
    problems = [
        FieldProblem(f"conditions.{index}.list_id", f"no list {c.list_id} in this account")
        for index, c in enumerate(definition.conditions)
        if isinstance(c, ListCondition) and c.list_id not in known
    ]
    if problems:
        raise InvalidInput("a condition refers to an unknown list", problems=problems)
    return definition.model_dump(mode="json", exclude_none=True)


def _ensure_segment_name_free(
    session: Session, *, account_id: int, name: str, segment_id: int | None
) -> None:
    holder = repository.segment_id_with_name(session, account_id=account_id, name=name)
    _ensure_name_free("segment", holder=holder, name=name, own_id=segment_id)


def create_segment(session: Session, *, account_id: int, command: SegmentCreate) -> SegmentView:
    """Save a segment; Conflict on a taken name, InvalidInput when a condition names another's list."""
    repository.lock(session, table="segments", account_id=account_id)
    _ensure_segment_name_free(session, account_id=account_id, name=command.name, segment_id=None)
    definition = SegmentDefinition(match=command.match, conditions=command.conditions)
    segment = Segment(
        account_id=account_id,
        name=command.name,
        definition=_checked_definition(session, account_id=account_id, definition=definition),
    )
    session.add(segment)
    session.flush()
    return _segment_view(segment)


def get_segment(session: Session, *, account_id: int, segment_id: int) -> SegmentView:
    return _segment_view(_load_segment(session, account_id=account_id, segment_id=segment_id))


def update_segment(session: Session, *, account_id: int, segment_id: int, patch: SegmentPatch) -> SegmentView:
    """Replace the given fields (``conditions`` as a whole); same checks as ``create_segment``."""
    repository.lock(session, table="segments", account_id=account_id)
    segment = _load_segment(session, account_id=account_id, segment_id=segment_id)
    current = SegmentDefinition.model_validate(segment.definition)
    if patch.name is not None:
        _ensure_segment_name_free(session, account_id=account_id, name=patch.name, segment_id=segment.id)
        segment.name = patch.name
    definition = SegmentDefinition(
        match=patch.match if patch.match is not None else current.match,
        conditions=patch.conditions if patch.conditions is not None else current.conditions,
    )
    stored = _checked_definition(session, account_id=account_id, definition=definition)
    if stored != segment.definition:
        segment.definition = stored
    session.flush()
    return _segment_view(segment)


def delete_segment(session: Session, *, account_id: int, segment_id: int) -> None:
    """Delete a segment. Conflict while a live message targets or excludes it."""
    _load_segment(session, account_id=account_id, segment_id=segment_id)
    messages_service.ensure_not_targeted(
        session, account_id=account_id, kind=TargetKind.SEGMENT, target_id=segment_id
    )
    repository.delete_segment(session, account_id=account_id, segment_id=segment_id)


def list_segments(session: Session, *, account_id: int, after: int | None, fetch: int) -> list[SegmentView]:
    rows = repository.segments_page(session, account_id=account_id, after=after, fetch=fetch)
    return [_segment_view(row) for row in rows]


def segment_contacts(
    session: Session, *, account_id: int, segment_id: int, after: int | None, fetch: int
) -> list[ContactView]:
    """Up to ``fetch`` contacts matching the segment now, in id order after ``after`` (evaluated in SQL)."""
    segment = _load_segment(session, account_id=account_id, segment_id=segment_id)
    definition = SegmentDefinition.model_validate(segment.definition)
    rows = repository.contacts_page(
        session, account_id=account_id, after=after, fetch=fetch, segment=definition
    )
    return [ContactView.model_validate(row) for row in rows]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_kind(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str)
    return _is_number(left) and _is_number(right)


def _equals(stored: Any, value: AttributeScalar) -> bool:
    return stored is not None and _same_kind(stored, value) and stored == value


def attribute_matches(condition: AttributeCondition, attributes: Mapping[str, Any]) -> bool:
    """Whether one attribute condition holds for these attributes; the reference the SQL mirrors.

    Values compare only with values of their own kind (string, number, boolean): "5" never equals 5.
    A missing key and a null value are the same: no value. ``ne``, ``not_in`` and ``not_exists`` are the
    exact complements of ``eq``, ``in`` and ``exists``, so they match contacts without the attribute.
    ``gt``/``gte``/``lt``/``lte`` compare numbers with numbers and strings with strings (by code point);
    ``contains`` is a case-sensitive substring test on strings.
    """
    stored = attributes.get(condition.attribute)
    op, value = condition.op, condition.value
    if op == "exists":
        return stored is not None
    if op == "not_exists":
        return stored is None
    if op in ("in", "not_in"):
        assert isinstance(value, list)
        found = any(_equals(stored, v) for v in value)
        return found if op == "in" else not found
    if value is None or isinstance(value, list):
        raise TypeError(f"'{op}' takes one value")  # the schema guarantees it
    if op == "eq":
        return _equals(stored, value)
    if op == "ne":
        return not _equals(stored, value)
    if op == "contains":
        return isinstance(stored, str) and isinstance(value, str) and value in stored
    if stored is None or isinstance(value, bool) or not _same_kind(stored, value):
        return False
    if op == "gt":
        return bool(stored > value)
    if op == "gte":
        return bool(stored >= value)
    if op == "lt":
        return bool(stored < value)
    return bool(stored <= value)


def contact_matches(
    definition: SegmentDefinition, *, attributes: Mapping[str, Any], list_ids: Collection[int]
) -> bool:
    """Whether a contact with these attributes and list memberships is in the segment.

    ``match: all`` needs every condition to hold, ``any`` at least one.
    """
    results = (
        (c.list_id in list_ids) == (c.op == "member")
        if isinstance(c, ListCondition)
        else attribute_matches(c, attributes)
        for c in definition.conditions
    )
    return all(results) if definition.match == "all" else any(results)


# --- suppressions ------------------------------------------------------------------------------------


def add_suppression(
    session: Session, *, account_id: int, command: SuppressionCreate
) -> tuple[SuppressionView, bool]:
    """Suppress an address on a channel; idempotent on (channel, address): a repeat keeps the row and
    takes the new reason. Returns the suppression and whether it is new."""
    repository.lock(session, table="suppressions", account_id=account_id)
    existing = repository.suppression_for(
        session, account_id=account_id, channel=command.channel, address=command.address
    )
    if existing is not None:
        existing.reason = command.reason
        session.flush()
        return SuppressionView.model_validate(existing), False
    suppression = Suppression(
        account_id=account_id, channel=command.channel, address=command.address, reason=command.reason
    )
    session.add(suppression)
    session.flush()
    return SuppressionView.model_validate(suppression), True


def is_suppressed(session: Session, *, account_id: int, channel: str, address: str) -> bool:
    """Whether sending to ``address`` (already normalised) on ``channel`` is suppressed."""
    return (
        repository.suppression_for(session, account_id=account_id, channel=channel, address=address)
        is not None
    )


def list_suppressions(
    session: Session,
    *,
    account_id: int,
    after: int | None,
    fetch: int,
    channel: str | None = None,
    address: str | None = None,
) -> list[SuppressionView]:
    """Up to ``fetch`` suppressions in id order after ``after``; the address filter ignores case."""
    if address is not None:
        address = address.strip()
        address = address.lower() if "@" in address else address
    rows = repository.suppressions_page(
        session, account_id=account_id, after=after, fetch=fetch, channel=channel, address=address
    )
    return [SuppressionView.model_validate(row) for row in rows]


def delete_suppression(session: Session, *, account_id: int, suppression_id: int) -> None:
    if not repository.delete_suppression(session, account_id=account_id, suppression_id=suppression_id):
        raise NotFound(f"no suppression {suppression_id}")


# --- import ------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A contact as the import leaves it; ``stored`` is its row before the import (None when new)."""

    email: str | None
    phone: str | None
    attributes: dict[str, Any]
    stored: repository.StoredContact | None = None
    list_ids: set[int] = field(default_factory=set)

    def changed(self) -> bool:
        stored = self.stored
        return stored is None or (self.email, self.phone, self.attributes) != (
            stored.email,
            stored.phone,
            stored.attributes,
        )


@dataclass
class _Plan:
    new: list[_Draft] = field(default_factory=list)
    matched: dict[int, _Draft] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)


def _plan_import(session: Session, *, account_id: int, rows: Sequence[tuple[int, ImportRow]]) -> _Plan:
    """Apply the rows in order to the affected contacts, in memory, finding every conflict first."""
    plan = _Plan()
    emails = {row.email for _, row in rows if row.email is not None}
    phones = {row.phone for _, row in rows if row.phone is not None}
    by_email: dict[str, _Draft] = {}
    by_phone: dict[str, _Draft] = {}
    for stored in repository.contacts_with_keys(session, account_id=account_id, emails=emails, phones=phones):
        known = _Draft(stored.email, stored.phone, stored.attributes, stored=stored)
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
            draft = _Draft(row.email, row.phone, attributes)
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


def import_contacts(
    session: Session, *, account_id: int, rows: Sequence[tuple[int, ImportRow]], dry_run: bool = False
) -> ImportResult:
    """Create or update contacts from validated, numbered rows: all of them or, on any problem, none.

    A row updates the contact with its email, else (when that finds none) the one with its phone, and
    creates a contact when neither exists; the rows apply in file order, so for a contact named twice the
    later row wins. Attributes merge (null deletes a key); a row's phone replaces the contact's; an
    email is only ever added to a contact that had none. ImportRejected lists the rows that name an
    unknown list or would give a phone to two contacts. With ``dry_run`` nothing is written.
    """
    if not dry_run:
        repository.lock(session, table="contacts", account_id=account_id)
    list_ids = {list_id for _, row in rows for list_id in row.list_ids}
    unknown_lists = list_ids - repository.known_list_ids(session, account_id=account_id, ids=list_ids)
    problems = [
        RowProblem(number, "list_ids", f"no list {list_id} in this account")
        for number, row in rows
        for list_id in row.list_ids
        if list_id in unknown_lists
    ]
    plan = _plan_import(session, account_id=account_id, rows=rows)
    problems = sorted([*problems, *plan.problems], key=lambda problem: problem.row)
    if problems:
        raise ImportRejected(rows=problems, total=len(problems))
    result = ImportResult(created=len(plan.new), updated=len(plan.matched), rows=len(rows), dry_run=dry_run)
    if dry_run:
        return result

    now = utcnow()
    changed = [draft for draft in plan.matched.values() if draft.changed()]
    # A phone may move from one contact to another within the file: free every phone that changes first.
    repository.clear_phones(
        session,
        account_id=account_id,
        ids=[d.stored.id for d in changed if d.stored and d.stored.phone and d.stored.phone != d.phone],
    )
    repository.update_contacts(
        session,
        account_id=account_id,
        rows=[
            repository.StoredContact(d.stored.id, d.email, d.phone, d.attributes) for d in changed if d.stored
        ],
        at=now,
    )
    new_ids = repository.insert_contacts(
        session, account_id=account_id, rows=[(d.email, d.phone, d.attributes) for d in plan.new], at=now
    )
    pairs = [
        (list_id, contact_id)
        for draft, contact_id in zip(plan.new, new_ids, strict=True)
        for list_id in draft.list_ids
    ]
    pairs += [
        (list_id, contact_id) for contact_id, draft in plan.matched.items() for list_id in draft.list_ids
    ]
    repository.insert_members(session, pairs=sorted(pairs), at=now)
    return result
