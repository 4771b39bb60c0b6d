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


def random_bytes(count: int) -> bytes:
    """``count`` uniformly random characters of the code alphabet, as ASCII bytes."""
    out = bytearray()
    while len(out) < count:
        missing = count - len(out)
        raw = os.urandom(missing * 256 // _KEEP + 16)
        out += raw.translate(_TABLE, _DROP)
    return bytes(out[:count])


def random_characters(count: int) -> str:
    """``count`` uniformly random characters of the code alphabet."""
    return random_bytes(count).decode("ascii")


def copy_block(batch_id: int, count: int, length: int, prefix: str) -> bytes:
    """COPY text of ``count`` random codes, built without a Python object per code.

    A template line is repeated and each character column is filled with one strided
    slice assignment. Duplicates are not removed here: the unique constraint refuses them.
    """
    head = f"{batch_id}\t{prefix}".encode("ascii")
    width = len(head) + length + 1
    block = bytearray((head + b"?" * length + b"\n") * count)
    chars = random_bytes(count * length)
    for column in range(length):
        block[len(head) + column :: width] = chars[column::length]
    return bytes(block)


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


def store_random_codes(batch_id: int, count: int, length: int, prefix: str) -> None:
    """The fast path of a job's chunk: ``count`` new random codes, no savepoint.

    Raises CodeClash if one of them exists already (roll back, then use ``store_codes``).
    """
    try:
        if db.session.connection().dialect.name == "postgresql":
            raw = db.session.connection().connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
                copy.write(copy_block(batch_id, count, length, prefix))
        else:
            _executemany(batch_id, random_codes(count, length, prefix))
    except Exception as exc:
        if _is_unique_violation(exc):
            raise CodeClash(str(exc)) from exc
        raise


def store_codes(batch_id: int, codes: list[str], length: int, prefix: str) -> list[str]:
    """Insert ``codes`` into the batch inside a savepoint; returns the codes stored.

    A clash with an existing code rolls back to the savepoint and only the clashing codes
    are replaced, so this works inside any caller's transaction.
    """
    while True:
        clashes = _insert(batch_id, codes)
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


def _insert(batch_id: int, codes: list[str]) -> set[str]:
    """Store all codes, or nothing and return those that already exist."""
    postgres = db.session.connection().dialect.name == "postgresql"
    try:
        with db.session.begin_nested():
            (_copy if postgres else _executemany)(batch_id, codes)
    except Exception as exc:
        clashes = _existing(codes) if _is_unique_violation(exc) else set()
        if not clashes:
            raise
        return clashes
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
