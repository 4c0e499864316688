"""Mutation testing of gasnet's core modules with mutmut, one module at a time (`make mutants`).

mutmut 3 reads its settings from the ``pyproject.toml`` of the directory it runs in and runs the
tests of one selection, so each module gets a run directory of its own,
``.mutants/<module>/``, holding links to ``src`` and ``tests`` and a ``pyproject.toml`` that
names the one file to mutate and that module's test files (``MODULES`` below). mutmut copies
the tree into ``.mutants/<module>/mutants/``, runs the selection once to learn which tests call
which function, then runs, for each mutant, only the tests that call the mutated function.
This narrows that further (``_select``, ``LAUNCH``): each mutant runs the tests that execute a
line it changes, cheapest first, and the equivalent mutants of ``docs/mutants.md`` not at all.

Then a table: per module, the mutants, killed, survived (with "no tests": a mutated function no
selected test calls), timeout, the equivalent ones listed in ``docs/mutants.md`` with the reason
they cannot change behaviour, and the kill rate of the non-equivalent ones.

    python tools/mutants.py                       # every module, afresh
    python tools/mutants.py --sample 200          # 200 mutants of each (the same every pass)
    python tools/mutants.py topology ingest       # these modules
    python tools/mutants.py --survivors topology  # rerun the last pass's survivors (new tests)
    python tools/mutants.py --cheapest 8 ingest   # a quick pass: each mutant's 8 cheapest tests
    python tools/mutants.py --cheapest 16 --rerun 30  # ... then each module's survivors on 30
    python tools/mutants.py --report              # the table of the last pass, running nothing
    python tools/mutants.py --list topology       # the surviving mutants' names and diffs

    python tools/mutants.py --before --sample 50  # the tests before tests/test_*_mutants.py

The coverage run that chooses each mutant's tests also stands in for mutmut's stats run
(``stats.json``), and a quick pass (``--cheapest``) also tries, after a mutant's cheapest tests,
the tests that killed other mutants of its function (``with_killers``; the kills are kept in
``.mutants/killers/`` from pass to pass).

Each mutant's tests run in a fork of mutmut's fork server, which ``LAUNCH``'s ``warm_up``
prepares once (``process_isolation = "forkserver"`` in ``PYPROJECT``: mutmut's default forks
from its own process, where nothing is warmed).

Not part of ``make test``: every mutant of the seven modules, 12,815 of them, each on its 16
cheapest tests (``--cheapest 16``), then each module's survivors on 30 (``--rerun 30``), took
44 minutes (35 and 9) with two workers on an idle 2-core machine (docs/mutants.md).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / ".mutants"
EQUIVALENT_FILE = ROOT / "docs" / "mutants.md"
# Which test killed which mutant, per function (``<module>/<function>.tsv``): kept from pass to
# pass (a fresh pass removes ``.mutants/<module>`` only), see with_killers.
KILLERS = RUNS / "killers"

# The tests of each module: fast ones (no PostgreSQL, Dask, Chromium, no sample of thousands of
# pipes built per test) that exercise it directly. Globs, so a new tests/test_<module>_*.py is
# picked up. The slow whole-pipeline files stay out: each mutant reruns every selected test that
# calls the mutated function, and a pass must fit in an hour on two cores.
MODULES: dict[str, list[str]] = {
    "topology": ["tests/test_topology*.py", "tests/test_hostile_data.py"],
    "isolation": [
        "tests/test_isolation.py",
        "tests/test_isolation_mutants.py",
        "tests/test_engine_hostile.py",
    ],
    "operations": ["tests/test_operations*.py", "tests/test_isolation.py"],
    # (test_hostile_io*.py: a minute or more each, per surviving mutant)
    "ingest": [
        "tests/test_ingest.py",
        "tests/test_ingest_arrow.py",
        "tests/test_ingest_hostile.py",
        "tests/test_ingest_*mutants.py",
        "tests/test_strict_values.py",
    ],
    "validate": ["tests/test_validate*.py", "tests/test_hostile_data.py"],
    # (test_hazards_properties.py: hypothesis, a minute and more)
    "hazards": ["tests/test_hazards.py", "tests/test_hazards_*mutants.py"],
    # (tests/test_maps.py and test_maps_page.py drive Chromium: too slow to rerun per mutant)
    "maps": ["tests/test_maps_*mutants.py", "tests/test_layer_styles.py"],
}

# mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code), grouped.
KILLED = {1, 3, 37}
SURVIVED = {0}
NO_TESTS = {5, 33}
TIMEOUT = {36, -24, 24, 152, 255}

PYPROJECT = """\
# Written by tools/mutants.py for one module; not the project's pyproject.toml.
[tool.mutmut]
source_paths = ["src/"]
only_mutate = ["src/gasnet/{module}.py"]
pytest_add_cli_args_test_selection = {tests}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:nbmake"]
use_setproctitle = false
# Each mutant's tests fork from one server that has loaded and warmed what they need (LAUNCH's
# warm_up); mutmut's default ("fork") forks them from its own process, where warm_up never runs.
process_isolation = "forkserver"
# A mutant is stopped after 20 x its tests' CPU time (plus 20 s): mutmut's default, 30 x,
# lets one endless loop take most of an hour; 6 x stopped mere survivors, as GDAL and numpy
# threads spend CPU time faster than the clock.
timeout_multiplier = 10.0
# A line that only logs changes no answer: its messages are not mutated.
do_not_mutate_patterns = ['^\\s*log\\.(debug|info|warning)\\(']

