"""`GET /healthz`: is the database answering and is the scheduler running."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.extensions import limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[dict[str, Any], int]:
    try:
        with current_app.extensions["database"].read() as session:
            session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as error:
        database = f"error: {type(error).__name__}"
    scheduler = current_app.extensions.get("scheduler")
    scheduler_state = "running" if getattr(scheduler, "running", False) else "not running"
    healthy = database == "ok"
    return {"status": "ok" if healthy else "degraded", "database": database,
            "scheduler": scheduler_state}, 200 if healthy else 503
