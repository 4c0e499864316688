"""Pipeline stages benchmark (issue 11): each stage a separate ``gasnet`` command, files in and out.

Every network is used as a user would use it: ``gasnet --config DIR/gasnet.toml ingest``, then
``build``, ``criticality`` and ``hazards``, each a fresh process reading the previous one's
GeoPackage, each timed (wall clock) with its peak memory; WNTR's ``valve_segments`` runs on the
same graph in the same run. First comes issue 11's done-when check on the 16k grid.

Usage
-----
::

    python bench/stages.py                                # grid 16k end to end vs WNTR, then
                                                          # sample, grid, line at 10k, 100k, 1M
    python bench/stages.py --shapes grid --sizes 10000 --e2e-grid 0
    python bench/stages.py --sizes '' --e2e-grid 16000    # the done-when check alone
    python bench/stages.py --sizes 1600,10000 --wntr-max 1600 --e2e-grid 1600   # small, quick
    python bench/stages.py --wntr-one 1600 --shape grid   # WNTR alone, JSON (the child process)

Notes
-----
Time is wall clock from process start to exit (imports included); peak memory is the
command's own maximum resident set (GNU ``/usr/bin/time -f %M``; without it, a wrapper process
whose only child is the command, its ``RUSAGE_CHILDREN``). ``DIR`` is a copy of the generated
network (bench/common.py ``sample_dir``, bench/grid.py, bench/line.py: cached in bench/out)
without its output folder, in bench/out/stages-work/, deleted afterwards: the cache never gets
outputs. The grid and the line have no hazard records (no ``[layers.hazards]``): their hazards
stage is not run, and the output says so.

WNTR's ``valve_segments`` gets the graph of bench/engine.py (its ``_wntr``), in a fresh process
stopped after ``--wntr-timeout`` seconds (600; the network's load counts too); it is not run at
a size when a smaller size of the same shape took more than 60 s (it grows superlinearly). Its
seconds are ``valve_segments`` alone; the ratio is against ingest + build + criticality, the
commands that give what it gives (the segments) and more (losses, valve failures, the
GeoPackage).

The done-when check (``--e2e-grid``, 16k pipes; 0: none): the grid's ingest + build +
criticality as separate commands against WNTR ``valve_segments`` alone, in the same run, "at
least 20x" or not. WNTR takes about 10 minutes there, so it is stopped only after
``--e2e-wntr-timeout`` (1800 s); stopped, the ratio is a lower bound.

Before anything is timed the three stages run once on the 1.6k grid (``--no-warm-up``: not):
numba's compiled kernels are cached on disk, so each later command loads them, as every run
after a user's first does.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, in_subprocess
from engine import _network, _wntr, network_dir

STAGES = ("ingest", "build", "criticality", "hazards")
E2E = STAGES[:3]  # what WNTR's valve_segments is compared with
SLOW_S = 60.0  # WNTR slower than this at one size is not run at the next ones
TARGET = 20.0  # issue 11: end to end at least 20x faster than WNTR valve_segments
TIME = shutil.which("time", path="/usr/bin")  # GNU time: %M is the command's own peak
# Without GNU time: a wrapper whose only child is the command (ru_maxrss of the children is
# the largest child's, so one child per wrapper gives that command's own peak).
WRAP = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(str(kib))\n"
    "sys.exit(rc)\n"
)
WORK = OUT / "stages-work"


def gasnet_command() -> list[str]:
    """The ``gasnet`` command of this interpreter's environment (its console script)."""
    script = Path(sys.executable).with_name("gasnet")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from gasnet.cli import main; sys.exit(main())"]


def timed(cmd: list[str], cwd: Path) -> dict:
    """Run ``cmd``: wall seconds, its peak resident MiB, exit code (and last error line)."""
    peak = cwd / ".peak-kib"
    wrap = [TIME, "-f", "%M", "-o", str(peak)] if TIME else [sys.executable, "-c", WRAP, str(peak)]
    t = time.perf_counter()
    out = subprocess.run([*wrap, *cmd], cwd=cwd, capture_output=True, text=True)
    res = {"s": time.perf_counter() - t, "rc": out.returncode}
    res["mib"] = int(peak.read_text().split()[-1]) / 1024  # GNU time: after any exit status
    if out.returncode:
        lines = (out.stderr.strip() or out.stdout.strip()).splitlines()
        res["error"] = lines[-1] if lines else ""
    return res


