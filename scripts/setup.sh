#!/usr/bin/env bash
# Set up padis on a fresh machine: a virtualenv with the package, and (with --dev) everything the tests need.
#   ./scripts/setup.sh          runtime only (enough for `padis demo`)
#   ./scripts/setup.sh --dev    plus test tools, pyspark, Debian chromium + CJK fonts, web assets from npm
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[[ "${1:-}" == "--dev" ]] && dev=1
python=${PYTHON:-python3}

if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [[ $dev == 1 ]]; then
  .venv/bin/python -m pip install --quiet -e ".[dev,spark]"
else
  .venv/bin/python -m pip install --quiet -e .
fi

# Web assets (ECharts, htmx) come from the npm registry and are served locally: government networks are offline.
if [[ -x scripts/web-assets.sh ]]; then
  if command -v npm >/dev/null 2>&1; then
    scripts/web-assets.sh
  else
    echo "note: npm not found; the dashboard will run without charts until scripts/web-assets.sh is run" >&2
  fi
fi

if [[ $dev == 1 ]]; then
  # Browser tests drive Debian's chromium (browsers cannot be downloaded by Playwright here).
  need=()
  [[ -x /usr/bin/chromium ]] || need+=(chromium)
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
  command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  if (( ${#need[@]} )); then
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
echo "padis is set up in .venv"
