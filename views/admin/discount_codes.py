"""Console: discount code batches — create (large ones generate in the background with a
progress bar), assign to customers or a group, export to XLSX/CSV, switch off."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import discount_codes as service
from backoffice.services.uploads import absolute_path
from models.customers import CustomerGroup
from models.discount_codes import (
    BatchSource,
    BatchStatus,
    DiscountCode,
    DiscountCodeBatch,
    DiscountCodeExport,
    DiscountCodeUse,
    DiscountKind,
    ExportStatus,
    UseStatus,
)
from models.users import Role
from views.admin.base import Category, SecureModelView
from views.admin.dashboard import counter
from views.admin.discount_code_forms import BatchForm, batch_spec, find_customers
from views.admin.loyalty_common import attach_error, back, badge, when
from views.admin.system_audit import WarsawDateFrom, WarsawDateTo

MARKETING = (Role.MARKETING,)
SOURCES = {
    BatchSource.CONSOLE: _l("console"),
    BatchSource.API: _l("ERP (API)"),
    BatchSource.REWARD: _l("reward"),
}


def describe_value(batch: DiscountCodeBatch) -> str:
    """ "10% (max 100 PLN)" or "50 PLN", for lists and pages."""
    from backoffice.i18n import format_money, format_number

    if batch.kind == DiscountKind.PERCENT:
        text = f"{format_number(batch.value)}%"
        if batch.max_discount is not None:
            text += " " + _("(max %(amount)s)", amount=format_money(batch.max_discount))
        return text
    return format_money(batch.value)


def batch_status(batch: DiscountCodeBatch):
    if batch.status == BatchStatus.GENERATING:
        return badge(_("generating %(p)s%%", p=batch.progress), "info")
    if batch.status == BatchStatus.FAILED:
        return badge(_("failed"), "danger")
    if not batch.active:
        return badge(_("switched off"), "secondary")
    return badge(_("active"), "success")


class DiscountBatchAdmin(SecureModelView):
    """Batches of discount codes (create through the custom form; never edited freely)."""

    roles = MARKETING
    allow_edit = False
    details_template = "admin/discount_codes/batch_details.html"
    column_list = ("id", "name", "source", "count", "value", "valid_to", "status", "created_at")
    column_labels = {
        "id": _l("No."),
        "name": _l("Name"),
        "source": _l("Source"),
        "count": _l("Codes"),
        "value": _l("Discount"),
        "valid_to": _l("Valid to"),
        "status": _l("Status"),
        "created_at": _l("Created"),
    }
    column_formatters = {
        "source": lambda v, c, m, n: SOURCES[BatchSource(m.source)],
        "value": lambda v, c, m, n: describe_value(m),
        "status": lambda v, c, m, n: batch_status(m),
        "valid_to": when,
        "created_at": when,
    }
    column_formatters_export = {
        "source": lambda v, c, m, n: str(SOURCES[BatchSource(m.source)]),
        "value": lambda v, c, m, n: describe_value(m),
        "status": lambda v, c, m, n: m.status.value if m.active else "off",
    }
    column_searchable_list = ("name", "external_id")
    column_sortable_list = ("id", "name", "count", "valid_to", "created_at")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            DiscountCodeBatch.source,
            _l("Source"),
            options=[(k.value, v) for k, v in SOURCES.items()],
        ),
        FilterEqual(
            DiscountCodeBatch.active, _l("Active"), options=[("1", _l("yes")), ("0", _l("no"))]
        ),
        WarsawDateFrom(DiscountCodeBatch.created_at, _l("Created")),
        WarsawDateTo(DiscountCodeBatch.created_at, _l("Created")),
    )

    def audit_name(self) -> str:
        return "discount_batch"

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """The batch form; small batches are ready at once, big ones show progress."""
        form = BatchForm()
        form.load_choices()
        if form.validate_on_submit():
            try:
                spec = batch_spec(form)
                batch = service.create_batch(current_actor(), spec)
                db.session.commit()
                flash(_("Batch %(name)s created.", name=batch.name), "success")
                return redirect(url_for(".details_view", id=batch.id))
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
        return self.render("admin/discount_codes/batch_create.html", form=form)

    def stats(self, batch: DiscountCodeBatch) -> dict:
        """Counts for the details page (assigned, used, uses, total discount)."""
        codes = select(func.count(DiscountCode.id)).where(DiscountCode.batch_id == batch.id)
        uses = select(func.count(DiscountCodeUse.id), func.sum(DiscountCodeUse.discount)).where(
            DiscountCodeUse.batch_id == batch.id, DiscountCodeUse.status == UseStatus.ACTIVE
        )
        use_count, total = db.session.execute(uses).one()
        return {
            "assigned": db.session.scalar(codes.where(DiscountCode.assigned_at.is_not(None))),
            "used": db.session.scalar(codes.where(DiscountCode.use_count > 0)),
            "blocked": db.session.scalar(codes.where(DiscountCode.blocked.is_(True))),
            "uses": use_count,
            "discount": total or 0,
        }

    def exports(self, batch: DiscountCodeBatch) -> list[DiscountCodeExport]:
        return db.session.scalars(
            select(DiscountCodeExport)
            .where(DiscountCodeExport.batch_id == batch.id)
            .order_by(DiscountCodeExport.id.desc())
            .limit(10)
        ).all()

    def groups(self) -> list[CustomerGroup]:
        return db.session.scalars(select(CustomerGroup).order_by(CustomerGroup.name)).all()

    @expose("/<int:batch_id>/progress")
    def progress(self, batch_id: int):
        """JSON for the progress bar."""
        batch = self.get_one(str(batch_id)) or abort(404)
        return jsonify(
            status=batch.status.value,
            generated=batch.generated,
            count=batch.count,
            percent=batch.progress,
            error=batch.error,
        )

    def _act(self, batch_id: int, work, message: str):
        batch = self.get_one(str(batch_id)) or abort(404)
        try:
            result = work(batch)
            db.session.commit()
            flash(message.format(result=result, name=batch.name), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return back(".details_view", id=batch_id)

    @expose("/<int:batch_id>/active", methods=("POST",))
    def set_active(self, batch_id: int):
        active = request.form.get("active") == "1"
        message = _("Batch switched on.") if active else _("Batch switched off.")
        return self._act(
            batch_id, lambda b: service.set_batch_active(current_actor(), b, active), message
        )

    @expose("/<int:batch_id>/resume", methods=("POST",))
    def resume(self, batch_id: int):
        return self._act(
            batch_id,
            lambda b: service.start_generation(b),
            _("Generation queued again; it continues where it stopped."),
        )

    @expose("/<int:batch_id>/assign-customers", methods=("POST",))
    def assign_customers(self, batch_id: int):
        def work(batch):
            customers = find_customers(request.form.get("customers", ""))
            return len(service.assign_to_customers(current_actor(), batch, customers))

        return self._act(batch_id, work, _("Codes given to {result} customers."))

    @expose("/<int:batch_id>/assign-group", methods=("POST",))
    def assign_group(self, batch_id: int):
        def work(batch):
            group = db.session.get(CustomerGroup, request.form.get("group_id", type=int) or 0)
            if group is None:
                abort(404)
            return len(service.assign_to_group(current_actor(), batch, group))

        return self._act(batch_id, work, _("Codes given to {result} customers of the group."))

    @expose("/<int:batch_id>/export", methods=("POST",))
    def export_codes(self, batch_id: int):
        fmt = request.form.get("format", "xlsx")
        return self._act(
            batch_id,
            lambda b: service.request_export(current_actor(), b, fmt),
            _("The file is being prepared; it appears below when ready."),
        )

    @expose("/exports/<int:export_id>")
    def download(self, export_id: int):
        from flask import send_file

        export = db.session.get(DiscountCodeExport, export_id) or abort(404)
        if export.status != ExportStatus.DONE or self.get_one(str(export.batch_id)) is None:
            abort(404)
        return send_file(
            absolute_path(export.path), as_attachment=True, download_name=export.filename
        )


@counter(
    _l("Code batches being generated"), endpoint="discount_batches.index_view", roles=MARKETING
)
def _generating() -> int:
    return db.session.scalar(
        select(func.count(DiscountCodeBatch.id)).where(
            DiscountCodeBatch.status == BatchStatus.GENERATING
        )
    )


def register(admin) -> None:
    from views.admin import discount_code_register

    admin.add_view(
        DiscountBatchAdmin(
            DiscountCodeBatch,
            name=_l("Discount code batches"),
            category=Category.MARKETING,
            endpoint="discount_batches",
            url="/admin/discount-code-batches",
        )
    )
    discount_code_register.register(admin)
