"""tools/mutants.py (``make mutants``): the lines of the original module each mutant changes,
which decide the tests it runs. Hand-written files in mutmut's layout: no mutmut needed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "mutants.py"

ORIGINAL = """\
def f(a, b=1):
    x = a + b
    return x * 2


class K:
    def m(self, v):
        w = v
        return w - 1
"""

# mutmut's generated file: each function's unmutated copy (x_f__mutmut_orig), then one copy
# per mutant; a method's copies in its class, named xǁKǁm__mutmut_N.
MUTATED = """\
def x_f__mutmut_orig(a, b=1):
    x = a + b
    return x * 2


def x_f__mutmut_1(a, b=2):
    x = a + b
    return x * 2


def x_f__mutmut_2(a, b=1):
    x = a - b
    return x * 2


def x_f__mutmut_3(a, b=1):
    x = a + b


class K:
    def x\u01c1K\u01c1m__mutmut_orig(self, v):
        w = v
        return w - 1

    def x\u01c1K\u01c1m__mutmut_1(self, v):
        w = v
        return w + 1
"""


def _tool():
    spec = importlib.util.spec_from_file_location("mutants_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _project(tmp_path, monkeypatch, source):
    """The tool, run on a project in ``tmp_path`` whose one module, ``mod``, is ``source``."""
    tool = _tool()
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    monkeypatch.setattr(tool, "RUNS", tmp_path / ".mutants")
    (tmp_path / "src" / "gasnet").mkdir(parents=True)
    (tmp_path / "src" / "gasnet" / "mod.py").write_text(source)
    return tool


def test_each_mutant_is_mapped_to_the_lines_of_the_original_it_changes(tmp_path, monkeypatch):
    # f's def is line 1 of the original, K.m's line 7:
    # - f 1 changes the default argument: the def line, 1;
    # - f 2 changes "x = a + b": line 2;
    # - f 3 drops "return x * 2": line 3;
    # - K.m 1 changes "return w - 1": line 9.
    tool = _project(tmp_path, monkeypatch, ORIGINAL)
    generated = tmp_path / ".mutants" / "mod" / "mutants" / "src" / "gasnet"
    generated.mkdir(parents=True)
    (generated / "mod.py").write_text(MUTATED)
    names = [
        "gasnet.mod.x_f__mutmut_1",
        "gasnet.mod.x_f__mutmut_2",
        "gasnet.mod.x_f__mutmut_3",
        "gasnet.mod.x\u01c1K\u01c1m__mutmut_1",
    ]
    meta = {"exit_code_by_key": dict.fromkeys(names)}
    (generated / "mod.py.meta").write_text(json.dumps(meta))
    assert tool._mutant_lines("mod") == dict(zip(names, [[1], [2], [3], [9]], strict=True))


def test_a_module_that_cannot_be_passed_does_not_stop_the_others(monkeypatch, capsys):
    # validate's unmutated tests fail (PassError); hazards, after it, is still passed, and the
    # run ends non-zero naming validate.
    tool = _tool()
    passed = []

    def run_module(module, **_):
        if module == "validate":
            raise tool.PassError("validate: its tests fail on the unmutated code (t.py)")
        passed.append(module)
        return 1.0

    monkeypatch.setattr(tool, "run_module", run_module)
    monkeypatch.setattr(tool, "table", lambda modules: "")
    assert tool.main(["validate", "hazards"]) == 1
    assert passed == ["hazards"]
    assert "not passed: validate: its tests fail on the unmutated code" in capsys.readouterr().err


STATEMENTS = """\
def g(a, s=None):
    if s is not None:
        return h(
            s,
            a,
        )
    return a
