"""Offline reveal.js slides of the lecture notebooks (issue 12, item 5).

    python -m backproplib.slides tag [--check] notebooks/0[1-9]_*.ipynb
        writes `metadata.slideshow.slide_type` on every cell, from the notebook's structure alone:
          - cells tagged `setup` or `timing`                          -> skip
          - the title (`# ` Markdown) and the first cell shown         -> slide (the intro joins it)
          - a Markdown cell with a `## ` heading line                  -> slide
          - a Markdown cell with a `### ` heading line                 -> subslide
            (a heading below other text in its cell: the decks cut the cell there, see split_at_headings;
            `tag` names such cells, since Voilà and Jupyter start the slide at the cell's top)
          - a cell tagged `reveal` (the answer to a "Predict first")   -> fragment; a run of consecutive
            `reveal` cells is one fragment (the later ones `-`), so one key press shows the whole answer
          - every other cell                                          -> -
        Nothing else in the file changes (no output, no other metadata; an unchanged notebook is not
        rewritten).  --check writes nothing and exits 1 if any notebook differs from what `tag` would write.

    python -m backproplib.slides build [--out build/slides] [notebooks ...]
        one deck per lecture notebook, `build/slides/NN_name.slides.html`, by nbconvert's SlidesExporter
        and backproplib/templates/slides/offline_reveal.html.j2: code input hidden, text outputs longer
        than 18 lines trimmed (with a "…" line), math by MathJax 2, theme `white`, 1280 x 720 slides, tall
        slides scrollable, printed text wider than a slide set smaller until it fits.
        Every script, style and font is a local file beside the decks (`vendor/`, `@jupyter-widgets/`),
        copied from npm packages fetched once by `npm pack` (pinned versions, checked against their
        sha512) into a cache, `build/slides-cache/`.  Rebuilding overwrites only the files it wrote.

    python -m backproplib.slides voila-template [--dir build/slides-voila]
        the Jupyter data folder for `make demo-slides`: Voilà's `reveal` template as `reveal_offline`, whose
        reveal.js styles, jQuery and Font Awesome are its own static files instead of CDN links.
"""
import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["slide_types", "tag_notebook", "untagged_cells", "headings", "late_headings", "split_at_headings", "trim_text", "vendor_packages", "build_decks",
           "voila_template", "main"]

SKIP_TAGS = ("setup", "timing")
REVEAL_TAG = "reveal"
TEMPLATES = Path(__file__).with_name("templates")

# ------------------------------------------------------------------------------------------------ tagging

_HEADING = re.compile(r"^(#{1,3})\s")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def headings(cell):
    """[(line number, level)] of the `#`, `##` and `###` headings of a Markdown cell (none in code
    fences); [] for any other cell."""
    if cell.get("cell_type") != "markdown":
        return []
    found, fenced = [], False
    for number, line in enumerate(_source(cell).splitlines()):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := _HEADING.match(line)):
            found.append((number, len(match.group(1))))
    return found


def _first_text_line(cell):
    return next((n for n, line in enumerate(_source(cell).splitlines()) if line.strip()), 0)


def late_headings(cell):
    """The headings of a Markdown cell that come after some text: `build` cuts the cell before each."""
    first = _first_text_line(cell)
    return [(n, level) for n, level in headings(cell) if n > first]


def slide_types(nb):
    """The slide type of each cell of `nb` (a notebook dict or NotebookNode), by the rules above.
    A Markdown cell holding a `##` (or `###`) heading anywhere is a slide (subslide): in Voilà and in
    Jupyter the whole cell starts it; `build` also cuts the cell so the text above the heading stays
    on the slide before."""
    types, first_shown, previous_reveal = [], True, False
    for cell in nb["cells"]:
        tags = _tags(cell)
        if any(tag in tags for tag in SKIP_TAGS):
            types.append("skip")
            continue                                  # skipped cells neither start nor break a run
        levels = [level for _, level in headings(cell)]
        if first_shown or min(levels, default=9) <= 2:
            kind = "slide"
        elif 3 in levels:
            kind = "subslide"
        elif REVEAL_TAG in tags:
            kind = "-" if previous_reveal else "fragment"
        else:
            kind = "-"
        types.append(kind)
        first_shown = False
        previous_reveal = REVEAL_TAG in tags and kind in ("fragment", "-")
    return types


