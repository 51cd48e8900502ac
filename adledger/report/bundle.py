"""plotly.js for a page that must work offline: the bundle shipped with the `plotly` package, gzip-compressed.

plotly.js (minified) alone is about 4.8 MB, nearly the report's whole 5 MB budget, so the page carries it gzipped
and base64-encoded (about 2 MB) and unpacks it in the browser with the standard `DecompressionStream('gzip')`
(https://developer.mozilla.org/docs/Web/API/DecompressionStream; Chromium 80+, Firefox 113+, Safari 16.4+).
"""

from __future__ import annotations

import base64
import gzip
from functools import cache


@cache
def plotly_bundle_b64() -> str:
    """plotly.js of the installed `plotly` package, gzip-compressed and base64-encoded (ASCII)."""
    from plotly.offline import get_plotlyjs

    packed = gzip.compress(get_plotlyjs().encode("utf-8"), compresslevel=6, mtime=0)
    return base64.b64encode(packed).decode("ascii")


def plotly_version() -> str:
    """Version of the `plotly` package whose plotly.js the page embeds."""
    import plotly

    return str(plotly.__version__)
