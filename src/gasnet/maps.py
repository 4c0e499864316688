"""HTML maps for planners and incident crews (README, "Maps"): Folium pages that work offline.

Every page is one file: Leaflet and MarkerCluster are read from their PyPI packages
(``xstatic-leaflet``, ``xstatic-leaflet-markercluster``) and inlined, so nothing is requested
when the page opens (a basemap is optional and off by default). The layers travel as one JSON
block of GeoJSON feature collections (WGS84, coordinates rounded to about 0.1 m), drawn on one
canvas by ``templates/map.js``; text from the data reaches the page only through
``textContent`` (never as HTML), and the JSON block cannot close its script element.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import math
import re
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._geo import wgs84_to_gcj02
from .validate import geoms

__all__ = [
    "BASEMAPS",
    "LANGUAGES",
    "incident_map",
    "network_map",
    "risk_map",
    "warning_radius_m",
]

BASEMAPS = ("none", "osm", "amap", "tianditu")
LANGUAGES = ("zh", "en")
#: Tile URLs of the optional basemaps (requested by the browser only when configured).
_TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "© 高德地图 AutoNavi",
    ),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
        "&TILECOL={x}&tk={key}",
        "© 天地图",
    ),
}
PRESSURE_COLOURS = {
    "HP-A": "#67001f",
    "HP-B": "#b2182b",
    "SHP-A": "#d6604d",
    "SHP-B": "#f4a582",
    "MP-A": "#2166ac",
    "MP-B": "#67a9cf",
    "LP": "#1a9850",
}
NO_CLASS = "#999999"
TIER_COLOURS = {"P1": "#d7191c", "P2": "#fdae61", "P3": "#e6c700", "closed": "#9e9e9e"}
VALVE_COLOURS = {"open": "#1a9850", "closed": "#d7191c", "inoperable": "#000000"}
#: Customers-lost classes of the segments layer (upper bounds; the last is open).
LOSS_CLASSES = (0, 10, 50, 200, 1000)
LOSS_COLOURS = ("#bdbdbd", "#fee08b", "#fdae61", "#f46d43", "#d73027", "#a50026")

LABELS = {
    "zh": {
        "network": "燃气管网一张图",
        "risk": "隐患风险图",
        "incident": "事故隔离指令",
        "pipes": "管线（按压力级制）",
        "segments": "阀门分段（按停气用户数）",
        "valves": "阀门",
        "sources": "气源场站",
        "regulators": "调压设施",
        "customers": "用户（聚合）",
        "critical": "重要用户（医院、学校、养老院）",
        "hazards": "隐患（按等级）",
        "hazard_areas": "隐患区域",
        "quality": "数据质量问题",
        "open": "常开",
        "closed": "常闭",
        "inoperable": "不可操作",
        "no_class": "无压力级制",
        "search": "按编号查找",
        "not_found": "未找到",
        "measure": "量测距离",
        "measure_hint": "在图上点击",
        "fullscreen": "全屏",
        "none": "无",
        "navigate": "导航",
        "damaged": "受损管段",
        "damaged_point": "受损点",
        "deenergised": "停气管线",
        "isolated": "隔离区",
        "to_close": "需关闭阀门（按顺序）",
        "other_valves": "其他边界阀门",
        "affected": "停气用户",
        "stations": "需停运的场站",
        "warning": "警戒范围",
        "top_hazards": "优先整改隐患",
        "lost": "停气用户数",
        "vent": "放散",
        "households": "户",
        "valve_advice": "建议增设阀门",
        "repair_advice": "建议优先维修的阀门",
    },
    "en": {
        "network": "Gas network: the one map",
        "risk": "Hidden hazards: risk map",
        "incident": "Isolation order",
        "pipes": "Pipes (by pressure class)",
        "segments": "Valve segments (by customers lost)",
        "valves": "Valves",
        "sources": "Stations",
        "regulators": "Regulators",
        "customers": "Customers (clustered)",
        "critical": "Critical customers (hospitals, schools, care homes)",
        "hazards": "Hazards (by tier)",
        "hazard_areas": "Hazard areas",
        "quality": "Quality issues",
        "open": "normally open",
        "closed": "normally closed",
        "inoperable": "inoperable",
        "no_class": "no pressure class",
        "search": "Find by id",
        "not_found": "not found",
        "measure": "Measure a distance",
        "measure_hint": "click on the map",
        "fullscreen": "Full screen",
        "none": "none",
        "navigate": "navigate",
        "damaged": "Damaged pipe",
        "damaged_point": "Damaged point",
        "deenergised": "Pipes without gas",
        "isolated": "Isolated area",
        "to_close": "Valves to close, in order",
        "other_valves": "Other border valves",
        "affected": "Customers losing gas",
        "stations": "Stations to stop",
        "warning": "Warning circle",
        "top_hazards": "Hazards to fix first",
        "lost": "customers lost",
        "vent": "to vent",
        "households": "households",
        "valve_advice": "Where one more valve helps most",
        "repair_advice": "Valves whose repair helps most",
    },
}


# -- the page ---------------------------------------------------------------------------------


@functools.cache
def _assets() -> str:
    """Leaflet, MarkerCluster and gasnet's CSS and JS, inline (images as data URIs)."""
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as cluster

    base, cbase = Path(leaflet.BASE_DIR), Path(cluster.BASE_DIR)

    def data_uri(match: re.Match) -> str:
        png = (base / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(png).decode()})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, (base / "leaflet.css").read_text())
    css += (cbase / "MarkerCluster.css").read_text() + (
        cbase / "MarkerCluster.Default.css"
    ).read_text()
    css += resources.files("gasnet").joinpath("templates/map.css").read_text(encoding="utf-8")
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    js += "\n" + (cbase / "leaflet.markercluster.js").read_text(encoding="utf-8")
    # Strip the source-map comments: the page must not even ask for a .map file. And no
    # "</script" may end the element early ("<\/script" means the same inside JavaScript).
    js = re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.M).replace("</script", "<\\/script")
    return f"<style>{css}</style>\n<script>{js}</script>"