def run_case(shape: str, pipes: int, stages=STAGES) -> dict:
    """The stages as separate commands on a copy of the generated network."""
    import pyogrio

    from gasnet.config import read_config

    src = network_dir(pipes, shape)  # generated (once) outside the measurement
    config = read_config(src / "gasnet.toml")
    row = {
        "shape": shape,
        "size": pipes,
        "pipes": sum(pyogrio.read_info(s.path)["features"] for s in config.layers["pipes"]),
        "stages": {},
        "notes": [],
    }
    if "hazards" in stages and not config.layers.get("hazards"):
        stages = [s for s in stages if s != "hazards"]
        row["notes"].append(
            f"{shape}: no hazard records in the generated network (no [layers.hazards] in its "
            "gasnet.toml): hazards not run"
        )
    work, out = WORK / src.name, config.output_dir
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, work, ignore=lambda d, names: [n for n in names if Path(d, n) == out])
    try:
        for stage in stages:
            print(f"  {shape} {row['pipes']:,}: {stage}", file=sys.stderr, flush=True)
            r = timed([*gasnet_command(), "--config", str(work / "gasnet.toml"), stage], work)
            row["stages"][stage] = r
            if r["rc"]:
                row["notes"].append(
                    f"{shape} {row['pipes']:,}: {stage} failed (exit {r['rc']}): "
                    f"{r['error']}; the later stages not run"
                )
                break
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            WORK.rmdir()  # (when empty)
    done = [row["stages"].get(s) for s in E2E]
    if all(r and not r["rc"] for r in done):
        row["e2e_s"] = sum(r["s"] for r in done)
        row["e2e_mib"] = max(r["mib"] for r in done)
    return row


def run_wntr(shape: str, pipes: int, timeout: float) -> dict:
    """WNTR's ``valve_segments`` in a fresh process, stopped after ``timeout`` seconds."""
    print(f"  {shape} (size {pipes:,}): WNTR valve_segments", file=sys.stderr, flush=True)
    try:
        return in_subprocess(Path(__file__), "--wntr-one", pipes, "--shape", shape, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"stopped": timeout}
    except subprocess.CalledProcessError as e:
        lines = e.stderr.strip().splitlines()
        return {"failed": lines[-1] if lines else f"exit {e.returncode}"}


def wntr_cells(row: dict) -> tuple[str, str]:
    """The WNTR seconds and the WNTR / (ingest + build + criticality) ratio, as shown."""
    w = row.get("wntr", {})
    e2e = row.get("e2e_s")
    if "wntr_s" in w:
        return f"{w['wntr_s']:.1f}", f"{w['wntr_s'] / e2e:.1f}x" if e2e else "-"
    if "stopped" in w:
        return f">{w['stopped']:.0f} s (stopped)", f">{w['stopped'] / e2e:.1f}x" if e2e else "-"
    if "failed" in w:
        return "failed", "-"
    return ("skipped" if "skipped" in w else "-"), "-"


def e2e_check(pipes: int, timeout: float) -> list[str]:
    """Issue 11's done-when: the grid end to end, separate commands, vs WNTR in the same run."""
    row = run_case("grid", pipes, E2E)
    lines = [
        f"end to end vs WNTR (issue 11 done-when: at least {TARGET:.0f}x), grid "
        f"{row['pipes']:,} pipes, same run:"
    ]
    if "e2e_s" not in row:
        return [*lines, *(f"  {n}" for n in row["notes"])]
    parts = ", ".join(f"{s} {row['stages'][s]['s']:.2f} s" for s in E2E)
    lines.append(
        f"  gasnet ingest + build + criticality, separate commands: {row['e2e_s']:.2f} s "
        f"({parts}; peak {row['e2e_mib']:.0f} MiB)"
    )
    row["wntr"] = run_wntr("grid", pipes, timeout)
    secs, ratio = wntr_cells(row)
    w = row["wntr"]
    secs += "" if "stopped" in w else " s"
    lines.append(f"  WNTR valve_segments alone, on the same graph: {secs}")
    if "wntr_s" in w:
        verdict = "yes" if w["wntr_s"] / row["e2e_s"] >= TARGET else "no"
    elif "stopped" in w and w["stopped"] / row["e2e_s"] >= TARGET:
        verdict = "yes (WNTR stopped: the ratio is a lower bound)"
    else:
        verdict = "undecided (WNTR " + ("stopped" if "stopped" in w else "failed") + ")"
    lines.append(f'  WNTR / gasnet end to end: {ratio}; meets "at least {TARGET:.0f}x": {verdict}')
    return lines


