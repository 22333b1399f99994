#!/usr/bin/env bash
# ansible-test needs the collection at ansible_collections/<namespace>/<name>: copy the
# files git knows (tracked, and untracked but not ignored) there and run the sanity tests.
# ANSIBLE_TEST_VENV: the virtualenv whose ansible-test runs, on its own Python (default
# .venv, the pinned ansible-core; make test-ansible-versions passes .cache/ansible-<version>).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$(cd "${ANSIBLE_TEST_VENV:-$root/.venv}" && pwd)
python=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# One copy per virtualenv: runs for several ansible-core versions may overlap.
if [ "$venv" = "$root/.venv" ]; then build="$root/build"; else build="$root/build/$(basename "$venv")"; fi
dest="$build/ansible_collections/procfile/systemd"
rm -rf "$dest"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 -I{} find {} -maxdepth 0 -print0 2>/dev/null \
  | tar --null -cf - -T -) | tar -xf - -C "$dest"
cd "$dest"
git init -q  # ansible-test looks for a version-control root
exec "$venv/bin/ansible-test" sanity --python "$python" --local "$@"
