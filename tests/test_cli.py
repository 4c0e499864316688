"""The isolate / burst / criticality commands end to end on a small generated sample."""

from __future__ import annotations

import csv

import pyogrio
import pytest

from gasnet.sample import write_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from gasnet.cli import main

    d = tmp_path_factory.mktemp("s")
    write_sample(d, 800, seed=5)
    assert main(["--config", str(d / "gasnet.toml"), "run"]) == 0
    return d


def _run(cli, sample, *args):
    return cli("--config", sample / "gasnet.toml", *args)


def test_run_writes_segments_and_valve_criticality(sample, cli):
    gpkg = sample / "processed" / "gasnet.gpkg"
    segs = pyogrio.read_dataframe(gpkg, layer="segments")
    assert list(segs.columns[:10]) == [
        "segment_id",
        "valve_ids",
        "source_ids",
        "customers",
        "households",
        "critical_customers",
        "customers_lost",
        "households_lost",
        "critical_lost",
        "length_m",
    ]
    cust = pyogrio.read_dataframe(gpkg, layer="customers")
    attached = cust["node_id"] >= 0
    assert (cust.loc[attached & cust["has_supply"], "segment_id"] >= 0).all()
    valves = pyogrio.read_dataframe(gpkg, layer="valve_criticality", read_geometry=False)
    assert {"valve_id", "customers_lost_if_fails", "extra_customers_lost"} <= set(valves.columns)
    code, out, _ = _run(cli, sample, "criticality")
    assert code == 0 and "top 10 segments" in out and "top 10 valves" in out


def test_isolate_writes_a_csv_with_header_even_when_nobody_loses_gas(sample, cli, tmp_path):
    valves = pyogrio.read_dataframe(
        sample / "processed" / "gasnet.gpkg", layer="valve_criticality", read_geometry=False
    )
    quiet = valves.loc[(valves["customers_lost_if_fails"] == 0) & (valves["normally"] == "open")]
    v = quiet["valve_id"].iloc[0]
    out = tmp_path / "none.csv"
    code, text, err = _run(cli, sample, "isolate", "--close", v, "--out", out)
    assert code == 0, err
    assert f"closing {v}: 0 customers" in text
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows == [["customer_id", "name", "kind", "critical", "households", "segment_id"]]


def test_isolate_a_branch_valve_lists_its_customers(sample, cli, tmp_path):
    gpkg = sample / "processed" / "gasnet.gpkg"
    segs = pyogrio.read_dataframe(gpkg, layer="segments", read_geometry=False)
    one = segs[(segs["valve_ids"].str.count(";") == 0) & (segs["customers_lost"] > 0)].iloc[0]
    out = tmp_path / "lost.csv"
    code, text, _ = _run(cli, sample, "isolate", "--close", one["valve_ids"], "--out", out)
    assert code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == one["customers_lost"]
    assert f"{one['customers_lost']} customers ({one['households_lost']} households)" in text


def test_isolate_unknown_valve_exits_2(sample, cli):
    code, _, err = _run(cli, sample, "isolate", "--close", "FM000001,NOPE")
    assert code == 2 and "unknown valve id(s): NOPE" in err and "Traceback" not in err


def test_burst_writes_valves_customers_and_area(sample, cli, tmp_path):
    pipes = pyogrio.read_dataframe(sample / "processed" / "gasnet.gpkg", layer="pipes")
    pid = pipes.loc[pipes["pressure_class"] == "LP", "pipe_id"].iloc[3]
    out = tmp_path / "b.csv"
    code, text, err = _run(cli, sample, "burst", "--pipe", pid, "--out", out)
    assert code == 0, err
    assert "close these valves" in text and "customers losing gas" in text
    valves = list(csv.DictReader((tmp_path / "b.valves.csv").open(encoding="utf-8-sig")))
    assert valves and {"valve_id", "action", "lon", "lat"} <= set(valves[0])
    area = pyogrio.read_dataframe(tmp_path / "b.area.geojson")
    assert area.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")


def test_burst_point_off_the_network_exits_2_with_the_distance(sample, cli):
    code, _, err = _run(cli, sample, "burst", "--at", "106.9,31.9", "--crs", "EPSG:4326")
    assert code == 2 and "m from the nearest in-service pipe" in err


def test_burst_bad_arguments_exit_2(sample, cli, capsys):
    with pytest.raises(SystemExit) as exc:
        _run(cli, sample, "burst", "--at", "12;13")
    assert exc.value.code == 2
    assert "is not X,Y" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _run(cli, sample, "burst")


def test_isolate_before_build_says_what_to_run(project, cli):
    code, _, err = cli("--config", project.config, "isolate", "--close", "V1")
    assert code == 2 and "run `gasnet ingest`" in err


def test_quality_report_finds_exactly_the_planted_faults(sample):
    # The generator plants: a 0.3 m undershoot (snaps: silent), a 2 m undershoot (reported,
    # and its branch is an island), a valve 1.5 m off its pipe, a duplicated pipe, a new
    # estate with no connection (a second island), two hazard rows without coordinates, and
    # five odd hazard records: an unknown category and severity, a deadline that is no date,
    # one due before it was found, one in a field far from any pipe. The hazard stage's own
    # findings (records that a rule makes major, others beyond reach) are judgements on the
    # random records, not planted faults.
    issues = pyogrio.read_dataframe(sample / "processed" / "gasnet.gpkg", layer="quality_issues")
    judged = issues["stage"] == "hazards"
    counts = issues[~judged | (issues["check"] == "due_before_found")].groupby("check").size()
    assert counts.to_dict() == {
        "undershoot": 1,
        "valve_off_pipe": 1,
        "duplicate_pipe": 1,
        "island": 2,
        "no_coordinates": 2,
        "unknown_value": 2,
        "bad_date": 1,
        "due_before_found": 1,
    }
    assert set(issues.loc[judged, "check"]) == {
        "major_by_rule",
        "no_pipe_within_reach",
        "due_before_found",
    }
    far = issues.loc[issues["check"] == "no_pipe_within_reach", "feature_id"]
    assert "YH-X005" in set(far)
    off = issues.loc[issues["check"] == "valve_off_pipe", "message"].iloc[0]
    metres = float(off.rsplit("(", 1)[1].split(" m ")[0])
    assert 1.4 < metres < 1.6  # moved 1.5 m across a street main


def test_isolate_notes_a_normally_closed_valve_and_customers_without_gas(project, cli):
    # The project's V1 is normally closed (常閉) on P1, between S1 and everyone: C1 and C2
    # have no gas in the base state. Closing V1 again changes nothing; both facts are said.
    assert cli("--config", project.config, "run")[0] == 0
    code, out, err = cli("--config", project.config, "isolate", "--close", "V1")
    assert code == 0, err
    assert "closing V1: 0 customers" in out
    assert "note: V1 normally closed already: closing it changes nothing" in out
    assert "note: 2 customers have no gas in the base state" in out


def test_run_without_any_station_exits_2(project, cli):
    from conftest import pt, write_shp

    write_shp(project.raw / "sources.shp", [{"id": "S1"}], [pt(0, 500)])
    code, _, err = cli("--config", project.config, "run")
    assert code == 2 and "no station is on the network" in err and "Traceback" not in err
