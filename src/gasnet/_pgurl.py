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
    def parse(
        cls, url: str, where: str, default_schema: str = "gasnet", *, store: bool = True
    ) -> StoreURL:
        """Check ``url`` (``where`` names its setting in messages; ``store``: the schema is
        the one gasnet writes, not one it reads a table from)."""
        if not is_url(url):
            raise ConfigError(
                f"{where}: {masked(url)!r} is not a PostgreSQL URL; write it as "
                '"postgresql://user@host/database?schema=gasnet"'
            )
        try:
            parts = urllib.parse.urlsplit(url)
            query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
            password = parts.password
            if "," not in parts.netloc:  # (libpq's host1:port1,host2:port2 is no port)
                parts.port  # noqa: B018 -- "user:pass/word@host" parses as a port
        except ValueError:  # (its text may quote the password)
            raise ConfigError(
                f"{where}: {masked(url)!r} is not a valid URL; check the host, the port and "
                "the [brackets] of an IPv6 address"
            ) from None
        if password is not None or any(k in _SECRETS for k, _ in query):
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
        if store and (schema in ("public", "information_schema") or schema.startswith("pg_")):
            raise ConfigError(
                f"{where}: schema={schema} is PostgreSQL's own (PostGIS and QGIS keep their "
                'tables there); give gasnet a schema of its own, e.g. "?schema=gasnet"'
            )
        rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "schema"])
        # (not urlunsplit: it drops the empty host of "postgresql:///db", libpq's local socket)
        base = url.split("#", 1)[0].split("?", 1)[0]
        conninfo = f"{base}?{rest}" if rest else base
        return cls(conninfo=conninfo, schema=schema, shown=url)


#: Query parameters libpq takes secrets from: the password, the SSL client key's password.
_SECRETS = ("password", "sslpassword")


def masked(url: str) -> str:
    """``url`` with the password of its user part (``//user:password@``) as ``***``: for
    messages about a URL that is refused before it is understood."""
    return re.sub(r"(//[^/?#@:]*:).*@", r"\1***@", str(url))  # (to the last @: over, not under)
