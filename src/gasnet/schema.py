"""The canonical schema: layers, fields, accepted values and the standard Chinese labels.

Everything here is contract (see DESIGN.md, "Canonical fields"): the GeoPackage, the notebooks
and outside scripts rely on these names.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "BOOL_LABELS",
    "CRITICAL_KINDS",
    "LAYERS",
    "MAX_PRESSURE_MPA",
    "PRESSURE_CLASSES",
    "PRESSURE_RANK",
    "STRICT_FIELDS",
    "VOCABULARY",
    "LayerSpec",
    "accepted_values",
    "build_lookup",
    "normalise_value",
    "parse_bool",
    "pressure_rank",
    "to_simplified",
]

#: Pressure classes of GB 50028, highest first.
PRESSURE_CLASSES = ("HP-A", "HP-B", "SHP-A", "SHP-B", "MP-A", "MP-B", "LP")
#: Rank for regulator direction: a larger rank is a higher pressure.
PRESSURE_RANK = {c: len(PRESSURE_CLASSES) - i for i, c in enumerate(PRESSURE_CLASSES)}
#: Upper bound of each class (gauge, MPa): used for the gas volume to vent after an isolation.
MAX_PRESSURE_MPA = {
    "HP-A": 4.0,
    "HP-B": 2.5,
    "SHP-A": 1.6,
    "SHP-B": 0.8,
    "MP-A": 0.4,
    "MP-B": 0.2,
    "LP": 0.01,
}


def pressure_rank(classes) -> np.ndarray:
    """Rank of each pressure class for regulator direction (0: unknown or blank)."""
    codes, names = pd.factorize(pd.Series(classes, dtype=object))
    ranks = np.array([PRESSURE_RANK.get(c, 0) for c in names] + [0], np.int64)
    return ranks[codes]  # (code -1, a blank: the 0 appended)


CRITICAL_KINDS = frozenset({"hospital", "school", "care_home"})


@dataclass(frozen=True)
class LayerSpec:
    """What a canonical layer holds.

    ``fields`` maps each canonical field to its type: ``str``, ``float``, ``int``, ``bool``,
    ``date`` or ``enum`` (checked against :data:`VOCABULARY`).
    """

    name: str
    id_field: str
    geometry: tuple[str, ...]
    required: bool
    fields: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)


_LINES = ("LineString", "MultiLineString")
_POINTS = ("Point",)

LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in [
        LayerSpec(
            "pipes",
            "pipe_id",
            _LINES,
            True,
            {
                "pressure_class": "enum",
                "diameter_mm": "float",
                "material": "str",
                "install_year": "int",
                "status": "enum",
            },
            {"status": "in_service"},
        ),
        LayerSpec(
            "valves",
            "valve_id",
            _POINTS,
            True,
            {"normally": "enum", "operable": "bool", "diameter_mm": "float", "kind": "str"},
            {"normally": "open", "operable": True},
        ),
        LayerSpec("sources", "source_id", _POINTS, True, {"name": "str", "kind": "enum"}),
        LayerSpec(
            "customers",
            "customer_id",
            _POINTS,
            True,
            {
                "name": "str",
                "kind": "enum",
                "critical": "bool",
                "households": "int",
                "pipe_id": "str",
            },
            {"households": 1, "kind": "residential"},
        ),
        LayerSpec("regulators", "regulator_id", _POINTS, False, {"name": "str", "kind": "enum"}),
        LayerSpec(
            "hazards",
            "hazard_id",
            ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"),
            False,
            {
                "category": "enum",
                "severity": "enum",
                "status": "enum",
                "found_on": "date",
                "due_on": "date",
                "description": "str",
            },
            {"status": "open", "severity": "general"},
        ),
    ]
}

#: Accepted canonical values per (layer, field), each with the labels that mean it.
VOCABULARY: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("pipes", "pressure_class"): {
        "HP-A": ("高压A", "高压A级"),
        "HP-B": ("高压B", "高压B级"),
        "SHP-A": ("次高压A", "次高压A级"),
        "SHP-B": ("次高压B", "次高压B级"),
        "MP-A": ("中压A", "中压A级"),
        "MP-B": ("中压B", "中压B级"),
        "LP": ("低压",),
    },
    ("pipes", "status"): {
        "in_service": ("在用", "运行", "在役", "使用中", "in service", "active"),
        "abandoned": ("废弃", "停用", "报废", "abandoned"),
        "planned": ("规划", "在建", "拟建", "planned", "proposed"),
    },
    ("valves", "normally"): {
        "open": ("常开", "开", "开启", "o"),
        "closed": ("常闭", "关", "关闭", "c"),
    },
    ("sources", "kind"): {
        "city_gate": ("门站", "城市门站", "gate"),
        "lng": ("LNG储配站", "LNG站", "LNG气化站"),
        "cng": ("CNG储配站", "CNG站", "CNG减压站"),
        "storage": ("储配站",),
    },
    ("regulators", "kind"): {
        "station": ("调压站", "区域调压站"),
        "cabinet": ("调压箱", "调压柜", "楼栋调压箱"),
    },
    ("customers", "kind"): {
        "residential": ("居民", "居民用户", "住宅"),
        "commercial": ("商业", "商业用户"),
        "industrial": ("工业", "工业用户"),
        "hospital": ("医院",),
        "school": ("学校",),
        "care_home": ("养老院", "敬老院", "福利院"),
    },
    ("hazards", "category"): {
        "encroachment": ("占压",),
        "insufficient_clearance": ("安全间距不足", "间距不足"),
        "third_party_construction": ("第三方施工",),
        "corrosion": ("腐蚀",),
        "leak": ("泄漏", "漏气"),
        "geohazard": ("地质灾害", "滑坡"),
        "flood": ("洪涝", "水淹"),
    },
    ("hazards", "severity"): {
        "major": ("重大隐患", "重大"),
        "general": ("一般隐患", "一般"),
    },
    ("hazards", "status"): {
        "open": ("未整改", "待整改", "新发现"),
        "in_progress": ("整改中",),
        "closed": ("已整改", "已销号", "已完成"),
    },
}

#: Labels of the yes / no fields (``bool`` in :data:`LAYERS`), like :data:`VOCABULARY`.
BOOL_LABELS: dict[str, tuple[str, ...]] = {
    "true": ("t", "yes", "y", "1", "是", "可", "可操作", "正常"),
    "false": ("f", "no", "n", "0", "否", "不可", "不可操作", "损坏", "失效"),
}

#: Fields whose values change an answer: which valves are shut, which pipes carry gas, which
#: way a regulator passes gas, who is critical. Their values are never guessed: a value that
#: matches no label stops the run (a blank takes the documented default).
STRICT_FIELDS = frozenset(
    {
        ("pipes", "pressure_class"),
        ("pipes", "status"),
        ("valves", "normally"),
        ("valves", "operable"),
        ("customers", "critical"),
    }
)


_LABELLED = ("enum", "bool")  # the field types whose values are labels


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s.json")


@functools.lru_cache(maxsize=1 << 16)
def to_simplified(text: str) -> str:
    """``text`` in Simplified characters (OpenCC t2s); Simplified and Latin text unchanged.

    Mainland data is written in Simplified characters, some exports in Traditional: labels and
    field names are compared in this form, so both scripts mean the same thing.
    """
    return text if text.isascii() else _t2s().convert(text)


@functools.lru_cache(maxsize=1 << 16)
def _key(value: str) -> str:
    """The form labels are compared in: NFKC (full-width ``ＭＰ－Ａ`` is ``MP-A``), Simplified,
    without blanks, "_" or "-", case-folded."""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"[\s_\-]+", "", to_simplified(text)).casefold()


def _labels(layer: str, fld: str) -> dict[str, tuple[str, ...]]:
    if LAYERS[layer].fields.get(fld) == "bool":
        return BOOL_LABELS
    return VOCABULARY.get((layer, fld), {})


def accepted_values(layer: str, fld: str) -> tuple[str, ...]:
    """The canonical values of an enum or bool field, in their documented order."""
    return tuple(_labels(layer, fld))


def describe_accepted(layer: str, fld: str) -> str:
    """The canonical values and the first Chinese label of each, for messages.

    >>> describe_accepted("valves", "normally")
    'open, closed (常开, 常闭 …)'
    """
    values = _labels(layer, fld)
    chinese = [next((x for x in labels if not x.isascii()), None) for labels in values.values()]
    shown = ", ".join(x for x in chinese if x)
    return ", ".join(values) + (f" ({shown} …)" if shown else "")


def _target(canonical):
    """A config label's target as a canonical value (TOML true / false for the bool fields)."""
    if isinstance(canonical, bool):
        return "true" if canonical else "false"
    return canonical


