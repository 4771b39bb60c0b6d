"""Cryptographically random discount codes, generated and stored in bulk.

Random bytes come from ``os.urandom`` and become characters of the unambiguous alphabet in
one ``bytes.translate`` call: bytes ≥ 248 (= 8 × 31) are dropped, so every character is
equally likely (rejection sampling, no modulo bias). A million 10-character codes take a
fraction of a second; ``secrets.choice`` per character would take ~20 s.

Codes are stored with ``COPY`` on PostgreSQL and ``executemany`` on SQLite. The unique
constraint on ``code`` is the guard: when a chunk clashes with an existing code, only the
clashing codes are replaced and the chunk is stored again.
"""

from __future__ import annotations

import math
import os

from sqlalchemy import select

from backoffice.extensions import db
from models.discount_codes import CODE_ALPHABET, DiscountCode

_SIZE = len(CODE_ALPHABET)
_KEEP = 256 - 256 % _SIZE
_TABLE = bytes(ord(CODE_ALPHABET[b % _SIZE]) for b in range(256))
_DROP = bytes(range(_KEEP, 256))
#: A batch of N codes must leave at most one chance in this many for a random guess.
GUESS_FACTOR = 100_000
COPY_SQL = "COPY discount_codes (batch_id, code) FROM STDIN"


def random_characters(count: int) -> str:
    """``count`` uniformly random characters of the code alphabet."""
    out = bytearray()
    while len(out) < count:
        missing = count - len(out)
        raw = os.urandom(missing * 256 // _KEEP + 16)
        out += raw.translate(_TABLE, _DROP)
    return out[:count].decode("ascii")


def random_codes(count: int, length: int, prefix: str = "") -> list[str]:
    """``count`` distinct random codes of ``length`` characters after ``prefix``."""
    codes: dict[str, None] = {}
    while len(codes) < count:
        need = count - len(codes)
        chars = random_characters(need * length)
        codes.update(
            dict.fromkeys(prefix + chars[i : i + length] for i in range(0, len(chars), length))
        )
    return list(codes)[:count]


def min_length(count: int) -> int:
    """Shortest random part for ``count`` codes that keeps guessing impractical."""
    return max(4, math.ceil(math.log(max(count, 1) * GUESS_FACTOR, _SIZE)))


class CodeClash(Exception):
    """A generated code already exists; the transaction must be rolled back and retried."""


def store_codes(
    batch_id: int, codes: list[str], length: int, prefix: str, *, savepoint: bool = True
) -> list[str]:
    """Insert ``codes`` into the batch; returns the codes stored.

    With ``savepoint`` (inside a caller's transaction) a clash rolls back to a savepoint and
    only the clashing codes are replaced. Without it (a job's own chunk transaction, the
    fast path) a clash raises CodeClash: roll back and generate the chunk again.
    """
    while True:
        clashes = _insert(batch_id, codes, savepoint)
        if not clashes:
            return codes
        fresh = iter(random_codes(len(clashes) * 2, length, prefix))
        taken = set(codes)
        replaced = []
        for code in codes:
            if code in clashes:
                code = next(c for c in fresh if c not in taken)
                taken.add(code)
            replaced.append(code)
        codes = replaced


def _insert(batch_id: int, codes: list[str], savepoint: bool) -> set[str]:
    """Store all codes, or nothing and return those that already exist."""
    postgres = db.session.connection().dialect.name == "postgresql"
    write = _copy if postgres else _executemany
    if not savepoint:
        try:
            write(batch_id, codes)
        except Exception as exc:
            if _is_unique_violation(exc):
                raise CodeClash(str(exc)) from exc
            raise
        return set()
    try:
        with db.session.begin_nested():
            write(batch_id, codes)
    except Exception as exc:
        if not _is_unique_violation(exc):
            raise
        return _existing(codes)
    return set()


def _is_unique_violation(exc: Exception) -> bool:
    import sqlite3

    from psycopg.errors import UniqueViolation

    return isinstance(exc, UniqueViolation | sqlite3.IntegrityError)


def _copy(batch_id: int, codes: list[str]) -> None:
    prefix = f"{batch_id}\t"
    block = prefix + f"\n{prefix}".join(codes) + "\n"
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
        copy.write(block)


def _executemany(batch_id: int, codes: list[str]) -> None:
    raw = db.session.connection().connection.driver_connection
    cursor = raw.cursor()
    try:
        cursor.executemany(
            "INSERT INTO discount_codes (batch_id, code) VALUES (?, ?)",
            ((batch_id, code) for code in codes),
        )
    finally:
        cursor.close()


def _existing(codes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        found.update(
            db.session.scalars(select(DiscountCode.code).where(DiscountCode.code.in_(chunk)))
        )
    return found
