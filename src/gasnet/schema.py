"""The canonical schema: layers, fields, accepted values and the standard Chinese labels.

Everything here is contract (see DESIGN.md, "Canonical fields"): the GeoPackage, the notebooks
and outside scripts rely on these names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "CRITICAL_KINDS",
    "LAYERS",
    "MAX_PRESSURE_MPA",
    "PRESSURE_CLASSES",
    "PRESSURE_RANK",
    "VOCABULARY",
    "LayerSpec",
    "normalise_value",
    "pressure_rank",
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
    return pd.Series(classes, dtype=object).map(PRESSURE_RANK).fillna(0).to_numpy(np.int64)


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
        "HP-A": ("高壓A", "高壓A級"),
        "HP-B": ("高壓B", "高壓B級"),
        "SHP-A": ("次高壓A", "次高壓A級"),
        "SHP-B": ("次高壓B", "次高壓B級"),
        "MP-A": ("中壓A", "中壓A級"),
        "MP-B": ("中壓B", "中壓B級"),
        "LP": ("低壓",),
    },
    ("pipes", "status"): {
        "in_service": ("在用", "運行", "在役", "使用中", "in service", "active"),
        "abandoned": ("廢棄", "停用", "報廢", "abandoned"),
        "planned": ("規劃", "在建", "擬建", "planned", "proposed"),
    },
    ("valves", "normally"): {
        "open": ("常開", "開", "開啟", "o"),
        "closed": ("常閉", "關", "關閉", "c"),
    },
    ("sources", "kind"): {
        "city_gate": ("門站", "城市門站", "gate"),
        "lng": ("LNG儲配站", "LNG站", "LNG氣化站"),
        "cng": ("CNG儲配站", "CNG站", "CNG減壓站"),
        "storage": ("儲配站",),
    },
    ("regulators", "kind"): {
        "station": ("調壓站", "區域調壓站"),
        "cabinet": ("調壓箱", "調壓柜", "樓棟調壓箱"),
    },
    ("customers", "kind"): {
        "residential": ("居民", "居民用戶", "住宅"),
        "commercial": ("商業", "商業用戶"),
        "industrial": ("工業", "工業用戶"),
        "hospital": ("醫院",),
        "school": ("學校",),
        "care_home": ("養老院", "敬老院", "福利院"),
    },
    ("hazards", "category"): {
        "encroachment": ("占壓",),
        "insufficient_clearance": ("安全間距不足", "間距不足"),
        "third_party_construction": ("第三方施工",),
        "corrosion": ("腐蝕",),
        "leak": ("泄漏", "漏氣"),
        "geohazard": ("地質災害", "滑坡"),
        "flood": ("洪澇", "水淹"),
    },
    ("hazards", "severity"): {
        "major": ("重大隱患", "重大"),
        "general": ("一般隱患", "一般"),
    },
    ("hazards", "status"): {
        "open": ("未整改", "待整改", "新發現"),
        "in_progress": ("整改中",),
        "closed": ("已整改", "已銷號", "已完成"),
    },
}

_TRUE = {"true", "t", "yes", "y", "1", "是", "可", "可操作", "正常"}
_FALSE = {"false", "f", "no", "n", "0", "否", "不可", "不可操作", "損壞", "失效"}


def _key(value: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(value)).casefold()


def build_lookup(extra: dict[str, dict[str, str]] | None = None) -> dict[tuple[str, str], dict]:
    """Label -> canonical value per (layer, field); ``extra`` comes from the config."""
    lookup: dict[tuple[str, str], dict[str, str]] = {}
    for key, values in VOCABULARY.items():
        table = lookup.setdefault(key, {})
        for canonical, labels in values.items():
            for label in (canonical, *labels):
                table[_key(label)] = canonical
    for name, mapping in (extra or {}).items():
        layer, _, fld = name.partition(".")
        table = lookup.setdefault((layer, fld), {})
        for label, canonical in mapping.items():
            table[_key(label)] = canonical
    return lookup


def normalise_value(value, lookup: dict[str, str]):
    """Canonical value of ``value``; ``None`` for blanks; the value itself when unknown."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if not text:
        return None
    return lookup.get(_key(text), text)


def parse_bool(value):
    """``True``/``False`` for the usual labels (是/否, yes/no, 1/0); else ``None``."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return value
    text = _key(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None