"""


def test_a_line_stands_for_its_whole_statement(tmp_path, monkeypatch):
    # Python reports a line of a statement spread over several lines only where it has code of
    # its own, so a mutant's line counts as its whole statement:
    # - lines 3-6, the call of h: lines 3 to 6 (the span ends before line 7);
    # - line 2, the if's header: the whole if, lines 2 to 6;
    # - line 7: itself; line 1, the def line: the whole function, 1 to 7.
    tool = _project(tmp_path, monkeypatch, STATEMENTS)
    spans = tool._statements("mod")
    assert [spans[n] for n in (1, 2, 3, 4, 5, 6, 7)] == [
        (1, 8),
        (2, 7),
        (3, 7),
        (3, 7),
        (3, 7),
        (3, 7),
        (7, 8),
    ]


@pytest.mark.parametrize(
    ("hypothesis", "spawning", "line_7"),
    [
        # No test runs line 7: none at all (mutmut records the mutant as having none).
        ([], [], []),
        # A hypothesis test that ran g (line 2) may reach line 7 on another draw: it is run.
        (["h1"], [], ["h1"]),
        # A test that runs gasnet in another process is not measured: it is run.
        ([], ["s1"], ["s1"]),
    ],
)
def test_a_mutant_whose_statement_no_test_runs_gets_no_tests(
    tmp_path, monkeypatch, hypothesis, spawning, line_7
):
    # In STATEMENTS, test t1 runs line 3 (Python reports the call of h there) and line 2; no
    # test runs line 7. A mutant of line 5 (an argument of the call) gets t1 (and any
    # hypothesis test of g); a mutant of line 7 gets line_7, not every test of g.
    tool = _project(tmp_path, monkeypatch, STATEMENTS)
    run = tmp_path / ".mutants" / "mod"
    run.mkdir(parents=True)
    ran = ["t1", *hypothesis]
    record = {"lines": {"2": ran, "3": ["t1"]}, "hypothesis": hypothesis, "spawning": spawning}

    def cover(cmd, **_):
        Path(cmd[4]).write_text(json.dumps(record))
        return 0

    monkeypatch.setattr(tool.subprocess, "call", cover)
    monkeypatch.setattr(tool, "_tests", lambda module, before: ["tests/test_mod.py"])
    monkeypatch.setattr(
        tool,
        "_mutant_lines",
        lambda module: {"gasnet.mod.x_g__mutmut_1": [5], "gasnet.mod.x_g__mutmut_2": [7]},
    )
    monkeypatch.setattr(tool, "_all_results", lambda module: dict.fromkeys(range(2)))
    counts = tool._select("mod", run, before=False)
    assert json.loads((run / "tests_by_mutant.json").read_text()) == {
        "gasnet.mod.x_g__mutmut_1": sorted(["t1", *hypothesis]),
        "gasnet.mod.x_g__mutmut_2": line_7,
    }
    untested = 0 if line_7 else 1
    expected = {"narrowed": 2 - untested, "no test runs its lines": untested, "by function": 0}
    assert counts == expected


def _covered(tool, monkeypatch, record, line):
    """_select's coverage run stubbed to give ``record``, with mutant x_g__mutmut_1 on ``line``."""

    def cover(cmd, **_):
        Path(cmd[4]).write_text(json.dumps(record))
        return 0

    monkeypatch.setattr(tool.subprocess, "call", cover)
    monkeypatch.setattr(tool, "_tests", lambda module, before: ["tests/test_mod.py"])
    monkeypatch.setattr(tool, "_mutant_lines", lambda module: {"gasnet.mod.x_g__mutmut_1": [line]})
    monkeypatch.setattr(tool, "_all_results", lambda module: dict.fromkeys(range(1)))


def test_a_quick_pass_runs_each_mutant_s_cheapest_tests_and_marks_its_rate_a_lower_bound(
    tmp_path, monkeypatch
):
    # Line 2 of STATEMENTS is run by t_slow (3 s), t_fast (0.1 s), t_mid (1 s) and t_untimed
    # (no time recorded: dearest); with --cheapest 2 the mutant of line 2 runs t_fast and t_mid.
    tool = _project(tmp_path, monkeypatch, STATEMENTS)
    run = tmp_path / ".mutants" / "mod"
    run.mkdir(parents=True)
    record = {
        "lines": {"2": ["t_slow", "t_fast", "t_mid", "t_untimed"]},
        "hypothesis": [],
        "spawning": [],
        "seconds": {"t_slow": 3.0, "t_fast": 0.1, "t_mid": 1.0},
    }

    _covered(tool, monkeypatch, record, line=2)
    tool._select("mod", run, before=False, cheapest=2)
    chosen = json.loads((run / "tests_by_mutant.json").read_text())
    assert chosen == {"gasnet.mod.x_g__mutmut_1": ["t_fast", "t_mid"]}
    # --rerun 3 (cover=False): the pass's coverage record again, no second coverage run
    monkeypatch.setattr(tool.subprocess, "call", lambda *a, **k: pytest.fail("covered again"))
    tool._select("mod", run, before=False, cheapest=3, cover=False)
    chosen = json.loads((run / "tests_by_mutant.json").read_text())
    assert chosen == {"gasnet.mod.x_g__mutmut_1": ["t_fast", "t_mid", "t_slow"]}

    # 9 killed of 10: 90.0 %, shown as a lower bound while the pass was a quick one.
    results = {f"gasnet.mod.x_g__mutmut_{i}": int(i < 9) for i in range(10)}
    monkeypatch.setattr(tool, "_results", lambda module: results)
    monkeypatch.setattr(tool, "_all_results", lambda module: results)
    monkeypatch.setattr(tool, "equivalent_mutants", dict)
    (run / "cheapest").write_text("2\n")
    assert "≥ 90.0 %" in tool.table(["mod"])
    (run / "cheapest").unlink()
    assert "≥" not in tool.table(["mod"]) and "90.0 %" in tool.table(["mod"])


