"""Diagrams and forms become process model versions, content-hashed: a changed diagram or form makes a
new version, an unchanged one does not. Instances run on a spec bundle built from the latest versions
when they start, and stay on it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import spiff
from engine.catalogue import Catalogue
from engine.errors import DiagramInvalid, NotFound, Problem
from engine.models import ProcessModelVersion, SpecBundle
from engine.validation import FORM_PROPERTIES, check_catalogue

FORMS_FOLDER = "forms"


@dataclass(frozen=True)
class Diagram:
    """One `.bpmn` file and the form files it refers to, as read from disk or an upload."""

    filename: str
    content: bytes
    forms: Mapping[str, Any]


@dataclass(frozen=True)
class Deployed:
    process_id: str
    version: int
    created: bool


def read_folder(folder: Path) -> tuple[list[Diagram], dict[str, Any]]:
    """The diagrams in a folder and every form in its `forms/` subfolder."""
    forms: dict[str, Any] = {}
    for path in sorted((folder / FORMS_FOLDER).glob("*.json")):
        try:
            forms[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise DiagramInvalid([Problem(f"The form is not valid JSON: {error.msg}", file=path.name,
                                          line=error.lineno)]) from None
    diagrams = [Diagram(p.name, p.read_bytes(), {}) for p in sorted(folder.glob("*.bpmn"))]
    return diagrams, forms


def forms_used(content: bytes, filename: str, forms: Mapping[str, Any]) -> dict[str, Any]:
    """The forms a diagram's user tasks name, from those available (missing ones are the validator's)."""
    root = spiff.parse_xml(content, filename)
    used = {}
    for prop in root.iter("{http://spiffworkflow.org/bpmn/schema/1.0/core}property"):
        value = prop.get("value", "")
        if prop.get("name") in FORM_PROPERTIES and value in forms:
            used[value] = forms[value]
    return used


def content_hash(content: bytes, forms: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(content)
    digest.update(json.dumps(forms, sort_keys=True).encode())
    return digest.hexdigest()


def deploy(session: Session, catalogue: Catalogue, diagrams: Iterable[Diagram], forms: Mapping[str, Any],
           *, helpers: Mapping[str, Any], actor_id: int | None = None) -> list[Deployed]:
    """Validate the diagrams together with the latest deployed versions of every other process, then
    store a new version of each diagram whose content changed. Nothing is stored if a problem remains."""
    diagrams = list(diagrams)
    incoming = {d.filename: d for d in diagrams}
    existing = [Diagram(v.filename, v.bpmn_xml.encode(), v.forms) for v in latest_versions(session).values()
                if v.filename not in incoming]
    all_forms = {**{k: v for d in existing for k, v in d.forms.items()}, **forms}
    for diagram in diagrams:
        all_forms.update(diagram.forms)
    report = check_catalogue([*existing, *diagrams], all_forms, catalogue, helpers)
    if report.problems:
        raise DiagramInvalid(report.problems)
    deployed = []
    for diagram in diagrams:
        for process_id in report.processes_by_file[diagram.filename]:
            used = forms_used(diagram.content, diagram.filename, all_forms)
            deployed.append(_store_version(session, process_id, report.names.get(process_id, process_id),
                                           diagram, used, actor_id))
    return deployed


def _store_version(session: Session, process_id: str, name: str, diagram: Diagram, forms: dict[str, Any],
                   actor_id: int | None) -> Deployed:
    digest = content_hash(diagram.content, forms)
    latest = session.scalar(select(func.max(ProcessModelVersion.version))
                            .where(ProcessModelVersion.process_id == process_id)) or 0
    # Only the latest matters: going back to earlier content is a new version too.
    same = session.scalar(select(ProcessModelVersion).where(
        ProcessModelVersion.process_id == process_id, ProcessModelVersion.version == latest,
        ProcessModelVersion.content_hash == digest))
    if same is not None:
        return Deployed(process_id, same.version, created=False)
    version = ProcessModelVersion(process_id=process_id, name=name, version=latest + 1, content_hash=digest,
                                  filename=diagram.filename, bpmn_xml=diagram.content.decode("utf-8"),
                                  forms=forms, created_by_id=actor_id)
    session.add(version)
    session.flush()
    return Deployed(process_id, version.version, created=True)


def latest_versions(session: Session) -> dict[str, ProcessModelVersion]:
    newest = (select(ProcessModelVersion.process_id, func.max(ProcessModelVersion.version).label("v"))
              .group_by(ProcessModelVersion.process_id).subquery())
    rows = session.scalars(select(ProcessModelVersion).join(
        newest, (ProcessModelVersion.process_id == newest.c.process_id)
        & (ProcessModelVersion.version == newest.c.v)))
    return {v.process_id: v for v in rows}


def latest_names(session: Session) -> dict[str, str]:
    """Process id → the name of its latest version: what lists and filters show, without reading the
    diagrams themselves."""
    newest = (select(ProcessModelVersion.process_id, func.max(ProcessModelVersion.version).label("v"))
              .group_by(ProcessModelVersion.process_id).subquery())
    return dict(session.execute(select(ProcessModelVersion.process_id, ProcessModelVersion.name).join(
        newest, (ProcessModelVersion.process_id == newest.c.process_id)
        & (ProcessModelVersion.version == newest.c.v))).all())


_BUNDLE_IDS: dict[tuple[str, str, tuple[str, ...]], str] = {}


def bundle_for_new_instance(session: Session, process_id: str) -> tuple[ProcessModelVersion, SpecBundle]:
    """The latest version of a process and the spec bundle a new instance of it runs on."""
    versions = latest_versions(session)
    top = versions.get(process_id)
    if top is None:
        raise NotFound(f"There is no process called {process_id!r}.")
    key = (str(session.bind.url), process_id, tuple(sorted(v.content_hash for v in versions.values())))
    digest = _BUNDLE_IDS.get(key)
    bundle = session.scalar(select(SpecBundle).where(SpecBundle.content_hash == digest)) if digest else None
    if bundle is None:
        bundle = _build_bundle(session, process_id, versions)
        _BUNDLE_IDS[key] = bundle.content_hash
    return top, bundle


def _build_bundle(session: Session, process_id: str, versions: dict[str, ProcessModelVersion]) -> SpecBundle:
    parser = spiff.new_parser()
    for version in versions.values():
        spiff.add_diagram(parser, version.bpmn_xml.encode(), version.filename)
    specs = spiff.build_specs(parser, process_id)
    called = {process_id, *specs["subprocess_specs"]}
    forms = {k: v for pid, ver in versions.items() if pid in called for k, v in ver.forms.items()}
    digest = hashlib.sha256(json.dumps([specs, forms], sort_keys=True).encode()).hexdigest()
    bundle = session.scalar(select(SpecBundle).where(SpecBundle.content_hash == digest))
    if bundle is None:
        bundle = SpecBundle(content_hash=digest, specs=specs, forms=forms)
        session.add(bundle)
        session.flush()
    return bundle
