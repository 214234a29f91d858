"""The translation catalogue keeps up with the service's words: `pybabel extract` over web/ finds the strings
people read, in code and in templates, and the committed template and Welsh catalogue hold every one of them."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
OPTIONS = ["-F", "babel.cfg", "-k", "lazy_gettext", "--project", "Councillor Support",
           "--copyright-holder", "Councillor Support contributors"]
REFRESH = (f"{shlex.join(['pybabel', 'extract', *OPTIONS, '-o', 'web/translations/messages.pot', 'web'])} && "
           "pybabel update -i web/translations/messages.pot -d web/translations")


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    output = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    command = [str(Path(sys.executable).parent / "pybabel"), "extract", *OPTIONS, "-o", str(output), "web"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return ids(read(output))


@pytest.mark.parametrize("text", [
    "Report an incident",  # service navigation, in Python
    "Your safety",  # a lazily translated page title
    "Your API tokens",  # a template heading
    "You do not have permission to see this page",  # an error page
    "They will do this within %(num)s working day.",  # a plural, in a template
])
def test_extraction_finds_the_words_people_read(extracted, text):
    assert text in extracted


def test_the_committed_template_holds_every_string_in_the_service(extracted):
    missing = extracted - ids(read(TRANSLATIONS / "messages.pot"))
    assert not missing, f"Refresh the catalogue with: {REFRESH}\nMissing: {sorted(missing)[:10]}"


def test_the_welsh_catalogue_holds_every_string_in_the_template():
    welsh = read(TRANSLATIONS / "cy" / "LC_MESSAGES" / "messages.po")
    assert str(welsh.locale) == "cy"
    missing = ids(read(TRANSLATIONS / "messages.pot")) - ids(welsh)
    assert not missing, f"Refresh the catalogue with: {REFRESH}\nMissing: {sorted(missing)[:10]}"
