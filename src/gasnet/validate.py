"""Validation: collect every problem into one quality report, then decide once.

The report becomes the ``quality_issues`` layer (check, severity, layer, feature_id, message,
geometry). Errors stop the run with one line per kind of problem; warnings keep the features.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._output import clean_value
from .errors import ValidationError
from .schema import LAYERS

__all__ = [
    "BAD_COORDINATES_SEVERITY",
    "QUALITY_COLUMNS",
    "Report",
    "blank_bad_coordinates",
    "check_working_crs",
    "coordinate_problems",
    "projected_in_geographic",
    "validate_layers",
]

log = logging.getLogger(__name__)


def geoms(gdf) -> np.ndarray:
    """The geometry column as a plain array of shapely objects (fast for shapely functions)."""
    return np.asarray(gdf.geometry.values, dtype=object)


QUALITY_COLUMNS = ["check", "severity", "layer", "feature_id", "message"]
#: A projected coordinate beyond this (metres, or feet) is no place on Earth: a broken value.
COORDINATE_LIMIT = 1e8
#: A feature with NaN, infinite or absurd coordinates is kept without a location. In the
#: network layers that is an error: a pipe, valve, source or regulator missing from the
#: network changes every isolation answer around it. A customer or hazard without a location
#: is reported where it matters (unattached, unmatched) and changes no other answer: a warning.
BAD_COORDINATES_SEVERITY = {
    "pipes": "error",
    "valves": "error",
    "sources": "error",
    "regulators": "error",
    "customers": "warning",
    "hazards": "warning",
}
_MAX_IDS = 8


@dataclass
class _Kind:
    severity: str
    label: str
    message: str
    fix: str
    ids: list = field(default_factory=list)
    details: list = field(default_factory=list)


class Report:
    """Collects quality issues; one row per feature, one summary line per kind of problem.

    A kind of problem is a check with its message, in one layer (and source file): two
    fields with unknown values are two lines. ``notices`` are summaries the user must see
    even when the run succeeds (the CLI prints them on stderr at the end of the command).
    """

    def __init__(self, crs=None):
        self.crs = crs
        self.rows: list[dict] = []
        self.kinds: dict[tuple[str, str, str, str, str], _Kind] = {}
        self.notices: list[str] = []

    def notice(self, text: str) -> None:
        """Record a summary for the end of the command (not a row of ``quality_issues``)."""
        self.notices.append(text)

    def add(
        self,
        check: str,
        severity: str,
        layer: str,
        message: str,
        fix: str = "",
        ids=(None,),
        geometries=None,
        label: str | None = None,
        details=None,
    ) -> None:
        """Record one kind of problem for the features ``ids``.

        ``message`` says what is wrong; ``fix`` how to mend it; ``details`` (one per id)
        adds a per-feature note to the row message (a distance, the offending value).
        """
        assert severity in ("error", "warning")
        ids = list(ids)
        geometries = list(geometries) if geometries is not None else [None] * len(ids)
        details = list(details) if details is not None else [None] * len(ids)
        kind = self.kinds.setdefault(
            (check, layer, severity, label or layer, message),
            _Kind(severity, label or layer, message, fix),
        )
        for fid, geom, detail in zip(ids, geometries, details, strict=True):
            kind.ids.append(fid)
            kind.details.append(detail)
            text = message if detail is None else f"{message} ({detail})"
            self.rows.append(
                {
                    "check": check,
                    "severity": severity,
                    "layer": layer,
                    "feature_id": None if fid is None else str(fid),
                    "message": text,
                    "geometry": geom,
                }
            )

    def extend(self, other: Report) -> None:
        """Add ``other``'s problems after these, as if they had been added here in turn
        (the same rows, kinds and notices, in the same order)."""
        for key, kind in other.kinds.items():
            new = _Kind(kind.severity, kind.label, kind.message, kind.fix)
            mine = self.kinds.setdefault(key, new)
            mine.ids.extend(kind.ids)
            mine.details.extend(kind.details)
        self.rows.extend(other.rows)
        self.notices.extend(other.notices)

    def ids(self, check: str, layer: str) -> set[str]:
        """Feature ids already reported by ``check`` in ``layer``."""
        return {
            r["feature_id"]
            for r in self.rows
            if r["check"] == check and r["layer"] == layer and r["feature_id"] is not None
        }

    @property
    def has_errors(self) -> bool:
        return any(k.severity == "error" for k in self.kinds.values())

    def lines(self, severity: str | None = None) -> list[str]:
        """One readable line per kind of problem: where, what, which features, how to fix."""
        out = []
        for kind in self.kinds.values():
            if severity and kind.severity != severity:
                continue
            # An error stops the run before quality_issues is written: its line carries the
            # per-feature details (the bad value) too.
            ids = [
                clean_value(i if d is None or kind.severity != "error" else f"{i} ({d})")
                for i, d in zip(kind.ids, kind.details, strict=True)
                if i is not None
            ]
            which = ""
            if ids:
                shown = ", ".join(ids[:_MAX_IDS]) + (
                    f" and {len(ids) - _MAX_IDS} more" if len(ids) > _MAX_IDS else ""
                )
                which = f" — feature{'s' if len(ids) > 1 else ''} {shown}"
            fix = f"; fix: {kind.fix}" if kind.fix else ""
            out.append(f"{kind.severity}: {kind.label}: {kind.message}{which}{fix}")
        return out

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationError` naming every kind of error, if there is any."""
        if self.has_errors:
            raise ValidationError("\n".join(self.lines("error")), issues=self.to_frame())

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.rows if r["severity"] == s) for s in ("error", "warning")}

    def to_frame(self) -> gpd.GeoDataFrame:
        """The ``quality_issues`` layer."""
        if not self.rows:
            return gpd.GeoDataFrame(
                columns=[*QUALITY_COLUMNS, "geometry"], geometry="geometry", crs=self.crs
            )
        df = pd.DataFrame(self.rows)
        return gpd.GeoDataFrame(
            df[QUALITY_COLUMNS], geometry=gpd.GeoSeries(df["geometry"].tolist()), crs=self.crs
        )


