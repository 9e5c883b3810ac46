"""The import graph of Procura's own modules: no cycles, and every import
points down the layers (docs/developers/architecture.md, "The layers")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aggregates", "app", "projections", "partners", "harness", "benchmarks", "testkit", "tests")

#: Procura's layers, bottom first: a module may import its own layer's
#: modules and those of the layers below, never those above. A module is in
#: the layer of the longest prefix listed here that names it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("domain", ("aggregates",)),
    ("telemetry and settings", ("app.telemetry", "app.config", "app.jsonbytes", "app.polling")),
    ("read models", ("projections",)),
    ("storage", ("app.persistence", "app.schema")),
    ("application", ("app.service",)),
    ("ways out", ("app.suppliers", "app.webhooks", "app.bus")),
    ("web adapter", ("app.http", "app.console")),
    ("composition root", ("app.bootstrap",)),
    ("entry points", ("app.serving", "app.cli", "app.tools")),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
            if "fixtures" not in path.parts}


def _graph() -> dict[str, set[str]]:
    """Module -> the first-party modules it imports, anywhere in its body."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {resolve(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {resolve(f"{node.module}.{a.name}") or resolve(node.module) for a in node.names}
        graph[name] = found - {None, name}
    return graph


def _layer(module: str) -> int | None:
    """The index of `module`'s layer in LAYERS, None for modules outside them (tests, partners, ...)."""
    prefixes = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
                if module == prefix or module.startswith(prefix + ".")]
    return max(prefixes)[1] if prefixes else None


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a module to one in a higher layer, as "importer -> imported (layer -> layer)"."""
    found = []
    for module, imports in sorted(graph.items()):
        here = _layer(module)
        if here is None:
            continue
        for imported in sorted(imports):
            there = _layer(imported)
            if there is not None and there > here:
                found.append(f"{module} -> {imported} ({LAYERS[here][0]} -> {LAYERS[there][0]})")
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while (member := stack.pop()) != module:
                component.append(member)
            if component:
                found.append(sorted([module, *component]))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others():
    assert _cycles(_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_import_points_down_the_layers():
    assert _upward(_graph()) == []


def test_the_layer_check_finds_an_import_pointing_up():
    graph = {"aggregates.errors": {"app.http.problems"}, "app.http.problems": {"aggregates.errors"},
             "app.cli": {"app.bootstrap"}, "tests.unit": {"app.cli"}}
    assert _upward(graph) == ["aggregates.errors -> app.http.problems (domain -> web adapter)"]


def test_every_module_of_procura_has_a_layer():
    assert sorted(m for m in _modules() if m.split(".")[0] in ("aggregates", "app", "projections")
                  and m != "app" and _layer(m) is None) == []


def test_the_domain_imports_nothing_of_the_application_or_the_read_models():
    outward = {name: sorted(i for i in imports if not i.startswith("aggregates"))
               for name, imports in _graph().items() if name.startswith("aggregates")}
    assert {name: imports for name, imports in outward.items() if imports} == {}


def test_the_application_never_imports_the_stand_in_partners():
    graph = _graph()
    assert {name: sorted(i for i in graph[name] if i.startswith("partners"))
            for name in graph if name.startswith("app") and any(i.startswith("partners") for i in graph[name])} == {}


def test_only_the_web_adapter_and_the_composition_root_reach_into_the_flask_app():
    """Everything below gets its services passed in, never from `current_app.extensions`."""
    web = ("app.http", "app.console", "app.bootstrap")
    reaching = sorted(name for name, path in _modules().items()
                      if name.startswith(("app.", "projections", "aggregates"))
                      and not name.startswith(web) and "current_app" in path.read_text())
    assert reaching == []
