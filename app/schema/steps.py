"""Schema steps: numbered SQL files, one per step and database.

`steps/postgres/0003_cycle_time_buckets.sql` and `steps/sqlite/0003_...sql`
are the same step written for each database. Numbers start at 1 and have no
gaps; a step, once released, is never edited (its checksum is recorded when
it runs, and a changed file is refused).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

STEPS_ROOT = Path(__file__).parent / "steps"
DIALECTS = ("postgres", "sqlite")
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class StepsInvalid(Exception):
    """The step files themselves are inconsistent (a packaging or authoring error)."""


@dataclass(frozen=True)
class Step:
    number: int
    name: str  # the file name without `.sql`, e.g. "0003_cycle_time_buckets"
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def sqlite_statements(self) -> list[str]:
        """The step's statements one by one (sqlite3 runs one per call, and
        `executescript` would commit the step's transaction)."""
        statements, buffer = [], ""
        for line in self.sql.splitlines(keepends=True):
            buffer += line
            if sqlite3.complete_statement(buffer):
                statements.append(buffer.strip())
                buffer = ""
        if _code(buffer):
            raise StepsInvalid(f"{self.name}: unterminated statement at the end of the file")
        return statements


def _code(text: str) -> str:
    """`text` without SQL line comments and blank space."""
    return "".join(line.split("--", 1)[0].strip() for line in text.splitlines())


def load_steps(dialect: str, root: Path = STEPS_ROOT) -> tuple[Step, ...]:
    """The steps for `dialect` in order. Raises StepsInvalid on a stray file
    name or a gap in the numbers."""
    steps = []
    for path in sorted((root / dialect).iterdir()):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise StepsInvalid(f"{path}: not a step file name (NNNN_lower_case_name.sql)")
        steps.append(Step(int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    for expected, step in enumerate(steps, start=1):
        if step.number != expected:
            raise StepsInvalid(f"{dialect} steps: expected number {expected:04d}, found {step.name}")
    return tuple(steps)