[tool.pytest.ini_options]
filterwarnings = {filterwarnings}
"""


#: --before: the tests as they were before the mutants were hunted (without these files).
HUNTED = "tests/test_*_mutants.py"


class PassError(Exception):
    """A module's pass cannot go on (its tests fail unmutated, its source changed): the
    other modules' passes still run."""


def _tests(module: str, before: bool = False) -> list[str]:
    found: list[str] = []
    hunted = {os.path.relpath(p, ROOT) for p in glob.glob(str(ROOT / HUNTED))} if before else ()
    for pattern in MODULES[module]:
        for path in sorted(glob.glob(str(ROOT / pattern))):
            rel = os.path.relpath(path, ROOT)
            if rel not in found and rel not in hunted:
                found.append(rel)
    return found


def _filterwarnings() -> list[str]:
    import tomllib

    with open(ROOT / "pyproject.toml", "rb") as f:
        data = tomllib.load(f)
    return data["tool"]["pytest"]["ini_options"].get("filterwarnings", [])


def _prepare(module: str, fresh: bool, before: bool = False) -> Path:
    run = RUNS / module
    if fresh and run.exists():
        shutil.rmtree(run)
    run.mkdir(parents=True, exist_ok=True)
    for name in ("src", "tests"):
        link = run / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    (run / "pyproject.toml").write_text(
        PYPROJECT.format(
            module=module,
            tests=json.dumps(_tests(module, before)),
            filterwarnings=json.dumps(_filterwarnings(), ensure_ascii=False),
        )
    )
    # mutmut copies a test file once: refresh them, so a test written since is the one run.
    copied = run / "mutants" / "tests"
    if copied.exists():
        shutil.copytree(ROOT / "tests", copied, dirs_exist_ok=True)
    return run


def _mutmut() -> str:
    return str(Path(sys.executable).parent / "mutmut")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The mutants, not this tree's (or the editable install's) modules, must be imported.
    env.pop("PYTHONPATH", None)
    env["NUMBA_CACHE_DIR"] = str(RUNS / "numba-cache")
    return env


def _all_results(module: str) -> dict[str, int | None]:
    return _meta(module).get("exit_code_by_key", {})


def _meta_path(module: str) -> Path:
    return RUNS / module / "mutants" / "src" / "gasnet" / f"{module}.py.meta"


def _meta(module: str) -> dict:
    path = _meta_path(module)
    return json.loads(path.read_text()) if path.exists() else {}


def _restore(module: str, kept: dict) -> None:
    """Keep the last pass's verdicts of the mutants not rerun.

    A new test file changes mutmut's test selection, and mutmut then forgets every verdict;
    but a mutant killed stays killed when tests are only added, as long as its function is
    unchanged (the same hash)."""
    meta = _meta(module)
    if not meta or not kept:
        return
    old_hash, new_hash = kept["hash_by_function_name"], meta["hash_by_function_name"]
    codes = meta["exit_code_by_key"]
    for key, code in kept["exit_code_by_key"].items():
        func = key.rpartition(".")[2].rsplit("__mutmut_", 1)[0]
        if (
            codes.get(key, 0) is None
            and code is not None
            and old_hash.get(func) == new_hash.get(func)
        ):
            codes[key] = code
    _meta_path(module).write_text(json.dumps(meta, indent=4))


def _results(module: str) -> dict[str, int | None]:
    """The mutants of the pass: the sample when the pass took one, else all of them."""
    res = _all_results(module)
    chosen = RUNS / module / "sample.txt"
    if chosen.exists():
        names = chosen.read_text().split()
        return {n: res[n] for n in names if n in res}
    return res


