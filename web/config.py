"""Configuration from the environment, with safe defaults for one machine: a SQLite file and a secret
generated once, both kept in the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

DEFAULT_DEMO_PASSWORD = "councillor-support-demo"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _whole_number(value: str | None) -> int:
    return int(value) if value and value.strip().isdigit() else 0


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _shared_secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, or the one kept in the instance folder, exported so the engine
    (which signs check-in links in emails, possibly in the scheduler's own process) signs with the same."""
    key = os.environ.get("SECRET_KEY") or _secret_key(instance)
    os.environ.setdefault("SECRET_KEY", key)
    return key


def from_environment(instance: Path) -> dict[str, Any]:
    """The settings the app reads at start-up; tests override any of them through `create_app(config)`."""
    instance.mkdir(parents=True, exist_ok=True)
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'councillor-support.db'}",
        "SECRET_KEY": _shared_secret_key(instance),
        "SMTP_URL": os.environ.get("SMTP_URL", ""),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD,
        "DEMO_MODE": _truthy(os.environ.get("DEMO_MODE")),
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "MAX_CONTENT_LENGTH": MAX_UPLOAD_BYTES + 256 * 1024,  # the file plus the rest of the form
        "MAX_UPLOAD_BYTES": MAX_UPLOAD_BYTES,
        "REPORT_PROCESS": "support",
        "SESSION_COOKIE_SECURE": not _truthy(os.environ.get("INSECURE_COOKIES")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": 8 * 60 * 60,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SIGN_IN_RATE_LIMIT": "10 per minute; 50 per hour",
        "BABEL_DEFAULT_LOCALE": "en_GB",
        "BABEL_DEFAULT_TIMEZONE": "Europe/London",
        "FORCE_HTTPS": _truthy(os.environ.get("FORCE_HTTPS")),
        "TRUSTED_PROXIES": _whole_number(os.environ.get("TRUSTED_PROXIES")),
    }
