"""The command line's edges (review A): Ctrl-C, light imports, library warnings, what `gasnet
run` says it wrote, and messages that stay one bounded line whatever the ids hold."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
from test_hostile_io import one_clear_error, open_valves

from gasnet import pipeline
from gasnet._output import CleanStream, clean_text, clean_value


@pytest.fixture
def built(project, cli):
    open_valves(project, ("V1", (50, 0)))
    assert cli("--config", project.config, "run")[0] == 0
    return project


# -- B7: Ctrl-C and light imports ----------------------------------------------------------------


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
    assert isinstance(net, gasnet.Network) and len(net.layers["valves"]) == 1
    with pytest.raises(AttributeError):
        gasnet.nothing_here  # noqa: B018


@pytest.mark.parametrize("where", ["parsing", "stage"])
def test_ctrl_c_exits_130_with_one_line(project, cli, monkeypatch, where):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if where == "parsing":
        monkeypatch.setattr("gasnet.cli._parser", interrupt)
    else:
        monkeypatch.setattr(pipeline, "validate", interrupt)
    try:
        code, _, err = cli("--config", project.config, "validate")
    except KeyboardInterrupt:  # (escaping main() would stop the test session)
        pytest.fail("Ctrl-C escaped main() as a traceback")
    assert code == 130
    assert err == "gasnet: interrupted; the previous outputs are intact\n"


# -- C12: `gasnet run` says "written" once it is ------------------------------------------------


def test_run_names_the_geopackage_once_it_is_written(project, cli):
    code, out, err = cli("--config", project.config, "run")
    assert code == 0, err
    assert " into " not in out
    assert [ln for ln in out.splitlines() if "gasnet.gpkg" in ln] == [f"written to {project.gpkg}"]
    assert out.splitlines()[-1] == f"written to {project.gpkg}"  # after the top tables


def test_a_failed_run_never_says_written(project, cli, monkeypatch):
    from gasnet.errors import GasnetError

    def fail(config):
        raise GasnetError("criticality went wrong")

    monkeypatch.setattr(pipeline, "criticality", fail)
    code, out, err = cli("--config", project.config, "run")
    assert code == 2 and "criticality went wrong" in err
    assert out.startswith("ingest: ") and "gasnet.gpkg" not in out and "written" not in out


def test_single_stages_still_say_into(project, cli):
    code, out, _ = cli("--config", project.config, "ingest")
    assert code == 0 and f"into {project.gpkg}" in out.splitlines()[0]


# -- C14: library warnings are one line each -----------------------------------------------------


def test_library_warnings_are_one_line_each_and_once(project, cli, monkeypatch):
    real = pipeline.validate

    def noisy(config):
        for _ in range(3):
            warnings.warn("GDAL said something\n  with a second line", RuntimeWarning, stacklevel=1)
        warnings.warn("numpy: divide by zero encountered", RuntimeWarning, stacklevel=1)
        # known to be harmless: not shown
        warnings.warn("invalid value encountered in intersects", RuntimeWarning, stacklevel=1)
        return real(config)

    monkeypatch.setattr(pipeline, "validate", noisy)
    code, _, err = cli("--config", project.config, "validate")
    assert code == 0, err
    assert err.splitlines() == [
        "gasnet: warning: GDAL said something",
        "gasnet: warning: numpy: divide by zero encountered",
    ]


# -- D: messages stay one bounded line -----------------------------------------------------------


def test_thousands_of_unknown_ids_make_a_short_line(built, cli):
    ids = ",".join(f"NOPE{i}" for i in range(8000))
    line = one_clear_error(*cli("--config", built.config, "isolate", "--close", ids)[::2])
    assert "unknown valve id(s): NOPE0, NOPE1," in line and "NOPE7 and 7992 more" in line
    assert len(line) < 400


def test_a_line_break_inside_an_id_stays_on_one_line(built, cli):
    code, _, err = cli("--config", built.config, "isolate", "--close", "V1\nNOPE")
    assert code == 2
    (line,) = err.splitlines()
    assert "unknown valve id(s): V1 NOPE" in line


def test_any_error_line_is_bounded(built, cli, monkeypatch):
    from gasnet.errors import GasnetError

    def long(config):
        raise GasnetError("start " + "x" * 100_000 + " the fix")

    monkeypatch.setattr(pipeline, "validate", long)
    code, _, err = cli("--config", built.config, "validate")
    (line,) = err.splitlines()
    assert code == 2 and len(line) < 4200
    assert line.startswith("gasnet: start xxx") and line.endswith("xxx the fix")
    assert "characters left out" in line


@pytest.mark.parametrize("command", [["isolate", "--close", "V1"], ["burst", "--pipe", "P2"]])
def test_an_empty_out_is_an_error(built, cli, command):
    line = one_clear_error(*cli("--config", built.config, *command, "--out", "")[::2])
    assert "--out '': an empty path" in line


def test_sample_with_an_empty_out_is_an_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = one_clear_error(*cli("sample", "--out", "", "--pipes", "300")[::2])
    assert "--out '': an empty path" in line
    assert list(tmp_path.iterdir()) == []


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
