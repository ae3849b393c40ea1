#!/usr/bin/env bash
# One-time set-up of a development machine or CI runner: system data files, a virtualenv, the package and its
# test tools. Safe to re-run; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

# WordNet 3.0 for METEOR comes from Debian (rft-kit copies it into an NLTK data dir on first use; never downloads);
# bubblewrap isolates untrusted code; chromium renders reports in the browser tests.
APT_PACKAGES=(wordnet-base wordnet-sense-index bubblewrap chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: system packages missing (${missing[*]}); METEOR will report a DependencyError until installed" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# torch first and pinned: the CPU build of 2.13.0 installs without a multi-GB download (trl only asks for >=2.13)
"$VENV/bin/python" -m pip install -q "torch==2.13.0"
"$VENV/bin/python" -m pip install -q -e '.[dev]'
# the notebook test executes notebooks/quickstart.ipynb with a kernel from this virtualenv
"$VENV/bin/python" -m ipykernel install --sys-prefix >/dev/null
touch "$VENV/.installed"
echo "set-up done: $VENV"
