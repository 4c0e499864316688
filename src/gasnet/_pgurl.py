"""PostgreSQL URLs as the config and the CLI give them (light: no database driver)."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from .errors import ConfigError

SCHEMES = ("postgresql://", "postgres://")


def is_url(text) -> bool:
    return isinstance(text, str) and text.lower().startswith(SCHEMES)


@dataclass(frozen=True)
class StoreURL:
    """A ``postgresql://`` URL without its ``schema`` parameter: what libpq is given
    (``conninfo``), the schema, and how messages show it (``shown``: the URL as written,
    which never holds a password)."""

    conninfo: str
    schema: str
    shown: str

    @classmethod
    def parse(cls, url: str, where: str, default_schema: str = "gasnet") -> StoreURL:
        """Check ``url`` (``where`` names its setting in messages)."""
        if not is_url(url):
            raise ConfigError(
                f"{where}: {url!r} is not a PostgreSQL URL; write it as "
                '"postgresql://user@host/database?schema=gasnet"'
            )
        try:
            parts = urllib.parse.urlsplit(url)
            query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
            password = parts.password
        except ValueError as exc:
            raise ConfigError(f"{where}: {url!r} is not a valid URL ({exc})") from None
        if password is not None or any(k == "password" for k, _ in query):
            raise ConfigError(
                f"{where}: the URL holds a password; remove it and give it to PostgreSQL "
                "through PGPASSWORD or ~/.pgpass (a password must never be in a config file, "
                "a command line or a log)"
            )
        schemas = [v for k, v in query if k == "schema"]
        schema = schemas[-1] if schemas else default_schema
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", schema):
            raise ConfigError(
                f"{where}: schema={schema!r} is not a plain schema name; use letters, digits "
                'and _ (e.g. "?schema=gasnet")'
            )
        rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "schema"])
        conninfo = urllib.parse.urlunsplit(parts._replace(query=rest))
        return cls(conninfo=conninfo, schema=schema, shown=url)
