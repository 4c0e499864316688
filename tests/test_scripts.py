"""Simplified and Traditional Chinese (issue 7, item 3): both scripts mean the same thing.

Mainland data (Bazhong's, GB 50028's) is written in Simplified characters; some exports arrive
in Traditional. Labels are checked by their code points, not by how they look: a look-alike
character is the classic bug.
"""

from __future__ import annotations

import opencc
import pandas as pd
import pyogrio
import pytest
from conftest import pt, write_shp

from gasnet.config import read_config
from gasnet.network import load
from gasnet.sample import generate_sample, sample_config, write_sample
from gasnet.schema import (
    BOOL_LABELS,
    VOCABULARY,
    build_lookup,
    normalise_value,
    parse_bool,
    to_simplified,
)

S2T = opencc.OpenCC("s2t.json")

CLOSED_S = "\u5e38\u95ed"  # 常闭
CLOSED_T = "\u5e38\u9589"  # 常閉
OPEN_S = "\u5e38\u5f00"  # 常开
OPEN_T = "\u5e38\u958b"  # 常開


# -- code points -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "field", "simplified", "traditional", "canonical"),
    [
        ("valves", "normally", CLOSED_S, CLOSED_T, "closed"),
        ("valves", "normally", OPEN_S, OPEN_T, "open"),
        ("valves", "normally", "\u5173\u95ed", "\u95dc\u9589", "closed"),  # 关闭 關閉
        ("valves", "normally", "\u5f00\u542f", "\u958b\u555f", "open"),  # 开启 開啟
        ("pipes", "pressure_class", "\u4f4e\u538b", "\u4f4e\u58d3", "LP"),  # 低压 低壓
        ("pipes", "pressure_class", "\u4e2d\u538bA", "\u4e2d\u58d3A", "MP-A"),  # 中压A 中壓A
        ("pipes", "pressure_class", "\u6b21\u9ad8\u538bB", "\u6b21\u9ad8\u58d3B", "SHP-B"),
        ("pipes", "status", "\u5e9f\u5f03", "\u5ee2\u68c4", "abandoned"),  # 废弃 廢棄
        ("pipes", "status", "\u89c4\u5212", "\u898f\u5283", "planned"),  # 规划 規劃
        ("pipes", "status", "\u8fd0\u884c", "\u904b\u884c", "in_service"),  # 运行 運行
        ("customers", "kind", "\u533b\u9662", "\u91ab\u9662", "hospital"),  # 医院 醫院
        ("customers", "kind", "\u5b66\u6821", "\u5b78\u6821", "school"),  # 学校 學校
        ("customers", "kind", "\u517b\u8001\u9662", "\u990a\u8001\u9662", "care_home"),
        ("sources", "kind", "\u95e8\u7ad9", "\u9580\u7ad9", "city_gate"),  # 门站 門站
        ("regulators", "kind", "\u8c03\u538b\u7bb1", "\u8abf\u58d3\u7bb1", "cabinet"),
        ("hazards", "severity", "\u91cd\u5927\u9690\u60a3", "\u91cd\u5927\u96b1\u60a3", "major"),
        ("valves", "operable", "\u635f\u574f", "\u640d\u58de", "false"),  # 损坏 損壞
    ],
)
def test_labels_by_code_point_in_both_scripts(layer, field, simplified, traditional, canonical):
    assert simplified != traditional
    table = build_lookup()[(layer, field)]
    assert normalise_value(simplified, table) == canonical
    assert normalise_value(traditional, table) == canonical


def test_the_vocabulary_is_written_in_simplified():
    assert CLOSED_S in VOCABULARY[("valves", "normally")]["closed"]
    assert OPEN_S in VOCABULARY[("valves", "normally")]["open"]
    assert CLOSED_T not in VOCABULARY[("valves", "normally")]["closed"]
    every = [
        lab for table in (*VOCABULARY.values(), BOOL_LABELS) for v in table.values() for lab in v
    ]
    traditional = [lab for lab in every if to_simplified(lab) != lab]
    assert traditional == []


def test_every_label_matches_in_traditional_too():
    lookup = build_lookup()
    for (layer, field), table in [*VOCABULARY.items(), (("valves", "operable"), BOOL_LABELS)]:
        for canonical, labels in table.items():
            for label in labels:
                trad = S2T.convert(label)
                assert normalise_value(trad, lookup[(layer, field)]) == canonical, (label, trad)


def test_yes_no_labels_in_both_scripts():
    assert parse_bool("\u662f") is True and parse_bool("\u5426") is False  # 是 / 否
    assert parse_bool("\u635f\u574f") is False and parse_bool("\u640d\u58de") is False  # 损坏 損壞
    assert parse_bool("\u6b63\u5e38") is True  # 正常
    assert parse_bool("maybe") is None and parse_bool(None) is None