def _json_block(data) -> str:
    """JSON inside a ``<script type="application/json">``: nothing in it can end the element
    or open a comment (``</`` and ``<!--`` are escaped; JSON reads them back unchanged)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("<!--", "<\\u0021--")
    return f'<script type="application/json" id="gasnet-data">{text}</script>'


def _page(title: str, data: dict, *, basemap: str = "none", tianditu_key: str = "") -> str:
    """One self-contained HTML page: the Folium map, the side panel, the data, the script."""
    import html

    import folium

    m = folium.Map(
        location=[0, 0], zoom_start=2, tiles=None, prefer_canvas=True, control_scale=False
    )
    m.default_js, m.default_css = [], []  # no CDN: the assets are inline
    if basemap != "none":
        url, attribution = _TILES[basemap]
        folium.TileLayer(
            tiles=url.replace("{key}", tianditu_key),
            attr=attribution,
            name=basemap,
            subdomains={"amap": "1234", "tianditu": "01234567"}.get(basemap, "abc"),
            max_zoom=19,
        ).add_to(m)
    root = m.get_root()
    root.header.add_child(folium.Element(f"<title>{html.escape(title)}</title>\n{_assets()}"))
    root.html.add_child(folium.Element(_json_block(data)))
    script = resources.files("gasnet").joinpath("templates/map.js").read_text(encoding="utf-8")
    root.script.add_child(folium.Element(script.replace("MAP_NAME", json.dumps(m.get_name()))))
    page = root.render()
    # The map and the panel side by side (the panel collapses when empty; printing stacks them).
    name = m.get_name()
    page = page.replace(
        f'<div class="folium-map" id="{name}" ></div>',
        f'<div class="gasnet-page"><div class="folium-map" id="{name}" ></div>'
        '<div id="gasnet-panel"></div></div>',
    )
    return page


# -- layers -----------------------------------------------------------------------------------


def _value(v):
    """A JSON-safe property value (NaN and NaT -> null, numpy scalars -> Python)."""
    if v is None:
        return None
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, float | np.floating):
        return None if not math.isfinite(v) else round(float(v), 7)
    if isinstance(v, int | np.integer):  # to_numpy(object) gives Python ints: numbers, not text
        return int(v)
    if v is pd.NaT or (not isinstance(v, str) and pd.isna(v)):
        return None
    return str(v)


def _features(gdf: gpd.GeoDataFrame, columns, *, gcj: bool = False) -> dict:
    """A GeoJSON FeatureCollection in WGS84 (GCJ-02 for AMap tiles), 6 decimals (~0.1 m)."""
    if not len(gdf):
        return {"type": "FeatureCollection", "features": []}
    g = geoms(gdf.to_crs("EPSG:4326")) if gdf.crs is not None else geoms(gdf)
    if gcj:
        g = shapely.transform(g, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    g = shapely.set_precision(g, 1e-6, mode="pointwise")
    ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
    cols = [c for c in columns if c in gdf.columns]
    values = gdf[cols].to_numpy(object) if cols else np.empty((len(gdf), 0), object)
    shapes = shapely.to_geojson(g[ok])
    feats = []
    for shape, row in zip(shapes.tolist(), values[ok].tolist(), strict=True):
        props = {c: _value(v) for c, v in zip(cols, row, strict=True)}
        feats.append({"type": "Feature", "geometry": json.loads(shape), "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def _bounds(gdf: gpd.GeoDataFrame) -> list | None:
    g = geoms(gdf.to_crs("EPSG:4326"))
    g = g[~(shapely.is_missing(g) | shapely.is_empty(g))]
    if not len(g):
        return None
    x0, y0, x1, y1 = shapely.total_bounds(g)
    return [[y0, x0], [y1, x1]]


def _pipe_layer(pipes, name, gcj, *, show=True, minimap=True, extra=()) -> dict:
    cls = pipes["pressure_class"].astype(object).where(pipes["pressure_class"].notna(), None)
    legend = [[k, v] for k, v in PRESSURE_COLOURS.items() if (cls == k).any()]
    if cls.isna().any():
        legend.append(["—", NO_CLASS])
    cols = [
        "pipe_id",
        "pressure_class",
        "diameter_mm",
        "material",
        "install_year",
        "status",
        *extra,
    ]
    return {
        "name": name,
        "data": _features(pipes, cols, gcj=gcj),
        "by": "pressure_class",
        "colors": PRESSURE_COLOURS,
        "color": NO_CLASS,
        "weight": 2,
        "id": "pipe_id",
        "legend": legend,
        "show": show,
        # The overview draws the mains only (LP and MP-B streets would double the drawing).
        "minimap": {"field": "pressure_class", "values": list(PRESSURE_COLOURS)[:5]}
        if minimap
        else False,
    }


def _valve_state(valves: pd.DataFrame) -> pd.Series:
    op = valves["operable"].astype(object).fillna(True).astype(bool)
    return pd.Series(
        np.where(~op, "inoperable", np.where(valves["normally"] == "closed", "closed", "open")),
        index=valves.index,
    )


def network_map(layers: dict, *, language: str = "zh", basemap: str = "none", key: str = "") -> str:
    """The one map: pipes by pressure class, valves by state, stations, regulators, customers
    (clustered; the critical ones apart), segments by customers lost, hazards by tier
    (clustered points; areas apart), quality issues, and the valve advice (the top positions
    for one more valve and valves to repair, off at first). ``layers`` are the GeoPackage's
    layers (``risk``, ``segments``, ``valve_advice`` and ``repair_advice`` optional)."""
    t = LABELS[language]
    gcj = basemap == "amap"
    specs = [_pipe_layer(layers["pipes"], t["pipes"], gcj)]
    segs = layers.get("segments")
    if segs is not None and len(segs):
        segs = segs.copy()
        cls = np.searchsorted(
            np.array(LOSS_CLASSES), segs["customers_lost"].to_numpy(), side="left"
        )
        segs["loss_class"] = cls.astype(str)
        bounds = [
            "0",
            *(f"{a + 1}–{b}" for a, b in itertools.pairwise(LOSS_CLASSES)),
        ]
        bounds.append(f"> {LOSS_CLASSES[-1]}")
        specs.append(
            {
                "name": t["segments"],
                "data": _features(
                    segs,
                    [
                        "segment_id",
                        "customers_lost",
                        "households_lost",
                        "critical_lost",
                        "valve_ids",
                        "source_ids",
                        "length_m",
                        "loss_class",
                    ],
                    gcj=gcj,
                ),
                "by": "loss_class",
                "colors": {str(i): c for i, c in enumerate(LOSS_COLOURS)},
                "weight": 4,
                "opacity": 0.6,
                "id": "segment_id",
                "show": False,
                "legend": [
                    [f"{b} ({t['lost']})", c] for b, c in zip(bounds, LOSS_COLOURS, strict=True)
                ],
            }
        )
    valves = layers["valves"].copy()
    valves["state"] = _valve_state(valves)
    specs.append(
        {
            "name": t["valves"],
            "data": _features(
                valves,
                ["valve_id", "state", "normally", "operable", "diameter_mm", "kind"],
                gcj=gcj,
            ),
            "by": "state",
            "colors": VALVE_COLOURS,
            "radius": 4,
            "id": "valve_id",
            "legend": [[t[k], c] for k, c in VALVE_COLOURS.items()],
        }
    )
    specs.append(
        {
            "name": t["sources"],
            "data": _features(layers["sources"], ["source_id", "name", "kind"], gcj=gcj),
            "color": "#6a3d9a",
            "radius": 8,
            "id": "source_id",
        }
    )
    specs.append(
        {
            "name": t["regulators"],
            "data": _features(layers["regulators"], ["regulator_id", "name", "kind"], gcj=gcj),
            "color": "#ff7f00",
            "radius": 5,
            "id": "regulator_id",
        }
    )
    cust = layers["customers"]
    ccols = ["customer_id", "name", "kind", "critical", "households", "has_supply", "segment_id"]
    critical = cust["critical"].astype(object).fillna(False).astype(bool)
    specs.append(
        {
            "name": t["customers"],
            "data": _features(cust[~critical], ccols, gcj=gcj),
            "color": "#1f78b4",
            "radius": 3,
            "cluster": True,
            "id": "customer_id",
            "show": False,
        }
    )
    specs.append(
        {
            "name": t["critical"],
            "data": _features(cust[critical], ccols, gcj=gcj),
            "color": "#e31a1c",
            "stroke": "#000000",
            "radius": 7,
            "id": "customer_id",
        }
    )
    specs += _hazard_layers(layers, t, gcj)
    specs += _advice_layers(layers, t, gcj)
    q = layers.get("quality_issues")
    if q is not None and len(q):
        q = q[q.geometry.notna()].copy()
        q["geometry"] = shapely.point_on_surface(geoms(q))
        specs.append(
            {
                "name": t["quality"],
                "data": _features(
                    q, ["check", "severity", "layer", "feature_id", "message"], gcj=gcj
                ),
                "by": "severity",
                "colors": {"error": "#d7191c", "warning": "#ff7f00"},
                "radius": 5,
                "fillOpacity": 0.3,
                "show": False,
            }
        )
    data = {"labels": t, "layers": specs, "minimap": True, "focus": _bounds(layers["pipes"])}
    return _page(t["network"], data, basemap=basemap, tianditu_key=key)


#: How many of the ranked valve positions and repairs the one map shows.
ADVICE_ON_MAP = 50
_ADVICE_LOSSES = [
    f"{k}_lost_{x}" for k in ("customers", "households", "critical") for x in ("before", "after")
]


def _advice_layers(layers, t, gcj) -> list[dict]:
    """The top :data:`ADVICE_ON_MAP` rows of ``valve_advice`` and ``repair_advice`` (layers
    of ``gasnet advise-valves``), numbered by rank, off at first; absent layers: none."""
    out = []
    for name, colour, cols in (
        (
            "valve_advice",
            "#7b3294",
            ["rank", "pipe_id", "position_m", "segment_id", *_ADVICE_LOSSES],
        ),
        (
            "repair_advice",
            "#e66101",
            ["rank", "valve_id", "segments_affected", "segment_ids", *_ADVICE_LOSSES],
        ),
    ):
        table = layers.get(name)
        if table is None or not len(table):
            continue
        top = table.sort_values("rank").head(ADVICE_ON_MAP)
        fields = [*cols, "network_worst_after", "exposure_before", "exposure_after", "reduction"]
        out.append(
            {
                "name": t[name],
                "data": _features(top, fields, gcj=gcj),
                "color": colour,
                "stroke": "#000000",
                "radius": 7,
                "numbered": "rank",
                "fields": fields,
                "show": False,
            }
        )
    return out


def _hazard_layers(layers, t, gcj, *, show=True) -> list[dict]:
    risk = layers.get("risk")
    if risk is None or not len(risk):
        return []
    cols = [
        "rank",
        "tier",
        "score",
        "hazard_id",
        "category",
        "severity",
        "status",
        "due_on",
        "days_overdue",
        "pipe_id",
        "segment_id",
        "notes",
        "description",
    ]
    g = geoms(risk)
    point = shapely.get_type_id(g) == shapely.GeometryType.POINT
    spots = risk.copy()
    spots["geometry"] = shapely.point_on_surface(g)
    legend = [[k, v] for k, v in TIER_COLOURS.items()]
    out = [
        {
            "name": t["hazards"],
            "data": _features(spots[spots.geometry.notna()], cols, gcj=gcj),
            "by": "tier",
            "colors": TIER_COLOURS,
            "radius": 5,
            "cluster": True,
            "id": "hazard_id",
            "legend": legend,
            "show": show,
        }
    ]
    areas = risk[~point & risk.geometry.notna()]
    if len(areas):
        out.append(
            {
                "name": t["hazard_areas"],
                "data": _features(areas, cols, gcj=gcj),
                "by": "tier",
                "colors": TIER_COLOURS,
                "weight": 2,
                "fillOpacity": 0.2,
                "show": show,
            }
        )
    return out


def risk_map(
    layers: dict, *, language: str = "zh", basemap: str = "none", key: str = "", top: int = 30
) -> str:
    """Pipes and segments coloured by the highest hazard tier on them, the hazards by tier,
    and the top ``top`` hazards beside the map with their score components (overdue ones
    marked)."""
    t = LABELS[language]
    gcj = basemap == "amap"
    pipes = layers["pipes"].copy()
    pipes["hazard_tier"] = pipes.get("hazard_tier", pd.Series(None, index=pipes.index))
    roll = ["hazard_tier", "hazards_open", "hazards_major", "hazards_overdue", "hazard_score"]
    tiers = {k: v for k, v in TIER_COLOURS.items() if k != "closed"}
    specs = [
        {
            **_pipe_layer(pipes, t["pipes"], gcj, extra=roll),
            "by": "hazard_tier",
            "colors": tiers,
            "color": "#d9d9d9",
            "legend": [[k, v] for k, v in tiers.items()] + [["—", "#d9d9d9"]],
            "name": t["pipes"] + " · " + t["hazards"],
        }
    ]
    segs = layers.get("segments")
    if segs is not None and len(segs) and "hazard_tier" in segs:
        specs.append(
            {
                "name": t["segments"].split("（")[0].split(" (")[0] + " · " + t["hazards"],
                "data": _features(segs, ["segment_id", *roll, "customers_lost"], gcj=gcj),
                "by": "hazard_tier",
                "colors": tiers,
                "color": "#d9d9d9",
                "weight": 5,
                "opacity": 0.5,
                "id": "segment_id",
                "show": False,
            }
        )
    specs += _hazard_layers(layers, t, gcj)
    risk = layers.get("risk")
    columns = [
        "rank",
        "tier",
        "score",
        "hazard_id",
        "category",
        "days_overdue",
        "likelihood",
        "consequence",
        "households_lost",
        "critical_lost",
        "pipe_id",
    ]
    rows, marked = [], []
    if risk is not None and len(risk):
        head = risk[risk["tier"] != "closed"].head(top)
        rows = [[_value(v) for v in r] for r in head[columns].to_numpy(object).tolist()]
        marked = (head["days_overdue"] > 0).tolist()
    data = {
        "labels": t,
        "layers": specs,
        "focus": _bounds(layers["pipes"]),
        "panel": {
            "title": t["risk"],
            "sections": [
                {"title": t["top_hazards"], "columns": columns, "rows": rows, "marked": marked}
            ],
        },
    }
    return _page(t["risk"], data, basemap=basemap, tianditu_key=key)


# -- the incident map -------------------------------------------------------------------------


def warning_radius_m(
    diameter_mm, pressure_class, *, minimum_m: float = 100.0, factor: float = 0.33
) -> float:
    """The warning circle: the larger of ``minimum_m`` (the first isolation distance of the
    emergency response guidebook for a flammable gas leak, 100 m) and ``factor`` x D[mm] x
    sqrt(p[MPa]) (the pipeline emergency response guidelines' evacuation distance), over the
    damaged pipe parts (p: the class's upper pressure; unknown values count as none)."""
    from .schema import MAX_PRESSURE_MPA

    d = pd.to_numeric(pd.Series(diameter_mm), errors="coerce").to_numpy(float)
    p = pd.Series(pressure_class, dtype=object).map(MAX_PRESSURE_MPA).to_numpy(float)
    r = factor * d * np.sqrt(p)
    r = r[np.isfinite(r)]
    return float(max(minimum_m, r.max() if len(r) else 0.0))


def _gcj_columns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    glon, glat = wgs84_to_gcj02(out["lon"].to_numpy(float), out["lat"].to_numpy(float))
    out["gcj_lon"], out["gcj_lat"] = np.round(glon, 6), np.round(glat, 6)
    return out


def navigation_url(gcj_lon: float, gcj_lat: float, name: str) -> str:
    """An AMap link to the point (GCJ-02), for a crew's phone; opened only when clicked."""
    from urllib.parse import quote

    return (
        f"https://uri.amap.com/marker?position={gcj_lon:.6f},{gcj_lat:.6f}&name={quote(str(name))}"
    )


def incident_map(
    net,
    *,
    title: str,
    lines: list[str],
    damaged: gpd.GeoDataFrame,
    pipes: gpd.GeoDataFrame,
    valves: pd.DataFrame,
    customers: pd.DataFrame,
    stations: list[str],
    outline=None,
    centre=None,
    radius_m: float | None = None,
    language: str = "zh",
    basemap: str = "none",
    key: str = "",
) -> str:
    """One page for a closure or a burst: the damaged pipe, the valves to close numbered in
    order with WGS84 and GCJ-02 coordinates and a navigation link, the pipes without gas, the
    isolated area, the customers losing gas (critical first), the stations to stop, the
    warning circle, and the answer's figures; it prints as a one-page isolation order."""
    t = LABELS[language]
    gcj = basemap == "amap"
    crs = net.layers["edges"].crs
    specs = [_pipe_layer(net.layers["pipes"], t["pipes"], gcj, minimap=False)]
    specs[0]["opacity"] = 0.35
    if outline is not None:
        area = gpd.GeoDataFrame({"what": [t["isolated"]]}, geometry=[outline], crs=crs)
        specs.append(
            {
                "name": t["isolated"],
                "data": _features(area, ["what"], gcj=gcj),
                "color": "#ff7f00",
                "weight": 1,
                "fillOpacity": 0.12,
            }
        )
    if len(pipes):
        specs.append(
            {
                "name": t["deenergised"],
                "data": _features(
                    pipes,
                    ["pipe_id", "edge_id", "isolated", "pressure_class", "diameter_mm", "length_m"],
                    gcj=gcj,
                ),
                "color": "#636363",
                "weight": 4,
                "dash": "6 4",
            }
        )
    specs.append(
        {
            "name": t["damaged"],
            "data": _features(
                damaged, ["pipe_id", "edge_id", "pressure_class", "diameter_mm"], gcj=gcj
            ),
            "color": "#d7191c",
            "weight": 7,
        }
    )
    vt = valves.copy()
    vpts = gpd.GeoDataFrame(vt, geometry=gpd.points_from_xy(vt["x"], vt["y"]), crs=crs)
    close = vpts[vpts["action"] == "close"]
    specs.append(
        {
            "name": t["to_close"],
            "data": _features(
                close, ["order", "valve_id", "action", "lon", "lat", "gcj_lon", "gcj_lat"], gcj=gcj
            ),
            "color": "#d7191c",
            "stroke": "#000000",
            "radius": 8,
            "numbered": "order",
            "id": "valve_id",
        }
    )
    others = vpts[vpts["action"] != "close"]
    if len(others):
        specs.append(
            {
                "name": t["other_valves"],
                "data": _features(others, ["valve_id", "action", "lon", "lat"], gcj=gcj),
                "color": "#ffffff",
                "stroke": "#333333",
                "radius": 5,
                "id": "valve_id",
            }
        )
    cg = net.layers["customers"].set_index("customer_id").geometry
    cust = gpd.GeoDataFrame(
        customers.copy(), geometry=cg.reindex(customers["customer_id"]).to_numpy(), crs=crs
    )
    # ``where`` (isolated / cut off) is a burst's; a closure's customers have no such column.
    ccols = ["customer_id", "name", "kind", "critical", "households", "where", "segment_id"]
    ccols = [c for c in ccols if c in customers.columns]
    crit = cust["critical"].astype(bool)
    specs.append(
        {
            "name": t["affected"],
            "data": _features(cust[~crit], ccols, gcj=gcj),
            "color": "#1f78b4",
            "radius": 3,
            "cluster": True,
            "id": "customer_id",
        }
    )
    specs.append(
        {
            "name": t["critical"],
            "data": _features(cust[crit], ccols, gcj=gcj),
            "color": "#e31a1c",
            "stroke": "#000",
            "radius": 7,
            "id": "customer_id",
        }
    )
    if centre is not None:
        here = gpd.GeoDataFrame(
            {"what": [t["damaged"]]}, geometry=[shapely.Point(centre)], crs=4326
        )
        specs.append(
            {
                "name": t["damaged_point"],
                "data": _features(here, ["what"], gcj=gcj),
                "color": "#d7191c",
                "stroke": "#000000",
                "radius": 9,
                "weight": 3,
            }
        )
    data = {"labels": t, "layers": specs}
    if centre is not None and radius_m:
        lon, lat = centre
        if gcj:
            lon, lat = (float(v[0]) for v in wgs84_to_gcj02(np.array([lon]), np.array([lat])))
        data["circle"] = {
            "center": [lat, lon],
            "radius": radius_m,
            "name": t["warning"],
            "label": f"{t['warning']} {radius_m:.0f} m",
        }
    focus = (
        pd.concat([damaged.geometry, pipes.geometry, close.geometry])
        if len(close)
        else damaged.geometry
    )
    data["focus"] = _bounds(gpd.GeoDataFrame(geometry=list(focus), crs=crs))
    vcols = ["order", "valve_id", "action", "lon", "lat", "gcj_lon", "gcj_lat", "navigate"]
    vrows = vt.sort_values(["order", "valve_id"], na_position="last")
    vrows = vrows.assign(
        navigate=[
            navigation_url(a, b, v)
            for a, b, v in zip(vrows["gcj_lon"], vrows["gcj_lat"], vrows["valve_id"], strict=True)
        ]
    )
    ctab = customers.sort_values(["critical", "households"], ascending=[False, False])
    data["panel"] = {
        "title": title,
        "lines": lines,
        "sections": [
            {
                "title": t["to_close"],
                "columns": vcols,
                "rows": [[_value(v) for v in r] for r in vrows[vcols].to_numpy(object).tolist()],
                "links": [False] * 7 + [True],
            },
            {"title": t["stations"], "columns": ["id"], "rows": [[s] for s in stations]},
            {
                "title": t["affected"],
                "columns": ccols,
                "rows": [[_value(v) for v in r] for r in ctab[ccols].to_numpy(object).tolist()],
                "marked": ctab["critical"].astype(bool).tolist(),
            },
        ],
    }
    return _page(title, data, basemap=basemap, tianditu_key=key)


def _page_options(config) -> dict:
    m = config.maps if config is not None else {}
    return {
        "language": m.get("language", "zh"),
        "basemap": m.get("basemap", "none"),
        "key": m.get("tianditu_key", ""),
    }


def burst_map(net, res, *, at=None, crs=None, config=None) -> str:
    """The incident page of a :class:`gasnet.operations.BurstResult` (``at``/``crs`` as given
    to the burst; else the warning circle is centred on the damaged pipe): as
    :meth:`gasnet.Network.burst` returns it, its tables indexed by id, or with the ids as
    columns, as ``gasnet burst --map`` hands it over."""
    import dataclasses

    import pyproj

    from ._geo import to_wgs84

    def flat(table, key):
        if key in table.columns:  # (an index of the same name would make the column ambiguous)
            return table.reset_index(drop=True)
        return pd.DataFrame(table.drop(columns="geometry", errors="ignore")).reset_index()

    res = dataclasses.replace(
        res,
        pipes=res.pipes if "edge_id" in res.pipes.columns else res.pipes.reset_index(),
        valves=flat(res.valves, "valve_id"),
        customers=flat(res.customers, "customer_id"),
    )

    t = LABELS[_page_options(config)["language"]]
    m = config.maps if config is not None else {}
    work = net.layers["edges"].crs
    damaged = res.pipes[res.pipes["pipe_id"].astype(str).isin(res.damaged)]
    if not len(damaged):
        damaged = net.layers["edges"][net.layers["edges"]["pipe_id"].astype(str).isin(res.damaged)]
    if at is not None:
        src = pyproj.CRS.from_user_input(crs) if crs else work
        lon, lat = pyproj.Transformer.from_crs(src, "EPSG:4326", always_xy=True).transform(*at)
    else:
        c = shapely.line_interpolate_point(shapely.union_all(geoms(damaged)), 0.5, normalized=True)
        lon, lat = to_wgs84(work.to_string()).transform(c.x, c.y)
    radius = warning_radius_m(
        damaged["diameter_mm"],
        damaged["pressure_class"],
        minimum_m=m.get("warning_min_m", 100.0),
        factor=m.get("warning_factor", 0.33),
    )
    st = res.stats
    title = f"{t['incident']}: {', '.join(map(str, res.damaged))}"
    lines = [
        f"{t['to_close']}: {st['valves_to_close']}",
        f"{t['affected']}: {st['customers']} ({st['households']} {t['households']}); "
        f"{t['critical']}: {len(st['critical'])}",
        f"{t['stations']}: {', '.join(res.sources_to_shut) or t['none']}",
        f"{t['vent']}: {st['pipe_volume_m3']:.1f} m³ (pipe), "
        f"{st['gas_volume_std_m3']:.0f} Nm³ (gas)",
        f"{t['warning']}: {radius:.0f} m",
    ]
    return incident_map(
        net,
        title=title,
        lines=lines,
        damaged=damaged,
        pipes=res.pipes,
        valves=res.valves,
        customers=res.customers,
        stations=res.sources_to_shut,
        outline=res.outline,
        centre=(float(lon), float(lat)),
        radius_m=radius,
        **_page_options(config),
    )


def isolate_map(net, valve_ids, customers: pd.DataFrame, *, config=None) -> str:
    """The page of a valve closure: the closed valves (numbered as given), the customers
    losing gas (critical first)."""
    from ._geo import to_wgs84

    t = LABELS[_page_options(config)["language"]]
    nodes = net.valve_nodes(valve_ids)
    pts = geoms(net.layers["nodes"])[nodes]
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    lon, lat = to_wgs84(net.layers["edges"].crs.to_string()).transform(x, y)
    glon, glat = wgs84_to_gcj02(lon, lat)
    valves = pd.DataFrame(
        {
            "order": np.arange(1, len(nodes) + 1),
            "valve_id": list(valve_ids),
            "action": "close",
            "x": x,
            "y": y,
            "lon": np.round(lon, 7),
            "lat": np.round(lat, 7),
            "gcj_lon": np.round(glon, 7),
            "gcj_lat": np.round(glat, 7),
        }
    )
    lines = [
        f"{t['affected']}: {len(customers)} ({int(customers['households'].sum())} "
        f"{t['households']}); "
        f"{t['critical']}: {int(customers['critical'].sum())}"
    ]
    return incident_map(
        net,
        title=f"{t['incident']}: {', '.join(map(str, valve_ids))}",
        lines=lines,
        damaged=net.layers["edges"].iloc[0:0],
        pipes=net.layers["edges"].iloc[0:0],
        valves=valves,
        customers=customers,
        stations=[],
        **_page_options(config),
    )


# -- QGIS: the same symbology in the GeoPackage ----------------------------------------------


def _rgba(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _symbol(kind: str, name: str, colour: str) -> str:
    if kind == "line":
        layer, opts = "SimpleLine", {"line_color": _rgba(colour), "line_width": "0.6"}
        opts["line_width_unit"] = "MM"
    else:
        layer = "SimpleMarker"
        opts = {"color": _rgba(colour), "name": "circle", "size": "2.4", "size_unit": "MM"}
        opts["outline_color"] = "35,35,35,255"
    options = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in opts.items())
    return (
        f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{layer}" enabled="1" locked="0" pass="0">'
        f'<Option type="Map">{options}</Option></layer></symbol>'
    )


def _categorized_qml(kind: str, attr: str, categories: list[tuple[str, str, str]]) -> str:
    """A QGIS style (QML) that colours ``kind`` ("line" / "marker") features by ``attr`` (a
    field or an expression): categories are (value, label, colour)."""
    from xml.sax.saxutils import quoteattr

    cats = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(v)} label={quoteattr(lab)}/>'
        for i, (v, lab, _) in enumerate(categories)
    )
    syms = "".join(_symbol(kind, str(i), c) for i, (_, _, c) in enumerate(categories))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology">'
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" '
        'enableorderby="0" forceraster="0">'
        f"<categories>{cats}</categories><symbols>{syms}</symbols></renderer-v2></qgis>"
    )


