"""The map pages without a browser (issue 9): one file asking for nothing, escaped data,
labels in both languages, the GCJ-02 shift, the warning circle. The browser tests are in
test_maps.py."""

from __future__ import annotations

import json
import re

import pytest

from gasnet._geo import wgs84_to_gcj02
from gasnet.maps import warning_radius_m


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="gasnet-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_a_page_asks_for_nothing_and_its_data_cannot_escape(project, cli):
    (project.raw / "h.csv").write_text(
        "id,category,x,y,description\nH1,leak,380150,3526000.5,</script><!-- x\n",
        encoding="utf-8",
    )
    project.add_config('[layers.hazards]\npath = "raw/h.csv"\ncrs = "EPSG:4545"\n')
    assert cli("--config", project.config, "run")[0] == 0
    for name in ("network.html", "risk.html"):
        html = (project.root / "out" / "maps" / name).read_text(encoding="utf-8")
        # No external script, stylesheet, image or frame (Leaflet's own "Leaflet" credit is a
        # link, followed only if clicked).
        tag = r"""<(script|link|img|iframe|source)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//"""
        assert not re.search(tag, html, re.I)
        assert not re.search(r"""url\(\s*["']?(https?:)?//""", html)  # nor a CSS url()
        assert "cdn.jsdelivr" not in html and "sourceMappingURL" not in html
        block = html.split('id="gasnet-data">', 1)[1].split("</script>", 1)[0]
        assert "</" not in block and "<!--" not in block
        hazards = next(lay for lay in _data(html)["layers"] if lay.get("id") == "hazard_id")
        desc = hazards["data"]["features"][0]["properties"]["description"]
        assert desc == "</script><!-- x"  # read back unchanged


def test_english_labels_and_an_amap_basemap_shift_the_features(project, cli):
    project.add_config('[maps]\nlanguage = "en"\nbasemap = "amap"\n')
    assert cli("--config", project.config, "run")[0] == 0
    html = (project.root / "out" / "maps" / "network.html").read_text(encoding="utf-8")
    data = _data(html)
    names = [lay["name"] for lay in data["layers"]]
    assert names[:3] == [
        "Pipes (by pressure class)",
        "Valve segments (by customers lost)",
        "Valves",
    ]
    assert "webrd0" in html  # the AMap tiles, asked for only because the config says so
    # The source S1 (local (0, 0)) is drawn in GCJ-02: shifted from its WGS84 position.
    import pyproj

    lon, lat = pyproj.Transformer.from_crs(4545, 4326, always_xy=True).transform(380000, 3526000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    src = next(lay for lay in data["layers"] if lay.get("id") == "source_id")
    x, y = src["data"]["features"][0]["geometry"]["coordinates"]
    assert (x, y) == pytest.approx((float(glon), float(glat)), abs=2e-6)
    assert abs(x - lon) > 1e-3  # hundreds of metres


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[maps]\nbasemap = "google"\n', "[maps] basemap = 'google' is not one of \"none\""),
        ('[maps]\nlanguage = "fr"\n', "[maps] language = 'fr' is not one of"),
        ('[maps]\nbasemap = "tianditu"\n', "needs tianditu_key"),
        ("[maps]\nwarning_min_m = -1\n", "[maps].warning_min_m must be a number >= 0"),
        ("[maps]\nzoom = 3\n", "unknown key(s) zoom in [maps]"),
    ],
)
def test_bad_map_settings_are_one_clear_error(project, cli, text, message):
    project.add_config(text)
    code, _, err = cli("--config", project.config, "validate")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_the_warning_circle():
    # 100 m at least; SHP-B DN400: 0.33 x 400 x sqrt(0.8) = 118.1 m; unknown values: 100 m.
    assert warning_radius_m([110], ["MP-A"]) == 100.0
    assert warning_radius_m([400], ["SHP-B"]) == pytest.approx(0.33 * 400 * 0.8**0.5)
    assert warning_radius_m([None], [None]) == 100.0
    assert warning_radius_m([400], ["SHP-B"], minimum_m=150) == 150.0


def test_gcj02_near_bazhong_is_about_460_m():
    import pyproj

    lon, lat = wgs84_to_gcj02(106.75, 31.86)
    _, _, d = pyproj.Geod(ellps="WGS84").inv(106.75, 31.86, float(lon), float(lat))
    assert 400 < d < 520
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # outside China: unchanged


def test_counts_travel_as_numbers_not_text(project, cli):
    # to_numpy(object) hands Python ints (not numpy's) to the page: they were written as "30".
    assert cli("--config", project.config, "run")[0] == 0
    html = (project.root / "out" / "maps" / "network.html").read_text(encoding="utf-8")
    props = {}
    for layer in _data(html)["layers"]:
        for f in layer["data"]["features"]:
            props.setdefault(layer.get("id"), []).append(f["properties"])
    customers = props["customer_id"]
    assert len(customers) == 2 and all(isinstance(c["households"], int) for c in customers)
    seg = props["segment_id"][0]
    assert isinstance(seg["customers_lost"], int)


def test_map_targets_that_are_mistakes_name_the_map_option(project, cli, tmp_path):
    assert cli("--config", project.config, "run")[0] == 0
    network = project.root / "out" / "maps" / "network.html"
    for target, said in (
        ("", "--map '': an empty path"),
        (tmp_path, "that is a folder; give a file name, e.g. --map"),
        (network, "that is the project's network.html"),
        (project.raw / "x.html", "raw data is never written"),
    ):
        code, _, err = cli("--config", project.config, "burst", "--pipe", "P2", "--map", target)
        assert code == 2 and said in err and "--out" not in err, err
