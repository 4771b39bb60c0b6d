"""Importing customers: the columns, row checks against the file and the database, bulk upsert.

A row is matched by its external id; without one (or when the id is new) by NIP among
customers that have no external id yet. Rows without an external id must therefore carry a
NIP that is unique in the file, so that importing the same file again finds the same
customers. The address columns describe the default billing address. Unknown customer groups
are created unless the caller refuses them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services import imports_columns as columns
from backoffice.services.customers import sales_users_query
from backoffice.services.imports_cells import ParsedRow, RowError, chunked
from backoffice.validators import normalise_postal_code
from models.base import utcnow
from models.customers import Address, AddressKind, Customer, CustomerGroup

COLUMNS = columns.CUSTOMER_COLUMNS
FIELDS = [
    "external_id",
    "name",
    "nip",
    "email",
    "phone",
    "return_window_months",
    "locale",
    "active",
    "notes",
]
ADDRESS = ["street", "postal_code", "city", "country"]
DEFAULTS = {"locale": "pl", "active": True}


def header_errors(keys: set[str]) -> list[str]:
    """File-level problems with the set of columns."""
    if keys & {"external_id", "nip"}:
        return []
    return [_("The file needs an external id column or a NIP column to recognise customers.")]


@dataclass
class CustomerPlan:
    """What an import will do; ``apply()`` does it with a handful of bulk statements."""

    new: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    addresses: list[tuple[dict, dict, object]] = field(default_factory=list)
    groups_to_create: list[str] = field(default_factory=list)
    groups: dict[str, int | None] = field(default_factory=dict)

    created_keys = property(lambda self: [_label(r) for r in self.new])
    updated_keys = property(lambda self: [_label(r) for r in self.updates])
    groups_created = property(lambda self: list(self.groups_to_create))

    def apply(self) -> None:
        now = utcnow()
        for name in self.groups_to_create:
            group = CustomerGroup(name=name)
            db.session.add(group)
            db.session.flush()
            self.groups[name.casefold()] = group.id
        for row in self.new + self.updates:
            name = row.pop("_group", None)
            if name is not None:
                row["group_id"] = self.groups[name.casefold()]
        if self.new:
            for row in self.new:
                row.update(created_at=now, updated_at=now)
            # Plain executemany (no RETURNING): much faster on psycopg; ids are read back by
            # external id, or by NIP for rows without one (such NIPs were new to the database).
            db.session.execute(insert(Customer.__table__), self.new)
            _read_back_ids(self.new)
        if self.updates:
            for row in self.updates:
                row["updated_at"] = now
            db.session.execute(update(Customer), [_plain(r) for r in self.updates])
        _apply_addresses(self.addresses)


def _read_back_ids(rows: list[dict]) -> None:
    by_external = _ids_by(Customer.external_id, [r.get("external_id") for r in rows])
    without = [r for r in rows if not r.get("external_id")]
    by_nip = _ids_by(Customer.nip, [r.get("nip") for r in without])
    for row in rows:
        external_id = row.get("external_id")
        row["id"] = by_external[external_id] if external_id else by_nip[row["nip"]]


def _label(row: dict) -> str:
    return row.get("external_id") or row.get("nip") or str(row.get("id"))


def _plain(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def plan(rows: list[ParsedRow], keys: set[str], create_groups: bool):
    """Check good rows against the database; returns (CustomerPlan, errors)."""
    result = CustomerPlan()
    errors = _resolve_groups(result, rows, keys, create_groups)
    managers, manager_errors = _resolve_managers(rows)
    errors += manager_errors
    matches, match_errors = _match(rows)
    errors += match_errors
    current = _current_values(matches.values(), keys)
    for row in rows:
        errors += _plan_row(result, row, current.get(matches.get(row.line)), keys, managers)
    return result, errors


def duplicates(rows: list[ParsedRow]) -> list[RowError]:
    """Repeated keys inside the file, and rows without any key."""
    ids = Counter(r.values.get("external_id") for r in rows if r.values.get("external_id"))
    nips = Counter(r.values.get("nip") for r in rows if r.values.get("nip"))
    errors = []
    for row in rows:
        external_id, nip = row.values.get("external_id"), row.values.get("nip")
        if external_id and ids[external_id] > 1:
            message = _(
                "External id %(value)s appears more than once in the file.", value=external_id
            )
            errors.append(RowError(row.line, "external_id", message, external_id))
        elif not external_id and not nip and not row.bad & {"external_id", "nip"}:
            errors.append(RowError(row.line, "nip", _("Give an external id or a NIP.")))
        elif not external_id and nips[nip] > 1:
            message = _(
                "NIP %(value)s appears more than once; add external ids to tell these "
                "customers apart.",
                value=nip,
            )
            errors.append(RowError(row.line, "nip", message, nip))
    return errors


def _resolve_groups(result, rows, keys, create_groups) -> list[RowError]:
    if "group" not in keys:
        return []
    for group_id, name in db.session.execute(select(CustomerGroup.id, CustomerGroup.name)):
        result.groups[name.casefold()] = group_id
    errors = []
    for row in rows:
        name = row.values.get("group")
        if name is None or name.casefold() in result.groups:
            continue
        if not create_groups:
            message = _("Unknown customer group %(name)s.", name=name)
            errors.append(RowError(row.line, "group", message, name))
        elif name.casefold() not in {g.casefold() for g in result.groups_to_create}:
            result.groups_to_create.append(name)
    return errors


def _resolve_managers(rows) -> tuple[dict[str, int], list[RowError]]:
    wanted = {r.values["account_manager"] for r in rows if r.values.get("account_manager")}
    if not wanted:
        return {}, []
    found = {u.email.lower(): u.id for u in db.session.scalars(sales_users_query())}
    errors = [
        RowError(
            r.line,
            "account_manager",
            _("%(email)s is not an active sales user.", email=r.values["account_manager"]),
            r.values["account_manager"],
        )
        for r in rows
        if r.values.get("account_manager") and r.values["account_manager"] not in found
    ]
    return found, errors


def _match(rows: list[ParsedRow]) -> tuple[dict[int, int], list[RowError]]:
    """line → existing customer id, by external id, else NIP among customers without one."""
    by_external = _ids_by(Customer.external_id, [r.values.get("external_id") for r in rows])
    by_nip: dict[str, list[tuple[int, str | None]]] = {}
    nips = [r.values.get("nip") for r in rows]
    for chunk in chunked(sorted({n for n in nips if n})):
        query = select(Customer.nip, Customer.id, Customer.external_id)
        for nip, cid, external_id in db.session.execute(query.where(Customer.nip.in_(chunk))):
            by_nip.setdefault(nip, []).append((cid, external_id))
    matches, errors = {}, []
    for row in rows:
        external_id, nip = row.values.get("external_id"), row.values.get("nip")
        if external_id and external_id in by_external:
            matches[row.line] = by_external[external_id]
            continue
        candidates = [c for c, ext in by_nip.get(nip, []) if not external_id or ext is None]
        if len(candidates) == 1:
            matches[row.line] = candidates[0]
        elif len(candidates) > 1:
            message = _(
                "Several customers have NIP %(value)s; add the external id to choose one.",
                value=nip,
            )
            errors.append(RowError(row.line, "nip", message, nip))
    taken = Counter(matches.values())
    errors += [
        RowError(line, "nip", _("Two rows of the file describe the same customer."))
        for line, cid in matches.items()
        if taken[cid] > 1
    ]
    return matches, errors


def _ids_by(column, values) -> dict[str, int]:
    found = {}
    for chunk in chunked(sorted({v for v in values if v})):
        for value, cid in db.session.execute(select(column, Customer.id).where(column.in_(chunk))):
            found[value] = cid
    return found


def _current_values(ids, keys: set[str]) -> dict[int, dict]:
    names = [f for f in FIELDS if f in keys or f in {"external_id", "nip"}]
    names += [f for f in ("group_id", "account_manager_id") if f[:-3] in keys]
    columns = [Customer.id, *(getattr(Customer, n) for n in names)]
    found = {}
    for chunk in chunked(sorted(set(ids))):
        for row in db.session.execute(select(*columns).where(Customer.id.in_(chunk))):
            found[row.id] = row._asdict()
    if keys & set(ADDRESS):
        for address in _default_billing(list(found)):
            found[address.customer_id].setdefault("_address", address)
    return found


def _default_billing(customer_ids: list[int]) -> list:
    """(id, customer_id, street, postal_code, city, country) rows, the default one first."""
    out = []
    for chunk in chunked(customer_ids):
        query = (
            select(Address.id, Address.customer_id, *(getattr(Address, k) for k in ADDRESS))
            .where(Address.customer_id.in_(chunk), Address.kind == AddressKind.BILLING)
            .order_by(Address.customer_id, Address.is_default.desc(), Address.id)
        )
        out.extend(db.session.execute(query))
    return out


def _plan_row(result, row: ParsedRow, current, keys, managers) -> list[RowError]:
    values = row.values
    if current is None and not values.get("name"):
        return [RowError(row.line, "name", _("A new customer needs a name."))]
    wanted = _wanted(result, values, keys, managers)
    address, errors = _address(row, keys)
    if current is None:
        result.new.append(wanted)
        if address:
            result.addresses.append((wanted, address, None))
        return errors
    if current.get("external_id") and "external_id" in wanted and not wanted["external_id"]:
        wanted.pop("external_id")  # matched by NIP: keep the id the ERP gave it
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    old_address = current.get("_address")
    address_changed = address is not None and _address_differs(old_address, address)
    if address_changed:
        result.addresses.append(({"id": current["id"]}, address, old_address))
    if changed or address_changed:
        result.updates.append({"id": current["id"], **changed})
    else:
        result.unchanged += 1
    return errors


def _wanted(result, values: dict, keys, managers) -> dict:
    wanted = {
        f: values.get(f) if values.get(f) is not None else DEFAULTS.get(f)
        for f in FIELDS
        if f in keys and not (f == "name" and values.get(f) is None)
    }
    if "account_manager" in keys:
        wanted["account_manager_id"] = managers.get(values.get("account_manager") or "")
    if "group" in keys:
        name = values.get("group")
        wanted["group_id"] = result.groups.get(name.casefold()) if name else None
        if name and wanted["group_id"] is None:
            wanted["_group"] = name
    return wanted


def _address(row: ParsedRow, keys) -> tuple[dict | None, list[RowError]]:
    values = row.values
    given = {k: values.get(k) for k in ADDRESS if k in keys}
    if not any(v for k, v in given.items() if k != "country"):
        return None, []
    missing = [k for k in ("street", "postal_code", "city") if not given.get(k)]
    if missing:
        message = _("An address needs a street, a postal code and a city.")
        return None, [RowError(row.line, missing[0], message)]
    country = given.get("country") or "PL"
    try:
        postal = normalise_postal_code(given["postal_code"], country=country)
    except ValidationFailed as exc:
        return None, [RowError(row.line, "postal_code", exc.message, given["postal_code"])]
    return {
        "street": given["street"],
        "postal_code": postal,
        "city": given["city"],
        "country": country,
    }, []


def _address_differs(current, wanted: dict) -> bool:
    if current is None:
        return True
    return any(getattr(current, k) != v for k, v in wanted.items())


def _apply_addresses(entries: list[tuple[dict, dict, object]]) -> None:
    inserts, updates = [], []
    for owner, address, existing in entries:
        if existing is not None:
            updates.append({"id": existing.id, **address})
        else:
            inserts.append(
                {
                    **address,
                    "customer_id": owner["id"],
                    "kind": AddressKind.BILLING,
                    "is_default": True,
                }
            )
    if updates:
        db.session.execute(update(Address), updates)
    if inserts:
        db.session.execute(insert(Address), inserts)
