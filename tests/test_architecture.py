"""The architecture's checks cover every app: a new top-level app (alerts/, reports/) is linted by
import-linter and type-checked by mypy from its first file (`.importlinter`, the Makefile's APPS)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Top-level packages that are not apps of the product.
NOT_APPS = {"tests", "bench", "tools"}


def top_level_apps() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_APPS


def contracts() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config


def listed(config: configparser.ConfigParser, section: str, key: str) -> set[str]:
    return set(config[section][key].split())


def test_it_finds_the_project_package_among_the_apps():
    assert "auditui" in top_level_apps()


def test_it_lints_the_imports_of_every_top_level_app():
    missing = top_level_apps() - listed(contracts(), "importlinter", "root_packages")
    assert not missing, f"add {sorted(missing)} to root_packages in .importlinter (and uncomment its contracts)"


def test_it_holds_every_other_app_to_the_public_face_of_events():
    sources = listed(contracts(), "importlinter:contract:events-internals", "source_modules")
    missing = top_level_apps() - {"auditui"} - sources
    assert not missing, f"add {sorted(missing)} to the events-internals contract's source_modules"


def test_it_keeps_alerts_and_reports_independent_once_both_exist():
    if not {"alerts", "reports"} <= top_level_apps():
        pytest.skip("alerts/ and reports/ do not both exist yet")
    assert listed(contracts(), "importlinter:contract:alerts-reports-independent", "modules") == {"alerts", "reports"}


def test_it_type_checks_every_top_level_app():
    match = re.search(r"^APPS := \$\(wildcard ([^)]*)\)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile's APPS names the packages mypy checks"
    missing = top_level_apps() - set(match.group(1).split())
    assert not missing, f"add {sorted(missing)} to APPS in the Makefile"