def equivalent_mutants() -> dict[str, str]:
    """Mutant name → reason, from docs/mutants.md's section "Equivalent mutants" (lines
    ``- `name`: reason``)."""
    if not EQUIVALENT_FILE.exists():
        return {}
    found = {}
    text = EQUIVALENT_FILE.read_text()
    # Only the section of that name: the file lists the survivors too, the same way.
    section = text.split("## Equivalent mutants", 1)[-1].split("\n## ", 1)[0]
    for line in section.splitlines():
        m = re.match(r"^\s*[-*] `(gasnet\.[\w.]+__mutmut_\d+)`\s*[:—-]\s*(.+)$", line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


def _survivors(module: str) -> list[str]:
    equivalent = equivalent_mutants()
    return sorted(
        k
        for k, v in _results(module).items()
        if (v in SURVIVED or v in NO_TESTS or v in TIMEOUT or v is None) and k not in equivalent
    )


GENERATE = """\
import os
from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants
os.makedirs("mutants", exist_ok=True)
copy_src_dir()
copy_also_copy_files()
create_mutants(1)
"""


# The module's tests, run once on the original source under coverage.py with one context per
# test: line → the node ids of the tests that execute it (``.mutants/<module>/lines.json``),
# which tests are hypothesis's (they draw other examples, and run other lines, every run),
# which start other processes (the lines those run are not measured), and each test's time.
COVER = """\
import inspect, json, os, re, sys
import coverage, pytest
module, out, *tests = sys.argv[1:]
path = os.path.abspath(f"src/gasnet/{module}.py")
cov = coverage.Coverage(data_file=None, include=[path])
drawn, spawning, took = [], [], {}
def starts_processes(item):
    try:
        text = inspect.getsource(item.obj)
    except (OSError, TypeError):
        return False
    return re.search(r"\\bsubprocess\\b|multiprocessing|Popen|LocalCluster|dask", text) is not None
class Contexts:
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item): cov.switch_context(item.nodeid)
    def pytest_runtest_logreport(self, report):
        took[report.nodeid] = took.get(report.nodeid, 0) + report.duration
    def pytest_collection_modifyitems(self, items):
        drawn.extend(i.nodeid for i in items if getattr(i.obj, "is_hypothesis_test", False))
        spawning.extend(i.nodeid for i in items if starts_processes(i))
cov.start()
args = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", *tests]
code = pytest.main(args, plugins=[Contexts()])
cov.stop()
by_line = cov.get_data().contexts_by_lineno(path)
lines = {n: sorted(c for c in cs if c) for n, cs in by_line.items()}
record = {"lines": lines, "hypothesis": drawn, "spawning": spawning, "seconds": took}
json.dump(record, open(out, "w"))
sys.exit(int(code))
"""

# mutmut chooses a mutant's tests by the function it mutates: every test that calls the function.
# This runs `mutmut run` with each mutant's tests narrowed to those that execute the lines it
# changes (tests_by_mutant.json, written by _select), cheapest first, so a killed mutant stops
# at its cheapest killer (`-x`). A mutant whose statements no test runs gets none (_select).
LAUNCH = """\
import codecs, contextlib, gc, importlib, importlib.util, json, linecache, math, os, pkgutil, sys
import mutmut.__main__ as mm
from mutmut.mutation import trampoline
from mutmut.runners.harness import PytestRunner
from mutmut.state import state
spec = importlib.util.spec_from_file_location("mutants_tool", os.environ["GASNET_MUTANTS_TOOL"])
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)
chosen = json.load(open("tests_by_mutant.json"))
stats = json.load(open("stats.json")) if os.path.exists("stats.json") else None
every = (stats or {}).get("tests_by_mutant", chosen)
killers = os.environ["GASNET_MUTANTS_KILLERS"]
os.makedirs(killers, exist_ok=True)
collect, mangled = mm.collect_or_load_stats, mm.mangled_name_from_mutant_name
def killed(name):  # (mutant, test) of the kills of name's function so far, this pass and before
    return tool.read_killers(os.path.join(killers, mangled(name) + ".tsv"))
runner_for = mm.get_mutant_runner
def cpu_limit(seconds):  # mutmut's, from the tests' recorded time (mutmut.__main__._run)
    c = mm.config()
    return math.ceil((seconds + c.timeout_constant) * c.timeout_multiplier * 2)
# mutmut's stats run (every selected test once more, recording which function each calls and
# its time) would repeat the coverage run's record (stats.json, written by _select): the state
# is filled from that instead. Without it (--by-function), mutmut collects its own.
def collect_then_narrow(*args, **kwargs):
    if stats is None:
        collect(*args, **kwargs)
    else:
        state().duration_by_test.update(stats["seconds"])
        for function, tests in stats["tests_by_function"].items():
            state().tests_by_mangled_function_name[function] = set(tests)
    for name, tests in chosen.items():
        state().tests_by_mangled_function_name["line:" + name] = set(tests)
# mutmut's clean run (the mutants' tests on the unmutated code, which must pass) forks from
# this process, not from the fork server the mutants fork from, which warm_up below prepares.
# It runs through the server instead, as a mutant of no module, before the first mutant.
def clean_run_through_server(runner, submit):
    start = runner.startup
    def startup():
        start()
        names = sys.argv[4:]
        by_name = state().tests_by_mangled_function_name
        keys = [mm.mangled_name_from_mutant_name(n) for n in names] if names else list(by_name)
        tests = set().union(*(by_name.get(k, ()) for k in keys))
        # and the kills recorded before this pass that a mutant may run too (with_killers):
        # any test a mutant runs is then one of these, or one that killed a mutant in this pass
        for name in names:
            tests |= {t for _, t in killed(name)} & set(every.get(name, ()))
        whole = sum(state().duration_by_test.get(t, 0) for t in tests)
        submit("none.unmutated", sorted(tests), cpu_limit(whole), whole)
        code = runner.wait_for_result().exit_code
        if code != 0:
            print(f"the tests fail on the unmutated code in the fork server (exit {code})")
            runner.shutdown()
            raise SystemExit(1)
        print(f"the {len(tests)} tests pass on the unmutated code in the fork server")
    runner.startup = startup
    runner.run_clean_tests = lambda tests: 0
def cheapest_first(max_children):
    runner = runner_for(max_children)
    submit = runner.submit
    clean_run_through_server(runner, submit)
    def ordered(name, tests, cpu, est):
        # The time limit mutmut gives the function's tests: fixtures and pytest's start cost
        # as much for fewer tests, and a limit from the narrowed tests' time stopped mere
        # survivors (operations' _outline). A quick pass's mutant (--cheapest) runs a few cheap
        # tests: its limit is theirs, so one that hangs is stopped in a minute or two, not in
        # the quarter of an hour all its function's tests would allow.
        full = state().tests_by_mangled_function_name.get(mangled(name), set())
        whole = sum(state().duration_by_test.get(t, 0) for t in full)
        if whole > est and "GASNET_MUTANTS_CHEAPEST" not in os.environ:
            est, cpu = whole, cpu_limit(whole)
        seconds = state().duration_by_test
        cap = int(os.environ.get("GASNET_MUTANTS_CHEAPEST", 0)) or None
        tests = tool.with_killers(name, tests, every.get(name, tests), killed(name), seconds, cap)
        if cap is not None:
            est = sum(seconds.get(t, 0) for t in tests)
            cpu = cpu_limit(est)
        submit(name, tests, cpu, est)
    runner.submit = ordered
    return runner
# A mutant's fork records the test that killed it (.mutants/killers/<function>.tsv), for
# with_killers to try on the function's other mutants.
run_tests = PytestRunner.run_tests
def run_recording_the_killer(self, *, mutant_name, tests):
    if not mutant_name or "__mutmut_" not in mutant_name:
        return run_tests(self, mutant_name=mutant_name, tests=tests)
    class Killer:
        written = False
        def pytest_runtest_logreport(self, report):
            if report.failed and not self.written:
                self.written = True
                with open(os.path.join(killers, mangled(mutant_name) + ".tsv"), "a") as f:
                    f.write(f"{mutant_name}\\t{report.nodeid}\\n")
    with contextlib.chdir("mutants"):  # as mutmut's run_tests
        args = self._pytest_args_regular_run(tests)
        return int(self.execute_pytest(args, plugins=[Killer()]))
PytestRunner.run_tests = run_recording_the_killer
# mutmut's fork server collects the tests once, so that each mutant's fork starts with them
# imported; but what gasnet imports or compiles only when called (numba and its kernels,
# opencc, GDAL's drivers) each fork would load again, and pytest's collections at its end scan
# the whole heap: 0.5 to 0.8 s a mutant. This imports it all once, compiles the kernels (on
# the unmutated code), reads the source a failed test's traceback shows (the mutated module
# is 35,000 lines) and freezes the heap, so a fork's pytest only scans what it makes.
warm = PytestRunner.warm_up
def warm_up(self):
    warm(self)
    import gasnet
    for found in pkgutil.iter_modules(gasnet.__path__):
        importlib.import_module(f"gasnet.{found.name}")
    for name in ("numba", "opencc", "pyarrow.compute", "xml.etree.ElementTree"):
        importlib.import_module(name)
    for name in ("gbk", "cp936", "gb18030", "big5", "utf_16", "utf_8_sig"):
        codecs.lookup(name)
    held = os.environ.pop("MUTANT_UNDER_TEST", None), trampoline._mutant_under_test
    trampoline._mutant_under_test = None  # no mutant: the original code
    try:
        importlib.import_module("gasnet.isolation").warm_up()
    finally:
        if held[0] is not None:
            os.environ["MUTANT_UNDER_TEST"] = held[0]
        trampoline._mutant_under_test = held[1]
    for loaded in list(sys.modules.values()):
        if (getattr(loaded, "__file__", None) or "").endswith(".py"):
            linecache.getlines(loaded.__file__)
    gc.collect()
    gc.freeze()
PytestRunner.warm_up = warm_up
mm.collect_or_load_stats = collect_then_narrow
mm.mangled_name_from_mutant_name = lambda n: "line:" + n if n in chosen else mangled(n)
mm.get_mutant_runner = cheapest_first
sys.argv = ["mutmut", *sys.argv[1:]]
mm.cli()
"""


def _spans(module: str) -> dict[str, tuple[int, int]]:
    """The original module's functions and methods, by mutmut's names for them (``x_f``,
    ``xǁKǁm``): their ``def`` line and last line."""
    tree = ast.parse((ROOT / "src" / "gasnet" / f"{module}.py").read_text())
    spans = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            spans[f"x_{node.name}"] = (node.lineno, node.end_lineno)
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                    spans[f"x\u01c1{node.name}\u01c1{sub.name}"] = (sub.lineno, sub.end_lineno)
    return spans


def _statements(module: str) -> dict[int, tuple[int, int]]:
    """Each line of the original module's functions → the first line and the line after the
    last of the smallest statement holding it (a compound statement's header holds its body
    too: more tests, never fewer)."""
    tree = ast.parse((ROOT / "src" / "gasnet" / f"{module}.py").read_text())
    found: dict[int, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, ast.ClassDef):
            span = (node.lineno, node.end_lineno + 1)
            for n in range(*span):
                if n not in found or span[1] - span[0] < found[n][1] - found[n][0]:
                    found[n] = span
    return found


def _mutant_lines(module: str) -> dict[str, list[int]]:
    """Each mutant's lines in the original ``src/gasnet/<module>.py``: where its copy of the
    function differs from mutmut's unmutated copy (``x_f__mutmut_orig``), counted from the
    ``def`` line, which is the original function's ``def`` line."""
    mutated = (RUNS / module / "mutants" / "src" / "gasnet" / f"{module}.py").read_text()
    text = mutated.splitlines()
    funcs = {
        node.name: node
        for node in ast.walk(ast.parse(mutated))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    original = (ROOT / "src" / "gasnet" / f"{module}.py").read_text().splitlines()
    def_line = {base: span[0] for base, span in _spans(module).items()}

    def body(node: ast.AST) -> list[str]:
        return text[node.lineno : node.end_lineno]  # after the def line, which names the copy

    found: dict[str, list[int]] = {}
    for name in _all_results(module):
        mutant = name.rpartition(".")[2]
        base = mutant.rsplit("__mutmut_", 1)[0]
        orig, mut = funcs.get(f"{base}__mutmut_orig"), funcs.get(mutant)
        if orig is None or mut is None or base not in def_line:
            continue
        start = def_line[base]
        if original[start : start + len(body(orig))] != body(orig):
            continue  # not line for line the original: mutmut's choice stands
        number = mutant.rpartition("_")[2]
        head = text[orig.lineno - 1].replace("__mutmut_orig", f"__mutmut_{number}")
        lines = set()
        if head != text[mut.lineno - 1]:
            lines.add(0)  # the signature: a default argument
        opcodes = difflib.SequenceMatcher(None, body(orig), body(mut), autojunk=False).get_opcodes()
        for tag, i1, i2, _, _ in opcodes:
            if tag != "equal":
                lines.update(range(i1 + 1, i2 + 1) if i2 > i1 else [i1])
        found[name] = sorted(start + i for i in lines)
    return found


def _select(
    module: str,
    run: Path,
    before: bool,
    by_line: bool = True,
    cheapest: int | None = None,
    cover: bool = True,
) -> dict[str, int]:
    """Write ``tests_by_mutant.json``: each mutant's tests, those that execute a line it changes
    (none with ``by_line`` false: mutmut's choice for every mutant, still cheapest first), or
    only the ``cheapest`` of them. With ``cover`` false, the coverage run's record of the pass
    just made (``lines.json``) is read again instead of being made anew.

    Returns how many mutants got a narrowed selection, how many none (no test runs their
    lines) and how many kept mutmut's (their lines not found)."""
    stats = run / "stats.json"
    stats.unlink(missing_ok=True)
    if not by_line:
        (run / "tests_by_mutant.json").write_text("{}")
        every = len(_all_results(module))
        return {"narrowed": 0, "no test runs its lines": 0, "by function": every}
    covered = run / "lines.json"
    tests = _tests(module, before)
    if cover or not covered.exists():
        code = subprocess.call(
            [sys.executable, "-c", COVER, module, str(covered), *tests],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            stdout=subprocess.DEVNULL,
        )
        if code != 0:
            raise PassError(f"{module}: its tests fail on the unmutated code ({' '.join(tests)})")
    record = json.loads(covered.read_text())
    by_line = {int(k): v for k, v in record["lines"].items()}
    drawn = set(record["hypothesis"])
    spawning = set(record.get("spawning", ()))
    seconds = record.get("seconds", {})
    # A hypothesis test runs the lines its examples reach, other ones each run: it is chosen
    # for every mutant of a function it ran any line of.
    spans = _spans(module)
    drawn_in = {
        base: {t for n in range(first, last + 1) for t in by_line.get(n, ()) if t in drawn}
        for base, (first, last) in spans.items()
    }
    statement = _statements(module)
    chosen, every = {}, {}
    for name, lines in _mutant_lines(module).items():
        # The whole statement each changed line is in: Python reports a line of a statement
        # spread over several lines only where it has code of its own.
        rows = {k for n in lines for k in range(*statement.get(n, (n, n + 1)))}
        found = {t for k in rows for t in by_line.get(k, ())}
        found |= drawn_in[name.rpartition(".")[2].rsplit("__mutmut_", 1)[0]]
        if not found:
            # No test runs the changed statement, so none can fail on it, unless it runs gasnet
            # in another process (unmeasured). With none of those either, mutmut records the
            # mutant as having no tests (a survivor) instead of running every test of the
            # function around, say, a branch only the Dask cluster takes.
            found = spawning
        every[name] = sorted(found)
        if cheapest is not None:
            # A quick look: a kill is a kill, but a survivor may die to a dearer test.
            found = sorted(found, key=lambda t: (seconds.get(t, float("inf")), t))[:cheapest]
        chosen[name] = sorted(found)
    (run / "tests_by_mutant.json").write_text(json.dumps(chosen, indent=0))
    # What mutmut's stats run records, from this run: each function's tests (those that run a
    # line of its body, mutmut's choice for a mutant whose lines were not found, and its time
    # limit) and each test's time (the order a mutant's tests run in, and that limit).
    by_function = {}
    for base, (first, last) in spans.items():
        found = {t for n in range(first + 1, last + 1) for t in by_line.get(n, ())}
        if found:
            by_function[f"gasnet.{module}.{base}"] = sorted(found)
    record = {"seconds": seconds, "tests_by_function": by_function}
    if cheapest is not None:  # each mutant's tests before the cap, for with_killers
        record["tests_by_mutant"] = every
    stats.write_text(json.dumps(record))
    untested = sum(not tests for tests in chosen.values())
    return {
        "narrowed": len(chosen) - untested,
        "no test runs its lines": untested,
        "by function": len(_all_results(module)) - len(chosen),
    }


def read_killers(path: Path | str) -> list[tuple[str, str]]:
    """The (mutant, test) lines of a function's kills file; a line still being written is
    left out."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    found = []
    for line in text.splitlines(keepends=True):
        mutant, tab, test = line.rstrip("\n").partition("\t")
        if tab and line.endswith("\n"):
            found.append((mutant, test))
    return found


def with_killers(
    name: str,
    tests: list[str],
    every: list[str],
    killed: list[tuple[str, str]],
    seconds: dict[str, float],
    cap: int | None,
) -> list[str]:
    """The tests mutant ``name`` runs, in order (it stops at the first that fails): ``tests``
    (its cheapest, or all of them), cheapest first; then, under a cap, at most ``cap`` of the
    tests that killed other mutants of its function (``killed``) that it would not run
    otherwise, most kills first, as long as they run its lines (``every``).

    A quick pass (``--cheapest``) gives a mutant only its cheapest tests, and a test written
    to kill its function's mutants is seldom among them; where one killed a sibling, it is
    likely to kill this one. They come after the cheapest, not before: a test's recorded time
    leaves out what it shares with the tests before it in its process (a module's fixtures,
    numba compiling for a new type), which each mutant's fork pays again, so a test that kills
    many siblings is not always cheap to run first. The choice only decides which kills are
    found: every kill is still a test failing on the mutant."""

    def cost(t: str) -> tuple[float, str]:
        return seconds.get(t, float("inf")), t

    chosen = sorted(tests, key=cost)
    if cap is None:
        return chosen
    runs, have = set(every), set(tests)
    count: dict[str, int] = {}
    for mutant, test in killed:
        if mutant != name and test in runs and test not in have:
            count[test] = count.get(test, 0) + 1
    return chosen + sorted(count, key=lambda t: (-count[t], *cost(t)))[:cap]


def _generate(run: Path) -> None:
    """mutmut's own first step (copy the tree, write the mutants and their names), alone."""
    subprocess.check_call(
        [sys.executable, "-c", GENERATE], cwd=run, env=_env(), stdout=subprocess.DEVNULL
    )


def sample(names, size: int | None, seed: str = "") -> list[str]:
    """``size`` of ``names``, the same ones every pass: those whose name (after ``seed``)
    hashes lowest. Another ``seed`` draws another sample, independent of the first: the
    tests written to kill one sample's survivors are measured fairly on a sample they were
    not written for.

    A mutant's name is its function and its number there, so the sample only changes where
    the code does."""
    names = sorted(names)
    if size is None or size >= len(names):
        return names
    return sorted(names, key=lambda n: hashlib.sha256((seed + n).encode()).hexdigest())[:size]


def run_module(
    module: str,
    *,
    jobs: int,
    fresh: bool,
    survivors: bool,
    size: int | None,
    log,
    before: bool = False,
    seed: str = "",
    by_line: bool = True,
    cheapest: int | None = None,
    cover: bool = True,
) -> float:
    start = time.monotonic()
    run = _prepare(module, fresh and not survivors, before)
    source = ROOT / "src" / "gasnet" / f"{module}.py"
    as_mutated = source.read_bytes()
    _generate(run)
    if survivors:
        names = _survivors(module)
        if not names:
            print(f"{module}: no survivors to rerun", file=log, flush=True)
            return 0.0
    else:
        names = sample(_all_results(module), size, seed)
        chosen = run / "sample.txt"
        if size is not None:
            chosen.write_text("".join(f"{n}\n" for n in names))
        elif chosen.exists():
            chosen.unlink()  # a whole pass
        # An equivalent mutant (docs/mutants.md) would only survive: it is not run.
        equivalent = equivalent_mutants()
        names = [n for n in names if n not in equivalent]
        if not fresh:  # --keep: only the mutants the last pass did not get to
            done = _all_results(module)
            names = [n for n in names if done.get(n) is None]
        if not names:
            print(f"{module}: every mutant has a verdict", file=log, flush=True)
            return 0.0
    counts = _select(module, run, before, by_line, cheapest, cover)
    print(
        f"{module}: {len(names)} mutants; tests chosen by line for {counts['narrowed']},"
        f" no test runs the lines of {counts['no test runs its lines']},"
        f" by function for {counts['by function']}",
        file=log,
        flush=True,
    )
    if source.read_bytes() != as_mutated:  # the mutants and the lines chosen: of another file
        raise PassError(f"{module}: {source} changed while its mutants were made; run again")
    kept = _meta(module)
    capped = run / "cheapest"
    if cheapest is not None:  # (before the pass: a pass stopped half-way was a quick one too)
        capped.write_text(f"{cheapest}\n")
    cmd = [sys.executable, "-c", LAUNCH, "run", "--max-children", str(jobs), *names]
    with open(run / "run.log", "a") as out:
        out.write(
            f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} mutmut {' '.join(cmd[3:6])} "
            f"({len(names) or 'all'} mutants)\n"
        )
        out.flush()
        env = _env() | {
            "GASNET_MUTANTS_TOOL": str(Path(__file__).resolve()),
            "GASNET_MUTANTS_KILLERS": str(KILLERS / module),
        }
        if cheapest is not None:
            env["GASNET_MUTANTS_CHEAPEST"] = str(cheapest)
        code = subprocess.call(cmd, cwd=run, env=env, stdout=out, stderr=subprocess.STDOUT)
    took = time.monotonic() - start
    if survivors or not fresh:
        _restore(module, kept)
    if cheapest is None and survivors and code == 0:
        # every mutant not killed has now run all its tests: the rates are exact again
        capped.unlink(missing_ok=True)
    if not survivors:  # a rerun's seconds were those of an earlier pass's survivors
        (run / "rerun_seconds").unlink(missing_ok=True)
    (run / ("rerun_seconds" if survivors else "wall_seconds")).write_text(f"{took:.0f}\n")
    if code != 0:  # stopped or crashed: the mutants it did not get to have no verdict
        raise PassError(f"{module}: mutmut exited {code}; see {run / 'run.log'}")
    return took


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a rate measured as ``k`` of ``n`` (Wilson's score interval)."""
    if not n:
        return 0.0, 1.0
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, mid - half), min(1.0, mid + half)


def table(modules: list[str]) -> str:
    equivalent = equivalent_mutants()
    rows = []
    head = (
        "module",
        "mutants",
        "tested",
        "killed",
        "survived",
        "no tests",
        "timeout",
        "not run",
        "equivalent",
        "kill rate",
        "wall s",
    )
    for module in modules:
        res = _results(module)
        if not res:
            rows.append((module, *["-"] * 8, "not run", "-"))
            continue
        eq = {k for k in res if k in equivalent}
        rest = {k: v for k, v in res.items() if k not in eq}
        killed = sum(v in KILLED for v in rest.values())
        timeout = sum(v in TIMEOUT for v in rest.values())
        survived = sum(v in SURVIVED for v in rest.values())
        no_tests = sum(v in NO_TESTS for v in rest.values())
        not_run = sum(v is None for v in rest.values())
        # A timeout is not counted as a kill: a mutant that runs away is caught, but one whose
        # tests merely ran long is not (--survivors reruns them).
        n = len(rest) - not_run
        shown = f"{100 * killed / n:.1f} %" if n else "-"
        if n and (RUNS / module / "cheapest").exists():  # survivors not run on all their tests
            shown = "≥ " + shown
        if n and len(res) < len(_all_results(module)):  # a sample: its 95 % (Wilson) interval
            lo, hi = _wilson(killed, n)
            shown += f" ({100 * lo:.0f}–{100 * hi:.0f})"
        # the pass's seconds, and its survivors' rerun's (--survivors) since, if any
        took, rerun = (RUNS / module / "wall_seconds", RUNS / module / "rerun_seconds")
        wall = took.read_text().strip() if took.exists() else "-"
        if rerun.exists():
            wall += f" + {rerun.read_text().strip()}"
        rows.append(
            (
                module,
                len(_all_results(module)),
                len(res),
                killed,
                survived,
                no_tests,
                timeout,
                not_run,
                len(eq),
                shown,
                wall,
            )
        )
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(str(c).rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def list_survivors(module: str) -> None:
    run = RUNS / module
    for name in _survivors(module):
        print(f"=== {name} ({_results(module)[name]})")
        subprocess.call([_mutmut(), "show", name], cwd=run, env=_env())


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a number of tests, 1 or more")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(MODULES)}")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="mutants tested at once (default: the CPUs)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="resume the last pass instead of starting afresh"
    )
    parser.add_argument(
        "--survivors", action="store_true", help="rerun only the last pass's survivors"
    )
    parser.add_argument(
        "--seed",
        default="",
        help="draw another sample (any text; the default sample has none): a held-out sample",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=None,
        help="test this many mutants of each module (the same ones every pass)"
        " instead of all of them",
    )
    parser.add_argument(
        "--before",
        action="store_true",
        help=f"leave out {HUNTED} (the figures before the mutants were hunted)",
    )
    parser.add_argument(
        "--by-function",
        action="store_true",
        help="run every test that calls the mutated function, as mutmut chooses (the check"
        " that choosing by line changes no verdict)",
    )
    parser.add_argument(
        "--cheapest",
        type=_positive,
        default=None,
        metavar="K",
        help="run each mutant's K cheapest tests only: a quick pass whose kill rate is a lower"
        " bound (--survivors then reruns the survivors on all their tests)",
    )
    parser.add_argument(
        "--rerun",
        type=_positive,
        default=None,
        metavar="R",
        help="with --cheapest: then rerun each module's survivors on their R cheapest tests"
        " and up to R of the tests that killed their function's other mutants (this pass's"
        " and those kept from earlier ones)",
    )
    parser.add_argument("--report", action="store_true", help="print the last table only")
    parser.add_argument("--list", action="store_true", help="show each survivor's diff")
    args = parser.parse_args(argv)
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    if args.rerun is not None and (args.cheapest is None or args.survivors):
        parser.error("--rerun R follows a quick pass: give --cheapest K, without --survivors")
    if args.by_function and args.cheapest is not None:
        parser.error("--by-function runs all of a function's tests: no --cheapest or --rerun")
    if args.list:
        for module in modules:
            list_survivors(module)
        return 0
    failed: list[str] = []
    if not args.report:
        start = time.monotonic()
        common = {
            "jobs": args.jobs,
            "size": args.sample,
            "log": sys.stdout,
            "before": args.before,
            "seed": args.seed,
            "by_line": not args.by_function,
        }
        for module in modules:
            tests = " ".join(_tests(module, args.before))
            print(f"{module}: mutating, tests {tests}", flush=True)
            try:
                took = run_module(
                    module,
                    fresh=not args.keep,
                    survivors=args.survivors,
                    cheapest=args.cheapest,
                    **common,
                )
                if args.rerun is not None:  # with this pass's kills (with_killers)
                    took += run_module(
                        module,
                        fresh=False,
                        survivors=True,
                        cheapest=args.rerun,
                        cover=False,  # nothing has changed since the pass's coverage run
                        **common,
                    )
            except PassError as e:
                failed.append(str(e))
                print(f"{e}; going on with the other modules", file=sys.stderr, flush=True)
                continue
            print(f"{module}: {took:.0f} s", flush=True)
        print(f"\nwhole pass: {time.monotonic() - start:.0f} s\n")
    print(table(modules))
    print(
        f"\nkill rate = killed / (tested - equivalent - not run); ≥: each mutant ran only its"
        f" --cheapest tests (rerun --survivors for the exact rate); equivalent mutants: "
        f"{os.path.relpath(EQUIVALENT_FILE, ROOT)}; wall s: the pass's + its survivors' last"
        f" rerun's; logs: .mutants/<module>/run.log"
    )
    for message in failed:
        print(f"not passed: {message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
