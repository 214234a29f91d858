"""Evidence files: checked by their content (not their name), capped in size, and kept in the instance
folder, outside anything the web server serves directly."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from engine import records
from engine.errors import EngineError
from engine.records import Document
from web.access import database

ALLOWED = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(upload: FileStorage, *, field: str, case_id: int | None, uploaded_by_id: int) -> Document:
    """Check and keep one uploaded file; raise EngineError naming the field if it is refused."""
    content = upload.stream.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    if not content:
        raise EngineError(_("The selected file is empty"), field=field)
    if len(content) > current_app.config["MAX_UPLOAD_BYTES"]:
        raise EngineError(_("The selected file must be smaller than 10MB"), field=field)
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ALLOWED:
        raise EngineError(_("The selected file must be a PDF, PNG or JPEG"), field=field)
    key = f"{secrets.token_hex(16)}.{ALLOWED[kind.mime]}"
    (folder() / key).write_bytes(content)
    name = secure_filename(upload.filename or "") or f"evidence.{ALLOWED[kind.mime]}"
    return records.add_document(database(), case_id=case_id, uploaded_by_id=uploaded_by_id, filename=name,
                                content_type=kind.mime, size=len(content),
                                sha256=hashlib.sha256(content).hexdigest(), storage_key=key)


def path_of(document: Document) -> Path:
    return folder() / document.storage_key