def test_the_coverage_run_stands_in_for_mutmut_s_stats_run(tmp_path, monkeypatch):
    # STATEMENTS' g spans lines 1-7; t1 runs lines 2 and 3, t2 line 7 only. mutmut's stats
    # would record g as called by t1 and t2, and each test's time: stats.json holds the same,
    # from the coverage run. A quick pass also keeps each mutant's tests before the cap.
    tool = _project(tmp_path, monkeypatch, STATEMENTS)
    run = tmp_path / ".mutants" / "mod"
    run.mkdir(parents=True)
    record = {
        "lines": {"2": ["t1"], "3": ["t1"], "7": ["t2"]},
        "hypothesis": [],
        "spawning": [],
        "seconds": {"t1": 0.5, "t2": 0.2},
    }

    _covered(tool, monkeypatch, record, line=1)
    tool._select("mod", run, before=False)
    stats = json.loads((run / "stats.json").read_text())
    assert stats == {
        "seconds": {"t1": 0.5, "t2": 0.2},
        "tests_by_function": {"gasnet.mod.x_g": ["t1", "t2"]},
    }
    # --cheapest 1: the mutant of the def line (the whole function: t1 and t2) runs t2, the
    # cheaper; stats.json keeps both, for the tests that killed its siblings (with_killers).
    tool._select("mod", run, before=False, cheapest=1)
    assert json.loads((run / "tests_by_mutant.json").read_text()) == {
        "gasnet.mod.x_g__mutmut_1": ["t2"]
    }
    stats = json.loads((run / "stats.json").read_text())
    assert stats["tests_by_mutant"] == {"gasnet.mod.x_g__mutmut_1": ["t1", "t2"]}
    # --by-function: mutmut's own stats run, so no stats.json
    tool._select("mod", run, before=False, by_line=False)
    assert not (run / "stats.json").exists()


def test_a_function_s_kills_file_is_read_without_a_line_still_being_written(tmp_path):
    kills = tmp_path / "gasnet.mod.x_g.tsv"
    read = _tool().read_killers
    assert read(kills) == []  # no file yet: no kills
    # mutant 3's line is being written by its fork: "tests/te" is not (yet) a test's name
    done = "gasnet.mod.x_g__mutmut_1\tt1\ngasnet.mod.x_g__mutmut_2\tt2\n"
    kills.write_text(done + "gasnet.mod.x_g__mutmut_3\ttests/te")
    assert read(kills) == [
        ("gasnet.mod.x_g__mutmut_1", "t1"),
        ("gasnet.mod.x_g__mutmut_2", "t2"),
    ]


SECONDS = {"cheap": 0.1, "mid": 1.0, "dear": 5.0, "dearer": 9.0, "other": 0.2}


