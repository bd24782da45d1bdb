#!/usr/bin/env bash
# Install the dashboard's browser assets (ECharts, htmx 2) from the npm registry and copy their dist files to
# padis/web/static/vendor/, which the app serves at /static/vendor (government networks are offline: no CDN).
set -euo pipefail
cd "$(dirname "$0")/../padis/web"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p static/vendor
cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts.min.js
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
cp node_modules/echarts/LICENSE static/vendor/LICENSE.echarts
cp node_modules/htmx.org/LICENSE static/vendor/LICENSE.htmx
echo "web assets installed in padis/web/static/vendor"
