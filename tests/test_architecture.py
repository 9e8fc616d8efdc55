"""The layout stays a pipeline: no import cycle among newsfold's modules, and listings stay light."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nfpaths import ROOT

SRC = ROOT / "src"


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    is_pkg = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_pkg else parts), is_pkg


def _exists(mod: str) -> bool:
    p = SRC / Path(*mod.split("."))
    return (p / "__init__.py").exists() or p.with_suffix(".py").exists()


def import_graph() -> dict[str, set[str]]:
    """Module → the newsfold modules it imports anywhere: at the top, inside functions, under ``TYPE_CHECKING``."""
    graph: dict[str, set[str]] = {}
    for path in sorted((SRC / "newsfold").rglob("*.py")):
        mod, is_pkg = _module_name(path)
        pkg = mod if is_pkg else mod.rsplit(".", 1)[0]
        edges = graph.setdefault(mod, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name.startswith("newsfold"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("newsfold"):
                    continue
                subs = [f"{target}.{a.name}" for a in node.names if _exists(f"{target}.{a.name}")]
                edges.update(subs or [target])
        edges.discard(mod)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_graph_counts_every_import():
    graph = import_graph()
    assert "newsfold.pipeline" in graph and "newsfold.dedup.stage" in graph["newsfold.pipeline"]
    assert "newsfold.stories.minilm_onnx" in graph["newsfold.stories.represent"]  # imported inside a method
    assert "newsfold.summarize.stage" in graph["newsfold.summarize.evaluate"]  # likewise


def test_no_import_cycle_in_src():
    """No cycle, counting every import: at the top, inside functions, under ``TYPE_CHECKING``."""
    assert cycles(import_graph()) == []


def test_one_module_names_months_weekdays_and_stop_words():
    """Month and weekday names and the stop lists live in newsfold.text alone (issue #21 item 3)."""
    needles = ("january", "monday", "ENGLISH_STOP_WORDS", "jan(?:uary)?", "(?:jan|")
    for path in sorted((SRC / "newsfold").rglob("*.py")):
        if path.name == "text.py" and path.parent.name == "newsfold":
            continue
        code = path.read_text(encoding="utf-8").lower()
        assert not [n for n in needles if n.lower() in code], path


def test_stages_do_not_import_the_presentation_layer():
    graph = import_graph()
    for mod, edges in graph.items():
        if mod.startswith(("newsfold.dedup", "newsfold.stories", "newsfold.summarize", "newsfold.read",
                           "newsfold.clean", "newsfold.store")):
            assert not [e for e in edges if e.startswith("newsfold.present")], mod


def test_the_summarizer_has_no_import_cycle_counting_every_import():
    """Function-level and TYPE_CHECKING imports count: the analysis records live in one module the stages read."""
    graph = import_graph()
    assert "newsfold.summarize.records" in graph["newsfold.summarize.quotes"]
    assert [c for c in cycles(graph) if any(m.startswith("newsfold.summarize") for m in c)] == []


def test_the_briefing_is_given_its_passages_and_encoder():
    """Below the Summaries stage, no summarize module imports another stage (dedup, stories, engines): the stage
    hands the briefing its passages and its sentence encoder."""
    graph = import_graph()
    for mod, edges in graph.items():
        if mod.startswith("newsfold.summarize") and mod != "newsfold.summarize.stage":
            assert not [e for e in edges if e.startswith(("newsfold.dedup", "newsfold.stories", "newsfold.engine"))], \
                mod
