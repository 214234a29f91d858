"""The signed-in person's account: their personal API tokens, which they create (the secret is shown once),
list and revoke. Nobody sees or touches anyone else's tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from engine import directory
from engine.errors import EngineError
from web.access import database, me

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
@login_required
def _signed_in_only() -> None:
    """Anyone signed in has an account page; the login check is all there is."""


def _tokens_page(errors: dict[str, str] | None = None, name: str = "") -> tuple[str, int]:
    return render_template("account/tokens.html", tokens=directory.personal_tokens(database(), me().id),
                           form_errors=errors or {}, name=name), 400 if errors else 200


@bp.get("/tokens")
def tokens() -> tuple[str, int]:
    return _tokens_page()


@bp.post("/tokens")
def create_token() -> tuple[str, int]:
    name = request.form.get("name", "")[:1000]
    try:
        secret = directory.create_personal_token(database(), me().id, name)
    except EngineError as error:
        if error.status == 404:
            raise
        return _tokens_page({error.field or "name": error.message}, name)
    # The secret goes straight into this response, never into the session cookie or a log: this page is its only
    # showing, and the app's no-store header keeps it out of the browser's cache.
    return render_template("account/token_created.html", secret=secret, name=name.strip()), 200


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    token = directory.revoke_personal_token(database(), token_id, user_id=me().id)
    flash(_("The token “%(name)s” was revoked. Systems using it can no longer sign in with it.", name=token.name),
          "success")
    return redirect(url_for("account.tokens"))
