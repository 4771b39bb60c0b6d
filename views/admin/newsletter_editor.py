"""The campaign editor: settings, content blocks, the audience count, preview as a chosen
recipient, test messages, and sending now or at a set time."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import newsletter_audiences as audiences
from backoffice.services import newsletter_previews as previews
from backoffice.services import newsletters as service
from backoffice.services.newsletter_blocks import free_codes, unique_code_batch
from models.products import Product
from views.admin.newsletter_forms import (
    BLOCK_LABELS,
    CampaignForm,
    TestSendForm,
    back,
    batch_choices,
    block_from_form,
    parse_local_time,
    show_errors,
)

#: The preview may show images and styles, nothing else may run or load.
PREVIEW_CSP = "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"


class EditorPages:
    """Mixed into the campaign view: the editor's pages and its POST endpoints."""

    @expose("/<int:campaign_id>/edit", methods=("GET", "POST"))
    def edit_campaign(self, campaign_id: int):
        campaign = self.campaign_or_404(campaign_id)
        if not campaign.editable:
            return redirect(url_for(".campaign_page", campaign_id=campaign_id))
        form = CampaignForm(obj=campaign)
        form.fill_choices()
        if request.method == "GET":
            form.load(campaign)
        elif form.validate_on_submit():
            try:
                service.update_campaign(current_actor(), campaign, form.to_data())
                db.session.commit()
                flash(_("Settings saved."), "success")
                return redirect(url_for(".edit_campaign", campaign_id=campaign_id))
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc)
                campaign = self.campaign_or_404(campaign_id)
        return self._editor(campaign, form)

    def _editor(self, campaign, form, block_errors: dict | None = None, drafts=None):
        try:
            audience = audiences.audience(campaign)
        except DomainError:
            audience = None
        batch = unique_code_batch(campaign.blocks or [])
        return self.render(
            "admin/newsletters/editor.html",
            campaign=campaign,
            form=form,
            test_form=TestSendForm(),
            audience=audience,
            block_labels=BLOCK_LABELS,
            block_errors=block_errors or {},
            drafts=drafts or {},
            batches=batch_choices(),
            free_codes=free_codes(batch) if batch is not None else None,
            product_skus=self._skus(campaign),
        )

    def _skus(self, campaign) -> dict[int, str]:
        """Block index → the SKUs of its chosen products, as the form shows them."""
        ids = {i for b in campaign.blocks or [] for i in b.get("product_ids") or []}
        if not ids:
            return {}
        found = dict(
            db.session.execute(select(Product.id, Product.sku).where(Product.id.in_(ids))).all()
        )
        return {
            index: ", ".join(found[i] for i in block.get("product_ids") or [] if i in found)
            for index, block in enumerate(campaign.blocks or [])
            if block.get("type") == "products"
        }

    # --- blocks ------------------------------------------------------------------------

    @expose("/<int:campaign_id>/blocks/add", methods=("POST",))
    def add_block(self, campaign_id: int):
        campaign = self.campaign_or_404(campaign_id)
        return self._change(
            campaign, lambda a: service.add_block(a, campaign, request.form.get("kind", ""))
        )

    @expose("/<int:campaign_id>/blocks/<int:index>", methods=("POST",))
    def save_block(self, campaign_id: int, index: int):
        campaign = self.campaign_or_404(campaign_id)
        action = request.form.get("op", "save")
        blocks = campaign.blocks or []
        kind = blocks[index].get("type", "text") if index < len(blocks) else "text"
        actor = current_actor()
        try:
            if action in ("up", "down"):
                service.move_block(actor, campaign, index, -1 if action == "up" else 1)
            elif action == "remove":
                service.remove_block(actor, campaign, index)
            else:
                service.save_block(actor, campaign, index, block_from_form(kind, request.form))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            prefix = f"blocks.{index}."
            errors = {k[len(prefix) :]: v for k, v in exc.errors.items() if k.startswith(prefix)}
            draft = {**block_from_form(kind, request.form), "skus": request.form.get("skus", "")}
            campaign = self.campaign_or_404(campaign_id)
            form = CampaignForm(obj=campaign, formdata=None)
            form.fill_choices()
            form.load(campaign)
            return self._editor(campaign, form, {index: errors}, {index: draft})
        flash(_("Content saved."), "success")
        return redirect(url_for(".edit_campaign", campaign_id=campaign_id) + f"#block-{index}")

    def _change(self, campaign, work):
        try:
            work(current_actor())
            db.session.commit()
            flash(_("Content saved."), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for(".edit_campaign", campaign_id=campaign.id) + "#blocks")

    # --- preview and test -------------------------------------------------------------

    @expose("/<int:campaign_id>/preview")
    def preview(self, campaign_id: int):
        """The newsletter as a chosen recipient would get it (HTML for the sandboxed frame)."""
        campaign = self.campaign_or_404(campaign_id)
        shown = previews.preview(campaign, request.args.get("as"))
        db.session.rollback()
        as_text = request.args.get("format") == "text"
        response = Response(
            shown.mail.text if as_text else shown.mail.html,
            mimetype="text/plain" if as_text else "text/html",
        )
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
        return response

    @expose("/<int:campaign_id>/preview-info")
    def preview_info(self, campaign_id: int):
        """Subject and whose data the preview shows (JSON for the editor)."""
        from flask import jsonify

        campaign = self.campaign_or_404(campaign_id)
        shown = previews.preview(campaign, request.args.get("as"))
        db.session.rollback()
        person = shown.person
        return jsonify(
            subject=shown.mail.subject,
            found=shown.found,
            name=person.name,
            company=person.company,
            points=person.points,
            email=person.email,
        )

    @expose("/<int:campaign_id>/test", methods=("POST",))
    def send_test(self, campaign_id: int):
        campaign = self.campaign_or_404(campaign_id)
        form = TestSendForm()
        if not form.validate_on_submit():
            flash(_("Enter at least one address."), "danger")
            return back(".edit_campaign", campaign_id=campaign_id)
        try:
            count = previews.send_test(
                current_actor(), campaign, form.addresses.data, form.as_email.data
            )
            db.session.commit()
            flash(_("Test message queued to %(n)s address(es).", n=count), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return back(".edit_campaign", campaign_id=campaign_id)

    # --- sending ------------------------------------------------------------------------

    @expose("/<int:campaign_id>/send", methods=("POST",))
    def send_now(self, campaign_id: int):
        campaign = self.campaign_or_404(campaign_id)
        try:
            count = service.send_now(current_actor(), campaign)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return back(".edit_campaign", campaign_id=campaign_id)
        flash(_("Sending started: %(n)s recipients.", n=count), "success")
        return redirect(url_for(".campaign_page", campaign_id=campaign_id))

    @expose("/<int:campaign_id>/schedule", methods=("POST",))
    def schedule(self, campaign_id: int):
        campaign = self.campaign_or_404(campaign_id)
        when = parse_local_time(request.form.get("scheduled_at"))
        try:
            if when is None:
                from backoffice.errors import ValidationFailed

                raise ValidationFailed(_("Choose the date and time of sending."))
            count = service.schedule(current_actor(), campaign, when)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return back(".edit_campaign", campaign_id=campaign_id)
        flash(_("Scheduled for %(n)s recipients (counted now).", n=count), "success")
        return redirect(url_for(".campaign_page", campaign_id=campaign_id))
