#!/usr/bin/env bash
# ansible-test bootstraps pip into its sanity virtualenvs with a get-pip script fetched
# from a host outside the package registries. Put a stand-in in its cache instead:
# tools/ansible_test_get_pip.py, which runs pip from PyPI's own wheel. Idempotent.
# ANSIBLE_TEST_VENV: the virtualenv whose ansible-test runs (default .venv, the pinned
# ansible-core; make test-ansible-versions passes .cache/ansible-<version>).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$(cd "${ANSIBLE_TEST_VENV:-$root/.venv}" && pwd)
py="$venv/bin/python"
# Each ansible-test release pins its own pip, for the Python it runs on.
version=$("$py" - <<'PY'
import sys
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="%d.%d" % sys.version_info[:2]))["pip"])
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
[ -f "$cache/pip-$version-py3-none-any.whl" ] ||
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$cache" "pip==$version"
install -m 0644 "$root/tools/ansible_test_get_pip.py" "$cache/get_pip_${version//./_}.py"