@pytest.mark.parametrize(
    ("killed", "cap", "expected"),
    [
        # No kills yet: its two cheapest tests, cheapest first.
        ([], 2, ["cheap", "mid"]),
        # All its tests (no cap): cheapest first, whatever killed its siblings.
        (
            [("m1", "dearer"), ("m2", "dear"), ("m3", "dear")],
            None,
            ["cheap", "mid", "dear", "dearer"],
        ),
        # dear killed two siblings, dearer one: after its cheapest, most kills first...
        (
            [("m1", "dear"), ("m2", "dearer"), ("m3", "dearer")],
            2,
            ["cheap", "mid", "dearer", "dear"],
        ),
        # ... at most cap (1) of them.
        ([("m1", "dearer"), ("m2", "dear"), ("m3", "dear")], 1, ["cheap", "mid", "dear"]),
        # A killer among its cheapest is not run twice; equal kills: the cheaper first.
        ([("m1", "dearer"), ("m2", "mid"), ("m3", "dear")], 2, ["cheap", "mid", "dear", "dearer"]),
        # Its own earlier kill (a rerun) and a test that does not run its lines: neither.
        ([("m0", "dear"), ("m1", "other")], 2, ["cheap", "mid"]),
    ],
)
def test_a_quick_pass_also_runs_the_tests_that_killed_a_function_s_other_mutants(
    killed, cap, expected
):
    # Mutant m0 runs cheap, mid, dear and dearer (every), of which a quick pass chose the two
    # cheapest (tests); "other" does not run its lines.
    every = ["cheap", "mid", "dear", "dearer"]
    tests = ["cheap", "mid"] if cap else every
    assert _tool().with_killers("m0", tests, every, killed, SECONDS, cap) == expected


def test_each_module_s_mutants_fork_from_the_warmed_server(tmp_path, monkeypatch):
    # LAUNCH's warm_up (numba, the compiled kernels, the source lines a failure's report
    # reads) runs in mutmut's fork server only: with mutmut's default, "fork", each mutant
    # forks from mutmut's own process and loads them again (0.79 -> 0.21 s a hazards mutant).
    import tomllib

    tool = _tool()
    monkeypatch.setattr(tool, "RUNS", tmp_path / ".mutants")
    run = tool._prepare("hazards", fresh=True)
    config = tomllib.loads((run / "pyproject.toml").read_text())["tool"]["mutmut"]
    assert config["process_isolation"] == "forkserver"
    assert config["only_mutate"] == ["src/gasnet/hazards.py"]


def test_rerun_follows_each_module_s_quick_pass_with_its_survivors(tmp_path, monkeypatch, capsys):
    # --cheapest 16 --rerun 30: each module's pass (16 cheapest tests a mutant), then at once
    # its survivors on 30 (the pass's coverage record again), before the next module; the
    # wall column adds the two. validate's pass stops (mutmut exits non-zero): no rerun.
    tool = _tool()
    monkeypatch.setattr(tool, "RUNS", tmp_path)
    calls = []

    def run_module(module, *, survivors, cheapest, fresh, cover=True, **_):
        calls.append((module, survivors, cheapest, fresh, cover))
        if module == "validate":
            raise tool.PassError("validate: mutmut exited -9")
        (tmp_path / module).mkdir(exist_ok=True)
        seconds = "rerun_seconds" if survivors else "wall_seconds"
        (tmp_path / module / seconds).write_text("40\n" if survivors else "300\n")
        return 1.0

    monkeypatch.setattr(tool, "run_module", run_module)
    results = {"gasnet.hazards.x_f__mutmut_1": 1}
    monkeypatch.setattr(tool, "_results", lambda module: results)
    monkeypatch.setattr(tool, "_all_results", lambda module: results)
    monkeypatch.setattr(tool, "equivalent_mutants", dict)
    assert tool.main(["--cheapest", "16", "--rerun", "30", "hazards", "validate", "maps"]) == 1
    assert calls == [
        ("hazards", False, 16, True, True),
        ("hazards", True, 30, False, False),
        ("validate", False, 16, True, True),
        ("maps", False, 16, True, True),
        ("maps", True, 30, False, False),
    ]
    out, err = capsys.readouterr()
    assert "300 + 40" in out and "not passed: validate: mutmut exited -9" in err
    (tmp_path / "maps" / "wall_seconds").unlink()  # a pass stopped before it wrote its time
    assert "- + 40" in tool.table(["maps"])
    # a rerun follows a quick pass only; a number of tests is 1 or more; --by-function
    # runs every test of the function
    for argv, message in (
        (["--rerun", "30"], "--rerun R follows a quick pass"),
        (["--cheapest", "16", "--survivors", "--rerun", "30"], "--rerun R follows a quick"),
        (["--cheapest", "16", "--rerun", "0"], "0: give a number of tests, 1 or more"),
        (["--cheapest", "-3"], "-3: give a number of tests, 1 or more"),
        (["--by-function", "--cheapest", "8"], "no --cheapest or --rerun"),
    ):
        with pytest.raises(SystemExit) as stopped:
            tool.main(argv)
        assert stopped.value.code == 2
        assert message in capsys.readouterr().err