def split_at_headings(nb):
    """A copy of `nb` in which each Markdown cell with a heading below some text is cut before that
    heading (and each later one): the text above keeps the cell's slide type (`-` if that type came
    from the heading), each heading part is a slide (`#`, `##`) or a subslide (`###`)."""
    import copy

    nb = copy.deepcopy(nb)
    cells, first_shown = [], True
    for cell in nb["cells"]:
        skipped = cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "skip"
        cuts = late_headings(cell)
        if not cuts:
            cells.append(cell)
            first_shown = first_shown and skipped
            continue
        lines = _source(cell).splitlines(keepends=True)
        bounds = [0, *(n for n, _ in cuts), len(lines)]
        for k, (start, end) in enumerate(zip(bounds, bounds[1:])):
            piece = copy.deepcopy(cell)
            piece["source"] = "".join(lines[start:end]).rstrip("\n")
            show = piece.setdefault("metadata", {}).setdefault("slideshow", {})
            stored = show.get("slide_type", "-")
            if k == 0:
                top = headings(piece)
                if not first_shown and stored in ("slide", "subslide") and not (top and top[0][0] == 0):
                    show["slide_type"] = "-"
            else:
                show["slide_type"] = "slide" if cuts[k - 1][1] <= 2 else "subslide"
                if "id" in piece:
                    piece["id"] = f"{cell['id']}-{k}"[:64]
            cells.append(piece)
        first_shown = False
    nb["cells"] = cells
    return nb


