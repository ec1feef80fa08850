#!/usr/bin/env bash
# Installs the reference homeserver (Synapse, from PyPI) into a virtualenv under .interop/ (git-ignored)
# for the interoperability tests in test/interop/. Nothing of Synapse is ever committed: this script
# and the configs the tests generate at run time are all the repository holds.
#
#   scripts/synapse/install.sh            # installs the pinned version (idempotent)
#   SYNAPSE_VERSION=1.163.2 PYTHON=python3.12 scripts/synapse/install.sh
#
# The tests find Synapse at .interop/venv/bin/python (or wherever SYNAPSE_PYTHON points).
set -euo pipefail

SYNAPSE_VERSION="${SYNAPSE_VERSION:-1.163.2}"
PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.interop/venv"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "Synapse $SYNAPSE_VERSION needs Python 3.10 or newer; set PYTHON to one (found: $("$PYTHON" --version 2>&1 || echo none))" >&2
  exit 1
fi

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('matrix-synapse') == '$SYNAPSE_VERSION' else 1)" 2>/dev/null; then
  echo "Synapse $SYNAPSE_VERSION is already installed in $VENV"
  exit 0
fi

mkdir -p "$ROOT/.interop"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "matrix-synapse==$SYNAPSE_VERSION"
# What pip resolved, so a failing run can be compared with a passing one.
"$VENV/bin/python" -m pip freeze > "$ROOT/.interop/pip-freeze.txt"
echo "Synapse $("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('matrix-synapse'))") installed in $VENV"
