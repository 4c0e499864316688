"""Read and check ``gasnet.toml`` (see DESIGN.md, "Config")."""

from __future__ import annotations

import codecs
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .schema import LAYERS, value_labels_problem

__all__ = ["Config", "LayerSource", "read_config"]

_SECTIONS = {"project", "network", "output", "layers", "hazards", "risk", "maps", "values"}
_PROJECT = {"name", "crs"}
_NETWORK = {"snap_tolerance_m", "customer_max_distance_m"}
_OUTPUT = {"dir"}
_LAYER = {"path", "id", "encoding", "crs", "fields", "x", "y", "layer"}


@dataclass(frozen=True)
class LayerSource:
    """One source file of a canonical layer, as configured."""

    layer: str
    path: Path
    id_field: str = "id"
    encoding: str | None = None
    crs: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    x: str | None = None  # CSV only: the x / lon field
    y: str | None = None
    sublayer: str | None = None  # a layer inside a GeoPackage

    @property
    def label(self) -> str:
        """How messages name this source: the layer and its file."""
        return f"{self.layer} ({self.path})"


@dataclass(frozen=True)
class Config:
    """The parsed config. Relative paths are resolved against the config file's folder."""

    path: Path
    text: str
    name: str
    crs: str
    snap_tolerance_m: float
    customer_max_distance_m: float
    output_dir: Path
    layers: dict[str, list[LayerSource]]
    values: dict[str, dict[str, str]]
    hazards: dict = field(default_factory=dict)
    risk: dict = field(default_factory=dict)
    maps: dict = field(default_factory=dict)

    gpkg_override: Path | None = None  # a staging file while `gasnet run` works

    @property
    def gpkg(self) -> Path:
        """The one-map GeoPackage."""
        return self.gpkg_override or self.output_dir / "gasnet.gpkg"


def _unknown(keys, allowed, where, path) -> None:
    extra = sorted(set(keys) - set(allowed))
    if extra:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(extra)} in {where}; "
            f"valid keys are {', '.join(sorted(allowed))}"
        )


def _crs(value, where: str, path: Path):
    import pyproj

    try:
        return pyproj.CRS.from_user_input(value)
    except (pyproj.exceptions.CRSError, TypeError):
        raise ConfigError(
            f'{path}: {where} {value!r} is not a CRS pyproj knows (e.g. "EPSG:4545")'
        ) from None


def _number(table: dict, key: str, default: float, where: str, path: Path) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{path}: {where}.{key} must be a number >= 0, got {value!r}")
    return float(value)


def read_config(path: str | Path = "gasnet.toml") -> Config:
    """Read and check a config file.

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML, or has unknown keys or wrong values.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: config file not found; pass --config FILE or create gasnet.toml "
            "(see README, 'Config')"
        )
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}; fix the syntax at that line") from None
    _unknown(raw, _SECTIONS, "the top level", path)
    root = path.resolve().parent
    project = raw.get("project", {})
    network = raw.get("network", {})
    output = raw.get("output", {})
    _unknown(project, _PROJECT, "[project]", path)
    _unknown(network, _NETWORK, "[network]", path)
    _unknown(output, _OUTPUT, "[output]", path)
    crs = project.get("crs")
    if not crs:
        raise ConfigError(
            f'{path}: [project] crs is missing; set the working CRS, e.g. crs = "EPSG:4545"'
        )
    working = _crs(crs, "[project] crs", path)
    if not working.is_projected:
        raise ConfigError(
            f"{path}: [project] crs {crs!r} is geographic; the working CRS must be projected "
            "in metres (e.g. EPSG:4545)"
        )

    layers: dict[str, list[LayerSource]] = {}
    for name, entry in raw.get("layers", {}).items():
        if name not in LAYERS:
            raise ConfigError(
                f"{path}: unknown layer [layers.{name}]; valid layers are {', '.join(LAYERS)}"
            )
        entries = entry if isinstance(entry, list) else [entry]
        sources = []
        for item in entries:
            where = f"[layers.{name}]"
            if not isinstance(item, dict):
                raise ConfigError(f"{path}: {where} must be a table (path = ..., id = ...)")
            _unknown(item, _LAYER, where, path)
            if "path" not in item:
                raise ConfigError(f"{path}: {where} has no path; give the file to read")
            for key in ("path", "id", "encoding", "crs", "x", "y", "layer"):
                if key in item and not isinstance(item[key], str):
                    raise ConfigError(f'{path}: {where} {key} must be a string, e.g. {key} = "..."')
            if not isinstance(item.get("fields", {}), dict):
                raise ConfigError(
                    f'{path}: {where} fields must be a table, e.g. fields = {{ name = "MC" }}'
                )
            if "encoding" in item:
                try:
                    codecs.lookup(item["encoding"])
                except LookupError:
                    raise ConfigError(
                        f"{path}: {where} encoding {item['encoding']!r} is not "
                        'an encoding Python knows (e.g. "GBK", "UTF-8")'
                    ) from None
            if "crs" in item:
                _crs(item["crs"], f"{where} crs", path)
            fields = dict(item.get("fields", {}))
            spec = LAYERS[name]
            _unknown(fields, spec.fields, f"[layers.{name}.fields]", path)
            sources.append(
                LayerSource(
                    layer=name,
                    path=(root / item["path"]),
                    id_field=str(item.get("id", "id")),
                    encoding=item.get("encoding"),
                    crs=item.get("crs"),
                    fields=fields,
                    x=item.get("x"),
                    y=item.get("y"),
                    sublayer=item.get("layer"),
                )
            )
        layers[name] = sources
    missing = [n for n, s in LAYERS.items() if s.required and n not in layers]
    if missing:
        raise ConfigError(
            f"{path}: required layer(s) {', '.join(missing)} not configured; add "
            + ", ".join(f"[layers.{m}] path = ..." for m in missing)
        )
    values = raw.get("values", {})
    for key in values:
        layer, _, fld = key.partition(".")
        if layer not in LAYERS or fld not in LAYERS[layer].fields:
            raise ConfigError(
                f'{path}: [values."{key}"] names no canonical field; use '
                '"layer.field", e.g. [values."pipes.pressure_class"]'
            )
        problem = value_labels_problem(layer, fld, values[key])
        if problem:
            raise ConfigError(f'{path}: [values."{key}"] {problem}')
    out_dir = output.get("dir", "data/processed")
    if not isinstance(out_dir, str):
        raise ConfigError(f'{path}: [output] dir must be a string, e.g. dir = "data/processed"')
    output_dir = (root / out_dir).resolve()
    for srcs in layers.values():
        for src in srcs:
            if src.path.resolve().parent == output_dir or src.path.resolve() == output_dir:
                raise ConfigError(
                    f"{path}: [output] dir {out_dir!r} is the folder of input {src.path.name}; "
                    'outputs must go elsewhere (e.g. dir = "data/processed") so raw data is '
                    "never written"
                )
    return Config(
        path=path,
        text=text,
        name=str(project.get("name", "gasnet")),
        crs=working.to_string(),
        snap_tolerance_m=_number(network, "snap_tolerance_m", 0.5, "[network]", path),
        customer_max_distance_m=_number(network, "customer_max_distance_m", 60, "[network]", path),
        output_dir=output_dir,
        layers=layers,
        values={k: dict(v) for k, v in values.items()},
        hazards=raw.get("hazards", {}),
        risk=raw.get("risk", {}),
        maps=raw.get("maps", {}),
    )
