"""The configuration table (docs/operators/configuration.md) names exactly the variables Procura
reads (app/config.py reads the environment, and the command line's flags
name their variables as `envvar`), so no setting is undocumented and no
documented one is dead."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import SECRET_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "operators" / "configuration.md"
NAME = re.compile(r"\b(?:PROCURA_[A-Z0-9_]+|DATABASE_URL)\b")
#: Names in app/config.py that are not variables it reads: a default value,
#: and the variable the persistence layer is handed (built from settings).
NOT_SETTINGS = {"PROCURA_EVENTS"}


def _read_by_code() -> set[str]:
    config = (ROOT / "app" / "config.py").read_text()
    flags = (ROOT / "app" / "cli" / "__init__.py").read_text()
    return ({name for name in re.findall(r'"((?:PROCURA_[A-Z0-9_]+|DATABASE_URL))"', config)} - NOT_SETTINGS) | set(
        re.findall(r'envvar="([A-Z0-9_]+)"', flags))


def _in_table() -> set[str]:
    page = PAGE.read_text()
    section = page.split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in NAME.findall(row.split(" | ")[0])}


def test_every_variable_procura_reads_is_in_the_configuration_table():
    assert _read_by_code() - _in_table() == set()


def test_every_variable_in_the_configuration_table_is_read():
    assert _in_table() - _read_by_code() == set()


def test_every_secret_that_may_come_from_a_file_is_named_where_the_table_says_so():
    page = PAGE.read_text()
    intro = page.split("## Settings", 1)[1].split("| variable", 1)[0]
    assert {name for name in SECRET_SETTINGS if f"`{name}`" in intro} == set(SECRET_SETTINGS)
