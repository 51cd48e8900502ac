#!/usr/bin/env bash
# plotly.js's basic partial bundle (scatter, bar, pie; MIT licensed), which the report embeds because it opens in a
# third of the time the full bundle takes. Fetched from the npm registry at install time, in the version the
# installed `plotly` Python package bundles, into the virtualenv; never committed. Without npm the report embeds
# plotly's full bundle from the Python package instead (slower to open, same charts).
# usage: fetch-plotly-basic.sh <python of the venv>
set -euo pipefail
python="$1"
dest="$("$python" -c 'import sys; print(sys.prefix)')/share/adledger"
version="$("$python" -c 'from plotly.offline import get_plotlyjs_version; print(get_plotlyjs_version())')"
if [ -f "$dest/plotly-basic.min.js" ] && head -c 400 "$dest/plotly-basic.min.js" | grep -q "v$version"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-plotly-basic: npm not found; the report will embed plotly's full bundle (slower to open)" >&2
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --silent "plotly.js-basic-dist-min@$version" >/dev/null 2>&1 && tar xzf ./*.tgz); then
  echo "fetch-plotly-basic: could not fetch plotly.js-basic-dist-min@$version; the report embeds the full bundle" >&2
  exit 0
fi
mkdir -p "$dest"
cp "$tmp/package/plotly-basic.min.js" "$dest/plotly-basic.min.js"
cp "$tmp/package/LICENSE" "$dest/plotly.js.LICENSE.txt" 2>/dev/null || true
