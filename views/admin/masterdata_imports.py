"""Console: importing customers and products from CSV/XLSX, with template files to start from.

A file is checked completely before anything is written: any bad row means nothing is
imported and every bad row is listed with its line number and reason.
"""

from __future__ import annotations

from flask import Response, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import imports as import_service
from backoffice.services.uploads import display_name
from models.users import Role
from views.admin.base import Category, SecureView

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportForm(FlaskForm):
    file = FileField(
        _l("File (CSV or XLSX)"),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".csv,.txt,.xlsx"},
    )
    create_groups = BooleanField(
        _l("Create missing groups"),
        default=True,
        description=_l("Otherwise a row with an unknown group is an error."),
    )


class ImportView(SecureView):
    """Upload page of one kind of master data."""

    kind = "products"
    title = _l("Import products")
    list_endpoint = "products.index_view"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = ImportForm()
        context = {
            "form": form,
            "columns": import_service.columns(self.kind),
            "kind": self.kind,
            "title": self.title,
            "list_endpoint": self.list_endpoint,
        }
        if form.validate_on_submit():
            context.update(self._run(form))
        return self.render("admin/masterdata/import.html", **context)

    def _run(self, form: ImportForm) -> dict:
        check_only = request.form.get("mode") == "check"
        upload = form.file.data
        filename = display_name(upload.filename)
        try:
            result = import_service.run_import(
                current_actor(),
                self.kind,
                filename,
                upload.read(),
                create_groups=form.create_groups.data,
                dry_run=check_only,
            )
        except import_service.ImportFailed as exc:
            db.session.rollback()
            return {"failure": exc, "filename": filename}
        except DomainError as exc:
            db.session.rollback()
            form.file.errors = [exc.message]
            return {}
        if check_only:
            db.session.rollback()
        else:
            db.session.commit()
        return {"result": result, "filename": filename, "check_only": check_only}

    @expose("/template.<fmt>")
    def template_view(self, fmt: str):
        """A template file with the column headers and one example row."""
        if fmt not in MIMETYPES:
            return Response(status=404)
        name = f"{_('template')}-{self.kind}.{fmt}"
        return Response(
            import_service.template(self.kind, fmt),
            mimetype=MIMETYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


class CustomerImportView(ImportView):
    roles = (Role.SALES,)
    kind = "customers"
    title = _l("Import customers")
    list_endpoint = "customers.index_view"


class ProductImportView(ImportView):
    roles = (Role.PURCHASING, Role.LOGISTICS)
    kind = "products"
    title = _l("Import products")
    list_endpoint = "products.index_view"


def register(admin) -> None:
    """The two import pages in the Master data menu."""
    admin.add_view(
        CustomerImportView(
            name=_l("Import customers"),
            category=Category.MASTER_DATA,
            endpoint="customer_import",
            url="/admin/import/customers",
        )
    )
    admin.add_view(
        ProductImportView(
            name=_l("Import products"),
            category=Category.MASTER_DATA,
            endpoint="product_import",
            url="/admin/import/products",
        )
    )
