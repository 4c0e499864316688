"""Read and check ``gasnet.toml`` (see DESIGN.md, "Config")."""

from __future__ import annotations

import codecs
import errno
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ._files import FileTooLarge, NotRegularFile, read_regular
from ._hazard_settings import HazardSettings, hazard_settings
from ._pgurl import StoreURL, is_url
from .errors import ConfigError
from .schema import LAYERS, value_labels_problem

__all__ = ["Config", "LayerSource", "read_config"]

_SECTIONS = {"project", "network", "output", "layers", "hazards", "risk", "maps", "values"}
_PROJECT = {"name", "crs"}
_NETWORK = {"snap_tolerance_m", "customer_max_distance_m"}
_OUTPUT = {"dir", "store"}
_LAYER = {"path", "id", "encoding", "crs", "fields", "x", "y", "layer"}
#: A config is a few kilobytes; anything this large is the wrong file (a shapefile, a dump).
MAX_CONFIG_BYTES = 4 << 20


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
    sublayer: str | None = None  # a layer inside a GeoPackage (or "schema.table")
    url: str | None = None  # a PostGIS database (``path = "postgresql://..."``)

    @property
    def label(self) -> str:
        """How messages name this source: the layer and its file (or table)."""
        if self.url:
            return f"{self.layer} ({' '.join(filter(None, (self.url, self.sublayer)))})"
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
    #: ``[hazards]`` and ``[risk]`` over their defaults (README, "Hidden hazards").
    hazard_settings: HazardSettings = field(default_factory=HazardSettings)

    #: ``[output] store``: a PostGIS store (``postgresql://...``) instead of the GeoPackage.
    store_url: str | None = None
    gpkg_override: Path | None = None  # a staging file while `gasnet run` works
    #: What `gasnet run`'s stages hand on in memory (``pipeline.Staged``); None otherwise.
    run_state: object = field(default=None, repr=False, compare=False)

    @property
    def gpkg(self) -> Path:
        """The one-map GeoPackage (a run's staging file while `gasnet run` works)."""
        return self.gpkg_override or self.gpkg_target

    @property
    def gpkg_target(self) -> Path:
        """The one-map GeoPackage itself, as messages name it."""
        return self.output_dir / "gasnet.gpkg"

    @property
    def store(self):
        """Where the stages read and write the one map: the GeoPackage
        (:class:`gasnet.store.GeoPackageStore`; a run's staging file while `gasnet run`
        works) or ``[output] store``'s PostGIS schema (:class:`gasnet.postgis.PostGISStore`).
        """
        if self.store_url and self.gpkg_override is None:
            from .postgis import PostGISStore

            return PostGISStore(self.store_url)
        from .store import GeoPackageStore

        return GeoPackageStore(self.gpkg, shown=self.gpkg_target)


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
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{path}: {where}.{key} must be a number >= 0, got {_shown(value)}")
    if not math.isfinite(value):
        raise ConfigError(
            f"{path}: {where}.{key} must be a number >= 0, got {value!r}: nan and inf are "
            "not distances; give metres, e.g. 0.5"
        )
    if value < 0:
        raise ConfigError(f"{path}: {where}.{key} must be a number >= 0, got {value!r}")
    return float(value)


_MAPS = {
    "basemap": ("none", "osm", "amap", "tianditu"),
    "language": ("zh", "en"),
}
_MAP_NUMBERS = {"warning_min_m": 100.0, "warning_factor": 0.33}


def _maps(table: dict, path: Path) -> dict:
    """``[maps]`` with its defaults: basemap (none), language (zh), tianditu_key, the
    warning circle's warning_min_m (100) and warning_factor (0.33)."""
    _unknown(table, {*_MAPS, *_MAP_NUMBERS, "tianditu_key"}, "[maps]", path)
    out = {"basemap": "none", "language": "zh", "tianditu_key": ""}
    for key, allowed in _MAPS.items():
        value = table.get(key, out[key])
        if value not in allowed:
            raise ConfigError(
                f"{path}: [maps] {key} = {_shown(value)} is not one of "
                + ", ".join(f'"{a}"' for a in allowed)
            )
        out[key] = value
    key = table.get("tianditu_key", "")
    if not isinstance(key, str):
        raise ConfigError(
            f'{path}: [maps] tianditu_key must be a string, e.g. tianditu_key = "..."'
        )
    if out["basemap"] == "tianditu" and not key:
        raise ConfigError(
            f'{path}: [maps] basemap = "tianditu" needs tianditu_key = "<your key>" (a free key '
            'from the Tianditu console), or basemap = "none"'
        )
    out["tianditu_key"] = key
    for name, default in _MAP_NUMBERS.items():
        out[name] = _number(table, name, default, "[maps]", path)
    return out


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _section(raw: dict, name: str, path: Path) -> dict:
    """A top-level section; ``network = 5`` or ``layers = "x"`` is refused by name."""
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(
            f"{path}: {name} = {_shown(value)} is not a section; write [{name}] on a line of "
            "its own with its keys below it (see README, 'Config')"
        )
    return value


