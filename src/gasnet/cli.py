"""The ``gasnet`` command line. Exit codes: 0 done, 2 bad input or usage, 1 internal error."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import traceback
import warnings
from pathlib import Path

# Only light modules here: geopandas, GDAL and the stages load inside the commands, after
# main() has set up Ctrl-C handling (exit 130) and the warning lines.
from ._output import CleanStream, clean_value, csv_bytes, shown_list
from ._version import __version__
from .errors import GasnetError, LocationError

__all__ = ["main"]


def _top(result, n: int = 10) -> None:
    segs = (
        result.tables["segments"]
        .sort_values(["customers_lost", "critical_lost"], ascending=False)
        .head(n)
    )
    print(f"top {len(segs)} segments by customers lost when isolated (stations inside stop):")
    print(
        "  segment  customers_lost  households_lost  critical_lost  length_m  stations      valves"
    )
    for r in segs.itertuples():
        valves = clean_value(r.valve_ids)
        valves = valves if len(valves) <= 40 else valves[:37] + "..."
        stations = clean_value(r.source_ids).split(";") if r.source_ids else []
        shown = (
            stations[0] + (f" +{len(stations) - 1}" if len(stations) > 1 else "")
            if stations
            else "-"
        )
        print(
            f"  {r.segment_id:>7}  {r.customers_lost:>14}  {r.households_lost:>15}  "
            f"{r.critical_lost:>13}  {r.length_m:>8.0f}  {shown:<12}  {valves}"
        )
    vt = (
        result.tables["valves"]
        .sort_values(["extra_customers_lost", "extra_critical_lost"], ascending=False)
        .head(n)
    )
    print(f"top {len(vt)} valves by customers lost only because the valve fails to close:")
    print("  valve        extra_customers  extra_households  extra_critical  segments")
    for r in vt.itertuples():
        print(
            f"  {clean_value(r.valve_id):<12} {r.extra_customers_lost:>15}  "
            f"{r.extra_households_lost:>16}  {r.extra_critical_lost:>14}  {r.segment_ids}"
        )


def _top_risk(result, n: int = 10) -> None:
    risk = result.tables["risk"].head(n)
    print(f"top {len(risk)} hidden hazards to fix first (as of {result.tables['as_of']}):")
    print("  rank  tier    score  hazard        category                   overdue  pipe")
    for r in risk.itertuples():
        cat, pipe = ("-" if _blank(v) else clean_value(v) for v in (r.category, r.pipe_id))
        print(
            f"  {r.rank:>4}  {r.tier:<6} {r.score:>7.1f}  {clean_value(r.hazard_id):<13} "
            f"{cat:<26} {r.days_overdue:>5} d  {pipe}"
        )


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value == ""


def _summary(result) -> None:
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    # Within `gasnet run` nothing reaches gasnet.gpkg until every stage is done: no "into".
    where = f" into {result.path}" if result.path and not result.staged else ""
    print(f"{result.stage}: {counts}{where}")
    c = result.report.counts()
    # Stages that check nothing say nothing (a "0 warnings" after ingest's 42 reads as a
    # contradiction).
    if c["error"] or c["warning"] or result.stage not in ("criticality", "maps"):
        print(
            f"quality: {c['error']} errors, {c['warning']} warnings"
            + (" (layer quality_issues)" if result.path else "")
        )
    for line in result.report.lines("warning"):
        print(f"  {line}")
    if result.stage == "criticality" and result.tables:
        _top(result)
    if result.stage == "hazards" and result.tables:
        _top_risk(result)
    if result.stage == "advise" and result.tables:
        _top_advice(result)


def _cmd_sample(args) -> None:
    from .sample import write_sample

    out = Path(_out_arg(args.out))
    counts = write_sample(out, n_pipes=args.pipes, seed=args.seed, setting="--out")
    print(
        f"sample: {', '.join(f'{n} {k}' for k, n in counts.items())} written to "
        f"{Path(args.out) / 'raw'}"
    )
    print(f"config: {Path(args.out) / 'gasnet.toml'}")


def _out_arg(out: str, option: str = "--out") -> str:
    """``--out ''`` (or ``--map ''``) is a mistake, never "no output"."""
    if not out.strip():
        raise GasnetError(f"{option} {out!r}: an empty path; give a file or folder name")
    return out


def _warn_if_stale(config, meta=None) -> None:
    """One line on stderr when the raw data or the config changed since the last ingest."""
    from .pipeline import stale_warning

    line = stale_warning(config, meta)
    if line:
        print(f"gasnet: {line}", file=sys.stderr)


def _stage(name):
    def run(args) -> None:
        from . import pipeline
        from .config import read_config

        config = read_config(args.config)
        if name in ("build", "criticality", "hazards", "maps"):  # on what ingest read
            _warn_if_stale(config)
        stage = getattr(pipeline, name)
        if getattr(args, "as_of", None):
            config = dataclasses.replace(
                config,
                hazard_settings=dataclasses.replace(config.hazard_settings, as_of=args.as_of),
            )
        notices = []
        for result in stage(config) if name == "run" else [stage(config)]:
            _summary(result)
            notices += result.report.notices
        if name in ("run", "hazards"):
            print(f"ranked hazards: {pipeline.risk_csv(config)}")
        if name == "run":
            print(f"valve advice: {pipeline.advice_csv(config)}")
        if name in ("run", "maps"):
            print(f"maps: {', '.join(map(str, pipeline.map_paths(config)))}")
        if name == "run":  # the generator is exhausted: the staging copy has replaced it
            print(f"written to {config.store.shown}")
        for text in notices:  # what the user must not miss, however long the report above
            print(f"gasnet: note: {text}", file=sys.stderr)

    return run


_AS_OF = "count overdue days to this date (default: [risk] as_of, else today)"


def _date(text: str):
    import datetime

    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-06-30"
        ) from None


def _ids(text: str) -> str:
    if not [t for t in text.split(",") if t.strip()]:
        raise argparse.ArgumentTypeError("give one or more ids, comma-separated")
    return text.strip()


def valve_ids(arguments, known, option: str = "--close") -> list[str]:
    """The valve ids meant by ``--close`` / ``--fail`` arguments (each may be repeated).

    An argument that is itself a known valve id is one id, commas and all; any other is a
    comma-separated list. So a valve ``A,B`` is closed with ``--close A,B`` and valves ``A``
    and ``B`` with ``--close A --close B`` (or ``--close A,B`` when ``A,B`` is no valve).
    """
    out: list[str] = []
    for arg in arguments:
        split = [t.strip() for t in arg.split(",") if t.strip()]
        if arg in known and len(split) > 1 and all(t in known for t in split):
            how = (
                f"{option} {f' {option} '.join(map(clean_value, split))}"
                if len(split) <= 8
                else f"each with its own {option}"
            )
            print(
                f"gasnet: note: {clean_value(arg)!r} is taken as one valve id; valves "
                f"{shown_list(split)} exist too: give {how} for those",
                file=sys.stderr,
            )
        parts = [arg] if arg in known else split
        out.extend(p for p in parts if p not in out)
    return out


def _shown_ids(ids, limit: int = 8) -> str:
    """Ids for a message (the first ``limit``, then "and N more"); one holding a comma is
    quoted so the list stays readable."""
    ids = list(ids)
    shown = [repr(clean_value(i)) if "," in i else clean_value(i) for i in ids[:limit]]
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(shown) + more


def _xy(text: str) -> tuple[float, float]:
    try:
        x, y = (float(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not X,Y (two numbers, e.g. 106.7530,31.8500 with --crs EPSG:4326)"
        ) from None
    return x, y


def _check_out(config, out, given=None, option: str = "--out") -> None:
    """``--out`` (or ``--map``: ``option``) must not land in an input's folder nor on the
    GeoPackage, the config or the stage's maps.

    ``out`` is a file the option writes; ``given`` the value it derives from (a burst's
    ``F.valves.csv`` from ``F.csv``), when they differ.
    """
    from .errors import OutputError

    example = "isolate.html" if option == "--map" else "isolate.csv"

    # os.path.realpath, not Path.resolve: a link that loops is refused by name when written
    # (store.atomic_path), not here with RuntimeError.
    target = Path(os.path.realpath(out))
    if target.is_dir():
        if given is not None and Path(given) != Path(out):
            raise OutputError(
                f"{option} {given}: {out}, written with it, is a folder; choose another {option}, "
                "or move that folder away"
            )
        raise OutputError(
            f"{option} {out}: that is a folder; give a file name, e.g. "
            f"{option} {Path(out) / example.replace('isolate', 'out')}"
        )
    from .pipeline import advice_csv, map_paths, risk_csv

    outputs = (
        config.gpkg_target,
        config.path,
        risk_csv(config),
        advice_csv(config),
        *map_paths(config),
    )
    own = {Path(os.path.realpath(p)) for p in outputs}
    if target in own:
        raise OutputError(
            f"{option} {out}: that is the project's {target.name}; write the answer elsewhere "
            f"(e.g. {option} data/processed/{example})"
        )
    for src in (s for srcs in config.layers.values() for s in srcs if not s.url):
        folders = (Path(os.path.realpath(src.path.parent)), Path(os.path.realpath(src.path)).parent)
        folder = next((f for f in folders if target.parent.is_relative_to(f)), None)
        if folder is not None:
            raise OutputError(
                f"{option} {out}: {target.parent} is inside {folder}, the folder of input "
                f"{src.path.name}; raw data is never written: write the answer elsewhere "
                f"(e.g. {option} data/processed/{example})"
            )


def _write_csv(df, path: Path) -> None:
    from .store import atomic_path

    data = csv_bytes(df)
    with atomic_path(Path(path), setting="--out") as tmp, open(tmp, "wb") as f:
        f.write(data)


def _critical_lines(customers) -> list[str]:
    crit = customers[customers["critical"]]
    return [
        f"    {clean_value(r.name)} ({clean_value(r.kind)}, {clean_value(r.customer_id)})"
        for r in crit.itertuples()
    ]


def _load(args):
    """The config (``--out`` checked against it), a staleness warning, the network."""
    import gasnet

    from .config import read_config

    config = read_config(args.config)
    if args.out is not None:
        for out in _outputs(args):
            _check_out(config, out, args.out)
    if args.map is not None:
        _check_out(config, Path(_out_arg(args.map, "--map")), args.map, "--map")
    net = gasnet.load(config, also=())
    _warn_if_stale(config, net.metadata)  # from the same file the answers come from
    return net


def _table(gdf):
    """A result of the API (indexed by id, with geometry) as the CSV and the maps take it."""
    import pandas as pd

    return pd.DataFrame(gdf.drop(columns="geometry", errors="ignore")).reset_index()


def _write_map(path, page: str) -> None:
    from .store import atomic_path

    with atomic_path(Path(path), setting="--map") as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    print(f"  map: {path}")


def _outputs(args) -> list[Path]:
    """The files ``--out`` writes: the table, and for a burst its valves and area."""
    out = Path(_out_arg(args.out))
    if args.command == "burst":
        return [out, out.with_suffix(".valves.csv"), out.with_suffix(".area.geojson")]
    return [out]


def _base_state_notes(net, close=()) -> list[str]:
    """What the answer leaves out: valves already closed, customers without gas before."""
    notes = []
    normally = net.valves["normally"]
    shut = [v for v in close if normally.get(v) == "closed"]
    if shut:
        notes.append(
            f"  note: {_shown_ids(shut)} normally closed already: closing "
            f"{'it' if len(shut) == 1 else 'them'} changes nothing"
        )
    dry = int((~net.customers["has_supply"].astype(bool)).sum())
    if dry:
        notes.append(
            f"  note: {dry} customers have no gas in the base state (has_supply false: islands, "
            "unattached; see quality_issues) and are not counted"
        )
    return notes


def _cmd_isolate(args) -> None:
    net = _load(args)
    close = valve_ids(args.close, set(net.valves.index.dropna().astype(str)))
    lost = _table(net.isolate(close).customers)
    if args.out is not None:
        _write_csv(lost, args.out)
    print(
        f"closing {_shown_ids(close)}: {len(lost)} customers "
        f"({int(lost['households'].sum())} households) lose gas"
    )
    for line in _base_state_notes(net, close):
        print(line)
    crit = _critical_lines(lost)
    print(f"  critical customers: {len(crit)}")
    for line in crit:
        print(line)
    if args.out is not None:
        print(f"  written to {args.out}")
    if args.map is not None:
        from .maps import isolate_map

        _write_map(args.map, isolate_map(net, close, lost, config=net.config))


def _cmd_burst(args) -> None:
    net = _load(args)
    known = set(net.valves.index.dropna().astype(str))
    fail = valve_ids(args.fail or (), known, "--fail")
    try:
        res = net.burst(pipe=args.pipe, at=args.at, crs=args.crs, fail=fail)
    except LocationError as exc:  # the library speaks its API (at=...); here: --at
        raise GasnetError(exc.render(cli=True)) from None
    tables = {"valves": _table(res.valves), "customers": _table(res.customers)}
    res = dataclasses.replace(res, pipes=res.pipes.reset_index(), **tables)
    st = res.stats
    print(
        f"burst on pipe {', '.join(map(clean_value, res.damaged))}: isolate "
        f"{st['segments_isolated']} segment(s), {st['isolated_pipes']} pipes, "
        f"{st['isolated_length_m']:.0f} m"
    )
    if not st["damaged_supplied"]:
        print(
            "  warning: no source reaches this pipe in the base state (an island, or every way "
            "in closed): it holds no gas to lose or to vent"
        )
    for line in _base_state_notes(net):
        print(line)
    for action, title in (
        ("close", "close these valves"),
        ("skip_inoperable", "skipped: inoperable (isolation extended past)"),
        ("skip_failed", "skipped: reported failed (isolation extended past)"),
        ("no_crew", "no crew needed (nothing live behind them)"),
        ("already_closed", "already closed (normally closed): check"),
    ):
        rows = res.valves[res.valves["action"] == action]
        if len(rows):
            print(f"  {title}: {len(rows)}")
            for r in rows.itertuples():
                print(f"    {clean_value(r.valve_id):<12} lon {r.lon:.6f}  lat {r.lat:.6f}")
    if res.sources_to_shut:
        stations = ", ".join(map(clean_value, res.sources_to_shut))
        print(f"  stop the station(s) inside the area: {stations}")
    print(f"  de-energised: {st['deenergised_pipes']} pipes, {st['deenergised_length_m']:.0f} m")
    print(
        f"  to vent and purge: pipe volume {st['pipe_volume_m3']:.1f} m3, gas at operating "
        f"pressure {st['gas_volume_std_m3']:.0f} std m3"
        + "".join(
            f" ({st[key]} pipes without {what} not counted)"
            for key, what in (
                ("pipes_without_diameter", "diameter"),
                ("pipes_without_pressure_class", "pressure class"),
            )
            if st[key]
        )
    )
    print(f"  customers losing gas: {st['customers']} ({st['households']} households)")
    crit = _critical_lines(res.customers)
    print(f"  critical customers: {len(crit)}")
    for line in crit:
        print(line)
    if args.out is not None:
        _write_burst(net, res, _outputs(args))
    if args.map is not None:
        from .maps import burst_map

        _write_map(args.map, burst_map(net, res, at=args.at, crs=args.crs, config=net.config))


def _write_burst(net, res, outputs) -> None:
    """The three files of a burst, as one: every staging file is prepared (a target that is
    a folder or cannot be written fails) before any is written, and all replace their
    targets only when all are written (store.atomic_paths)."""
    import geopandas as gpd
    import pyogrio

    from .store import atomic_paths, estimate_bytes

    st = res.stats
    area = gpd.GeoDataFrame(
        {
            "damaged": [";".join(res.damaged)],
            "customers": [st["customers"]],
            "households": [st["households"]],
        },
        geometry=[res.outline],
        crs=net.layers["edges"].crs,
    ).to_crs("EPSG:4326")
    tables = [csv_bytes(res.customers), csv_bytes(res.valves)]
    group = atomic_paths(outputs, setting="--out")
    group.parts[2].need = lambda: int(1.25 * estimate_bytes([area]))
    with group as (customers, valves, outline):
        for i, (tmp, data) in enumerate(zip((customers, valves), tables, strict=True)):
            group.current = i  # (an error names the file being written)
            with open(tmp, "wb") as f:
                f.write(data)
        group.current = 2
        pyogrio.write_dataframe(area, outline, driver="GeoJSON")
    print(f"  written: {', '.join(map(str, outputs))}")


# -- advise-valves (issue 10, part 3) -----------------------------------------------------------


def _top_advice(result, n: int = 10) -> None:
    t = result.tables
    what = "worst case" if t["objective"] == "worst" else "households exposed"
    print(
        f"  by {what}: network worst case {t['network_worst']} customers lost, households "
        f"exposed {t['exposure']:.1f} (per burst at a random point), {t['candidates']} "
        "pipe parts where a valve would split a segment"
    )
    va = t["valve_advice"].head(n)
    print(f"top {len(va)} places for one more valve (one per segment):")
    print(
        "  rank  pipe          at_m  segment  customers_lost  households_lost  "
        "network_worst  exposure"
    )
    for r in va.itertuples():
        cust = f"{r.customers_lost_before} -> {r.customers_lost_after}"
        hh = f"{r.households_lost_before} -> {r.households_lost_after}"
        print(
            f"  {r.Index:>4}  {clean_value(r.pipe_id):<12} {r.position_m:>5.0f}  "
            f"{r.segment_id:>7}  {cust:>14}  {hh:>15}  {r.network_worst_after:>13}  "
            f"{r.exposure_after:>8.1f}"
        )
    ra = t["repair_advice"].head(n)
    print(f"top {len(ra)} inoperable valves to repair (burst consequence):")
    if len(ra):
        print("  rank  valve         segments  customers_lost  network_worst  exposure")
    for r in ra.itertuples():
        cust = f"{r.customers_lost_before} -> {r.customers_lost_after}"
        print(
            f"  {r.Index:>4}  {clean_value(r.valve_id):<12}  {r.segments_affected:>8}  "
            f"{cust:>14}  {r.network_worst_after:>13}  {r.exposure_after:>8.1f}"
        )


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number, e.g. 20")
    return n


def _cmd_advise(args) -> None:
    from . import pipeline
    from .config import read_config

    config = read_config(args.config)
    if args.out is not None:
        out = Path(_out_arg(args.out))
        if os.path.realpath(out) != os.path.realpath(pipeline.advice_csv(config)):
            _check_out(config, out, args.out)
    _warn_if_stale(config)
    result = pipeline.advise(config, objective=args.objective, top=args.top, out=args.out)
    _summary(result)
    print(f"valve advice: {result.tables['csv']}")
    for text in result.report.notices:
        print(f"gasnet: note: {text}", file=sys.stderr)


def _advise_parser(sub) -> None:
    s = sub.add_parser(
        "advise-valves",
        help="where one more valve helps most; which inoperable valves to repair first",
    )
    s.add_argument("--top", type=_positive, metavar="N", help="keep the first N rows of each")
    s.add_argument(
        "--objective",
        choices=("worst", "exposure"),
        default="worst",
        help="rank by the network's worst case (default) or by the households exposed",
    )
    s.add_argument(
        "--out", metavar="F.csv", help="the positions (default <output.dir>/valve_advice.csv)"
    )
    s.set_defaults(func=_cmd_advise)


def _cmd_publish(args) -> None:
    from .config import read_config
    from .errors import StageOrderError
    from .postgis import PostGISStore

    # Both given: no config needed (a GeoPackage from elsewhere into a database).
    config = None if (args.db and args.gpkg) else read_config(args.config)
    url = args.db or config.store_url
    if not url:
        raise GasnetError(
            "publish: no database; give --db postgresql://user@host/database?schema=gasnet "
            "or set [output] store in the config"
        )
    target = PostGISStore(url, where="--db" if args.db else f"{config.path}: [output] store")
    if config is not None and config.store_url and not args.gpkg:
        raise GasnetError(
            f"publish: {config.path} has [output] store = {target.shown}: `gasnet run` "
            "writes straight into it, so a gasnet.gpkg beside it is older; to copy a "
            "GeoPackage into a database, give it with --gpkg FILE"
        )
    source = Path(args.gpkg) if args.gpkg else config.gpkg_target
    if not source.is_file():
        raise StageOrderError(f"{source}: no GeoPackage to publish; run `gasnet run` first")
    from . import _progress

    _progress.step(f"publishing {source} to {target.shown}")
    target.publish_file(source, shown=source)
    print(f"published {source} to {target.shown} (schema {target.schema})")


def _publish_parser(sub) -> None:
    s = sub.add_parser(
        "publish",
        help="copy the one-map GeoPackage into a PostGIS schema, in one transaction",
    )
    s.add_argument(
        "--db",
        metavar="URL",
        help="postgresql://user@host/database?schema=gasnet (default: [output] store); the "
        "password comes from PGPASSWORD or ~/.pgpass, never from the URL",
    )
    s.add_argument(
        "--gpkg",
        metavar="FILE",
        help="the GeoPackage to publish (default <output.dir>/gasnet.gpkg)",
    )
    s.set_defaults(func=_cmd_publish)


# ------------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gasnet", description="One-map pipeline for a city gas network."
    )
    p.add_argument("--config", default="gasnet.toml", help="config file (default ./gasnet.toml)")
    p.add_argument("--version", action="version", version=f"gasnet {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage")
    p.add_argument(
        "--workers",
        metavar="N",
        help="run the spatial stages (ingest, validate, customers, hazards) on a local Dask "
        "cluster of N worker processes",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="... or on an existing Dask cluster (tcp://host:port)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("run", help="the whole pipeline")
    s.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help=_AS_OF)
    s.set_defaults(func=_stage("run"))
    sub.add_parser(
        "ingest", help="read, normalise and validate the layers into the GeoPackage"
    ).set_defaults(func=_stage("ingest"))
    sub.add_parser(
        "validate", help="check the raw layers and print the quality report; writes nothing"
    ).set_defaults(func=_stage("validate"))
    sub.add_parser("build", help="build the network graph from the ingested layers").set_defaults(
        func=_stage("build")
    )
    sub.add_parser(
        "criticality", help="segments and the criticality of every segment and valve"
    ).set_defaults(func=_stage("criticality"))
    s = sub.add_parser("hazards", help="overlay the hidden hazards on the pipes and rank them")
    s.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help=_AS_OF)
    s.set_defaults(func=_stage("hazards"))
    sub.add_parser("maps", help="the one map and the risk map (offline HTML)").set_defaults(
        func=_stage("maps")
    )
    _advise_parser(sub)
    _publish_parser(sub)
    s = sub.add_parser("isolate", help="customers that lose gas when these valves close")
    s.add_argument(
        "--close",
        required=True,
        type=_ids,
        action="append",
        metavar="ID[,ID...]",
        help="valves to close; may be repeated; an argument that is itself a valve id is "
        "one id, even with a comma in it",
    )
    s.add_argument("--out", metavar="F.csv", help="one row per customer losing gas")
    s.add_argument("--map", metavar="F.html", help="the closure on one offline map page")
    s.set_defaults(func=_cmd_isolate)
    s = sub.add_parser("burst", help="valves to close and customers affected by a burst")
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--pipe", metavar="ID", help="the whole pipe is damaged")
    where.add_argument("--at", type=_xy, metavar="X,Y", help="the damaged point")
    s.add_argument("--crs", help="CRS of --at (default: the working CRS), e.g. EPSG:4326")
    s.add_argument(
        "--fail",
        type=_ids,
        action="append",
        metavar="ID[,ID...]",
        help="valves that fail to close; may be repeated, like --close",
    )
    s.add_argument(
        "--out", metavar="F.csv", help="customers affected; also F.valves.csv and F.area.geojson"
    )
    s.add_argument(
        "--map", metavar="F.html", help="the isolation order on one offline map page (prints)"
    )
    s.set_defaults(func=_cmd_burst)
    s = sub.add_parser("sample", help="write the deterministic sample / benchmark network")
    s.add_argument("--out", required=True, help="folder to write into")
    s.add_argument("--pipes", type=int, default=4500, help="about how many pipes (default 4500)")
    s.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    s.set_defaults(func=_cmd_sample)
    return p


#: Library warnings known to be harmless here: numpy / shapely on NaN coordinates (gasnet
#: reports them itself, bad_coordinates, by feature id); GDAL shortening the sample's field
#: names (the config maps what it writes).
_HARMLESS = (
    ("invalid value encountered", RuntimeWarning),
    ("Column names longer than 10", UserWarning),
    ("Normalized/laundered field name", RuntimeWarning),
)
#: Longest error line: the start names the file, the end the fix; the middle may go.
MAX_LINE = 4000


def _one_line_warnings():
    """``warnings.showwarning`` for the CLI: one line each, ``gasnet: warning: <its first
    line>``, each text once -- never a library's multi-line dump."""
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        lines = [ln.strip() for ln in str(message).splitlines() if ln.strip()]
        text = clean_value(lines[0] if lines else category.__name__)
        text = text if len(text) <= 300 else text[:297] + "..."
        if text not in seen:
            seen.add(text)
            print(f"gasnet: warning: {text}", file=sys.stderr)

    return show


