"""The GeoPackage carries the web maps' symbology for QGIS (issue 9, item 7)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pyogrio

from gasnet.maps import PRESSURE_COLOURS, TIER_COLOURS, VALVE_COLOURS, _rgba


def test_layer_styles_colour_pipes_valves_and_hazards_as_the_web_map(project, cli):
    assert cli("--config", project.config, "run")[0] == 0
    styles = pyogrio.read_dataframe(project.gpkg, layer="layer_styles", read_geometry=False)
    assert set(styles["f_table_name"]) == {"pipes", "edges", "valves", "risk"}
    assert styles["useAsDefault"].all() and (styles["f_geometry_column"] == "geometry").all()
    by = styles.set_index("f_table_name")["styleQML"]
    pipes = ET.fromstring(by["pipes"].split("'SYSTEM'>", 1)[1])
    renderer = pipes.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "pressure_class"
    values = [c.get("value") for c in renderer.iter("category")]
    assert values == [*PRESSURE_COLOURS, ""]
    # Category i uses symbol i, coloured as on the web map (MP-A is the 5th class).
    colours = [o.get("value") for o in renderer.iter("Option") if o.get("name") == "line_color"]
    assert colours[4] == _rgba(PRESSURE_COLOURS["MP-A"])
    valves = ET.fromstring(by["valves"].split("'SYSTEM'>", 1)[1]).find("renderer-v2")
    assert "operable" in valves.get("attr")
    assert [c.get("value") for c in valves.iter("category")] == list(VALVE_COLOURS)
    risk = ET.fromstring(by["risk"].split("'SYSTEM'>", 1)[1]).find("renderer-v2")
    assert [c.get("value") for c in risk.iter("category")] == list(TIER_COLOURS)
