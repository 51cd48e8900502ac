"""plotly.js for a page that must work offline, embedded once per page.

The page embeds plotly.js's *basic* partial bundle (scatter, bar and pie traces: all the report draws): the
unmodified `plotly.js-basic-dist-min` npm package (MIT) of the plotly.js version the `plotly` Python package
bundles, which `make` installs into the virtualenv (`<venv>/share/adledger/plotly-basic.min.js`, by
`scripts/fetch-plotly-basic.sh`; `ADLEDGER_PLOTLY_BASIC` names another copy). It is 1.2 MB where the full bundle is
4.8 MB, and Chromium spends about a third of the main-thread time on it (docs/benchmarks.md), which is what keeps
the report under 2 s to open.

Without that file (no npm at install time) the page falls back to the full bundle of the installed
`plotly` package, gzip-compressed and base64-encoded (about 2 MB), unpacked in the browser with the standard
`DecompressionStream('gzip')` (https://developer.mozilla.org/docs/Web/API/DecompressionStream).
"""

from __future__ import annotations

import base64
import os
import sys
import gzip
import re
from functools import cache
from pathlib import Path

BASIC_BUNDLE = Path(os.environ.get("ADLEDGER_PLOTLY_BASIC") or Path(sys.prefix) / "share" / "adledger" / "plotly-basic.min.js")


def _version(header: str) -> str:
    found = re.search(r"plotly\.js[^\n]*?v(\d+\.\d+\.\d+)", header)
    return found.group(1) if found else "?"


@cache
def _basic_script(path: Path) -> str:
    code = path.read_text(encoding="utf-8")
    # a literal "</script" inside the code would end the element early; in JS, "<\/script" means the same
    code = code.replace("</script", "<\\/script")
    return f'<script data-plotly="basic {_version(code[:500])}">{code}</script>'


@cache
def _packed_full_script() -> str:
    from plotly.offline import get_plotlyjs

    code = get_plotlyjs()
    packed = base64.b64encode(gzip.compress(code.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")
    return (f'<script id="plotly-gz" type="application/octet-stream" data-plotly="full {_version(code[:500])}">'
            f"{packed}</script>")


def plotly_script(basic: Path | None = None) -> str:
    """The `<script>` element that brings plotly.js into the page: the basic bundle (default `BASIC_BUNDLE`)
    inline when it exists, else the packed full bundle that the page's loader unpacks."""
    basic = basic or BASIC_BUNDLE
    return _basic_script(basic) if basic.exists() else _packed_full_script()