def table(rows: list[dict]) -> list[str]:
    """The stage table, the notes, and each stage's growth from size to size per shape."""
    head = f"{'shape':>6} {'pipes':>9}"
    for s in STAGES:
        head += f" {s + ' s':>13} {'MiB':>6}"
    head += f" {'i+b+c s':>8} {'WNTR s':>16} {'WNTR/(i+b+c)':>12}"
    lines = [head]
    for r in rows:
        line = f"{r['shape']:>6} {r['pipes']:>9,}"
        for s in STAGES:
            st = r["stages"].get(s)
            if st and not st["rc"]:
                line += f" {st['s']:>13.2f} {st['mib']:>6.0f}"
            else:
                line += f" {'failed' if st else '-':>13} {'-':>6}"
        e2e = f"{r['e2e_s']:.2f}" if "e2e_s" in r else "-"
        secs, ratio = wntr_cells(r)
        lines.append(line + f" {e2e:>8} {secs:>16} {ratio:>12}")
    lines += list(dict.fromkeys(n for r in rows for n in r["notes"]))
    for shape, group in itertools.groupby(rows, key=lambda r: r["shape"]):
        for a, b in itertools.pairwise(group):
            ok = [s for s in STAGES if _ok(a, s) and _ok(b, s)]
            grow = {s: (b["stages"][s]["s"] / a["stages"][s]["s"]) for s in ok}
            mem = {s: (b["stages"][s]["mib"] / a["stages"][s]["mib"]) for s in ok}
            if "e2e_s" in a and "e2e_s" in b:
                grow["i+b+c"] = b["e2e_s"] / a["e2e_s"]
            lines.append(
                f"{shape}: {a['pipes']:,} -> {b['pipes']:,} pipes "
                f"({b['pipes'] / a['pipes']:.1f}x data): time "
                + ", ".join(f"{s} {g:.1f}x" for s, g in grow.items())
                + "; peak memory "
                + ", ".join(f"{s} {g:.1f}x" for s, g in mem.items())
            )
    return lines


def _ok(row: dict, stage: str) -> bool:
    return stage in row["stages"] and not row["stages"][stage]["rc"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="sample,grid,line")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--e2e-grid", type=int, default=16000, help="grid pipes; 0: no check")
    ap.add_argument("--wntr-timeout", type=float, default=600.0)
    ap.add_argument("--e2e-wntr-timeout", type=float, default=1800.0)
    ap.add_argument("--wntr-max", type=int, help="WNTR in the table up to this many pipes")
    ap.add_argument("--no-warm-up", action="store_true")
    ap.add_argument("--wntr-one", type=int, help="(child) WNTR alone on one network, JSON")
    ap.add_argument("--shape", choices=("sample", "grid", "line"), default="sample")
    args = ap.parse_args()
    if args.wntr_one:
        print(json.dumps(_wntr(_network(args.wntr_one, args.shape))))
        return
    print(f"gasnet: {' '.join(gasnet_command())}; peak memory: {TIME or 'RUSAGE_CHILDREN'}")
    if not args.no_warm_up:
        w = run_case("grid", 1600, E2E)
        print(
            f"warm-up, untimed (numba's kernels compiled and cached): grid {w['pipes']:,} pipes, "
            + ", ".join(f"{s} {r['s']:.1f} s" for s, r in w["stages"].items())
            + "".join(f"; {n}" for n in w["notes"])
        )
    if args.e2e_grid:
        print("\n".join(e2e_check(args.e2e_grid, args.e2e_wntr_timeout)), flush=True)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    rows = []
    for shape in [s for s in args.shapes.split(",") if s]:
        slow = None  # (pipes, shown seconds) of the first WNTR over SLOW_S
        for n in sizes:
            row = run_case(shape, n)
            if args.wntr_max is not None and n > args.wntr_max:
                row["wntr"] = {}
            elif slow:
                row["wntr"] = {"skipped": True}
                row["notes"].append(
                    f"{shape} {row['pipes']:,}: WNTR not run: on {slow[0]:,} pipes it took "
                    f"{slow[1]}, over {SLOW_S:.0f} s, and it grows superlinearly"
                )
            else:
                row["wntr"] = run_wntr(shape, n, args.wntr_timeout)
                w = row["wntr"]
                if "failed" in w:
                    row["notes"].append(f"{shape} {row['pipes']:,}: WNTR failed: {w['failed']}")
                if "stopped" in w or w.get("wntr_s", 0) > SLOW_S:
                    shown = wntr_cells(row)[0]
                    slow = (row["pipes"], shown if "stopped" in w else f"{shown} s")
            rows.append(row)
    if rows:
        print("\n".join(table(rows)))
    if rows and args.wntr_max is not None:
        upto = f"only up to {args.wntr_max:,} pipes" if args.wntr_max else "not run"
        print(f"(WNTR in the table: {upto}, --wntr-max {args.wntr_max})")


if __name__ == "__main__":
    main()
