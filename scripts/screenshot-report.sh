#!/bin/sh
# Renders a report.html in headless Chromium and saves a PNG of it, to check
# that the inline SVG charts draw without script or network (and to show
# them in the README).
#
#   scripts/screenshot-report.sh [REPORT_HTML [PNG [WIDTHxHEIGHT]]]
#
# Defaults: reports/2026-11-21/report.html → reports/report-2026-11-21.png,
# 1200x2400. Needs Debian's `chromium` package (apt-get install chromium).
set -eu

html=${1:-reports/2026-11-21/report.html}
png=${2:-reports/report-2026-11-21.png}
size=${3:-1200x2400}

[ -f "$html" ] || { echo "screenshot-report: no such file: $html" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "screenshot-report: chromium not found (apt-get install chromium)" >&2; exit 1; }

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
case $png in /*) out=$png ;; *) out="$(pwd)/$png" ;; esac

# A throw-away profile, and nothing that would reach the network: the page
# must render from the file alone.
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" \
    --window-size="$(echo "$size" | tr x ,)" --screenshot="$out" "$url" >/dev/null 2>&1
[ -s "$out" ] || { echo "screenshot-report: chromium wrote no image" >&2; exit 1; }
echo "$out"
