"""The page shell (its first view, title, panel and script) and the popup fields of the pipes
and hazards, for mutants of maps.py a quick mutation pass left alive (docs/mutants.md)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import geopandas as gpd
from conftest import xy
from shapely.geometry import Point, Polygon

from gasnet import maps


def _map_id(page: str) -> str:
    return re.search(r"var (map_[0-9a-f]+) = L\.map\(", page).group(1)


def test_empty_page_opens_on_the_whole_world_on_canvas_with_one_scale_bar():
    # No layers, so map.js fits no bounds: the first view is folium's, the world (centre 0, 0
    # at zoom 2), drawn on a canvas (thousands of pipes); map.js adds the one scale bar, so
    # folium must add none.
    # Planted: maps.py: _page's location=None, [1, 0], [0, 1], dropped; zoom_start=None, 3,
    #   dropped; prefer_canvas=None, False, dropped; control_scale=True
    page = maps._page("Net", {"layers": []})
    name = _map_id(page)
    options = page[page.index(f"var {name} = L.map(") :]
    assert "center: [0.0, 0.0]," in options
    assert '"zoom": 2,' in options
    assert '"preferCanvas": true,' in options
    assert page.count("L.control.scale(") == 1


def test_page_has_its_title_the_panel_beside_the_map_and_the_script_bound_to_it():
    # The title escaped in <title>, Leaflet inline; the map and the panel side by side in one
    # container; map.js draws on the folium map by its variable name.
    # Planted: maps.py: _page's header Element(None); script Element(None);
    #   replace("XXMAP_NAMEXX"), replace("map_name"); json.dumps(None); name = None;
    #   '<div id="gasnet-panel"></div></div>' -> "XX...XX", upper case
    page = maps._page("A & B", {"layers": []})
    name = _map_id(page)
    assert "<title>A &amp; B</title>\n<style>" in page  # then the inline Leaflet CSS and JS
    assert (
        f'<div class="gasnet-page"><div class="folium-map" id="{name}" ></div>'
        '<div id="gasnet-panel"></div></div>'
    ) in page
    assert f'gasnetDraw(window["{name}"]);' in page
    assert "MAP_NAME" not in page


def test_page_options_take_the_tianditu_key_from_the_config():
    # [maps] tianditu_key reaches the tile URL ("...&tk=K1"); without one the key is empty
    # (no made-up key), and no config means Chinese, no basemap, no key.
    # Planted: maps.py: _page_options' m.get(None, ""), m.get("XXtianditu_keyXX", ""),
    #   m.get("TIANDITU_KEY", ""), m.get("tianditu_key", None), m.get("tianditu_key"),
    #   m.get("tianditu_key", "XXXX")
    opts = maps._page_options(SimpleNamespace(maps={"basemap": "tianditu", "tianditu_key": "K1"}))
    assert opts == {"language": "zh", "basemap": "tianditu", "key": "K1"}
    page = maps._page("T", {"layers": []}, basemap=opts["basemap"], tianditu_key=opts["key"])
    assert 'tk=K1",' in page  # the URL ends with the key
    assert maps._page_options(SimpleNamespace(maps={"language": "en"}))["key"] == ""
    assert maps._page_options(None) == {"language": "zh", "basemap": "none", "key": ""}


def test_hazard_popups_carry_segment_notes_and_description():
    # A point hazard (H1) and an area (H2): the area is drawn twice, as a spot in the
    # clustered hazards layer and as an area; every popup has its segment, notes, description.
    # Planted: maps.py: _hazard_layers' cols "segment_id"/"notes"/"description" -> "XX..XX",
    #   upper case
    square = Polygon([xy(10, 10), xy(20, 10), xy(20, 20), xy(10, 20)])
    risk = gpd.GeoDataFrame(
        {
            "hazard_id": ["H1", "H2"],
            "tier": ["P1", "P2"],
            "segment_id": [3, 4],
            "notes": ["dig site", "landslip"],
            "description": ["third-party works", "slope"],
        },
        geometry=[Point(xy(0, 0)), square],
        crs="EPSG:4545",
    )
    spots, areas = maps._hazard_layers({"risk": risk}, maps.LABELS["en"], False)
    want = [
        {
            "tier": "P1",
            "hazard_id": "H1",
            "segment_id": 3,
            "notes": "dig site",
            "description": "third-party works",
        },
        {
            "tier": "P2",
            "hazard_id": "H2",
            "segment_id": 4,
            "notes": "landslip",
            "description": "slope",
        },
    ]
    assert [f["properties"] for f in spots["data"]["features"]] == want
    assert [f["properties"] for f in areas["data"]["features"]] == want[1:]
