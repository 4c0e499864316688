"""`make screenshots`: PNGs of the three kinds of map, for the README (docs/screenshots/).

    python tools/screenshots.py [OUT_DIR]

Runs the pipeline on the bundled sample (gasnet.toml), writes a burst isolation order, and
photographs network.html, risk.html and the burst page in Debian's Chromium (Playwright),
every request other than the files refused.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from gasnet.cli import main as gasnet

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    config = str(ROOT / "gasnet.toml")
    assert gasnet(["--config", config, "run"]) == 0
    burst = ROOT / "data" / "processed" / "burst.html"
    assert gasnet(["--config", config, "burst", "--pipe", "GX0000051", "--map", str(burst)]) == 0
    maps = ROOT / "data" / "processed" / "maps"
    pages = {"network": maps / "network.html", "risk": maps / "risk.html", "burst": burst}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        for name, path in pages.items():
            page = browser.new_page(viewport={"width": 1400, "height": 850})
            page.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
            )
            page.goto(path.as_uri())
            page.wait_for_function("window.gasnetMap !== undefined")
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / f"{name}.png"))
            print(out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
