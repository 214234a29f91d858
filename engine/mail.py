"""How an email leaves: over SMTP when SMTP_URL is set (smtp://, smtps://, `?starttls=1`), otherwise into the
log, so a developer sees every message without a mail server."""

from __future__ import annotations

import logging
import os
import smtplib
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

DEFAULT_SENDER = "Councillor Support <no-reply@localhost>"


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message over, or raise: the outbox retries on any exception."""


class SmtpTransport:
    """One connection per batch would be faster; one per message keeps a failure to its own message."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}://.")
        self.host = parts.hostname or "localhost"
        self.ssl = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.ssl else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        connect = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with connect(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


class LogTransport:
    def send(self, message: EmailMessage) -> None:
        log.info("Email (no SMTP_URL set) to %s, Message-ID %s, subject %r:\n%s", message["To"],
                 message["Message-ID"], message["Subject"], message.get_content())


def transport_from_env() -> Transport:
    url = os.environ.get("SMTP_URL", "").strip()
    return SmtpTransport(url) if url else LogTransport()


def sender_from_env() -> str:
    return os.environ.get("MAIL_FROM", "").strip() or DEFAULT_SENDER
