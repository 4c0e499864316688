"""`gasnet hazards` and the hazard stage of `gasnet run` (issue 8): layers, CSV, errors.

The conftest project: S1 at (0,0); P1 (0,0)-(100,0) MP-A with V1 (normally closed) at
(50,0); P2 (100,0)-(200,0) MP-A; P3 (100,0)-(100,80) planned. Records in the working CRS:

    H1 encroachment, recorded general, 0.2 m from P2 at (150, 0.2): major by the 2023 rule
    H2 leak, 1 m from P2 at (180, 1), due 2026-01-01: 60 days overdue on 2026-03-02
    H3 leak in a field at (150, 300): no pipe within reach
    H4 corrosion, closed, on P2
"""

from __future__ import annotations

import pyogrio
import pytest
from conftest import X0, Y0

HEADER = "编号,类别,等级,状态,发现日期,整改期限,x,y\n"
ROWS = [
    ("H1", "占压", "一般隐患", "未整改", "2026-01-10", "2026-04-10", 150, 0.2),
    ("H2", "泄漏", "一般隐患", "整改中", "2025年12月1日", "2026/1/1", 180, 1),
    ("H3", "泄漏", "一般隐患", "未整改", "2026-02-01", "2026-03-01", 150, 300),
    ("H4", "腐蚀", "重大隐患", "已整改", "2025-06-01", "2025-07-01", 120, 0.5),
]
CONFIG = """
[layers.hazards]
path = "raw/h.csv"
id = "编号"
crs = "EPSG:4545"
[layers.hazards.fields]
category = "类别"
severity = "等级"
status = "状态"
found_on = "发现日期"
due_on = "整改期限"
"""


@pytest.fixture
def with_hazards(project):
    lines = [",".join(map(str, (*r[:6], X0 + r[6], Y0 + r[7]))) for r in ROWS]
    (project.raw / "h.csv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    project.add_config(CONFIG)
    return project


def test_run_ranks_the_hazards_and_writes_every_layer(with_hazards, cli):
    code, out, err = cli("--config", with_hazards.config, "run", "--as-of", "2026-03-02")
    assert code == 0, err
    assert "hazards: 4 hazards, 3 matches, 1 P1, 0 P2, 2 P3, 2 overdue" in out
    assert "top 4 hidden hazards to fix first (as of 2026-03-02)" in out
    gpkg = with_hazards.gpkg
    risk = pyogrio.read_dataframe(gpkg, layer="risk")
    # H1 is major by rule (P1); H2 and H3 open (H3 scores 0); H4 closed, last.
    assert list(risk["hazard_id"]) == ["H1", "H2", "H3", "H4"]
    assert risk["tier"].iloc[0] == "P1" and risk["tier"].iloc[-1] == "closed"
    h2 = risk.set_index("hazard_id").loc["H2"]
    assert h2["days_overdue"] == 60 and h2["found_on"] == "2025-12-01"
    matches = pyogrio.read_dataframe(gpkg, layer="hazard_matches")
    assert list(matches.columns[:7]) == [
        "hazard_id",
        "pipe_id",
        "edge_id",
        "segment_id",
        "distance_m",
        "exposed_length_m",
        "influence_m",
    ]
    # Closed records keep their matches (the history); the roll-ups count open ones only.
    assert sorted(matches["hazard_id"]) == ["H1", "H2", "H4"] and set(matches["pipe_id"]) == {"P2"}
    pipes = pyogrio.read_dataframe(gpkg, layer="pipes").set_index("pipe_id")
    assert pipes.loc["P2", "hazards_open"] == 2 and pipes.loc["P2", "hazards_major"] == 1
    assert pipes.loc["P2", "hazard_tier"] == "P1" and pipes.loc["P1", "hazards_open"] == 0
    segs = pyogrio.read_dataframe(gpkg, layer="segments")
    assert segs["hazards_open"].sum() == 2 and "hazard_tier" in segs
    q = pyogrio.read_dataframe(gpkg, layer="quality_issues")
    hz = q[q["stage"] == "hazards"]
    assert set(hz["check"]) == {"major_by_rule", "no_pipe_within_reach"}
    meta = pyogrio.read_dataframe(gpkg, layer="run_metadata").set_index("key")["value"]
    assert meta["risk_as_of"] == "2026-03-02"
    csv = (with_hazards.root / "out" / "risk.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbfrank,tier,score,hazard_id")
    assert "ranked hazards:" in out and "risk.csv" in out


def test_the_hazards_stage_alone_replaces_its_own_rows(with_hazards, cli):
    assert cli("--config", with_hazards.config, "run", "--as-of", "2026-03-02")[0] == 0
    code, out, _ = cli("--config", with_hazards.config, "hazards", "--as-of", "2026-03-03")
    assert code == 0 and "(as of 2026-03-03)" in out
    q = pyogrio.read_dataframe(with_hazards.gpkg, layer="quality_issues")
    assert (q["check"] == "major_by_rule").sum() == 1  # not doubled
    risk = pyogrio.read_dataframe(with_hazards.gpkg, layer="risk").set_index("hazard_id")
    assert risk.loc["H2", "days_overdue"] == 61


def test_hazards_before_criticality_names_the_stage(with_hazards, cli):
    assert cli("--config", with_hazards.config, "ingest")[0] == 0
    assert cli("--config", with_hazards.config, "build")[0] == 0
    code, _, err = cli("--config", with_hazards.config, "hazards")
    assert code == 2 and "run `gasnet criticality` first" in err


def test_a_bad_as_of_date_is_a_usage_error(with_hazards, cli):
    with pytest.raises(SystemExit) as exc:
        cli("--config", with_hazards.config, "hazards", "--as-of", "30/11/2026")
    assert exc.value.code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[hazards.influence_m]\nleak = -1\n", "[hazards.influence_m] leak must be a number"),
        (
            "[hazards.influence_m]\nflooding = 3\n",
            "unknown key(s) flooding in [hazards.influence_m]",
        ),
        ('[hazards.influence_m]\nleak = { "MP-C" = 3 }\n', "unknown key(s) MP-C"),
        ("[hazards]\nradius = 3\n", "unknown key(s) radius in [hazards]"),
        ("[risk]\np2_min_score = nan\n", "[risk] p2_min_score must be a number >= 0"),
        ('[risk]\nas_of = "soon"\n', "[risk] as_of must be a date"),
        ('[risk.category_weight]\nleak = "high"\n', "[risk.category_weight].leak must be"),
        ("[risk]\noverdue_max = 0.5\n", "overdue_max must be >= 1"),
        (
            '[[hazards.major_rules]]\nname = "x"\ncategory = "leak"\nmin_pressure_class = "MP"\n',
            "min_pressure_class 'MP' is not a pressure class",
        ),
        ('[[hazards.major_rules]]\nname = "x"\n', "lacks category, min_pressure_class"),
        (
            '[[hazards.major_rules]]\nname = "x"\ncategory = "fire"\nmin_pressure_class = "LP"\n',
            "category fire is not a category",
        ),
    ],
)
def test_bad_hazard_settings_are_one_clear_error(project, cli, text, message):
    project.add_config(text)
    code, _, err = cli("--config", project.config, "validate")
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_settings_from_the_config_change_the_answer(with_hazards, cli):
    # Leaks reach 300 m: H3 in the field now threatens P2 (300 m away), no warning.
    with_hazards.add_config("[hazards.influence_m]\nleak = 300\n[risk]\nas_of = 2026-03-02\n")
    code, out, _ = cli("--config", with_hazards.config, "run")
    assert code == 0 and "(as of 2026-03-02)" in out
    matches = pyogrio.read_dataframe(with_hazards.gpkg, layer="hazard_matches")
    assert "H3" in set(matches["hazard_id"])


