"""The command line's edges (review A): light imports and what reaches the terminal."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_hostile_io import open_valves

from gasnet._output import CleanStream, clean_text, clean_value


@pytest.fixture
def built(project, cli):
    open_valves(project, ("V1", (50, 0)))
    assert cli("--config", project.config, "run")[0] == 0
    return project


# -- B7: light imports -------------------------------------------------------------------------


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_importing_gasnet_and_its_cli_loads_no_heavy_library():
    heavy = {"geopandas", "pyogrio", "pandas", "shapely", "networkx", "scipy"}
    assert _modules_after("import gasnet") & heavy == set()
    assert _modules_after("import gasnet.cli") & heavy == set()
    version = "from gasnet.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit: pass"
    assert _modules_after(version) & heavy == set()


def test_gasnet_load_still_works_lazily(built):
    import gasnet

    assert "load" in dir(gasnet) and "Network" in dir(gasnet)
    net = gasnet.load(built.config)
    assert isinstance(net, gasnet.Network) and len(net.valves) == 1
    with pytest.raises(AttributeError):
        gasnet.nothing_here  # noqa: B018


# -- D: what reaches the terminal ----------------------------------------------------------------


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def test_bidi_controls_never_reach_the_terminal():
    assert clean_text(f"C{BIDI}2\nok") == "C2\nok"
    assert clean_value("\u202eC2\u202c") == "C2"

    class Sink:
        text = ""

        def write(self, t):
            Sink.text += t

    CleanStream(Sink()).write("name: \u202eevil\u202c\n")
    assert Sink.text == "name: evil\n"
