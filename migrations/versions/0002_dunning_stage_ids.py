"""payment notices and items: ids without foreign keys where they record history

Notice items are an append-only record that copies every figure it shows; the daily run
writes them in the same statement as their notices, and checking their keys row by row took
about 40 % of a run over a million receivables. Notices and items also keep their stage's
and schedule's ids when those are deleted (ON DELETE SET NULL erased them, and on items the
record that the stage had gone out, which the guard against sending a stage twice reads).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: (table, column, referenced table, ON DELETE) of the keys this revision drops
KEYS = [
    ("payment_notice_items", "notice_id", "payment_notices", "CASCADE"),
    ("payment_notice_items", "receivable_id", "receivables", None),
    ("payment_notice_items", "stage_id", "payment_schedule_stages", "SET NULL"),
    ("payment_notices", "stage_id", "payment_schedule_stages", "SET NULL"),
    ("payment_notices", "schedule_id", "payment_schedules", "SET NULL"),
]


def _name(table: str, column: str, target: str) -> str:
    return f"fk_{table}_{column}_{target}"


def upgrade():
    for table, column, target, _ondelete in KEYS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_name(table, column, target), type_="foreignkey")


def downgrade():
    for table, column, target, ondelete in KEYS:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                _name(table, column, target), target, [column], ["id"], ondelete=ondelete
            )
