"""Map benchmark (issue 9): HTML size and the time headless Chromium takes to open the maps.

    python bench/maps.py                 # 10k and 100k pipes (the sample's shape)
    python bench/maps.py --sizes 10000

For each size: `gasnet run` on the generated sample (cached in bench/out), then each page is
opened in Debian's Chromium (Playwright) from the file, every other request refused; "open s"
is from navigation to the moment gasnet's script has drawn every layer (window.gasnetMap set),
"load s" to the load event. The peer in the same run is Folium's own way of putting the same
pipes on a map: one `folium.GeoJson` layer (CDN assets refused: not counted), its HTML size
and open time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import sample_dir

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _open(browser, path: Path, ready: str) -> tuple[float, float]:
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    t = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=600_000)
    loaded = time.perf_counter() - t
    page.wait_for_function(ready, timeout=600_000)
    drawn = time.perf_counter() - t
    page.close()
    return loaded, drawn


def _folium_peer(folder: Path) -> Path:
    import folium
    import pyogrio

    pipes = pyogrio.read_dataframe(folder / "processed" / "gasnet.gpkg", layer="pipes")
    pipes = pipes[["pipe_id", "pressure_class", "geometry"]].to_crs("EPSG:4326")
    x0, y0, x1, y1 = pipes.total_bounds
    m = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=13, tiles=None)
    folium.GeoJson(pipes, name="pipes").add_to(m)
    out = folder / "processed" / "maps" / "folium_peer.html"
    m.save(out)
    return out


def main() -> None:
    from playwright.sync_api import sync_playwright

    from gasnet.cli import main as gasnet

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    chromium = shutil.which("chromium")
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        for n in [int(s) for s in args.sizes.split(",")]:
            folder = sample_dir(n)
            t = time.perf_counter()
            assert gasnet(["--config", str(folder / "gasnet.toml"), "run"]) == 0
            run_s = time.perf_counter() - t
            maps = folder / "processed" / "maps"
            for name in ("network.html", "risk.html"):
                loaded, drawn = _open(browser, maps / name, "window.gasnetMap !== undefined")
                rows.append((n, name, (maps / name).stat().st_size, loaded, drawn, run_s))
            peer = _folium_peer(folder)
            loaded, drawn = _open(browser, peer, "document.readyState === 'complete'")
            rows.append(
                (n, "folium GeoJson (pipes only)", peer.stat().st_size, loaded, drawn, run_s)
            )
        browser.close()
    print(f"{'pipes':>8} {'page':<28} {'MB':>7} {'load s':>7} {'open s':>7}")
    for n, name, size, loaded, drawn, _ in rows:
        print(f"{n:>8} {name:<28} {size / 1e6:>7.1f} {loaded:>7.2f} {drawn:>7.2f}")
    print(
        "(gasnet run, whole pipeline: "
        + ", ".join(f"{r[0]}: {r[5]:.0f} s" for r in rows[::3])
        + ")"
    )


if __name__ == "__main__":
    main()
