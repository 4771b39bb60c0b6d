"""Public endpoints of the newsletters module: sign-up with double opt-in, the unsubscribe
page with RFC 8058 one-click POST, preferences, click redirects and the open pixel.

Readers are never logged in: every link is signed per recipient (``newsletter_links``) and a
changed or made-up one gets 400. The one-click unsubscribe POST is the only view exempt from
CSRF (mail providers post it without cookies); its signed URL is the authority.
"""

from __future__ import annotations

import base64

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from backoffice.actors import Actor
from backoffice.errors import DomainError
from backoffice.extensions import csrf, db, limiter
from backoffice.i18n import select_locale
from backoffice.services import newsletter_subscribers as subscribers
from backoffice.services import newsletter_tracking as tracking
from backoffice.services.company import get_profile
from backoffice.services.newsletter_lists import default_list, public_lists
from models.newsletters import Campaign
from views.public import public

#: A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
CONSENT_TEXT = _l(
    "I agree to receive e-mails with news, promotions and discount codes. I can unsubscribe "
    "at any time with the link in every message."
)


class SubscribeForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=200)])
    list_id = SelectField(_l("Newsletter"), coerce=int, choices=[])
    consent = BooleanField(
        CONSENT_TEXT,
        validators=[DataRequired(message=_l("We need your consent to send you the newsletter."))],
    )
    #: Left empty by people; bots fill every field.
    website = StringField(_l("Leave this field empty"))


def _client_ip() -> str | None:
    return request.remote_addr