def test_config_labels_match_in_either_script():
    # A label added in Traditional matches Simplified data, and the reverse.
    lookup = build_lookup(
        {"valves.normally": {"\u534a\u958b": "open"}, "pipes.status": {"\u68c0\u4fee": "abandoned"}}
    )  # 半開, 检修
    assert normalise_value("\u534a\u5f00", lookup[("valves", "normally")]) == "open"  # 半开
    assert normalise_value("\u6aa2\u4fee", lookup[("pipes", "status")]) == "abandoned"  # 檢修


def test_the_sample_is_written_in_simplified(tmp_path):
    s = generate_sample(500, seed=1)
    frames = [s.pipes, s.valves, s.sources, s.regulators, s.customers, s.hazard_points]
    frames.append(s.hazard_areas)
    texts = [str(c) for f in frames for c in f.columns]
    texts += [v for f in frames for c in f.columns if c != "geometry" for v in f[c].unique()]
    texts = [t for t in texts if isinstance(t, str)]
    assert "\u5e38\u95ed" in texts and len(texts) > 1000  # the values are there: 常闭
    texts.append(sample_config())
    assert [t for t in texts if to_simplified(t) != t] == []
    # The bytes on disk: GBK of 常闭 in the valves' .dbf, not of 常閉.
    write_sample(tmp_path, 500, seed=1, with_config=False)
    dbf = (tmp_path / "raw" / "valves.dbf").read_bytes()
    assert CLOSED_S.encode("gbk") in dbf and CLOSED_T.encode("gbk") not in dbf
    assert "\u9600\u95e8\u7f16\u53f7".encode("gbk") in dbf  # field name 阀门编号


# -- a Traditional export of the sample gives the same answers ---------------------------------