#: The valves' state as a QGIS expression (what the web map computes as ``state``).
VALVE_STATE_EXPRESSION = (
    "CASE WHEN \"operable\" = 0 THEN 'inoperable' WHEN \"normally\" = 'closed' THEN 'closed' "
    "ELSE 'open' END"
)


def layer_styles(language: str = "zh") -> pd.DataFrame:
    """The ``layer_styles`` table QGIS reads from a GeoPackage: pipes by pressure class,
    valves by state, hazards (``risk``) and pipes' roll-ups by tier, as on the web maps; each
    the default style of its layer."""
    t = LABELS[language]
    pressure = [(k, k, c) for k, c in PRESSURE_COLOURS.items()] + [("", t["no_class"], NO_CLASS)]
    styles = {
        ("pipes", "line"): _categorized_qml("line", "pressure_class", pressure),
        ("edges", "line"): _categorized_qml("line", "pressure_class", pressure),
        ("valves", "marker"): _categorized_qml(
            "marker",
            VALVE_STATE_EXPRESSION,
            [(k, t[k], c) for k, c in VALVE_COLOURS.items()],
        ),
        ("risk", "marker"): _categorized_qml(
            "marker", "tier", [(k, k, c) for k, c in TIER_COLOURS.items()]
        ),
    }
    now = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%S")
    rows = [
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": table,
            "f_geometry_column": "geometry",
            "styleName": f"gasnet {table}",
            "styleQML": qml,
            "styleSLD": "",
            "useAsDefault": True,
            "description": "gasnet: the symbology of the web maps",
            "owner": "gasnet",
            "ui": "",
            "update_time": now,
        }
        for (table, _), qml in styles.items()
    ]
    return pd.DataFrame(rows)
