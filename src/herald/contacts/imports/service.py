"""Bulk contact imports: validated rows (``parsing.py``) applied all at once or not at all."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from herald.contacts import repository as contacts_repository
from herald.contacts.imports.errors import ImportRejected, RowProblem
from herald.contacts.imports.planning import plan_import
from herald.contacts.imports.schemas import ImportResult, ImportRow
from herald.contacts.lists import repository as lists_repository
from herald.contacts.lists import service as lists_service
from herald.contacts.repository import StoredContact
from herald.contacts.sql import lock
from herald.db.base import utcnow


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
        lock(session, table="contacts", account_id=account_id)
    list_ids = {list_id for _, row in rows for list_id in row.list_ids}
    unknown_lists = list_ids - lists_service.existing_ids(session, account_id=account_id, ids=list_ids)
    problems = [
        RowProblem(number, "list_ids", f"no list {list_id} in this account")
        for number, row in rows
        for list_id in row.list_ids
        if list_id in unknown_lists
    ]
    plan = plan_import(session, account_id=account_id, rows=rows)
    problems = sorted([*problems, *plan.problems], key=lambda problem: problem.row)
    if problems:
        raise ImportRejected(rows=problems, total=len(problems))
    result = ImportResult(created=len(plan.new), updated=len(plan.matched), rows=len(rows), dry_run=dry_run)
    if dry_run:
        return result

    now = utcnow()
    changed = [draft for draft in plan.matched.values() if draft.changed()]
    # A phone may move from one contact to another within the file: free every phone that changes first.
    contacts_repository.clear_phones(
        session,
        account_id=account_id,
        ids=[d.stored.id for d in changed if d.stored and d.stored.phone and d.stored.phone != d.phone],
    )
    contacts_repository.update_contacts(
        session,
        account_id=account_id,
        rows=[StoredContact(d.stored.id, d.email, d.phone, d.attributes) for d in changed if d.stored],
        at=now,
    )
    new_ids = contacts_repository.insert_contacts(
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
    lists_repository.insert_members(session, pairs=sorted(pairs), at=now)
    return result
