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
# verifiers 0.4.0 (the `rft export verifiers` test) pins openai<3, below what rft-kit needs: install it without its
# pins, its other requirements held to what is already installed. If that cannot be resolved the verifiers test is
# skipped (and says so); nothing else depends on it.
VERIFIERS_DEPS=(anthropic==2.17.0 gepa==0.1.4 loguru==0.7.3 mcp==2.0.0 msgpack==1.2.4 prime-pydantic-config==0.4.3
  prime-runs==0.1.4 prime-sandboxes==0.5.1 prime-tunnel==0.1.15 pyzmq==27.3.0 renderers==0.1.12 tenacity==9.2.1
  tomli_w==1.2.0)
"$VENV/bin/python" -m pip freeze --exclude-editable | grep -v '^openai==' > "$VENV/constraints.txt"
if ! { "$VENV/bin/python" -m pip install -q -c "$VENV/constraints.txt" "${VERIFIERS_DEPS[@]}" \
  && "$VENV/bin/python" -m pip install -q --no-deps "verifiers==0.4.0"; }; then
  echo "warning: verifiers 0.4.0 could not be installed; tests/integrations/test_verifiers.py will be skipped" >&2
fi
# the notebook test executes notebooks/quickstart.ipynb with a kernel from this virtualenv
"$VENV/bin/python" -m ipykernel install --sys-prefix >/dev/null
touch "$VENV/.installed"
echo "set-up done: $VENV"
