"""A throwaway PostgreSQL cluster with PostGIS for the store tests.

Debian's packages (``postgresql-15-postgis-3``; ``make test`` installs them when missing):
``initdb`` into a temporary folder, a server listening only on a Unix socket in that folder
(no TCP port, nothing shared with other clusters), password authentication (scram-sha-256,
a random password) so that a wrong password can be tested, one database ``onemap`` with
PostGIS. Stopped and removed at the end of the session.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path


class Unavailable(Exception):
    """PostgreSQL (or PostGIS) is not installed: the reason, for pytest.skip."""


def _bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise Unavailable(
            "PostgreSQL is not installed (make test installs Debian's postgresql-15-postgis-3)"
        )
    version = found[-1].split("/")[4]
    if not glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
        raise Unavailable(f"PostGIS is not installed for PostgreSQL {version}")
    return Path(found[-1]).parent


class Cluster:
    """``url(schema)``: a store URL (no password in it); ``env``: PGPASSWORD for it."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="gasnet-pg-"))
        self.password = secrets.token_hex(12)
        self.user = "gasnet"
        self.database = "onemap"
        self._as = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to postgres
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("no postgres user to own the test cluster") from None
            os.chmod(self.dir, 0o755)
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as:
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        self._run(
            self.bindir / "initdb", "-D", self.dir / "data", "-U", self.user, "-A", "scram-sha-256",
            "--pwfile", pwfile, "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8",
        )  # fmt: skip
        pwfile.unlink()
        opts = f"-k {self.dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run(
            self.bindir / "pg_ctl", "-D", self.dir / "data", "-o", opts, "-l", self.dir / "log",
            "-w", "start",
        )  # fmt: skip
        self.sql("postgres", "CREATE DATABASE onemap")
        self.sql("onemap", "CREATE EXTENSION postgis")

    @property
    def env(self) -> dict[str, str]:
        return {"PGPASSWORD": self.password}

    def url(self, schema: str = "gasnet", database: str | None = None) -> str:
        return (
            f"postgresql://{self.user}@/{database or self.database}?host={self.dir}&schema={schema}"
        )

    def gdal(self, schema: str) -> str:
        """The same database as GDAL's PostgreSQL driver (and QGIS) names it."""
        return (
            f"PG:dbname={self.database} host={self.dir} user={self.user} "
            f"active_schema={schema} schemas={schema}"
        )

    def sql(self, database: str, *statements: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(
            host=str(self.dir), user=self.user, dbname=database, password=self.password,
            autocommit=True,
        ) as conn:  # fmt: skip
            rows = []
            for s in statements:
                cur = conn.execute(s)
                if cur.description is not None:
                    rows = cur.fetchall()
            return rows

    def _run(self, *cmd) -> None:
        out = subprocess.run(
            [*self._as, *map(str, cmd)], capture_output=True, text=True, cwd="/", check=False
        )
        if out.returncode:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            raise RuntimeError(f"{cmd[0]} failed: {out.stderr or out.stdout}\n{log}")

    def stop(self) -> None:
        try:
            self._run(self.bindir / "pg_ctl", "-D", self.dir / "data", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