def _string(table: dict, key: str, where: str, path: Path, example: str) -> None:
    if key in table and not isinstance(table[key], str):
        raise ConfigError(
            f"{path}: {where} {key} must be a string in quotes, e.g. {key} = {example}, "
            f"got {_shown(table[key])}"
        )


def _read_text(path: Path) -> str:
    """The config's text: a regular UTF-8 file (a UTF-8 byte-order mark is allowed)."""
    try:
        data = read_regular(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; pass config=FILE or create gasnet.toml "
            "(see README, 'Config')"
        ) from None
    except NotRegularFile as exc:
        raise ConfigError(
            f"{path}: the config is {exc}, not a regular file; pass config= a gasnet.toml file"
        ) from None
    except FileTooLarge as exc:
        raise ConfigError(
            f"{path}: {exc.args[0]} bytes is far too large for a config file (is it the right "
            "file?); pass config= the project's gasnet.toml"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the config file ({exc.strerror or exc}); check the path "
            "and its permissions"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
            guess, source = " (it looks like GBK)", "GBK"
        except UnicodeDecodeError:
            guess, source = "", "its encoding"
        raise ConfigError(
            f"{path}: not UTF-8 text{guess}: byte 0x{data[exc.start]:02x} on line {line}; "
            f"TOML files must be UTF-8: save it as UTF-8 (e.g. iconv -f {source} -t UTF-8)"
        ) from None
    return text.removeprefix("\ufeff")


def _resolved(p: Path, config: Path, what: str) -> Path:
    """``p`` with its symbolic links followed; a link that loops is a ConfigError naming it
    (``Path.resolve`` raises RuntimeError "Symlink loop" on Python 3.11)."""
    try:
        return p.resolve()
    except (RuntimeError, OSError) as exc:
        cause = "is a symbolic link that loops (it leads back to itself)"
        if isinstance(exc, OSError) and exc.errno != errno.ELOOP:
            cause = f"cannot be followed ({exc.strerror or exc})"
        raise ConfigError(
            f"{config}: {what} {p} {cause}; point it at a real file or folder"
        ) from None


def _check_output_dir(path: Path, out_dir: str, output_dir: Path, layers: dict) -> None:
    """Outputs never go into an input's folder (or below it): raw data is only read."""
    for srcs in layers.values():
        for src in srcs:
            if src.url:
                continue
            what = f"[layers.{src.layer}] path"
            where = _resolved(src.path, path, what)
            # The folder as written and where a symlinked input really lives: both are raw.
            folder = _resolved(src.path.parent, path, f"the folder of {what}")
            folders = dict.fromkeys((folder, where.parent))
            if output_dir == where or output_dir in folders:
                raise ConfigError(
                    f"{path}: [output] dir {out_dir!r} is the folder of input {src.path.name}; "
                    'outputs must go elsewhere (e.g. dir = "data/processed") so raw data is '
                    "never written"
                )
            folder = next((f for f in folders if output_dir.is_relative_to(f)), None)
            if folder is not None:
                raise ConfigError(
                    f"{path}: [output] dir {out_dir!r} is inside {folder}, the folder of input "
                    f"{src.path.name}; outputs must go beside the raw data, not into it "
                    '(e.g. dir = "data/processed" next to data/raw) so raw data is never written'
                )


def read_config(path: str | Path = "gasnet.toml") -> Config:
    """Read and check a config file.

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML, or has unknown keys or wrong values.
    """
    if not isinstance(path, str | os.PathLike):
        raise ConfigError(
            f"config={path!r}: give the path of the project's gasnet.toml (a str or Path)"
        )
    path = Path(path)
    text = _read_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}; fix the syntax at that line") from None
    _unknown(raw, _SECTIONS, "the top level", path)
    for name in raw:  # in the file's order: the first wrong one is named
        _section(raw, name, path)
    root = path.resolve().parent
    project = raw.get("project", {})
    network = raw.get("network", {})
    output = raw.get("output", {})
    _unknown(project, _PROJECT, "[project]", path)
    _unknown(network, _NETWORK, "[network]", path)
    _unknown(output, _OUTPUT, "[output]", path)
    _string(project, "name", "[project]", path, '"Bazhong city gas network"')
    _string(project, "crs", "[project]", path, '"EPSG:4545"')
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
    units = {a.unit_name for a in working.axis_info if a.unit_conversion_factor != 1.0}
    if units or not working.axis_info:
        unit = ", ".join(sorted(units)) or "no stated unit"
        raise ConfigError(
            f"{path}: [project] crs {crs!r} ({working.name}) measures in {unit}; the working "
            "CRS must be projected in metres (tolerances and lengths are metres): use a metre "
            "CRS of the area, e.g. EPSG:4545 or the UTM zone"
        )

    layers: dict[str, list[LayerSource]] = {}
    for name, entry in raw.get("layers", {}).items():
        if name not in LAYERS:
            raise ConfigError(
                f"{path}: unknown layer [layers.{name}]; valid layers are {', '.join(LAYERS)}"
            )
        if entry == []:
            raise ConfigError(
                f"{path}: layers.{name} is an empty list; give [layers.{name}] a path = ... "
                "or remove it"
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
                    info = codecs.lookup(item["encoding"])
                except LookupError:
                    raise ConfigError(
                        f"{path}: {where} encoding {item['encoding']!r} is not "
                        'an encoding Python knows (e.g. "GBK", "UTF-8")'
                    ) from None
                if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib ...
                    raise ConfigError(
                        f"{path}: {where} encoding {item['encoding']!r} is not a character "
                        "encoding (Python knows it as a transform of bytes or text); give the "
                        'encoding the file was exported in, e.g. "GBK", "UTF-8"'
                    )
            if "crs" in item:
                _crs(item["crs"], f"{where} crs", path)
            fields = dict(item.get("fields", {}))
            spec = LAYERS[name]
            _unknown(fields, spec.fields, f"[layers.{name}.fields]", path)
            for canon, src in fields.items():
                if not isinstance(src, str):
                    raise ConfigError(
                        f"{path}: [layers.{name}.fields] {canon} must be the source field's "
                        f'name in quotes, e.g. {canon} = "FIELD", got {_shown(src)}'
                    )
            url = item["path"] if is_url(item["path"]) else None
            if url is not None:
                StoreURL.parse(url, f"{path}: {where} path", default_schema="public", store=False)
                if not item.get("layer"):
                    raise ConfigError(
                        f"{path}: {where} reads from PostgreSQL; give the table as layer = "
                        '"schema.table"'
                    )
            sources.append(
                LayerSource(
                    layer=name,
                    path=Path(item["path"]) if url else (root / item["path"]),
                    url=url,
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
    for key, mapping in values.items():
        layer, _, fld = key.partition(".")
        if layer not in LAYERS or fld not in LAYERS[layer].fields:
            raise ConfigError(
                f'{path}: [values."{key}"] names no canonical field; use '
                '"layer.field", e.g. [values."pipes.pressure_class"]'
            )
        problem = value_labels_problem(layer, fld, mapping)
        if problem:
            raise ConfigError(f'{path}: [values."{key}"] {problem}')
    out_dir = output.get("dir", "data/processed")
    if not isinstance(out_dir, str):
        raise ConfigError(f'{path}: [output] dir must be a string, e.g. dir = "data/processed"')
    output_dir = _resolved(root / out_dir, path, "[output] dir")
    _check_output_dir(path, out_dir, output_dir, layers)
    store_url = output.get("store")
    if store_url is not None:
        if not isinstance(store_url, str):
            raise ConfigError(
                f'{path}: [output] store must be a string, e.g. store = "postgresql://gis@db/'
                'onemap?schema=gasnet"'
            )
        StoreURL.parse(store_url, f"{path}: [output] store")
    return Config(
        path=path,
        text=text,
        name=str(project.get("name", "gasnet")),
        crs=working.to_string(),
        snap_tolerance_m=_number(network, "snap_tolerance_m", 0.5, "[network]", path),
        customer_max_distance_m=_number(network, "customer_max_distance_m", 60, "[network]", path),
        output_dir=output_dir,
        store_url=store_url or None,
        layers=layers,
        values={k: dict(v) for k, v in values.items()},
        hazards=raw.get("hazards", {}),
        risk=raw.get("risk", {}),
        hazard_settings=hazard_settings(
            _section(raw, "hazards", path), _section(raw, "risk", path), path
        ),
        maps=_maps(raw.get("maps", {}), path),
    )