def test_a_traditional_export_ranks_the_same(project, tmp_path, cli):
    # The same records exported in Traditional characters (佔壓 一般隱患 未整改 洩漏 …, field
    # names 編號 類別 …): identical matches and risk.
    from conftest import Project

    (tmp_path / "s").mkdir()
    simplified = Project(tmp_path / "s")
    lines = [",".join(map(str, (*r[:6], X0 + r[6], Y0 + r[7]))) for r in ROWS]
    (simplified.raw / "h.csv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    simplified.add_config(CONFIG)
    traditional = {
        "编号": "編號", "类别": "類別", "等级": "等級", "状态": "狀態", "发现日期": "發現日期",
        "占压": "佔壓", "一般隐患": "一般隱患", "重大隐患": "重大隱患", "泄漏": "洩漏",
        "腐蚀": "腐蝕", "整改中": "整改中", "已整改": "已整改", "未整改": "未整改",
    }  # fmt: skip
    text = (simplified.raw / "h.csv").read_text(encoding="utf-8")
    config = CONFIG
    for s, t in traditional.items():
        text, config = text.replace(s, t), config.replace(s, t)
    assert "\u4f54\u58d3" in text and "\u6d29\u6f0f" in text  # 佔壓, 洩漏: Traditional bytes
    (project.raw / "h.csv").write_text(text, encoding="utf-8")
    project.add_config(config)
    frames = []
    for p in (simplified, project):
        code, _, err = cli("--config", p.config, "run", "--as-of", "2026-03-02")
        assert code == 0, err
        frames.append(pyogrio.read_dataframe(p.gpkg, layer="risk", read_geometry=False))
    a, b = frames
    assert list(a["hazard_id"]) == ["H1", "H2", "H3", "H4"]
    assert a.drop(columns="description").equals(b.drop(columns="description"))