def value_labels_problem(layer: str, fld: str, mapping) -> str | None:
    """What is wrong with the config table ``[values."layer.field"]``; ``None`` when usable.

    Its keys are labels, its values canonical values of an enum or bool field (``true`` /
    ``false`` for the bool fields, as strings or TOML booleans).
    """
    kind = LAYERS[layer].fields[fld]
    if kind not in _LABELLED:
        labelled = (
            f"{n}.{f}" for n, s in LAYERS.items() for f, k in s.fields.items() if k in _LABELLED
        )
        return (
            f"maps labels of {fld}, which is not an enum or yes/no field ({kind}); labels can "
            f"be mapped for {', '.join(labelled)}"
        )
    if not isinstance(mapping, dict):
        return 'must be a table of label = "canonical value", e.g. "常闭" = "closed"'
    accepted = accepted_values(layer, fld)
    wrong = {
        label: target
        for label, target in mapping.items()
        if not (
            _target(target) in accepted
            and (isinstance(target, str) or (kind == "bool" and isinstance(target, bool)))
        )
    }
    if wrong:
        shown = ", ".join(f"{label!r} = {target!r}" for label, target in wrong.items())
        return f"maps {shown}: not a canonical value; use one of {', '.join(accepted)}"
    blank = [label for label in mapping if not _key(label)]
    if blank:
        return (
            f"maps {', '.join(repr(b) for b in blank)}: a blank label (only spaces, _ or -); "
            "blank values already take the documented default: remove it"
        )
    builtin = {
        _key(label): canonical
        for canonical, labels in _labels(layer, fld).items()
        for label in (canonical, *labels)
    }
    clash = {
        label: target
        for label, target in mapping.items()
        if builtin.get(_key(label), _target(target)) != _target(target)
    }
    if clash:
        shown = ", ".join(f"{label!r} = {target!r}" for label, target in clash.items())
        means = ", ".join(f"{label!r} already means {builtin[_key(label)]!r}" for label in clash)
        return (
            f"maps {shown}, but {means} (a canonical value or built-in label of {layer}.{fld}); "
            "a label that has a meaning cannot be given another: correct the data instead, "
            "or remove the line"
        )
    same: dict[str, list[str]] = {}
    for label in mapping:
        same.setdefault(_key(label), []).append(label)
    for labels in same.values():
        if len({_target(mapping[lab]) for lab in labels}) > 1:
            shown = ", ".join(f"{lab!r} = {mapping[lab]!r}" for lab in labels)
            return (
                f"maps {shown}: the same label (in Simplified characters, ignoring case, "
                "blanks, _ and -) to different values; keep one"
            )
    return None


