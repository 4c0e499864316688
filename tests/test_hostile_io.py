"""Hostile files and folders (issue 7): each is one readable error (exit 2) or a warning, never
a traceback, a hang or a silent loss, and a failed write leaves the previous outputs as they were.

Tests run as root, where chmod stops nothing: a read-only folder is a real read-only bind
mount inside a private mount namespace (skipped where namespaces are not allowed) and, always,
the OS call that meets it first failing with EROFS; a full disk is a real small tmpfs (same
skip) and, always, a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG)
in a child process. Whatever could hang (a FIFO, /dev/zero) runs in a child process with a
timeout, so a missing fix fails the test instead of blocking it.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE_CONFIG, pt, write_shp

from gasnet.config import read_config
from gasnet.errors import ConfigError

CLI = "import sys; from gasnet.cli import main; sys.exit(main(sys.argv[1:]))"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(*args, timeout: float = 120, fsize: int | None = None, memory: int | None = None):
    """The CLI in a child process: a hang is killed at ``timeout`` (and fails the test)."""

    def limits():
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        return subprocess.run(
            [sys.executable, "-c", CLI, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limits,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"gasnet {' '.join(map(str, args))} did not finish in {timeout} s (hangs)")


def one_clear_error(result_or_code, err: str | None = None) -> str:
    """Exit 2, one line ``gasnet: ...``, no traceback; returns the line."""
    if err is None:
        code, err = result_or_code.returncode, result_or_code.stderr
    else:
        code = result_or_code
    assert code == 2, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip() and "Warning" not in ln]
    lines = [ln for ln in lines if not ln.startswith(("  ", "/"))]  # library warnings
    assert len(lines) == 1 and lines[0].startswith("gasnet: "), err
    return lines[0]


def open_valves(project, *valves) -> None:
    """Replace the valves: (id, (x, y)) each, normally open."""
    write_shp(
        project.raw / "valves.shp",
        [{"id": v, "normally": "常開"} for v, _ in valves],
        [pt(*xy) for _, xy in valves],
    )


def namespace_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


def in_mount_namespace(script: str) -> subprocess.CompletedProcess:
    """Run a shell script in a private mount namespace (its mounts vanish with it)."""
    if not namespace_available():
        pytest.skip("no private mount namespace here (unshare -m not permitted)")
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=300
    )


# -- 1. only regular files are read -----------------------------------------------------------


def test_the_config_itself_must_be_a_regular_file(tmp_path):
    fifo = tmp_path / "gasnet.toml"
    os.mkfifo(fifo)
    line = one_clear_error(run_cli("--config", fifo, "validate", timeout=60))
    assert str(fifo) in line and "the config is a FIFO (named pipe), not a regular file" in line
    line = one_clear_error(run_cli("--config", "/dev/zero", "validate", timeout=60))
    assert "/dev/zero: the config is a character device" in line
    with pytest.raises(ConfigError, match="the config is a folder"):
        read_config(tmp_path)


# -- 2. disk full, read-only folders, paths in the way, damaged GeoPackage, bad config --------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "gasnet.gpkg")


@pytest.fixture
def built(project, cli):
    """The project with open valves (V1 feeds C1), run once."""
    open_valves(project, ("V1", (50, 0)))
    assert cli("--config", project.config, "run")[0] == 0
    return project


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _scramble(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 this is a zip, not a GeoPackage" * 100)


def test_a_config_saved_in_gbk(project, cli):
    text = project.config.read_text(encoding="utf-8").replace('name = "test"', 'name = "巴中燃氣"')
    project.config.write_bytes(text.encode("gbk"))
    line = one_clear_error(*cli("--config", project.config, "validate")[::2])
    assert str(project.config) in line and "not UTF-8 text (it looks like GBK)" in line
    assert "save it as UTF-8" in line and "line 3" in line


def test_a_config_with_a_utf8_byte_order_mark_is_read(project, cli):
    project.config.write_bytes(b"\xef\xbb\xbf" + project.config.read_bytes())
    assert cli("--config", project.config, "validate")[0] == 0


NETWORK = "[network]\nsnap_tolerance_m = 0.5\ncustomer_max_distance_m = 60\n"
PIPES = '[layers.pipes]\npath = "raw/pipes.shp"\n'
PROJECT = '[project]\nname = "test"\ncrs = "EPSG:4545"\n'


@pytest.mark.parametrize(
    ("top", "drop", "message"),
    [
        ("network = 5\n", NETWORK, "network = 5 is not a section; write [network] on a line"),
        ('layers = "x"\n', None, "layers = 'x' is not a section"),
        ("project = [1, 2]\n", PROJECT, "project = [1, 2] is not a section"),
        ("hazards = 1\n", None, "hazards = 1 is not a section"),
        ("[layers]\npipes = []\n", PIPES, "layers.pipes is an empty list"),
    ],
)
def test_sections_of_the_wrong_type_are_named(project, cli, top, drop, message):
    text = BASE_CONFIG.replace(drop, "") if drop else BASE_CONFIG.split("[layers.pipes]")[0]
    project.config.write_text(top + text, encoding="utf-8")
    line = one_clear_error(*cli("--config", project.config, "validate")[::2])
    assert str(project.config) in line and message in line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "test"', "name = 5", '[project] name must be a string in quotes, e.g. name = "'),
        ('crs = "EPSG:4545"', "crs = 4545", "[project] crs must be a string in quotes"),
        ("snap_tolerance_m = 0.5", "snap_tolerance_m = nan", "got nan: nan and inf are not"),
        ("customer_max_distance_m = 60", "customer_max_distance_m = inf", "got inf"),
        ("customer_max_distance_m = 60", 'customer_max_distance_m = "60"', "got '60'"),
        ('dir = "out"', "dir = 5", "[output] dir must be a string"),
        ('path = "raw/valves.shp"', 'path = "raw/valves.shp"\nid = 7', "id must be a string"),
        (
            'path = "raw/valves.shp"',
            'path = "raw/valves.shp"\nfields = { normally = 5 }',
            "[layers.valves.fields] normally must be the source field's name in quotes",
        ),
        (
            "[layers.pipes]",
            '[values."pipes.pressure_class"]\n"中壓" = 5\n[layers.pipes]',
            "the canonical value must be a string in quotes",
        ),
        (
            "[layers.pipes]",
            '[values]\n"pipes.pressure_class" = 5\n[layers.pipes]',
            'values."pipes.pressure_class" = 5 is not a table',
        ),
    ],
)
def test_wrong_config_types_are_named(project, cli, old, new, message):
    project.replace_config(old, new)
    line = one_clear_error(*cli("--config", project.config, "validate")[::2])
    assert str(project.config) in line and message in line


def test_a_working_crs_in_feet_is_refused(project, cli):
    project.replace_config('crs = "EPSG:4545"', 'crs = "EPSG:2227"')
    line = one_clear_error(*cli("--config", project.config, "validate")[::2])
    assert "EPSG:2227" in line and "measures in US survey foot" in line
    assert "must be projected in metres" in line


# -- 3. outputs never go into an input's folder ------------------------------------------------


@pytest.mark.parametrize("out_dir", ["raw/processed", "raw/a/b", "raw"])
def test_output_dir_inside_the_raw_folder_is_refused(project, cli, out_dir):
    project.replace_config('dir = "out"', f'dir = "{out_dir}"')
    line = one_clear_error(*cli("--config", project.config, "run")[::2])
    assert f"[output] dir '{out_dir}'" in line and "raw data is never written" in line
    assert not (project.raw / "processed").exists() and not (project.raw / "a").exists()


def test_the_sample_keeps_outputs_beside_its_raw_data(tmp_path, cli):
    code, _, err = cli("sample", "--out", tmp_path / "s", "--pipes", "300")
    assert code == 0, err
    config = read_config(tmp_path / "s" / "gasnet.toml")
    assert config.output_dir == (tmp_path / "s" / "processed").resolve()
    assert config.layers["pipes"][0].path.parent.name == "raw"


# -- 4. stale staging files of killed runs -----------------------------------------------------


# -- 5. ids the command line or the tables cannot keep apart -----------------------------------


# -- 6. answers from an old GeoPackage say so --------------------------------------------------


def _warnings(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith("gasnet: warning:")]
