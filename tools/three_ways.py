"""Run a project three ways and compare: into its GeoPackage, with ``--workers 2`` (Dask),
and into a PostGIS store (a throwaway cluster, as the tests start one). Every layer, both
CSVs and the maps must be the same; for trying the store and Dask on data gasnet did not
generate, by hand:

    python tools/gaslib.py ../shared/data/gaslib/GasLib-4197.net /tmp/gl4197
    PYTHONPATH=src:tests python tools/three_ways.py /tmp/gl4197 [MORE_PROJECTS ...]

Each PROJECT is a folder with a ``gasnet.toml`` whose paths are relative to it; it is copied
three times under /tmp/three_ways (the project itself is not touched). Needs PostgreSQL with
PostGIS (``make postgres``) and the test helpers (``tests/`` on PYTHONPATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from outputs import assert_same_outputs
from pgcluster import Cluster
from test_postgis import assert_same_layers, everything

from gasnet.config import read_config

GASNET = "import sys; from gasnet.cli import main; sys.exit(main())"
OUT = Path("/tmp/three_ways")


def main(projects: list[str]) -> None:
    cluster = Cluster()
    try:
        os.environ.update(cluster.env)
        for project in map(Path, projects):
            schema = project.name.replace("-", "_").lower()
            runs = {}
            for mode in ("gpkg", "dask", "postgis"):
                d = OUT / f"{project.name}-{mode}"
                shutil.rmtree(d, ignore_errors=True)
                shutil.copytree(project, d)
                if mode == "postgis":
                    toml = d / "gasnet.toml"
                    store = f'[output]\nstore = "{cluster.url(schema)}"\n'
                    text = toml.read_text(encoding="utf-8")
                    text = (
                        text.replace("[output]\n", store)
                        if "[output]\n" in text
                        else (text + "\n" + store)
                    )
                    toml.write_text(text, encoding="utf-8")
                opts = ["--workers", "2"] if mode == "dask" else []
                done = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        GASNET,
                        *opts,
                        "--config",
                        str(d / "gasnet.toml"),
                        "run",
                    ],
                    capture_output=True,
                    text=True,
                )
                if done.returncode:
                    raise SystemExit(f"{project} {mode}: exit {done.returncode}\n{done.stderr}")
                runs[mode] = read_config(d / "gasnet.toml")
            assert_same_outputs(runs["gpkg"].gpkg_target, runs["dask"].gpkg_target)
            print(f"{project}: --workers 2 == GeoPackage run (every layer, CSVs, maps)")
            a, b = everything(runs["gpkg"].store), everything(runs["postgis"].store)
            assert_same_layers(a, b)
            print(f"{project}: PostGIS store == GeoPackage run ({len(a)} layers)")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
