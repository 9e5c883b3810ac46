"""The lock files (requirements/*.lock, written by scripts/lock) agree with
setup.cfg: what setup.cfg asks for is pinned, at a version its range allows,
with everything those pins need; a lock left stale by an edit of setup.cfg
fails here until scripts/lock is run."""

from __future__ import annotations

import configparser
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
TEST_LOCK = ROOT / "requirements" / "test.lock"


def declared(*extras: str) -> list[Requirement]:
    """setup.cfg's install_requires, plus the given extras."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    texts = [config["options"]["install_requires"]] + [config["options.extras_require"][e] for e in extras]
    return [Requirement(line.strip()) for text in texts for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def pins(lock: Path) -> dict[str, list[Requirement]]:
    """Package name -> its pinned entries (more than one where versions differ by marker)."""
    found: dict[str, list[Requirement]] = {}
    logical = lock.read_text().replace("\\\n", " ")
    for line in logical.splitlines():
        if not line or line.startswith((" ", "#")):
            continue
        assert "--hash=sha256:" in line, f"{lock.name}: a pin without a hash: {line.split()[0]}"
        requirement = Requirement(line.split(" --hash")[0].strip())
        found.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return found


def pinned_version(entries: list[Requirement]) -> str:
    """The version pinned for this interpreter."""
    versions = [str(next(iter(e.specifier)).version) for e in entries if e.marker is None or e.marker.evaluate()]
    assert len(versions) == 1, entries
    return versions[0]


def unsatisfied(requirements: list[Requirement], lock: Path) -> list[str]:
    """Each requirement (and, through the installed metadata, each of its own
    dependencies, extras included) that `lock` does not pin at an allowed version."""
    pinned, problems, seen = pins(lock), [], set()
    todo = [(r, ()) for r in requirements]
    while todo:
        requirement, extras = todo.pop()
        if requirement.marker is not None and not any(
                requirement.marker.evaluate({"extra": e}) for e in (extras or ("",))):
            continue
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            problems.append(f"{requirement} is not pinned")
            continue
        version = pinned_version(pinned[name])
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement} is pinned at {version}")
            continue
        key = (name, tuple(sorted(requirement.extras)))
        if key in seen:
            continue
        seen.add(key)
        try:
            installed = distribution(name)
        except PackageNotFoundError:
            problems.append(f"{name} is pinned but not installed here: run scripts/test to install the lock")
            continue
        assert installed.version == version, f"{name} {installed.version} installed, {version} locked"
        todo += [(Requirement(text), tuple(requirement.extras)) for text in installed.requires or ()]
    return problems


@pytest.mark.parametrize(("lock", "extras"), [(RUNTIME_LOCK, ()), (TEST_LOCK, ("test",))],
                         ids=["runtime", "test"])
def test_every_dependency_in_setup_cfg_is_pinned_in_the_lock_at_a_version_its_range_allows(lock, extras):
    pinned = pins(lock)

    wrong = [str(r) for r in declared(*extras) if canonicalize_name(r.name) not in pinned
             or not all(r.specifier.contains(str(next(iter(p.specifier)).version), prereleases=True)
                        for p in pinned[canonicalize_name(r.name)])]

    assert wrong == [], f"setup.cfg and {lock.name} disagree; run scripts/lock"


def test_the_test_lock_holds_everything_its_pins_depend_on():
    assert unsatisfied(declared("test"), TEST_LOCK) == [], "run scripts/lock"


def test_the_runtime_lock_holds_everything_its_pins_depend_on():
    assert unsatisfied(declared(), RUNTIME_LOCK) == [], "run scripts/lock"


def test_the_tests_run_the_versions_production_runs():
    def versions(lock: Path) -> dict[str, set[str]]:
        return {name: {str(e.specifier) for e in entries} for name, entries in pins(lock).items()}

    runtime, test = versions(RUNTIME_LOCK), versions(TEST_LOCK)

    moved = {name: (pinned, test.get(name)) for name, pinned in runtime.items() if test.get(name) != pinned}

    assert moved == {}, "the test lock moved runtime pins; run scripts/lock"