def _to_traditional(src, dst):
    """Convert a written sample's field names and text values to Traditional, as exported."""
    src, root, dst = src / "raw", dst, dst / "raw"
    dst.mkdir(parents=True)

    def conv(df):
        df = df.rename(columns={c: S2T.convert(c) for c in df.columns if c != "geometry"})
        for c in df.columns:
            if c != "geometry":
                df[c] = df[c].map(lambda v: S2T.convert(v) if isinstance(v, str) else v)
        return df

    for name in ("pipes", "valves", "sources", "regulators", "customers"):
        gdf = pyogrio.read_dataframe(src / f"{name}.shp", encoding="GBK")
        if name == "valves":
            gdf = gdf.set_crs("EPSG:4545")
        pyogrio.write_dataframe(conv(gdf), dst / f"{name}.shp", encoding="GBK")
        if name == "valves":
            (dst / "valves.prj").unlink()
    points = pd.read_csv(
        src / "hazards.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    conv(points).to_csv(dst / "hazards.csv", index=False, encoding="utf-8-sig")
    areas = pyogrio.read_dataframe(src / "hazard_areas.geojson")
    pyogrio.write_dataframe(conv(areas), dst / "hazard_areas.geojson", driver="GeoJSON")
    (root / "gasnet.toml").write_text(
        S2T.convert(sample_config("raw", "processed")), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The small sample in Simplified (as generated) and in Traditional, and cross configs."""
    from gasnet.cli import main

    root = tmp_path_factory.mktemp("scripts")
    simp, trad = root / "simplified", root / "traditional"
    write_sample(simp, 800, seed=1)  # seed 1: five normally-closed valves at this size
    _to_traditional(simp, trad)
    # A Traditional config on the Simplified export, and a Simplified one on the Traditional.
    (simp / "trad.toml").write_text(
        S2T.convert(sample_config("raw", "processed_t")), encoding="utf-8"
    )
    (trad / "simp.toml").write_text(sample_config("raw", "processed_s"), encoding="utf-8")
    runs = {
        "simplified": simp / "gasnet.toml",
        "traditional": trad / "gasnet.toml",
        "trad_config_on_simplified": simp / "trad.toml",
        "simp_config_on_traditional": trad / "simp.toml",
    }
    # The bytes, not how they look: GBK of 常闭 / 阀门编号 in one, of 常閉 / 閥門編號 in the other.
    for folder, (yes, no) in ((simp, (CLOSED_S, CLOSED_T)), (trad, (CLOSED_T, CLOSED_S))):
        dbf = (folder / "raw" / "valves.dbf").read_bytes()
        assert yes.encode("gbk") in dbf and no.encode("gbk") not in dbf
    assert "\u9600\u95e8\u7f16\u53f7".encode("gbk") in (simp / "raw" / "valves.dbf").read_bytes()
    assert "\u95a5\u9580\u7de8\u865f".encode("gbk") in (trad / "raw" / "valves.dbf").read_bytes()
    assert 'id = "\u95a5\u9580\u7de8\u865f"' in (trad / "gasnet.toml").read_text(encoding="utf-8")
    for config in runs.values():
        assert main(["--config", str(config), "run", "--as-of", "2026-11-30"]) == 0
    return runs


def _layer(config, layer):
    cfg = read_config(config)
    return pyogrio.read_dataframe(cfg.gpkg, layer=layer)


@pytest.mark.parametrize(
    "other", ["traditional", "trad_config_on_simplified", "simp_config_on_traditional"]
)
def test_both_scripts_give_identical_segments_and_valve_criticality(exports, other):
    for layer in ("segments", "valve_criticality", "hazard_matches"):
        a = _layer(exports["simplified"], layer)
        b = _layer(exports[other], layer)
        pd.testing.assert_frame_equal(a, b)
    cust = _layer(exports["simplified"], "customers")
    assert cust["critical"].sum() >= 4 and (cust["kind"] == "hospital").any()
    valves = _layer(exports["simplified"], "valves")
    assert (valves["normally"] == "closed").sum() == 5 and (~valves["operable"]).sum() >= 1
    for config in (exports["simplified"], exports[other]):
        issues = _layer(config, "quality_issues")
        # Only the sample's two records with a category and a severity that nobody knows
        # (树木根系, 较大隐患; 樹木根系, 較大隱患 in Traditional).
        unknown = issues.loc[issues["check"] == "unknown_value", "feature_id"]
        assert sorted(unknown) == ["YH-X001", "YH-X002"]


@pytest.mark.parametrize(
    "other", ["traditional", "trad_config_on_simplified", "simp_config_on_traditional"]
)
def test_both_scripts_rank_the_hazards_alike(exports, other):
    # Same ranks, tiers, scores and components; only the free text (descriptions, the
    # unknown labels as written, the notes quoting them) keeps its script.
    text = ["category", "severity", "notes", "description"]
    a = _layer(exports["simplified"], "risk").drop(columns=text)
    b = _layer(exports[other], "risk").drop(columns=text)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["tier"]) == {"P1", "P2", "P3", "closed"}


def test_both_scripts_give_identical_closures(exports):
    simp, trad = load(exports["simplified"]), load(exports["traditional"])
    segs = _layer(exports["simplified"], "segments").sort_values("customers_lost")
    valves = _layer(exports["simplified"], "valves")
    shut = set(valves.loc[valves["normally"] == "closed", "valve_id"])
    cols = ["kind", "critical", "households", "segment_id"]
    lost = []
    for ids in segs["valve_ids"].tail(3):  # isolate the three segments that cut off the most
        close = [v for v in ids.split(";") if v not in shut]
        a, b = simp.isolate(close).customers, trad.isolate(close).customers
        pd.testing.assert_frame_equal(a[cols], b[cols])
        lost.append(len(a))
    assert min(lost) > 0


# -- field names: script-insensitive, exact matches win ----------------------------------------


def test_configured_field_names_match_the_other_script(project, cli):
    write_shp(
        project.raw / "valves.shp",
        [
            {"\u9600\u95e8\u7f16\u53f7": "V1", "\u5f00\u5173\u72b6\u6001": CLOSED_S}
        ],  # 阀门编号 开关状态
        [pt(50, 0)],
        encoding="GBK",
    )
    project.replace_config(
        'path = "raw/valves.shp"',
        'path = "raw/valves.shp"\nid = "\u95a5\u9580\u7de8\u865f"\n'  # 閥門編號
        'fields = { normally = "\u958b\u95dc\u72c0\u614b" }',  # 開關狀態
    )
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    valves = pyogrio.read_dataframe(project.gpkg, layer="valves")
    assert list(valves["valve_id"]) == ["V1"] and list(valves["normally"]) == ["closed"]


def test_an_exact_field_name_wins_over_the_other_script(project, cli):
    # Both spellings in one file: the configured one is taken as written.
    write_shp(
        project.raw / "valves.shp",
        [{"id": "V1", "\u5f00\u5173\u72b6\u6001": OPEN_S, "\u958b\u95dc\u72c0\u614b": CLOSED_T}],
        [pt(50, 0)],
        encoding="GBK",
    )
    project.replace_config(
        'path = "raw/valves.shp"',
        'path = "raw/valves.shp"\nfields = { normally = "\u958b\u95dc\u72c0\u614b" }',
    )
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert list(pyogrio.read_dataframe(project.gpkg, layer="valves")["normally"]) == ["closed"]
    # Neither spelling written exactly (a mixed one): which field is meant is not guessed.
    project.replace_config("\u958b\u95dc\u72c0\u614b", "\u5f00\u95dc\u72c0\u614b")  # 开關狀態
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2
    assert "configured field(s) \u5f00\u95dc\u72c0\u614b not found" in err
    assert "differ only in Simplified / Traditional characters" in err


def test_csv_coordinate_fields_match_the_other_script(project, cli):
    (project.raw / "h.csv").write_text(
        "\u7f16\u53f7,\u7ecf\u5ea6,\u7eac\u5ea6\nH1,380010,3526010\n", encoding="utf-8"
    )  # 编号,经度,纬度
    project.add_config(
        '[layers.hazards]\npath = "raw/h.csv"\nid = "\u7de8\u865f"\n'  # 編號
        'x = "\u7d93\u5ea6"\ny = "\u7def\u5ea6"\ncrs = "EPSG:4545"\n'  # 經度 緯度
    )
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    hz = pyogrio.read_dataframe(project.gpkg, layer="hazards")
    assert list(hz["hazard_id"]) == ["H1"] and hz.geometry.iloc[0].x == pytest.approx(380010)