def build_lookup(extra: dict[str, dict] | None = None) -> dict[tuple[str, str], dict]:
    """Label key -> canonical value per enum and bool (layer, field); ``extra`` from the config.

    Keys are :func:`_key` forms, so a label matches in Simplified or Traditional characters,
    whichever script the vocabulary, the config or the data writes it in.
    """
    lookup: dict[tuple[str, str], dict[str, str]] = {}
    for name, spec in LAYERS.items():
        for fld, kind in spec.fields.items():
            if kind in _LABELLED:
                table = lookup[(name, fld)] = {}
                for canonical, labels in _labels(name, fld).items():
                    for label in (canonical, *labels):
                        table[_key(label)] = canonical
    for name, mapping in (extra or {}).items():
        layer, _, fld = name.partition(".")
        table = lookup.setdefault((layer, fld), {})
        for label, canonical in mapping.items():
            table[_key(label)] = _target(canonical)
    return lookup


def normalise_value(value, lookup: dict[str, str]):
    """Canonical value of ``value``; ``None`` for blanks; the value itself when unknown."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if not text:
        return None
    return lookup.get(_key(text), text)


_BOOLS = {"true": True, "false": False}


def parse_bool(value, lookup: dict[str, str] | None = None):
    """``True``/``False`` for the usual labels (是/否, yes/no, 1/0) and those of ``lookup``
    (a :func:`build_lookup` table); else ``None`` (blank or unknown)."""
    if isinstance(value, bool):
        return value
    table = _bool_table() if lookup is None else lookup
    return _BOOLS.get(normalise_value(value, table))


@functools.cache
def _bool_table() -> dict[str, str]:
    return {_key(label): c for c, labels in BOOL_LABELS.items() for label in (c, *labels)}