def untagged_cells(nb):
    """[(cell number, cell id, slide type stored, slide type wanted)] for every cell that differs."""
    wanted = slide_types(nb)
    return [(i, cell.get("id"), cell.get("metadata", {}).get("slideshow", {}).get("slide_type"), kind)
            for i, (cell, kind) in enumerate(zip(nb["cells"], wanted))
            if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") != kind]


def tag_notebook(nb):
    """Set every cell's metadata.slideshow.slide_type in place (other slideshow keys are kept);
    return how many cells changed."""
    changed = untagged_cells(nb)
    for number, _, _, kind in changed:
        metadata = nb["cells"][number].setdefault("metadata", {})
        metadata.setdefault("slideshow", {})["slide_type"] = kind
    return len(changed)


def _notebook_text(nb):
    import nbformat

    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def tag_files(paths, check=False, log=print):
    """Tag (or with check=True, only compare) the notebooks at `paths`; return the exit status."""
    import nbformat

    from .files import write_atomically

    stale = 0
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        if check:
            differ = untagged_cells(nb)
            if differ:
                stale += 1
                shown = ", ".join(f"cell {i} ({cell_id}): {have!r} -> {want!r}"
                                  for i, cell_id, have, want in differ[:4])
                more = f" and {len(differ) - 4} more" if len(differ) > 4 else ""
                log(f"{path}: slideshow metadata out of date: {shown}{more}")
            continue
        if tag_notebook(nb):
            write_atomically(path, _notebook_text(nb))
            log(f"{path}: slideshow metadata written")
        late = [i for i, cell in enumerate(nb["cells"]) if late_headings(cell)]
        if late:
            log(f"{path}: note: cells {', '.join(map(str, late))} have a heading below other text; the decks "
                "cut them there, but in Voilà and Jupyter the text above the heading moves to the new slide "
                "(starting the cell with its heading avoids that)")
    if stale:
        log(f"run `python -m backproplib.slides tag {' '.join(map(str, paths))}`")
    return 1 if stale else 0


# ------------------------------------------------------------------------------------------- trimming

MAX_LINES = 18


def trim_text(text, max_lines=MAX_LINES):
    """The first `max_lines` lines of `text` and a marker line saying how many were left out."""
    lines = text.splitlines(keepends=True)
    if len(lines) <= max_lines:
        return text
    kept = "".join(lines[:max_lines])
    if not kept.endswith("\n"):
        kept += "\n"
    return f"{kept}… ({len(lines) - max_lines} more lines in the notebook)\n"


def _trim_preprocessor(max_lines):
    from nbconvert.preprocessors import Preprocessor

    class TrimLongOutputs(Preprocessor):
        """Keep the first lines of long stream and plain-text outputs, with a "…" marker."""

        def preprocess_cell(self, cell, resources, index):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    output["text"] = trim_text(output.get("text", ""), max_lines)
                data = output.get("data", {})
                if "text/plain" in data and len(data) == 1:
                    data["text/plain"] = trim_text(data["text/plain"], max_lines)
            return cell, resources

    return TrimLongOutputs()


# -------------------------------------------------------------------------------------- vendored files

# npm package -> (version, sha512 of the tarball the registry serves, as npm's `integrity`)
PACKAGES = {
    "reveal.js": ("4.0.2", "sha512-LWZSUenufF1gpD7npxJ7KfoQQFKgc1D6XrLTFgKlwWNP1BQ74hT48KONFWMAw+8R/QUeaScCLCLrBVHDfFIEiw=="),
    "mathjax": ("2.7.7", "sha512-OOl0B2/0tSJAtAZarXnQuLDBLgTNRqiI9VqHTQzPsxf4okT2iIpDrvaklK9x2QEMD1sDj4yRn11Ygci41DxMAQ=="),
    "requirejs": ("2.3.8", "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw=="),
    "jquery": ("2.2.4", "sha512-lBHj60ezci2u1v2FqnZIraShGgEXq35qCzMv4lITyHGppTnA13rwR0MgwyNJh9TnDs3aXUvd1xjAotfraMHX/Q=="),
    "@jupyter-widgets/html-manager": ("1.0.15", "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="),
}

# what of each package a deck needs, as (source inside the package, destination inside the deck folder)
DECK_FILES = [
    ("reveal.js", "dist/reveal.css", "vendor/reveal.js/dist/reveal.css"),
    ("reveal.js", "dist/reveal.js", "vendor/reveal.js/dist/reveal.js"),
    ("reveal.js", "dist/theme/white.css", "vendor/reveal.js/dist/theme/white.css"),
    ("reveal.js", "dist/theme/fonts/source-sans-pro", "vendor/reveal.js/dist/theme/fonts/source-sans-pro"),
    ("reveal.js", "plugin/notes", "vendor/reveal.js/plugin/notes"),
    ("reveal.js", "LICENSE", "vendor/reveal.js/LICENSE"),
    # MathJax 2.7.7, the parts that `?config=TeX-AMS_CHTML-full,Safe` loads (12 MB of its 71)
    ("mathjax", "MathJax.js", "vendor/mathjax/MathJax.js"),
    ("mathjax", "config/TeX-AMS_CHTML-full.js", "vendor/mathjax/config/TeX-AMS_CHTML-full.js"),
    ("mathjax", "config/Safe.js", "vendor/mathjax/config/Safe.js"),
    ("mathjax", "extensions", "vendor/mathjax/extensions"),
    ("mathjax", "jax/input/TeX", "vendor/mathjax/jax/input/TeX"),
    ("mathjax", "jax/output/CommonHTML", "vendor/mathjax/jax/output/CommonHTML"),
    ("mathjax", "jax/element", "vendor/mathjax/jax/element"),
    ("mathjax", "fonts/HTML-CSS/TeX/woff", "vendor/mathjax/fonts/HTML-CSS/TeX/woff"),
    ("mathjax", "LICENSE", "vendor/mathjax/LICENSE"),
    ("requirejs", "require.js", "vendor/require.js"),
    ("jquery", "dist/jquery.min.js", "vendor/jquery.min.js"),
    ("@jupyter-widgets/html-manager", "dist/embed-amd.js", "vendor/html-manager/embed-amd.js"),
]
# html-manager looks for its Font Awesome files beside the *page*: <deck folder>/@jupyter-widgets/<hash>.<ext>
WIDGET_FONTS = ("*.woff2", "*.woff", "*.ttf")

DECK_OPTIONS = {
    "reveal_url_prefix": "vendor/reveal.js",
    "reveal_theme": "white",
    "reveal_transition": "none",
    "reveal_number": "c/t",
    "reveal_scroll": True,
    "reveal_width": "1280",               # 16:9, like the projector; nbconvert's 960 x 700 cut wide tables
    "reveal_height": "720",
    "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "require_js_url": "vendor/require.js",
    "jquery_url": "vendor/jquery.min.js",
    "widget_renderer_url": "vendor/html-manager/embed-amd.js",
}


class SlidesError(Exception):
    """A deck could not be built; the message says why."""


def _integrity(path):
    return "sha512-" + base64.b64encode(hashlib.sha512(Path(path).read_bytes()).digest()).decode()


def vendor_packages(cache, log=print):
    """{package: folder} of the unpacked npm packages in `cache`, fetching the missing ones with `npm pack`
    (the registry's tarball, pinned version, checked against PACKAGES' sha512 before it is unpacked)."""
    cache = Path(cache)
    folders = {}
    for name, (version, integrity) in PACKAGES.items():
        folder = cache / f"{name.replace('/', '+')}@{version}"
        folders[name] = folder / "package"
        if (folder / ".complete").exists():
            continue
        npm = shutil.which("npm")
        if npm is None:
            raise SlidesError("the slides need npm (Node.js) to fetch reveal.js, MathJax, require.js, jQuery "
                              "and the widget renderer once; install Node.js (e.g. apt-get install npm)")
        log(f"fetching {name}@{version} from the npm registry (npm pack)")
        with tempfile.TemporaryDirectory(dir=cache.parent if cache.parent.exists() else None) as tmp:
            result = subprocess.run([npm, "pack", "--json", "--pack-destination", ".", f"{name}@{version}"],
                                    capture_output=True, text=True, cwd=tmp)
            if result.returncode != 0:
                raise SlidesError(f"npm pack {name}@{version} failed:\n{result.stderr.strip()[-2000:]}")
            tarball = Path(tmp) / json.loads(result.stdout)[0]["filename"]
            if _integrity(tarball) != integrity:
                raise SlidesError(f"{name}@{version}: the tarball's sha512 is not the pinned one "
                                  f"({_integrity(tarball)}); refusing to use it")
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            with tarfile.open(tarball) as archive:
                _extract(archive, folder)
        (folder / ".complete").write_text(f"{name}@{version} {integrity}\n")
    return folders


def _extract(archive, folder):
    """Unpack an npm tarball, refusing members that would land outside `folder` or are links."""
    if hasattr(tarfile, "data_filter"):                     # Python >= 3.10.12 / 3.11.4
        archive.extractall(folder, filter="data")
        return
    root = Path(folder).resolve()
    for member in archive.getmembers():
        if member.issym() or member.islnk() or not (root / member.name).resolve().is_relative_to(root):
            raise SlidesError(f"unsafe member in an npm tarball: {member.name}")
    archive.extractall(folder)


def _copy(source, destination):
    destination.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True)
    else:
        shutil.copy2(source, destination)


