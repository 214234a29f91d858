"""The product's own diagrams reach the database at set-up and at each upgrade, and a council's own
changes to a process are never undone by them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine import people, shipping
from engine.deployment import Diagram
from engine.service import Actor
from processes import CATALOGUE
from processes.roles import ADMIN


@pytest.fixture
def folder(shared_diagrams: Path, tmp_path: Path) -> Path:
    copied = tmp_path / "shipped"
    shutil.copytree(shared_diagrams, copied)
    return copied


@pytest.fixture
def admin(service) -> Actor:
    with service.db.write() as session:
        return Actor.of(people.create_user(session, email="admin@example.org", name="Ada", password=None,
                                           roles=[ADMIN], known_roles=CATALOGUE.roles))


def outcomes(service, folder: Path) -> list[tuple[str, str, int]]:
    return [(r.process_id, r.outcome, r.version) for r in shipping.deploy_shipped(service, folder)]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def council_edit(service, folder: Path, admin: Actor, old: str, new: str) -> None:
    content = (folder / "simple.bpmn").read_text().replace(old, new)
    forms = {p.name: json.loads(p.read_text()) for p in (folder / "forms").glob("*.json")}
    service.deploy([Diagram("simple.bpmn", content.encode(), {})], forms, admin)


def test_set_up_deploys_every_shipped_process_once(service, folder):
    assert outcomes(service, folder) == [("simple", shipping.NEW, 1)]
    assert outcomes(service, folder) == [("simple", shipping.UNCHANGED, 1)]


def test_an_upgrade_brings_the_products_change_when_the_council_made_none(service, folder):
    outcomes(service, folder)
    edit(folder / "simple.bpmn", 'name="Review and close"', 'name="Review, then close"')
    assert outcomes(service, folder) == [("simple", shipping.UPDATED, 2)]


def test_the_councils_own_change_is_kept_when_the_product_did_not_change(service, folder, admin):
    outcomes(service, folder)
    council_edit(service, folder, admin, 'name="Review and close"', 'name="Check and close"')
    assert outcomes(service, folder) == [("simple", shipping.KEPT, 2)]
    assert [v.version for v in service.process_models()] == [2]


def test_when_both_changed_nothing_is_deployed_and_an_admin_is_told(service, folder, admin):
    outcomes(service, folder)
    council_edit(service, folder, admin, 'name="Review and close"', 'name="Check and close"')
    edit(folder / "simple.bpmn", 'name="Review and close"', 'name="Review, then close"')
    assert outcomes(service, folder) == [("simple", shipping.BOTH_CHANGED, 2)]
    [line] = shipping.describe(shipping.deploy_shipped(service, folder))
    assert "both changed" in line and "diagram editor" in line
