"""The layers of rft_kit: no import cycle among its first-level parts, counting every import in every file (deferred
ones inside functions and ``TYPE_CHECKING`` blocks too)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rft_kit"


def _part(path: Path) -> str:
    """The first-level part a file belongs to: ``judge`` for ``rft_kit/judge/engine.py``, ``errors`` for errors.py."""
    first = path.relative_to(PACKAGE).parts[0]
    return first.removesuffix(".py")


def _imported_modules(path: Path) -> list[list[str]]:
    """Every module (as dotted parts) that ``path`` imports, relative imports resolved."""
    # relative imports start from the file's package: rft_kit/x/y.py and rft_kit/x/__init__.py both -> rft_kit.x
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)[:-1]
    found: list[list[str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name.split(".") for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = base + (node.module.split(".") if node.module else [])
            else:
                module = (node.module or "").split(".")
            found.append(module)
            # `from rft_kit import judge` / `from .. import judge` import the part named by the alias
            if module == ["rft_kit"]:
                found.extend(["rft_kit", alias.name] for alias in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    """First-level part -> the other first-level parts its files import."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _part(path)
        graph.setdefault(source, set())
        for module in _imported_modules(path):
            if len(module) >= 2 and module[0] == "rft_kit" and module[1] != source:
                graph[source].add(module[1])
    return dict(graph)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one part (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _render(graph: dict[str, set[str]]) -> str:
    return "\n".join(f"  {part} -> {', '.join(sorted(graph[part])) or '-'}" for part in sorted(graph))


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_deferred_and_relative_imports() -> None:
    graph = import_graph()
    # rft_kit/judge/options.py imports ..openai_client at the top; runs/pipeline.py imports ..tasks inside functions
    assert "openai_client" in graph["judge"] and "tasks" in graph["runs"]


def test_no_import_cycle_among_first_level_parts() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, (
        "import cycles among rft_kit's first-level parts:\n"
        + "\n".join(" <-> ".join(c) for c in found)
        + "\nthe graph:\n"
        + _render(graph)
    )


def test_the_local_app_and_the_client_helpers_stay_low() -> None:
    graph = import_graph()
    # The local app serves simulated models and embeddings; it must not know graders, exports or the judge
    # (io, for its request log, is a leaf over errors).
    assert graph["local_openai"] <= {"embeddings", "errors", "io"}, _render(graph)
    assert graph["io"] <= {"errors"}, _render(graph)
    # The judge engine reaches the local app only through the neutral client helpers.
    assert "local_openai" not in graph["judge"], _render(graph)
    # The client helpers build clients: in-process for `local`, reply-capped (rft_kit.http) for remote endpoints.
    assert graph["openai_client"] <= {"local_openai", "http"}, _render(graph)
    # The capped HTTP transport is a leaf: nothing of rft-kit below it.
    assert not graph.get("http"), _render(graph)
