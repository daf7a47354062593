"""The package keeps its shape (docs/layout.md): data flows profiles -> index -> ranking -> explanations -> surfaces,
and nothing imports upward; only the CLI imports click; no module imports another's private names; files and
functions stay short enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "matcher"

LAYERS = [
    ("matcher.errors", "matcher.dates"),
    ("matcher.paths",),
    ("matcher.text",),
    ("matcher.profiles",),
    ("matcher.index",),
    ("matcher.ranking",),
    ("matcher.explanations",),
    ("matcher.office", "matcher.sources"),
    ("matcher.workspace",),
    ("matcher.output",),
    ("matcher.batch",),
    ("matcher.web",),
    ("matcher.cli",),
    ("matcher.__main__",),
]
"""Each part of the package, lowest first: a module may import from its own part and the parts below it."""

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
LONG_FUNCTIONS: set[tuple[str, str]] = set()
"""(file, function) pairs allowed past MAX_FUNCTION_LINES: none now."""


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = modules()


def part_of(module: str) -> int | None:
    """The layer of ``module`` (its index in LAYERS), or None for the package itself (its lazy API)."""
    for i, layer in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in layer):
            return i
    return None


def owner(module: str) -> str:
    """The part of LAYERS ``module`` belongs to (``matcher.index`` for ``matcher.index.model``)."""
    for layer in LAYERS:
        for p in layer:
            if module == p or module.startswith(p + "."):
                return p
    return module


def imports(module: str) -> list[tuple[str, list[str], int]]:
    """Every import of ``module``, top-level or in a function: (module imported, names, line)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            if submodules:  # from .. import meaning: the submodule is what is imported
                out += [(s, [], node.lineno) for s in submodules]
                names = [n for n in names if f"{target}.{n}" not in MODULES]
            if names:
                out.append((target, names, node.lineno))
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_nothing_imports_upward(module):
    mine = part_of(module)
    if mine is None:
        return  # matcher/__init__.py: the API, importing on first use from every part
    for target, names, line in imports(module):
        if not target.startswith("matcher"):
            continue
        if target == "matcher" and names == ["__version__"]:
            continue  # the version, from the package's own file (hatch reads it there)
        theirs = part_of(target)
        assert theirs is not None and theirs <= mine, f"{module}:{line} imports {target}, a part above it"
        if theirs == mine:
            assert owner(target) == owner(module), f"{module}:{line} imports {target}, beside it, not below"


def test_no_import_cycles():
    graph = {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES if part_of(m) is not None}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in graph.get(m, ()):
            assert state.get(t) != 1, "import cycle: " + " -> ".join(path + [m, t])
            if t not in state:
                visit(t, path + [m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_the_cli_imports_click(module):
    if module.startswith("matcher.cli"):
        return
    assert not [t for t, _, _ in imports(module) if t == "click" or t.startswith("click.")], module


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(module):
    for target, names, line in imports(module):
        if target.startswith("matcher") and target != module:
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{module}:{line} imports {private} from {target}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_files_and_functions_are_short(module):
    path = MODULES[module]
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_FILE_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if (str(path.relative_to(PACKAGE)), node.name) in LONG_FUNCTIONS:
                continue
            assert length <= MAX_FUNCTION_LINES, (
                f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}: {length} lines"
            )


def test_layers_cover_every_module():
    assert {m for m in MODULES if part_of(m) is None} == {"matcher"}


def test_no_test_imports_another_test_module():
    for path in sorted(Path(__file__).parent.glob("*.py")):
        for target, names, line in [
            (n.module or "", [a.name for a in n.names], n.lineno) if isinstance(n, ast.ImportFrom) else ("", [], 0)
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        ]:
            assert not (target.startswith(("tests", "conftest", "test_")) or "conftest" in names), f"{path.name}:{line}"
