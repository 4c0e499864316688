"""Package hygiene (issue 7, item 6): no import cycles between gasnet's modules."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import gasnet

SRC = Path(gasnet.__file__).parent


def _imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports, at any depth (lazy imports included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:  # from . import x, y
                out |= {a.name for a in node.names}
    return out


def test_no_import_cycles():
    g = nx.DiGraph()
    for f in SRC.glob("*.py"):
        if f.stem == "__init__":
            continue
        for dep in _imports(f):
            if (SRC / f"{dep}.py").exists():
                g.add_edge(f.stem, dep)
    assert list(nx.simple_cycles(g)) == []


def test_version_comes_from_its_own_module():
    from gasnet._version import __version__

    assert gasnet.__version__ == __version__
