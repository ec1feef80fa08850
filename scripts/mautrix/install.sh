#!/usr/bin/env bash
# Installs the mautrix appservice framework (from PyPI, versions pinned in
# test/appservices/bridge/requirements.txt) into a virtualenv under .mautrix/ (git-ignored), for
# the echo bridge that test/appservices/bridge.test.ts runs against the server. Idempotent: a venv
# that already holds exactly the pinned versions is left as it is.
#
#   scripts/mautrix/install.sh
#   PYTHON=python3.12 scripts/mautrix/install.sh
#
# The test finds the interpreter at .mautrix/venv/bin/python.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.mautrix/venv"
REQUIREMENTS="$ROOT/test/appservices/bridge/requirements.txt"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "mautrix needs Python 3.10 or newer; set PYTHON to one (found: $("$PYTHON" --version 2>&1 || echo none))" >&2
  exit 1
fi

wanted="$(grep -v '^#' "$REQUIREMENTS" | sort)"
if [ -x "$VENV/bin/python" ] && [ "$("$VENV/bin/python" -m pip freeze 2>/dev/null | sort)" = "$wanted" ]; then
  exit 0
fi

rm -rf "$VENV"
mkdir -p "$ROOT/.mautrix"
"$PYTHON" -m venv "$VENV"
# Every package is pinned, dependencies included, so pip resolves nothing on its own.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS"
echo "mautrix $("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('mautrix'))") installed in $VENV"