def _geometry_checks(geom: np.ndarray, simple: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """``(shapely.is_valid, shapely.is_simple or None)`` of every geometry: row by row, so on
    row ranges on the Dask cluster when one is configured (:mod:`gasnet.parallel`)."""
    from . import parallel

    session = parallel.current()
    if session is None or not len(geom):
        return _geometry_flags((geom, simple))
    ranges = np.array_split(np.arange(len(geom)), session.n_chunks(len(geom)))
    payloads = [(parallel.pack(geom[r]), simple) for r in ranges]
    done = session.map(_geometry_task, payloads, "geometry checks")
    valid = np.concatenate([v for v, _ in done])
    return valid, (np.concatenate([s for _, s in done]) if simple else None)


def _geometry_flags(payload) -> tuple[np.ndarray, np.ndarray | None]:
    geom, simple = payload
    return shapely.is_valid(geom), (shapely.is_simple(geom) if simple else None)


def _geometry_task(payload) -> tuple[np.ndarray, np.ndarray | None]:
    from .parallel import unpack

    packed, simple = payload
    return _geometry_flags((unpack(packed), simple))


def _check_geometries(name: str, gdf: gpd.GeoDataFrame, report: Report) -> gpd.GeoDataFrame:
    """Null, empty, invalid and self-intersecting geometries; repair what is safe to repair."""
    spec = LAYERS[name]
    idf = spec.id_field
    geom = geoms(gdf)
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    present = ~missing
    # Blanked for bad coordinates: already reported, with the reason.
    missing &= ~gdf[idf].astype(str).isin(report.ids("bad_coordinates", name)).to_numpy()
    if missing.any():
        check, what = (
            ("no_coordinates", "record has no coordinates")
            if name == "hazards"
            else ("empty_geometry", "feature has no geometry")
        )
        report.add(
            check,
            "warning",
            name,
            f"{what}; it is kept but not placed on the map",
            "add the location in the source data",
            ids=gdf.loc[missing, idf],
        )
    valid, simple = _geometry_checks(geom, name == "pipes")
    invalid = present & ~valid
    fixed = np.zeros(0, np.int64)  # positions repaired
    if invalid.any():
        bad = gdf.loc[invalid]
        repaired = shapely.make_valid(geoms(bad))
        # A repair is safe only when it keeps the geometry type family (polygon stays polygon).
        same = np.array(
            [
                shapely.get_type_id(a) == shapely.get_type_id(b)
                or (a.geom_type.startswith("Multi") and b.geom_type.endswith(a.geom_type[5:]))
                for a, b in zip(repaired, geoms(bad), strict=False)
            ]
        )
        fixed_idx = bad.index[same]
        if len(fixed_idx):
            gdf = gdf.copy()
            gdf.loc[fixed_idx, "geometry"] = repaired[same]
            fixed = np.flatnonzero(invalid)[same]
            report.add(
                "repaired_geometry",
                "warning",
                name,
                "invalid geometry repaired with make_valid",
                "check the repaired shape",
                ids=gdf.loc[fixed_idx, idf],
                geometries=gdf.loc[fixed_idx].geometry,
            )
        rest = bad.index[~same]
        if len(rest):
            report.add(
                "invalid_geometry",
                "warning",
                name,
                "invalid geometry that cannot be repaired safely (too few distinct points?)",
                "redraw the feature",
                ids=gdf.loc[rest, idf],
                geometries=gdf.loc[rest].geometry,
                details=[shapely.is_valid_reason(g) for g in gdf.loc[rest].geometry],
            )
    if name == "pipes":
        lines = geoms(gdf)
        ok = ~(shapely.is_missing(lines) | shapely.is_empty(lines))
        if len(fixed):  # repaired: those pipes are checked as repaired
            simple = simple.copy()
            simple[fixed] = shapely.is_simple(lines[fixed])
        selfx = np.zeros(len(gdf), dtype=bool)
        selfx[ok] = ~simple[ok]
        if selfx.any():
            report.add(
                "self_intersecting",
                "warning",
                name,
                "pipe crosses or touches itself",
                "split the pipe where it loops back or redraw it",
                ids=gdf.loc[selfx, idf],
                geometries=gdf.loc[selfx].geometry,
            )
    return gdf


def coordinate_problems(geom, crs, to_crs=None) -> np.ndarray:
    """Per geometry: why its coordinates cannot be used (text), or None.

    Unusable: NaN or infinite; in a geographic CRS, outside ±180° / ±90°; in a projected one,
    beyond ±:data:`COORDINATE_LIMIT`; or (given ``to_crs``) not finite once reprojected.
    Only x and y count (a NaN z or m is common and harmless). Vectorised.
    """
    import pyproj

    geom = np.asarray(geom, dtype=object)
    out = np.full(len(geom), None, dtype=object)
    present = np.flatnonzero(~(shapely.is_missing(geom) | shapely.is_empty(geom)))
    if not len(present):
        return out
    xy, which = shapely.get_coordinates(geom[present], return_index=True)
    x, y = xy[:, 0], xy[:, 1]
    crs = pyproj.CRS.from_user_input(crs) if crs is not None else None
    finite = np.isfinite(x) & np.isfinite(y)
    why = np.full(len(x), None, dtype=object)
    why[~finite] = "not a finite number"
    if crs is not None and crs.is_geographic:
        out_of_range = finite & ((np.abs(x) > 180) | (np.abs(y) > 90))
        why[out_of_range] = "outside ±180° / ±90°"
    else:
        out_of_range = finite & (np.maximum(np.abs(x), np.abs(y)) > COORDINATE_LIMIT)
        why[out_of_range] = f"beyond ±{COORDINATE_LIMIT:g}, no place on Earth"
    ok = finite & ~out_of_range
    if to_crs is not None and crs is not None and ok.any():
        target = pyproj.CRS.from_user_input(to_crs)
        if target != crs:
            tx, ty = pyproj.Transformer.from_crs(crs, target, always_xy=True).transform(
                x[ok], y[ok]
            )
            lost = np.flatnonzero(ok)[~(np.isfinite(tx) & np.isfinite(ty))]
            why[lost] = f"cannot be reprojected from {crs.to_string()} to {target.to_string()}"
    bad = np.flatnonzero(pd.notna(why))
    if not len(bad):
        return out
    vertex = np.arange(len(which)) - np.searchsorted(which, which)  # which is sorted
    n_vertices = np.bincount(which)
    bad = bad[np.r_[True, which[bad][1:] != which[bad][:-1]]]  # first bad vertex per feature
    for k in bad:
        where = f"vertex {vertex[k] + 1}: " if n_vertices[which[k]] > 1 else ""
        out[present[which[k]]] = f"{where}x = {x[k]:.10g}, y = {y[k]:.10g}: {why[k]}"
    return out


def projected_in_geographic(geom, crs) -> tuple[np.ndarray, float, float] | None:
    """Do most features hold projected numbers under a geographic CRS (a .prj in degrees on
    data in metres)? ``(mask of those features, x, y of the first)`` when more than half of
    the features with coordinates have a finite vertex beyond ±180 in x or y; else ``None``."""
    import pyproj

    if crs is None or not pyproj.CRS.from_user_input(crs).is_geographic:
        return None
    geom = np.asarray(geom, dtype=object)
    present = np.flatnonzero(~(shapely.is_missing(geom) | shapely.is_empty(geom)))
    if not len(present):
        return None
    xy, which = shapely.get_coordinates(geom[present], return_index=True)
    big = np.isfinite(xy).all(axis=1) & (np.abs(xy) > 180).any(axis=1)
    hit = np.zeros(len(present), dtype=bool)
    hit[which[big]] = True
    if hit.sum() * 2 <= len(present):
        return None
    mask = np.zeros(len(geom), dtype=bool)
    mask[present[hit]] = True
    x, y = xy[np.flatnonzero(big)[0]]
    return mask, float(x), float(y)


def blank_bad_coordinates(
    name: str, gdf: gpd.GeoDataFrame, report: Report, ids, *, label=None, to_crs=None
) -> gpd.GeoDataFrame:
    """Report features whose coordinates cannot be used (``bad_coordinates``) and keep them
    without a geometry, so that no later stage sees them (see :func:`coordinate_problems`).

    ``ids`` are the features' ids (one per row); the severity is the layer's
    (:data:`BAD_COORDINATES_SEVERITY`). Returns a copy when something was blanked.
    """
    problems = coordinate_problems(geoms(gdf), gdf.crs, to_crs)
    bad = pd.notna(problems)
    if not bad.any():
        return gdf
    severity = BAD_COORDINATES_SEVERITY.get(name, "warning")
    report.add(
        "bad_coordinates",
        severity,
        name,
        "feature has coordinates that are not usable numbers (NaN, infinite or out of range)"
        + (
            ": the network cannot leave it out"
            if severity == "error"
            else "; kept without a location"
        ),
        "correct its coordinates in the source data (or export the layer again)",
        ids=np.asarray(ids, dtype=object)[bad],
        label=label,
        details=problems[bad],
    )
    gdf = gdf.copy()
    gdf.loc[bad, gdf.geometry.name] = None
    return gdf


def _check_ids(name: str, gdf: gpd.GeoDataFrame, report: Report, id_fields: str) -> None:
    idf = LAYERS[name].id_field
    ids = gdf[idf]
    files = gdf["source_file"] if "source_file" in gdf else pd.Series("", index=gdf.index)
    # A bare frame (no source_file, e.g. validate_layers called directly) has no file to name.
    names = ", ".join(sorted(files.unique()))
    label = f"{name} ({names})" if names else name
    blank = ids.isna()
    if blank.any():
        row = gdf.groupby(files.to_numpy(), sort=False).cumcount()  # row within its own file
        report.add(
            "missing_id",
            "error",
            name,
            f"features without an id (field {id_fields})",
            f"give every feature a unique id in field {id_fields}",
            label=label,
            ids=[
                f"{f} row {r}" if f else f"row {r}"
                for f, r in zip(files[blank], row[blank], strict=True)
            ],
            geometries=geoms(gdf.loc[blank]),
        )
    dup = ids.duplicated(keep=False) & ~blank
    if dup.any():
        report.add(
            "duplicate_id",
            "error",
            name,
            f"duplicate ids (field {id_fields})",
            "give each feature a unique id (if two files were merged, prefix the ids)",
            label=label,
            ids=sorted(set(ids[dup])),
            geometries=None,
        )


def _check_extent(layers: dict[str, gpd.GeoDataFrame], report: Report) -> None:
    pipes = layers.get("pipes")
    if pipes is None or pipes.empty:
        return
    lines = geoms(pipes)
    lines = lines[~(shapely.is_missing(lines) | shapely.is_empty(lines))]
    if not len(lines):
        return
    xmin, ymin, xmax, ymax = shapely.total_bounds(lines)
    margin = max(2000.0, 0.1 * float(np.hypot(xmax - xmin, ymax - ymin)))
    box = shapely.box(xmin - margin, ymin - margin, xmax + margin, ymax + margin)
    for name, gdf in layers.items():
        g = geoms(gdf)
        ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
        far = np.zeros(len(gdf), dtype=bool)
        far[ok] = ~shapely.intersects(box, g[ok])
        if far.any():
            dist = shapely.distance(box, g[far])
            report.add(
                "outside_extent",
                "warning",
                name,
                f"feature lies more than {margin:.0f} m outside the pipe network's extent",
                "check its coordinates (swapped x/y or lon/lat? wrong CRS?)",
                ids=gdf.loc[far, LAYERS[name].id_field],
                geometries=gdf.loc[far].geometry,
                details=[f"{d:.0f} m beyond the margin" for d in dist],
            )


#: The working CRS may stretch or shrink lengths at the network by at most this (1 %).
MAX_SCALE_ERROR = 0.01
#: How far (degrees) the network may reach beyond the working CRS's area of use: a network
#: across a zone boundary keeps its zone's CRS (its scale is checked on its own).
AREA_MARGIN_DEG = 3.0


def _lonlat(lon: float, lat: float) -> str:
    return f"{abs(lon):.2f}°{'E' if lon >= 0 else 'W'} {abs(lat):.2f}°{'N' if lat >= 0 else 'S'}"


def local_crs(lon: float, lat: float) -> tuple[str, str]:
    """A projected CRS in metres made for ``(lon, lat)``: the CGCS2000 3-degree Gauss-Krüger
    zone in China (EPSG:4534 for 75°E ... EPSG:4554 for 135°E), else the WGS 84 UTM zone."""
    import pyproj

    if not -180 <= lon <= 180:  # a CRS with +over: 181.25°W is 178.75°E
        lon = (lon + 180) % 360 - 180
    cm = 3 * round(lon / 3)
    if 75 <= cm <= 135:
        code = 4534 + (cm - 75) // 3
        crs = pyproj.CRS.from_epsg(code)
        a = crs.area_of_use
        if a and a.south - 1 <= lat <= a.north + 1 and a.west - 1 <= lon <= a.east + 1:
            return f"EPSG:{code}", crs.name
    zone = min(int((lon + 180) // 6) + 1, 60)
    code = (32600 if lat >= 0 else 32700) + zone
    return f"EPSG:{code}", pyproj.CRS.from_epsg(code).name


def check_working_crs(
    pipes: gpd.GeoDataFrame, crs, report: Report, label: str, located: bool = True
) -> None:
    """Is the working CRS fit for lengths where the network lies? An error otherwise.

    Lengths, pipe volumes and every metre tolerance are measured in the working CRS, so it
    must be made for the area: the pipes' extent lies within its area of use (with a margin of
    :data:`AREA_MARGIN_DEG`) and its scale at the extent's centre is within
    :data:`MAX_SCALE_ERROR` of true (Web Mercator stretches lengths by 18 % at 32°N; a
    British grid on data in Sichuan by 68 %). The message suggests a local CRS.

    ``located``: the pipes were placed by a CRS of their own (reprojected into the working
    CRS). When they are all in the working CRS already, where they lie is defined by that
    CRS, so lying outside its area says the coordinates are wrong (degrees in a metre CRS,
    found when the network is built), not the CRS: only the scale is checked then.
    """
    import pyproj

    lines = geoms(pipes)
    lines = lines[~(shapely.is_missing(lines) | shapely.is_empty(lines))]
    if not len(lines):
        return
    xmin, ymin, xmax, ymax = shapely.total_bounds(lines)
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return
    working = pyproj.CRS.from_user_input(crs)
    try:
        to_ll = pyproj.Transformer.from_crs(working, working.geodetic_crs, always_xy=True)
        xs = [xmin, xmax, xmin, xmax, (xmin + xmax) / 2]
        ys = [ymin, ymin, ymax, ymax, (ymin + ymax) / 2]
        lon, lat = (np.asarray(v, dtype=float) for v in to_ll.transform(xs, ys))
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            return
        f = pyproj.Proj(working).get_factors(lon[4], lat[4])
        scale = max(f.meridional_scale, f.parallel_scale, key=lambda k: abs(k - 1))
    except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError, TypeError, ValueError):
        return
    where = _lonlat(lon[4], lat[4])
    problems = []
    area = working.area_of_use
    m = AREA_MARGIN_DEG
    if located and area is not None and area.west <= area.east:  # (not across 180°)
        inside = (
            (lon >= area.west - m)
            & (lon <= area.east + m)
            & (lat >= area.south - m)
            & (lat <= area.north + m)
        )
        if not inside.all():
            short = re.split(r"[.;]", area.name, maxsplit=1)[0].strip()
            short = short if len(short) <= 60 else short[:59].rsplit(" ", 1)[0] + " …"
            problems.append(
                f"it is made for {short} ({_lonlat(area.west, area.south)} to "
                f"{_lonlat(area.east, area.north)})"
            )
    if np.isfinite(scale) and abs(scale - 1) > MAX_SCALE_ERROR:
        problems.append(
            f"it {'stretches' if scale > 1 else 'shrinks'} lengths there by "
            f"{abs(scale - 1) * 100:.1f} %"
        )
    if not problems:
        return
    code, name = local_crs(float(lon[4]), float(lat[4]))
    report.add(
        "unsuitable_crs",
        "error",
        "pipes",
        f"[project] crs {working.to_string()} ({working.name}) does not fit the pipe network "
        f"at {where}: {'; '.join(problems)}; pipe lengths, volumes and every metre tolerance "
        "(snap_tolerance_m, customer_max_distance_m) would be wrong",
        f'set [project] crs to a projected CRS in metres made for the area, e.g. crs = "{code}" '
        f"({name})",
        label=label,
    )


def validate_layers(
    layers: dict[str, gpd.GeoDataFrame], report: Report, id_fields: dict[str, str] | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Check canonical layers; add every problem to ``report``; return the repaired layers.

    Checks: missing and duplicate ids (errors); coordinates that are not usable numbers
    (``bad_coordinates``: an error in the network layers, else a warning; the feature is kept
    without a geometry); null, empty, invalid and self-intersecting geometries, features far
    outside the network's extent (warnings). Attribute values and
    geometry types are checked while loading (:mod:`gasnet.load`).
    """
    out = {}
    for name, gdf in layers.items():
        _check_ids(name, gdf, report, (id_fields or {}).get(name, LAYERS[name].id_field))
        gdf = blank_bad_coordinates(name, gdf, report, gdf[LAYERS[name].id_field])
        out[name] = _check_geometries(name, gdf, report)
    _check_extent(out, report)
    return out
