#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, then runs pytest. Extra args go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_python_env
ensure_docker  # the engine and the sandbox image: the code tests run against real containers
cd "$ROOT"
"$VENV/bin/ruff" check rlvrgym tests benchmarks
"$VENV/bin/python" -m mypy  # configured in pyproject.toml ([tool.mypy]): the package ships py.typed
# pytest exits 5 when it collects no test: that is a failure here, and set -e keeps it one.
"$VENV/bin/python" -m pytest "$@"