#: The library's errors name its arguments (``pipe='X'``); the command line names its flags.
_FLAGS = {
    "pipe": "--pipe",
    "fail": "--fail",
    "valves": "--close",
    "n_pipes": "--pipes",
    "config": "--config",
    "workers": "--workers",
    "scheduler": "--scheduler",
}


def _flags(text: str) -> str:
    """``pipe='GX1': unknown ...`` -> ``--pipe GX1: unknown ...`` (library -> command line)."""
    import re

    def flag(m):
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        return f"{_FLAGS[m.group(1)]} {value}" if value else _FLAGS[m.group(1)]

    names = "|".join(_FLAGS)
    return re.sub(rf"\b({names})=('[^']*'|\"[^\"]*\"|[^\s:;,)]*)", flag, text)


def _error_line(exc: GasnetError) -> str:
    """A user error as gasnet prints it: its lines (validation has one per kind of problem)
    each without control characters and at most :data:`MAX_LINE` long."""
    from .errors import ValidationError

    lines = str(exc).splitlines() if isinstance(exc, ValidationError) else [_flags(str(exc))]
    out = []
    for line in lines:
        line = clean_value(line)
        if len(line) > MAX_LINE:
            cut = len(line) - MAX_LINE + 40
            line = (
                f"{line[: MAX_LINE // 2]} ... ({cut} characters left out) ... "
                + line[-(MAX_LINE // 2 - 40) :]
            )
        out.append(line)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """The ``gasnet`` command. Ctrl-C anywhere -- even while the libraries load -- exits 130
    with one line; atomic writes leave the previous outputs as they were."""
    # Names and ids come from the data: nothing written to the terminal may carry control
    # characters (ESC sequences, \r, bidi controls ...); see gasnet._output.
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = CleanStream(sys.stdout), CleanStream(sys.stderr)
    try:
        with warnings.catch_warnings():
            for text, category in _HARMLESS:
                warnings.filterwarnings("ignore", text, category)
            warnings.showwarning = _one_line_warnings()
            return _main(argv)
    except KeyboardInterrupt:
        print("gasnet: interrupted; the previous outputs are intact", file=sys.stderr)
        return 130
    finally:
        sys.stdout, sys.stderr = streams


#: The commands --workers / --scheduler apply to (their spatial stages run on Dask).
_ON_CLUSTER = ("run", "ingest", "validate", "build", "hazards")


def _cluster(args):
    """``--workers N`` / ``--scheduler ADDRESS``: the Dask session the command runs in
    (:mod:`gasnet.parallel`; nothing of dask is imported without them)."""
    import contextlib

    if args.workers is None and args.scheduler is None:
        return contextlib.nullcontext()
    from . import parallel

    parallel.check_options(args.workers, args.scheduler)
    if args.command not in _ON_CLUSTER:
        raise GasnetError(
            f"--workers and --scheduler apply to {', '.join(_ON_CLUSTER)}; {args.command} runs "
            "in one process: leave the option out"
        )
    return parallel.session(workers=args.workers, scheduler=args.scheduler)


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        with _cluster(args):
            args.func(args)
    except GasnetError as exc:
        print(f"gasnet: {_error_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `gasnet ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception:
        print("gasnet: internal error (please report it with the lines below)", file=sys.stderr)
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
