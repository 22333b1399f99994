#!/usr/bin/env bash
# ansible-test needs the collection at ansible_collections/<namespace>/<name>: copy the
# files git knows (tracked, and untracked but not ignored) there and run the sanity tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/build/ansible_collections/procfile/systemd"
rm -rf "$dest"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 -I{} find {} -maxdepth 0 -print0 2>/dev/null \
  | tar --null -cf - -T -) | tar -xf - -C "$dest"
cd "$dest"
git init -q  # ansible-test looks for a version-control root
exec "$root/.venv/bin/ansible-test" sanity --python 3.11 --local "$@"
