"""The browser page's front-end files, fetched once from the npm registry.

Solara serves its JavaScript and CSS (the Vue app, RequireJS, Font Awesome, Vega for the Altair
charts, the draggable grid of Mesa's SolaraViz) through a local cache that it fills from a public
CDN on first use. Machines without that CDN (CI, offline set-ups) get a blank page. This module
fills the same cache from the npm registry with `npm pack`, which is what the `solara-assets`
package does at build time, but for the exact versions the installed Solara asks for: they are
read from Solara's own templates, so a Solara upgrade picks up its new versions by itself.

Run `python -m abm.viz.viz_assets` to fetch them ahead of time; `abm viz` does it on first start.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

# npm packages the page loads: the Vue app shell, the module loader, the icon font, the three
# Vega libraries behind Altair charts, and the grid layout that SolaraViz arranges its cards in.
APP_SHELL = "@widgetti/solara-vuetify-app"  # Vuetify 2: the shell Solara picks under ipyvue 1
PAGE_PACKAGES = ("requirejs", "vega", "vega-lite", "vega-embed", "@widgetti/vue-grid-layout")
ICON_FONT = "font-awesome"
# Solara files that name the versions (templates and Vue components)
SOLARA_SOURCES = ("*.j2", "*.vue", "*.py")
MANIFEST = "package.json"  # present once a package is unpacked completely
NPM_TIMEOUT_SECONDS = 300
VUE2_IPYVUE_BELOW = 2  # ipyvue 1.x is Vue 2, which Mesa's SolaraViz needs


class AssetError(RuntimeError):
    """A front-end file could not be had."""


@dataclass(frozen=True)
class Asset:
    """One npm package at the version (or range) Solara's pages ask the CDN for."""

    package: str
    spec: str

    @property
    def folder(self) -> str:
        return f"{self.package}@{self.spec}"


def cache_dir() -> Path:
    """Solara's asset cache (setting SOLARA_ASSETS_PROXY_CACHE_DIR, else under sys.prefix)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def _solara_root() -> Path:
    import solara

    return Path(solara.__file__).parent


def required_assets(root: Path | None = None) -> list[Asset]:
    """The packages the page needs, at the versions named in the installed Solara's files."""
    root = root or _solara_root()
    wanted = (APP_SHELL, *PAGE_PACKAGES)
    found: dict[str, str] = {}
    for pattern in SOLARA_SOURCES:
        for path in sorted(root.rglob(pattern)):
            if "website" in path.parts:
                continue
            text = path.read_text(errors="ignore")
            for package in wanted:
                if package in found:
                    continue
                match = re.search(rf"(?<![\w-]){re.escape(package)}@([\w.^~-]+)/", text)
                if match:
                    found[package] = match.group(1)
    missing = [p for p in wanted if p not in found]
    if missing:
        raise AssetError(f"no version of {', '.join(missing)} found in Solara's files ({root})")
    from solara.server import settings

    icons = re.search(rf"{ICON_FONT}@([\w.-]+)/", settings.assets.fontawesome_path)
    assets = [Asset(p, found[p]) for p in wanted]
    if icons:
        assets.append(Asset(ICON_FONT, icons.group(1)))
    return assets


def missing_assets(target: Path | None = None) -> list[Asset]:
    target = target or cache_dir()
    return [a for a in required_assets() if not (target / a.folder / MANIFEST).is_file()]


def fetch(asset: Asset, target: Path) -> None:
    """`npm pack` one package and unpack it as target/<package>@<spec>/."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            f"the browser page needs {asset.folder} from the npm registry, and npm is not "
            "installed (Debian: apt-get install npm)"
        )
    with tempfile.TemporaryDirectory() as work:
        result = subprocess.run(
            [npm, "pack", asset.folder, "--json", "--silent"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
        )
        if result.returncode != 0:
            raise AssetError(f"npm pack {asset.folder} failed: {result.stderr.strip()[-500:]}")
        tarball = Path(work) / json.loads(result.stdout)[0]["filename"]
        unpacked = Path(work) / "unpacked"
        with tarfile.open(tarball) as archive:
            archive.extractall(unpacked, filter="data")
        destination = target / asset.folder
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.exists():
            shutil.rmtree(destination)  # a partial earlier attempt
        shutil.move(str(unpacked / "package"), destination)


def check_vue() -> None:
    """SolaraViz lays its cards out with a Vue 2 grid, which fails under ipyvue 3 and leaves the
    page blank but for its sidebar (mesa issue #3806)."""
    version = importlib.metadata.version("ipyvue")
    if int(version.split(".")[0]) >= VUE2_IPYVUE_BELOW:
        raise AssetError(
            f"ipyvue {version} is installed: Mesa's SolaraViz draws "
            f"no map or chart with it (mesa #3806); install 'ipyvue<{VUE2_IPYVUE_BELOW}' and "
            f"'ipyvuetify<{VUE2_IPYVUE_BELOW}'"
        )


def ensure_assets(target: Path | None = None, log=print) -> list[Asset]:
    """Check the Vue version, fetch whatever is missing from the cache; returns what was
    fetched."""
    check_vue()
    target = target or cache_dir()
    todo = missing_assets(target)
    if todo:
        log(f"fetching the page's front-end files from the npm registry into {target} (once)")
    for asset in todo:
        log(f"  {asset.folder}")
        fetch(asset, target)
    return todo


if __name__ == "__main__":
    try:
        ensure_assets()
    except AssetError as err:
        sys.exit(f"error: {err}")
    print(f"front-end files ready in {cache_dir()}")
