# Sourced by scripts/run and scripts/test: make sure .venv exists and holds
# the project with the given extras, installed from the lock file of that
# extra (requirements/runtime.lock, or requirements/test.lock for `test`:
# exact versions with their hashes, written by scripts/lock); reinstall only
# when setup.cfg, pyproject.toml or that lock file changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
EXTRAS="${1:-}"
LOCK="requirements/${EXTRAS:-runtime}.lock"
if [ ! -f "$LOCK" ]; then
  echo "scripts/_venv.sh: no lock file $LOCK for extras '${EXTRAS}'" >&2
  exit 1
fi
STAMP=".venv/.procura-installed${EXTRAS:+-$EXTRAS}"
WANT="$(cat setup.cfg pyproject.toml clients/python/pyproject.toml "$LOCK" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --require-hashes -r "$LOCK"
  # The build backend came from the lock too: nothing is fetched unpinned.
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  # The Python SDK (clients/python) beside it for its tests; what it runs on is in the test lock.
  if [ "$EXTRAS" = test ]; then
    .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e clients/python
  fi
  echo "$WANT" > "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
# `procura serve` runs HAProxy in front of granian (docs/operators/serving.md);
# Debian's package, installed here when missing.
if ! command -v haproxy >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
fi
