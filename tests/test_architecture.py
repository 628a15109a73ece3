"""The package's layering, read from its source with `ast`: no import cycles, stages import only
stages below them, and no module imports another module's private (underscore) name.

Stages, lowest first: shared (`qa`, `qa.config`) < ingest < index < answer < web < tools
(`python -m qa`, i.e. `qa.__main__`, is a tool). Imports inside functions count too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from helpers_server import ROOT

STAGES = ("shared", "ingest", "index", "answer", "web", "tools")
TOP_LEVEL = {"qa": "shared", "qa.config": "shared", "qa.__main__": "tools"}


@dataclass(frozen=True)
class Edge:
    """`source` imports `names` from module `target` (no names for `import target`)."""

    source: str
    target: str
    names: tuple[str, ...]
    line: int


def read_package(root: Path = ROOT / "qa") -> dict[str, str]:
    """{dotted module name: source text} for every module under `root`."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path.read_text(encoding="utf-8")
    return out


def import_edges(modules: dict[str, str], packages: set[str] | None = None) -> list[Edge]:
    """Every import of one package module by another (`packages`: the names that are packages,
    for relative imports; by default those with a submodule)."""
    if packages is None:
        packages = {m for m in modules if any(o.startswith(m + ".") for o in modules)} | {"qa"}
    edges = []
    for name, source in modules.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules:
                        edges.append(Edge(name, alias.name, (), node.lineno))
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, name, name in packages)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in modules:  # `from qa.index import vector_index`: a module
                        edges.append(Edge(name, sub, (), node.lineno))
                    elif base in modules:
                        edges.append(Edge(name, base, (alias.name,), node.lineno))
    return edges


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    return ".".join(parts[:keep] + ([node.module] if node.module else []))


def stage_of(module: str) -> str | None:
    """The stage a module belongs to; None for a module outside every stage."""
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in STAGES[1:] else None


def cycles(edges: list[Edge]) -> list[list[str]]:
    """The import cycles: strongly connected groups of two or more modules, or a self-import."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        order[v] = low[v] = len(order)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph[v]:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in order:
            visit(v)
    return found


def upward_imports(edges: list[Edge]) -> list[str]:
    """Imports of a higher stage by a lower one."""
    rank = {s: i for i, s in enumerate(STAGES)}
    return [
        f"{e.source}:{e.line} ({stage_of(e.source)}) imports {e.target} ({stage_of(e.target)})"
        for e in edges
        if rank[stage_of(e.target)] > rank[stage_of(e.source)]
    ]


def private_imports(edges: list[Edge]) -> list[str]:
    """Imports of another module's underscore names (dunders such as `__version__` are public)."""
    return [
        f"{e.source}:{e.line} imports {e.target}.{n}"
        for e in edges
        for n in e.names
        if n.startswith("_") and not (n.startswith("__") and n.endswith("__"))
        if e.target != e.source
    ]


# -- the package -----------------------------------------------------------------------------

MODULES = read_package()
EDGES = import_edges(MODULES)


def test_every_module_belongs_to_a_stage():
    assert [m for m in MODULES if stage_of(m) is None] == []
    assert {stage_of(m) for m in MODULES} == set(STAGES)


def test_every_stage_says_what_it_owns_and_may_import():
    for stage in STAGES[1:]:
        doc = ast.get_docstring(ast.parse(MODULES[f"qa.{stage}"])) or ""
        assert "May import" in doc, f"qa/{stage}/__init__.py"


def test_the_package_has_no_import_cycles():
    assert len(EDGES) > 50  # the walk did see the imports
    assert cycles(EDGES) == []


def test_lower_stages_never_import_higher_ones():
    assert upward_imports(EDGES) == []


def test_no_module_imports_another_modules_private_names():
    assert private_imports(EDGES) == []


# -- the checks themselves fail where they should ----------------------------------------------


def test_the_checks_catch_cycles_upward_and_private_imports():
    modules = {
        "qa": "",
        "qa.config": "",
        "qa.ingest": "",
        "qa.ingest.a": "from qa.answer.b import run\n",
        "qa.answer": "",
        "qa.answer.b": "def f():\n    from qa.ingest import a\n    from .c import _private\n",
        "qa.answer.c": "import qa.answer.c\nfrom qa import __version__\n",
        "qa.extra": "",
    }
    edges = import_edges(modules)
    assert Edge("qa.answer.b", "qa.ingest.a", (), 2) in edges  # a lazy import, by module
    assert Edge("qa.answer.b", "qa.answer.c", ("_private",), 3) in edges  # relative
    assert sorted(cycles(edges)) == [["qa.answer.b", "qa.ingest.a"], ["qa.answer.c"]]
    assert upward_imports(edges) == [
        "qa.ingest.a:1 (ingest) imports qa.answer.b (answer)",
    ]
    assert private_imports(edges) == ["qa.answer.b:3 imports qa.answer.c._private"]
    assert stage_of("qa.extra") is None and stage_of("qa.__main__") == "tools"


def test_test_files_have_unique_names():
    """`tests/` has no `__init__.py`, so pytest imports test files by their base name: two
    files of one name in different folders stop the whole run at collection."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
