"""Two runs' outputs compared (the same answers by two routes: stage by stage and in one run,
one process and Dask, a GeoPackage and PostGIS)."""

from __future__ import annotations

import dataclasses
import datetime
import re
from pathlib import Path

import pandas as pd
import pyogrio
import shapely

from gasnet import pipeline
from gasnet.config import read_config

#: The day the risk ranking counts overdue days to, the same for both runs.
AS_OF = datetime.date(2026, 6, 30)


def config_of(path: Path, as_of: datetime.date = AS_OF):
    config = read_config(path)
    settings = dataclasses.replace(config.hazard_settings, as_of=as_of)
    return dataclasses.replace(config, hazard_settings=settings)


def in_one_run(config_path: Path, as_of: datetime.date = AS_OF) -> Path:
    config = config_of(config_path, as_of)
    for _ in pipeline.run(config):
        pass
    return config.gpkg_target


def layer_rows(gpkg: Path, name: str) -> pd.DataFrame:
    frame = pyogrio.read_dataframe(gpkg, layer=name)
    if name == "run_metadata":  # the stages' times and the two copies' folders differ
        k = frame["key"]
        drop = k.str.startswith(("stage:", "input")) | (k == "config_path")
        frame = frame[~drop].reset_index(drop=True)
    if name == "layer_styles":
        frame = frame.drop(columns="update_time")
    return frame


def assert_same_outputs(a: Path, b: Path, maps: bool = True) -> None:
    """Every layer of both GeoPackages: its fields and their types, row for row and bit for
    bit (geometries as WKB); risk.csv and valve_advice.csv byte for byte; with ``maps``, the
    two maps but for Folium's random element ids."""
    names = [n for n, _ in pyogrio.list_layers(a)]
    assert names == [n for n, _ in pyogrio.list_layers(b)]
    for name in names:
        info = [pyogrio.read_info(g, layer=name) for g in (a, b)]  # the fields' types too
        for key in ("fields", "dtypes", "geometry_type", "crs", "features"):
            assert str(info[0][key]) == str(info[1][key]), (name, key)
        x, y = layer_rows(a, name), layer_rows(b, name)
        assert type(x) is type(y), name
        if "geometry" in x.columns:
            assert x.crs == y.crs, name
            wx, wy = (shapely.to_wkb(f.geometry.to_numpy()) for f in (x, y))
            assert wx.tolist() == wy.tolist(), name
            x, y = (pd.DataFrame(f).drop(columns="geometry") for f in (x, y))
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)
    for csv in ("risk.csv", "valve_advice.csv"):
        assert (a.parent / csv).read_bytes() == (b.parent / csv).read_bytes(), csv
    for page in ("network.html", "risk.html") if maps else ():
        x, y = ((d.parent / "maps" / page).read_text(encoding="utf-8") for d in (a, b))
        assert re.sub(r"[0-9a-f]{32}", "ID", x) == re.sub(r"[0-9a-f]{32}", "ID", y), page
