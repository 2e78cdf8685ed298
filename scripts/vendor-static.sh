#!/usr/bin/env bash
# Refresh the front-end libraries vendored into static/vendor/ from their npm packages.
# Pages never load anything from another host; run this only to upgrade a library,
# then commit static/vendor/ and update static/vendor/VERSIONS.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOTSTRAP=${BOOTSTRAP:-bootstrap@5.3.9}
ICONS=${ICONS:-bootstrap-icons@1.13.2}
HTMX=${HTMX:-htmx.org@2.0.11}
CHARTJS=${CHARTJS:-chart.js@4.6.1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pkg in "$BOOTSTRAP" "$ICONS" "$HTMX" "$CHARTJS"; do
  name=${pkg%@*}
  mkdir -p "$work/$name"
  (cd "$work" && npm pack -q "$pkg" >/dev/null && tar xzf ./*.tgz -C "$name" && rm ./*.tgz)
done
out=static/vendor
rm -rf "$out" && mkdir -p "$out"/bootstrap/css "$out"/bootstrap/js "$out"/bootstrap-icons/fonts "$out"/htmx "$out"/chartjs
cp "$work"/bootstrap/package/dist/css/bootstrap.min.css{,.map} "$out"/bootstrap/css/
cp "$work"/bootstrap/package/dist/js/bootstrap.bundle.min.js{,.map} "$out"/bootstrap/js/
cp "$work"/bootstrap-icons/package/font/bootstrap-icons.min.css "$out"/bootstrap-icons/
cp "$work"/bootstrap-icons/package/font/fonts/bootstrap-icons.woff{,2} "$out"/bootstrap-icons/fonts/
cp "$work"/htmx.org/package/dist/htmx.min.js "$out"/htmx/
cp "$work"/chart.js/package/dist/chart.umd.min.js{,.map} "$out"/chartjs/
for d in bootstrap bootstrap-icons htmx.org chart.js; do
  cp "$work/$d/package/LICENSE"* "$out/$( [ $d = htmx.org ] && echo htmx || ([ $d = chart.js ] && echo chartjs) || echo $d)/" 2>/dev/null || true
done
printf '%s\n' "$BOOTSTRAP" "$ICONS" "$HTMX" "$CHARTJS" > "$out"/VERSIONS
echo "vendored: $(tr '\n' ' ' < "$out"/VERSIONS)"