@public.route("/newsletter/subscribe", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def newsletter_subscribe():
    """Sign up for a newsletter; a confirmation link is e-mailed (double opt-in)."""
    form = SubscribeForm()
    lists = public_lists() or [default_list()]
    form.list_id.choices = [(lst.id, lst.name) for lst in lists]
    if request.method == "GET" and request.args.get("list", "").isdigit():
        form.list_id.data = int(request.args["list"])
    if form.validate_on_submit():
        if form.website.data:
            return redirect(url_for("public.newsletter_subscribe_thanks"))
        data = subscribers.SignUp(
            email=form.email.data,
            name=form.name.data,
            list_id=form.list_id.data,
            locale=select_locale(),
            source="signup_form",
            ip=_client_ip(),
            user_agent=request.user_agent.string,
            consent_text=str(CONSENT_TEXT),
        )
        actor = Actor("anonymous", None, (form.email.data or "")[:254], _client_ip())
        try:
            subscribers.subscribe(actor, data)
            db.session.commit()
            return redirect(url_for("public.newsletter_subscribe_thanks"))
        except DomainError as exc:
            db.session.rollback()
            target = getattr(form, exc.field or "email", form.email)
            target.errors = [*target.errors, exc.message]
    return render_template(
        "public/newsletters/subscribe.html",
        form=form,
        title=_("Newsletter"),
        lists=lists,
        company=get_profile().name,
    )


@public.get("/newsletter/subscribe/thanks")
def newsletter_subscribe_thanks():
    """Check your mailbox (the same answer whether or not the address was known)."""
    return render_template("public/newsletters/subscribe_thanks.html", title=_("Newsletter"))


@public.route("/newsletter/confirm/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def newsletter_confirm(token: str):
    """The confirmation link: a button (link scanners only GET), then confirmed."""
    subscriber = subscribers.subscriber_for_token(token)
    if subscriber is None:
        return render_template("public/newsletters/link_invalid.html", title=_("Newsletter")), 400
    if request.method == "POST":
        actor = Actor("anonymous", None, subscriber.email, _client_ip())
        subscribers.confirm(actor, subscriber)
        db.session.commit()
        return render_template(
            "public/newsletters/confirmed.html", subscriber=subscriber, title=_("Newsletter")
        )
    return render_template(
        "public/newsletters/confirm.html", subscriber=subscriber, title=_("Newsletter")
    )


# --- links in the newsletters ----------------------------------------------------------------


def _recipient_or_400(recipient_id: int, purpose: str, signature: str, link_id: int = 0):
    recipient = tracking.recipient_for(recipient_id, purpose, signature, link_id)
    if recipient is None:
        abort(400)
    return recipient


@public.route("/nl/u/<int:recipient_id>/<signature>", methods=["GET", "POST"])
@csrf.exempt
def newsletter_unsubscribe(recipient_id: int, signature: str):
    """Unsubscribe: GET shows the choices; POST is RFC 8058 one-click or a choice made."""
    recipient = _recipient_or_400(recipient_id, "u", signature)
    campaign = db.session.get(Campaign, recipient.campaign_id)
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        scope = "all" if request.form.get("scope") == "all" else "list"
        tracking.unsubscribe(recipient, "list" if one_click else scope, _client_ip())
        db.session.commit()
        if one_click:
            return Response(_("You have been unsubscribed."), mimetype="text/plain")
        return redirect(
            url_for(
                ".newsletter_unsubscribe",
                recipient_id=recipient_id,
                signature=signature,
                done=scope,
            )
        )
    return render_template(
        "public/newsletters/unsubscribe.html",
        recipient=recipient,
        campaign=campaign,
        done=request.args.get("done"),
        preferences_url=url_for(
            ".newsletter_preferences", recipient_id=recipient_id, signature=_sign("p", recipient_id)
        ),
        title=_("Unsubscribe"),
    )


def _sign(purpose: str, recipient_id: int) -> str:
    from backoffice.services.newsletter_links import sign

    return sign(purpose, recipient_id)


@public.route("/nl/p/<int:recipient_id>/<signature>", methods=["GET", "POST"])
def newsletter_preferences(recipient_id: int, signature: str):
    """Which lists to get, or no marketing e-mail at all."""
    recipient = _recipient_or_400(recipient_id, "p", signature)
    if request.method == "POST":
        wanted = {int(v) for v in request.form.getlist("list") if v.isdigit()}
        marketing = request.form.get("marketing") == "on"
        changed = tracking.save_preferences(recipient, wanted, marketing, _client_ip())
        db.session.commit()
        flash(
            _("Your preferences have been saved.") if changed else _("Nothing changed."), "success"
        )
        return redirect(request.path)
    state, marketing = tracking.preferences(recipient)
    return render_template(
        "public/newsletters/preferences.html",
        recipient=recipient,
        lists=tracking.offered_lists(recipient),
        state=state,
        marketing=marketing,
        title=_("Newsletter preferences"),
    )


@public.get("/nl/c/<int:recipient_id>/<int:link_id>/<signature>")
def newsletter_click(recipient_id: int, link_id: int, signature: str):
    """A tracked link: record the click and go on to the URL stored for this campaign only."""
    recipient = _recipient_or_400(recipient_id, "c", signature, link_id)
    target = tracking.click_target(recipient, link_id)
    if target is None:
        abort(400)
    db.session.commit()
    return redirect(target, code=302)


@public.get("/nl/o/<int:recipient_id>/<signature>.gif")
def newsletter_open(recipient_id: int, signature: str):
    """The open pixel."""
    recipient = _recipient_or_400(recipient_id, "o", signature)
    tracking.record_open(recipient)
    db.session.commit()
    response = Response(PIXEL, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store, max-age=0"
    return response


@public.get("/nl/test-message")
def newsletter_test_message():
    """Where the links of previews and test messages lead."""
    return render_template("public/newsletters/test_message.html", title=_("Newsletter"))


@public.get("/nl/logo")
def newsletter_logo():
    """Our logo for the newsletters' header (public: it is in every e-mail)."""
    from backoffice.services.uploads import absolute_path

    path = get_profile().logo_path
    if not path:
        abort(404)
    try:
        file = absolute_path(path)
    except ValueError:
        abort(404)
    if not file.is_file():
        abort(404)
    return send_file(file, max_age=3600)
