"""The hazard overlay's distances, major-hazard rules and priority weights: the defaults and
the ``[hazards]`` / ``[risk]`` sections of gasnet.toml that override them (README, "Hidden
hazards"). Pure Python, so reading a config stays cheap.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .schema import PRESSURE_CLASSES, VOCABULARY

__all__ = [
    "CATEGORIES",
    "CONTROL_M",
    "DEFAULT_INFLUENCE_M",
    "MAJOR_RULES",
    "OTHER",
    "PROTECTION_M",
    "HazardSettings",
    "MajorRule",
    "hazard_settings",
]

#: The hazard categories gasnet knows (VOCABULARY's labels map Chinese records onto them).
CATEGORIES = tuple(VOCABULARY[("hazards", "category")])
#: How a record whose category is not recognised is overlaid and weighted.
OTHER = "other"

#: Protection range (保护范围) of each pressure class, metres either side of the pipe: CJJ 51
#: (LP and MP 0.5, SHP 1.5, HP 5.0).
PROTECTION_M = {"LP": 0.5, "MP-B": 0.5, "MP-A": 0.5, "SHP-B": 1.5, "SHP-A": 1.5}
PROTECTION_M |= {"HP-B": 5.0, "HP-A": 5.0}
#: Control range (控制范围), the outer edge: CJJ 51 (LP and MP 5, SHP 15, HP 50).
CONTROL_M = {"LP": 5.0, "MP-B": 5.0, "MP-A": 5.0, "SHP-B": 15.0, "SHP-A": 15.0}
CONTROL_M |= {"HP-B": 50.0, "HP-A": 50.0}
#: Building clearances of GB 50028 table 6.3.3-1 (to a building's foundation, LP to SHP-A).
#: HP is not in that table (section 6.4 sets it by diameter and location class, roughly
#: 8 to 53 m): 16 and 30 m are planning conventions, not rules.
CLEARANCE_M = {"LP": 0.7, "MP-B": 1.0, "MP-A": 1.5, "SHP-B": 5.0, "SHP-A": 13.5}
CLEARANCE_M |= {"HP-B": 16.0, "HP-A": 30.0}
#: A corrosion or leak record sits on the pipe: a few metres of GPS and digitising error.
ON_PIPE_M = dict.fromkeys(PRESSURE_CLASSES, 3.0)

#: Influence distance (metres from the pipe) of each category for each pressure class. Points
#: and lines match the pipes within it; areas (polygons) the pipes they cross or come within
#: it of. A pipe without a pressure class takes the widest of its category's row.
DEFAULT_INFLUENCE_M: dict[str, dict[str, float]] = {
    "encroachment": PROTECTION_M,
    "insufficient_clearance": CLEARANCE_M,
    "third_party_construction": CONTROL_M,
    "corrosion": ON_PIPE_M,
    "leak": ON_PIPE_M,
    "geohazard": PROTECTION_M,  # an area: what it crosses, plus the protection range
    "flood": PROTECTION_M,
    OTHER: CONTROL_M,
}

#: Likelihood weight of each category (a convention: a leak is gas already escaping; works
#: and encroachment are the usual causes of ruptures in city networks).
CATEGORY_WEIGHT = {
    "leak": 5.0,
    "third_party_construction": 4.0,
    "encroachment": 4.0,
    "geohazard": 4.0,
    "corrosion": 3.0,
    "insufficient_clearance": 3.0,
    "flood": 2.0,
    OTHER: 3.0,
}
#: Likelihood weight of the (effective) severity; an unrecognised severity counts as general.
SEVERITY_WEIGHT = {"major": 3.0, "general": 1.0}


@dataclass(frozen=True)
class MajorRule:
    """A major-hazard criterion: a record of one of ``categories`` within ``within`` of a pipe
    of class ``min_pressure_class`` or higher is a major hazard, whatever was recorded.

    ``within`` is ``"protection"`` (the pipe class's protection range) or metres. A pipe
    without a pressure class counts as meeting ``min_pressure_class`` (the rule errs on the
    safe side).
    """

    name: str
    categories: tuple[str, ...]
    min_pressure_class: str
    within: str | float
    text: str
    source: str = ""


#: The built-in criteria: 住房和城乡建设部《城镇燃气经营安全重大隐患判定标准》(2023), the one item
#: an overlay can decide: a building or structure over a medium-pressure or higher pipe.
#: Utilities add their own with [[hazards.major_rules]].
MAJOR_RULES = (
    MajorRule(
        name="encroachment_mp_or_higher",
        categories=("encroachment",),
        min_pressure_class="MP-B",
        within="protection",
        text="建筑物或构筑物占压中压及以上燃气管道 (a building or structure over a medium-pressure "
        "or higher pipe, within its protection range)",
        source="住房和城乡建设部《城镇燃气经营安全重大隐患判定标准》(2023)",
    ),
)


@dataclass(frozen=True)
class HazardSettings:
    """Everything the overlay and the priority use; defaults documented in the README."""

    influence_m: dict[str, dict[str, float]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_INFLUENCE_M.items()}
    )
    protection_m: dict[str, float] = field(default_factory=lambda: dict(PROTECTION_M))
    rules: tuple[MajorRule, ...] = MAJOR_RULES
    category_weight: dict[str, float] = field(default_factory=lambda: dict(CATEGORY_WEIGHT))
    severity_weight: dict[str, float] = field(default_factory=lambda: dict(SEVERITY_WEIGHT))
    #: The overdue factor: 1 + per_30_days x (days past due_on) / 30, at most overdue_max.
    overdue_per_30_days: float = 0.25
    overdue_max: float = 3.0
    #: One critical customer (hospital, school, care home) counts as this many households.
    critical_households: float = 100.0
    #: Weight of the households within the pipe's potential impact radius.
    exposed_weight: float = 1.0
    #: Open hazards that are not major: P2 from this score, else P3.
    p2_min_score: float = 30.0
    #: The day overdue is counted to (None: the day the stage runs).
    as_of: datetime.date | None = None


_HAZARD_KEYS = {"influence_m", "protection_m", "major_rules"}
_RISK_KEYS = {
    "category_weight",
    "severity_weight",
    "overdue_per_30_days",
    "overdue_max",
    "critical_households",
    "exposed_weight",
    "p2_min_score",
    "as_of",
}
_RULE_KEYS = {"name", "category", "min_pressure_class", "within", "text", "source"}


def _fail(path: Path, text: str) -> ConfigError:
    return ConfigError(f"{path}: {text}")


#: The largest distance, weight or score a setting takes: no real one comes near, and the
#: product of the weights stays finite (1e300 made scores inf, and inf x 0 NaN).
MAX_SETTING = 1e6


def _number(value, where: str, path: Path, what: str = "a number") -> float:
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if not ok or not math.isfinite(value) or not 0 <= value <= MAX_SETTING:
        raise _fail(path, f"{where} must be {what} >= 0 and at most {MAX_SETTING:g}, got {value!r}")
    return float(value)


def _metres(value, where: str, path: Path) -> float:
    return _number(value, where, path, "a number of metres")


def _keys(table, allowed, where: str, path: Path) -> dict:
    if not isinstance(table, dict):
        raise _fail(path, f"{where} must be a table, got {table!r}")
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise _fail(
            path,
            f"unknown key(s) {', '.join(map(str, extra))} in {where}; valid keys are "
            f"{', '.join(sorted(allowed))}",
        )
    return table


def _by_class(value, where: str, path: Path, base: dict[str, float]) -> dict[str, float]:
    """One number for every class, or a table by class (unlisted classes keep ``base``)."""
    if isinstance(value, dict):
        _keys(value, PRESSURE_CLASSES, where, path)
        return base | {c: _metres(v, f"{where}.{c}", path) for c, v in value.items()}
    return dict.fromkeys(PRESSURE_CLASSES, _metres(value, where, path))


def _weights(value, allowed, where: str, path: Path, base: dict) -> dict[str, float]:
    _keys(value, allowed, where, path)
    return base | {k: _number(v, f"{where}.{k}", path) for k, v in value.items()}


def _rule(item, k: int, path: Path, taken: set[str]) -> MajorRule:
    """Rule ``k`` of ``[[hazards.major_rules]]``; ``taken``: the names before it."""
    where = f"[[hazards.major_rules]] number {k + 1}"
    _keys(item, _RULE_KEYS, where, path)
    missing = [key for key in ("name", "category", "min_pressure_class") if key not in item]
    if missing:
        raise _fail(
            path,
            f'{where} lacks {", ".join(missing)}; e.g. name = "leak_on_shp", category = '
            '"leak", min_pressure_class = "SHP-B", within = 3',
        )
    # The name is what major_rule says and the quality row quotes ('' there: no rule met).
    for key in ("name", "text", "source"):
        value = item.get(key, "x")
        if not isinstance(value, str) or not value.strip():
            raise _fail(path, f"{where} {key} must be text (not blank), got {value!r}")
    name = item["name"].strip()
    if name in taken:
        raise _fail(path, f"{where} name {name} is taken by another rule; give it its own name")
    cats = item["category"]
    cats = (cats,) if isinstance(cats, str) else tuple(cats) if isinstance(cats, list) else ()
    bad = [c for c in cats if c not in (*CATEGORIES, OTHER)] or ([] if cats else ["(none)"])
    if bad:
        raise _fail(
            path,
            f"{where} category {', '.join(map(str, bad))} is not a category; use one or a list "
            f"of: {', '.join((*CATEGORIES, OTHER))}",
        )
    cls = item["min_pressure_class"]
    if cls not in PRESSURE_CLASSES:
        raise _fail(
            path,
            f"{where} min_pressure_class {cls!r} is not a pressure class; use one of "
            f"{', '.join(PRESSURE_CLASSES)}",
        )
    within = item.get("within", "protection")
    if within != "protection":
        within = _metres(within, f'{where} within (metres, or "protection")', path)
    return MajorRule(
        name=name,
        categories=cats,
        min_pressure_class=cls,
        within=within,
        text=item.get("text", name),
        source=item.get("source", "gasnet.toml"),
    )


def _date(value, where: str, path: Path) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(
            path, f"{where} must be a date, e.g. as_of = 2026-06-30, got {value!r}"
        ) from None


def hazard_settings(hazards: dict, risk: dict, path: Path) -> HazardSettings:
    """The settings of ``[hazards]`` and ``[risk]`` (TOML tables) over the defaults.

    Raises :class:`ConfigError` naming the key for an unknown key, category, pressure class or
    a value that is not a number of metres (or a weight) >= 0.
    """
    _keys(hazards, _HAZARD_KEYS, "[hazards]", path)
    _keys(risk, _RISK_KEYS, "[risk]", path)
    base = HazardSettings()
    influence = base.influence_m
    given = _keys(
        hazards.get("influence_m", {}), (*CATEGORIES, OTHER), "[hazards.influence_m]", path
    )
    for cat, value in given.items():
        influence[cat] = _by_class(value, f"[hazards.influence_m] {cat}", path, influence[cat])
    protection = _by_class(
        hazards.get("protection_m", {}), "[hazards.protection_m]", path, base.protection_m
    )
    rules = hazards.get("major_rules", [])
    if not isinstance(rules, list):
        raise _fail(path, "major_rules must be written as [[hazards.major_rules]] tables")
    scalars = {
        key: _number(risk[key], f"[risk] {key}", path)
        for key in _RISK_KEYS - {"category_weight", "severity_weight", "as_of"}
        if key in risk
    }
    if scalars.get("overdue_max", 1.0) < 1:
        raise _fail(path, "[risk] overdue_max must be >= 1 (1: overdue does not count)")
    added: list[MajorRule] = []
    for k, item in enumerate(rules):
        added.append(_rule(item, k, path, {r.name for r in (*MAJOR_RULES, *added)}))
    return HazardSettings(
        influence_m=influence,
        protection_m=protection,
        rules=MAJOR_RULES + tuple(added),
        category_weight=_weights(
            risk.get("category_weight", {}),
            (*CATEGORIES, OTHER),
            "[risk.category_weight]",
            path,
            base.category_weight,
        ),
        severity_weight=_weights(
            risk.get("severity_weight", {}),
            ("major", "general"),
            "[risk.severity_weight]",
            path,
            base.severity_weight,
        ),
        as_of=_date(risk["as_of"], "[risk] as_of", path) if "as_of" in risk else None,
        **scalars,
    )