def copy_deck_files(folders, out):
    """Copy what the decks load into `out` (vendor/ and @jupyter-widgets/); return the paths written."""
    out = Path(out)
    written = []
    for package, source, destination in DECK_FILES:
        _copy(folders[package] / source, out / destination)
        written.append(out / destination)
    fonts = out / "@jupyter-widgets"
    fonts.mkdir(parents=True, exist_ok=True)
    for pattern in WIDGET_FONTS:
        for font in sorted((folders["@jupyter-widgets/html-manager"] / "dist").glob(pattern)):
            shutil.copy2(font, fonts / font.name)
            written.append(fonts / font.name)
    return written


def lecture_notebooks(root):
    return sorted(Path(root, "notebooks").glob("0[1-9]_*.ipynb"))


def _exporter(max_lines):
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config({"SlidesExporter": dict(DECK_OPTIONS, exclude_input=True, exclude_input_prompt=True,
                                            exclude_output_prompt=True)})
    exporter = SlidesExporter(config=config, template_file=str(TEMPLATES / "slides" / "offline_reveal.html.j2"))
    exporter.register_preprocessor(_trim_preprocessor(max_lines), enabled=True)
    return exporter


def build_decks(notebooks, out, cache, max_lines=MAX_LINES, log=print):
    """Build `out`/NN_name.slides.html for each notebook, with the files they load beside them."""
    import nbformat

    from .files import write_atomically

    out, notebooks = Path(out), [Path(p) for p in notebooks]
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        raise SlidesError(f"no such notebook: {', '.join(missing)}")
    folders = vendor_packages(cache, log=log)
    copy_deck_files(folders, out)
    exporter = _exporter(max_lines)
    decks = []
    for path in notebooks:
        nb = split_at_headings(nbformat.read(path, as_version=4))
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem,
                                                                          "path": str(path.parent)}})
        remote = sorted(set(re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", body)))
        if remote:
            raise SlidesError(f"{path.name}: the deck would load {remote}; refusing to write it")
        deck = out / f"{path.stem}.slides.html"
        write_atomically(deck, body)
        decks.append(deck)
        log(f"wrote {deck} ({deck.stat().st_size / 1e3:,.0f} kB)")
    return decks


# ------------------------------------------------------------------------------------------- Voilà

def voila_template(folder, cache, log=print):
    """Write the Jupyter data folder `folder` holding voila/templates/reveal_offline (its conf.json and
    index.html.j2 from backproplib/templates/voila, its static/ files from the npm packages); return it."""
    folder = Path(folder)
    target = folder / "voila" / "templates" / "reveal_offline"
    folders = vendor_packages(cache, log=log)
    source = TEMPLATES / "voila" / "reveal_offline"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("conf.json", "index.html.j2"):
        shutil.copy2(source / name, target / name)
    static = target / "static"
    # not static/reveal.js: that name would shadow Voilà's own bundle, /voila/static/reveal.js
    for package, part, destination in DECK_FILES:
        if package == "reveal.js":
            _copy(folders[package] / part, static / "revealjs" / destination.removeprefix("vendor/reveal.js/"))
    _copy(folders["jquery"] / "dist/jquery.min.js", static / "jquery.min.js")
    log(f"Voilà template reveal_offline ready in {target}")
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m backproplib.slides", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    tag = sub.add_parser("tag", help="write slideshow metadata into lecture notebooks")
    tag.add_argument("--check", action="store_true", help="write nothing; exit 1 if any notebook is stale")
    tag.add_argument("notebooks", nargs="+", type=Path)
    build = sub.add_parser("build", help="build the offline decks")
    build.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/0[1-9]_*.ipynb")
    build.add_argument("--out", type=Path, default=Path("build/slides"))
    build.add_argument("--cache", type=Path, default=Path("build/slides-cache"))
    build.add_argument("--max-lines", type=int, default=MAX_LINES,
                       help=f"lines kept of a long text output (default {MAX_LINES})")
    voila = sub.add_parser("voila-template", help="the reveal_offline Voilà template for make demo-slides")
    voila.add_argument("--dir", type=Path, default=Path("build/slides-voila"))
    voila.add_argument("--cache", type=Path, default=Path("build/slides-cache"))
    args = parser.parse_args(argv)
    log = lambda text: print(text, file=sys.stderr)                    # noqa: E731
    try:
        if args.command == "tag":
            return tag_files(args.notebooks, check=args.check, log=log)
        if args.command == "build":
            build_decks(args.notebooks or lecture_notebooks("."), args.out, args.cache, args.max_lines, log=log)
        else:
            voila_template(args.dir, args.cache, log=log)
    except SlidesError as err:
        print(f"{parser.prog}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
