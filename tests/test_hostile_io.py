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
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pyogrio
import pytest
from conftest import BASE_CONFIG, pt, write_shp

from gasnet import pipeline, store
from gasnet.config import read_config
from gasnet.errors import ConfigError, GasnetError

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


def test_a_fifo_named_as_a_layer_is_refused_without_hanging(project):
    (project.raw / "valves.shp").unlink()
    os.mkfifo(project.raw / "valves.shp")  # nobody ever writes into it
    line = one_clear_error(run_cli("--config", project.config, "ingest", timeout=60))
    assert "valves" in line and "valves.shp is a FIFO (named pipe), not a regular file" in line
    assert "point path = ... in [layers.valves] at a regular file" in line


def test_a_fifo_beside_a_shapefile_is_refused_without_hanging(project):
    (project.raw / "pipes.dbf").unlink()
    os.mkfifo(project.raw / "pipes.dbf")  # GDAL opens the .dbf too
    line = one_clear_error(run_cli("--config", project.config, "validate", timeout=60))
    assert "pipes.dbf is a FIFO" in line


def test_dev_zero_named_as_a_csv_is_refused_without_reading_forever(project):
    os.symlink("/dev/zero", project.raw / "hazards.csv")
    project.add_config('[layers.hazards]\npath = "raw/hazards.csv"\ncrs = "EPSG:4326"\n')
    # The memory limit keeps a missing fix from eating the machine; the timeout from hanging.
    result = run_cli("--config", project.config, "ingest", timeout=60, memory=2 << 30)
    line = one_clear_error(result)
    assert "hazards.csv is a character device, not a regular file" in line


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
    """What is in an output folder besides the outputs (gasnet.gpkg, risk.csv)."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name not in ("gasnet.gpkg", "maps", "risk.csv", "valve_advice.csv")
    )


def test_a_file_size_limit_mid_run_leaves_the_previous_geopackage(project, cli):
    assert cli("--config", project.config, "run")[0] == 0
    before = _digest(project.gpkg)
    # The GeoPackage is ~300 kB: GDAL's writes into the staging file fail with EFBIG.
    line = one_clear_error(run_cli("--config", project.config, "run", fsize=100_000))
    assert str(project.gpkg) in line and "cannot write the GeoPackage (File too large" in line
    assert "the file size limit is 100000 bytes" in line and "ulimit -f" in line
    assert _digest(project.gpkg) == before
    assert _leftovers(project.gpkg.parent) == []


def test_a_full_disk_leaves_the_previous_results(project, cli, tmp_path):
    """A real ENOSPC: the output folder is a 400 kB tmpfs holding the previous GeoPackage."""
    assert cli("--config", project.config, "run")[0] == 0
    saved = tmp_path / "saved.gpkg"
    shutil.copy2(project.gpkg, saved)
    res = tmp_path / "res"
    res.mkdir()
    out = project.gpkg.parent
    result = in_mount_namespace(
        textwrap.dedent(
            f"""\
            set -e
            mount -t tmpfs -o size=400k tmpfs {out}
            cp {saved} {out}/gasnet.gpkg
            set +e
            {sys.executable} -c '{CLI}' --config {project.config} run 2> {res}/err
            echo $? > {res}/rc
            sha256sum {out}/gasnet.gpkg | cut -d' ' -f1 > {res}/sha
            ls -A {out} > {res}/ls
            """
        )
    )
    assert result.returncode == 0, result.stderr
    line = one_clear_error(int((res / "rc").read_text()), (res / "err").read_text())
    assert "cannot write the GeoPackage (No space left on device" in line  # (+ sizes)
    assert "free some disk space" in line
    assert (res / "sha").read_text().strip() == _digest(saved)
    assert (res / "ls").read_text().split() == ["gasnet.gpkg"]


def test_a_read_only_output_folder_leaves_the_previous_results(project, cli, tmp_path):
    """A real read-only file system: the output folder bind-mounted read-only."""
    assert cli("--config", project.config, "run")[0] == 0
    before = _digest(project.gpkg)
    out = project.gpkg.parent
    res = tmp_path / "res"
    res.mkdir()
    result = in_mount_namespace(
        textwrap.dedent(
            f"""\
            set -e
            mount --bind {out} {out}
            mount -o remount,ro,bind {out}
            set +e
            {sys.executable} -c '{CLI}' --config {project.config} run 2> {res}/err
            echo $? > {res}/rc
            """
        )
    )
    assert result.returncode == 0, result.stderr
    line = one_clear_error(int((res / "rc").read_text()), (res / "err").read_text())
    assert "cannot write the GeoPackage (Read-only file system)" in line
    assert "set [output] dir in the config to a writable folder" in line
    assert _digest(project.gpkg) == before and _leftovers(out) == []


def test_read_only_output_folder_at_the_os_call(project, cli, monkeypatch):
    """The same without a mount namespace: root ignores chmod, so the first OS call that a
    read-only file system refuses (creating the staging file) fails with EROFS here."""
    assert cli("--config", project.config, "run")[0] == 0
    before = _digest(project.gpkg)
    real_open = os.open
    out = str(project.gpkg.parent)

    def read_only(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and os.fspath(path).startswith(out):
            raise OSError(30, "Read-only file system", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    line = one_clear_error(*cli("--config", project.config, "ingest")[::2])
    assert "cannot write the GeoPackage (Read-only file system)" in line
    assert _digest(project.gpkg) == before


def test_an_output_folder_that_cannot_be_created(project, cli):
    if not os.path.isdir("/sys/kernel"):
        pytest.skip("no sysfs here")
    project.replace_config('dir = "out"', 'dir = "/sys/gasnet-out"')  # sysfs refuses mkdir
    line = one_clear_error(*cli("--config", project.config, "run")[::2])
    assert "/sys/gasnet-out/gasnet.gpkg: cannot write the GeoPackage" in line
    assert "set [output] dir in the config to a writable folder" in line


@pytest.mark.parametrize("command", ["run", "ingest"])
def test_output_dir_that_is_a_file(project, cli, command):
    project.replace_config('dir = "out"', 'dir = "gasnet.toml"')
    line = one_clear_error(*cli("--config", project.config, command)[::2])
    assert "gasnet.toml/gasnet.gpkg: cannot write the GeoPackage" in line
    assert "gasnet.toml is a file, not a folder" in line
    assert "point [output] dir in the config at a folder" in line


def test_geopackage_path_that_is_a_folder(project, cli):
    (project.root / "out" / "gasnet.gpkg").mkdir(parents=True)
    line = one_clear_error(*cli("--config", project.config, "run")[::2])
    assert "gasnet.gpkg: cannot write the GeoPackage (it is a folder)" in line


@pytest.fixture
def built(project, cli):
    """The project with open valves (V1 feeds C1), run once."""
    open_valves(project, ("V1", (50, 0)))
    assert cli("--config", project.config, "run")[0] == 0
    return project


def test_out_that_is_a_folder_or_under_a_file(built, cli, tmp_path):
    (tmp_path / "folder").mkdir()
    line = one_clear_error(
        *cli("--config", built.config, "isolate", "--close", "V1", "--out", tmp_path / "folder")[
            ::2
        ]
    )
    assert "that is a folder; give a file name" in line
    (tmp_path / "note.txt").write_text("x")
    line = one_clear_error(
        *cli(
            "--config", built.config, "burst", "--pipe", "P2", "--out", tmp_path / "note.txt/b.csv"
        )[::2]
    )
    assert "note.txt/b.csv: cannot write the file" in line
    assert "note.txt is a file, not a folder); point --out at a folder" in line
    assert (tmp_path / "note.txt").read_text() == "x"


def test_a_full_disk_while_writing_out_keeps_the_previous_table(built, cli, tmp_path):
    answers = tmp_path / "answers"
    answers.mkdir()
    out = answers / "lost.csv"
    assert cli("--config", built.config, "isolate", "--close", "V1", "--out", out)[0] == 0
    before = _digest(out)
    result = run_cli("--config", built.config, "isolate", "--close", "V1", "--out", out, fsize=40)
    line = one_clear_error(result)
    assert f"{out}: cannot write the file (File too large)" in line
    assert _digest(out) == before and os.listdir(answers) == ["lost.csv"]


def test_out_onto_a_device_is_refused(built, cli, tmp_path):
    # A device node of our own, like /dev/null (root may make one): writing must not replace it.
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        pytest.skip("cannot make a device node here")
    line = one_clear_error(
        *cli("--config", built.config, "isolate", "--close", "V1", "--out", null)[::2]
    )
    assert f"{null}: is a character device, not a regular file" in line
    assert stat.S_ISCHR(os.stat(null).st_mode)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _scramble(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 this is a zip, not a GeoPackage" * 100)


@pytest.mark.parametrize("damage", [_truncate, _scramble, lambda p: p.write_bytes(b"")])
@pytest.mark.parametrize(
    "command",
    [
        ["build"],
        ["criticality"],
        ["isolate", "--close", "V1"],
        ["burst", "--pipe", "P2"],
    ],
)
def test_a_damaged_geopackage_says_to_rerun(built, cli, damage, command):
    damage(built.gpkg)
    before = _digest(built.gpkg)
    line = one_clear_error(*cli("--config", built.config, *command)[::2])
    assert str(built.gpkg) in line and "the GeoPackage is damaged" in line
    assert "run `gasnet run`" in line
    assert _digest(built.gpkg) == before


@pytest.mark.parametrize("command", ["build", "criticality"])
def test_damage_found_only_while_updating_says_to_rerun(built, cli, command):
    """A damaged spatial index of a layer that the stage replaces: reading passes, GDAL then
    fails to drop the old layer ('Layer ... already exists')."""
    import sqlite3

    layer = {"build": "nodes", "criticality": "segments"}[command]
    con = sqlite3.connect(built.gpkg)
    (root,) = con.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = ?", (f"rtree_{layer}_geom_rowid",)
    ).fetchone()
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(built.gpkg, "r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\x5a" * page)
    before = _digest(built.gpkg)
    line = one_clear_error(*cli("--config", built.config, command)[::2])
    assert f"{built.gpkg}: the GeoPackage is damaged" in line and "run `gasnet run`" in line
    assert _digest(built.gpkg) == before and _leftovers(built.gpkg.parent) == []


def test_a_damaged_geopackage_from_python_and_the_fix(built, cli):
    import gasnet

    _truncate(built.gpkg)
    with pytest.raises(GasnetError, match=r"damaged \(truncated: \d+ of \d+ bytes\)") as exc:
        gasnet.load(built.config)
    assert exc.typename == "OutputError"
    assert cli("--config", built.config, "run")[0] == 0
    assert len(gasnet.load(built.config).valves) == 1


def test_a_fifo_in_place_of_the_geopackage_does_not_hang(built):
    built.gpkg.unlink()
    os.mkfifo(built.gpkg)
    line = one_clear_error(run_cli("--config", built.config, "isolate", "--close", "V1"))
    assert "gasnet.gpkg is a FIFO (named pipe), not a regular file" in line


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
            "not a canonical value; use one of HP-A",
        ),
        (
            "[layers.pipes]",
            '[values]\n"pipes.pressure_class" = 5\n[layers.pipes]',
            '[values."pipes.pressure_class"] must be a table of label = "canonical value"',
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


def test_output_dir_inside_the_folder_of_a_symlinked_input_is_refused(project, cli, tmp_path):
    # raw/pipes.* are links to files kept elsewhere: raw/ is still an input folder.
    elsewhere = tmp_path.parent / f"{tmp_path.name}-gis"
    elsewhere.mkdir()
    for f in project.raw.glob("pipes.*"):
        f.rename(elsewhere / f.name)
        f.symlink_to(elsewhere / f.name)
    project.replace_config('dir = "out"', 'dir = "raw/out"')
    line = one_clear_error(*cli("--config", project.config, "validate")[::2])
    assert f"is inside {project.raw}, the folder of input pipes.shp" in line


def test_sample_out_that_is_a_file_or_under_one(tmp_path, cli):
    (tmp_path / "f").write_text("x")
    line = one_clear_error(*cli("sample", "--out", tmp_path / "f", "--pipes", "300")[::2])
    assert "that is a file; give a folder" in line
    line = one_clear_error(*cli("sample", "--out", tmp_path / "f" / "s", "--pipes", "300")[::2])
    assert f"{tmp_path / 'f' / 's'}: cannot write the sample" in line
    assert (tmp_path / "f").read_text() == "x"


def test_out_into_the_raw_folder_is_refused(built, cli):
    before = {p.name: _digest(p) for p in built.raw.iterdir()}
    line = one_clear_error(
        *cli(
            "--config", built.config, "isolate", "--close", "V1", "--out", built.raw / "pipes.dbf"
        )[::2]
    )
    assert "the folder of input" in line and "raw data is never written" in line
    assert {p.name: _digest(p) for p in built.raw.iterdir()} == before


def test_the_sample_keeps_outputs_beside_its_raw_data(tmp_path, cli):
    code, _, err = cli("sample", "--out", tmp_path / "s", "--pipes", "300")
    assert code == 0, err
    config = read_config(tmp_path / "s" / "gasnet.toml")
    assert config.output_dir == (tmp_path / "s" / "processed").resolve()
    assert config.layers["pipes"][0].path.parent.name == "raw"


# -- 4. stale staging files of killed runs -----------------------------------------------------


def test_stale_staging_files_are_cleaned_but_never_a_live_runs(project, cli, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid is gone now
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        out = project.root / "out"
        out.mkdir()
        stale = [
            f".gasnet.tmp-{dead.pid}.gpkg",
            f".gasnet.tmp-{dead.pid}.gpkg-journal",
            f".gasnet.tmp-{dead.pid}.gpkg-wal",
            f".gasnet.tmp-{dead.pid}.gpkg-shm",
            f"..gasnet.tmp-{dead.pid}.tmp-{dead.pid}.gpkg",
            f".isolate.tmp-{dead.pid}.csv",
            f".b.area.tmp-{dead.pid}.geojson",
        ]
        kept = [
            f".gasnet.tmp-{live.pid}.gpkg",  # a concurrent run's
            f".gasnet.tmp-{live.pid}.gpkg-journal",
            "notes.txt",
            ".gasnet.tmp-x.gpkg",
            f".notes.tmp-{dead.pid}.txt",  # not a suffix gasnet writes
        ]
        for name in stale + kept:
            (out / name).write_bytes(b"partial")
        assert cli("--config", project.config, "run")[0] == 0
        assert sorted(os.listdir(out)) == sorted(
            [*kept, "gasnet.gpkg", "maps", "risk.csv", "valve_advice.csv"]
        )
    finally:
        live.kill()
        live.wait()


def test_stale_staging_files_beside_out_are_cleaned(built, cli, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / f".lost.tmp-{dead.pid}.csv").write_text("half a table")
    (answers / f".lost.valves.tmp-{dead.pid}.csv").write_text("half a table")
    code, _, err = cli(
        "--config", built.config, "burst", "--pipe", "P2", "--out", answers / "x.csv"
    )
    assert code == 0, err
    assert sorted(os.listdir(answers)) == [
        "x.area.geojson",
        "x.csv",
        "x.valves.csv",
    ]


# -- 5. ids the command line or the tables cannot keep apart -----------------------------------


def test_ids_with_comma_semicolon_or_case_only_are_warned_per_feature(project, cli):
    open_valves(project, ("V,1", (50, 0)), ("VB", (150, 0)), ("vb", (180, 0)))
    write_shp(
        project.raw / "sources.shp", [{"id": "S;1", "name": "門站", "kind": "門站"}], [pt(0, 0)]
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "valve id holds a comma" in out and "V,1" in out
    assert "id holds ';'" in out and "S;1" in out
    assert "ids differ only in upper / lower case" in out
    issues = pyogrio.read_dataframe(project.gpkg, layer="quality_issues")
    rows = {
        (r.check, r.layer, r.feature_id): r.message
        for r in issues.itertuples()
        if r.check[:3] == "id_"
    }
    assert set(rows) == {
        ("id_with_comma", "valves", "V,1"),
        ("id_with_semicolon", "sources", "S;1"),
        ("id_case_only", "valves", "VB"),
        ("id_case_only", "valves", "vb"),
    }
    assert rows[("id_case_only", "valves", "VB")].endswith("(also 'vb')")
    assert (issues["severity"] == "warning").all()


def test_a_valve_id_with_a_comma_can_be_closed(project, cli, tmp_path):
    # S(0,0)─P1─"V,1"(50,0)─P1─(100,0)─P2─V2(170,0)─P2─(200,0); C1 at (150,10) before V2.
    open_valves(project, ("V,1", (50, 0)), ("V2", (170, 0)))
    assert cli("--config", project.config, "run")[0] == 0
    code, out, err = cli("--config", project.config, "isolate", "--close", "V,1")
    assert code == 0, err
    assert "closing 'V,1': 2 customers" in out
    # --close may be repeated; each argument is a list unless it is a known id.
    code, out, err = cli("--config", project.config, "isolate", "--close", "V2", "--close", "V,1")
    assert code == 0 and "closing V2, 'V,1': 2 customers" in out
    code, _, err = cli("--config", project.config, "isolate", "--close", "V2,NOPE")
    assert code == 2 and "unknown valve id(s): NOPE" in err
    code, out, err = cli("--config", project.config, "burst", "--pipe", "P2", "--fail", "V,1")
    assert code == 0, err


def test_a_comma_id_that_is_also_two_ids_is_taken_whole_with_a_note(project, cli):
    open_valves(project, ("A,B", (50, 0)), ("A", (170, 0)), ("B", (180, 0)))
    assert cli("--config", project.config, "run")[0] == 0
    code, out, err = cli("--config", project.config, "isolate", "--close", "A,B")
    assert code == 0 and "closing 'A,B': 2 customers" in out
    assert "'A,B' is taken as one valve id; valves A, B exist too" in err
    code, out, err = cli("--config", project.config, "isolate", "--close", "A", "--close", "B")
    assert code == 0 and "closing A, B: 0 customers" in out and "note" not in err


# -- 6. answers from an old GeoPackage say so --------------------------------------------------


def _warnings(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith("gasnet: warning:")]


def test_isolate_and_burst_warn_when_the_raw_data_changed(built, cli):
    code, _, err = cli("--config", built.config, "isolate", "--close", "V1")
    assert code == 0 and _warnings(err) == []
    write_shp(built.raw / "valves.shp", [{"id": "V1", "normally": "常閉"}], [pt(50, 0)])
    for command in (["isolate", "--close", "V1"], ["burst", "--pipe", "P2"], ["criticality"]):
        code, _, err = cli("--config", built.config, *command)
        assert code == 0, err
        (line,) = _warnings(err)
        assert "raw/valves.dbf" in line and "gasnet.gpkg" in line
        assert "run `gasnet run` to rebuild it" in line
    assert cli("--config", built.config, "run")[0] == 0
    assert _warnings(cli("--config", built.config, "isolate", "--close", "V1")[2]) == []


def test_a_changed_config_or_a_removed_file_is_named(built, cli):
    built.add_config("# a comment\n")
    (built.raw / "sources.prj").unlink()
    _, _, err = cli("--config", built.config, "burst", "--pipe", "P2")
    (line,) = _warnings(err)
    assert "raw/sources.prj (removed)" in line and "gasnet.toml (config)" in line


def test_the_freshness_check_hashes_only_files_whose_size_or_time_changed(built, monkeypatch):
    config = read_config(built.config)
    meta = store.read_metadata(built.gpkg)
    hashed = []
    monkeypatch.setattr(store, "sha256", lambda p: hashed.append(Path(p).name) or "x")
    assert pipeline.changed_inputs(config, meta) == [] and hashed == []
    st = os.stat(built.raw / "pipes.shp")
    os.utime(built.raw / "pipes.shp", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched
    monkeypatch.undo()
    assert pipeline.changed_inputs(config, meta) == []  # same bytes: no warning
    monkeypatch.setattr(store, "sha256", lambda p: hashed.append(Path(p).name) or "x")
    assert pipeline.changed_inputs(config, meta) == ["raw/pipes.shp"]
    assert hashed == ["pipes.shp"]
