#!/usr/bin/env bash
# After the tests: nothing of the sandbox may be left running or mounted.
set -uo pipefail
problems=()
pgrep -f 'systemd-nspawn .*procfile-sandbox' >/dev/null && problems+=("systemd-nspawn processes still running")
grep -q procfile-sandbox /proc/mounts && problems+=("mounts under the sandbox state directory")
for root in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
  compgen -G "$root/sdhost-*" >/dev/null && problems+=("cgroups left in $root")
done
compgen -G '/run/netns/sdh-*' >/dev/null && problems+=("network namespaces sdh-* left")
if [ ${#problems[@]} -gt 0 ]; then
  printf 'sandbox not clean: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "sandbox clean: no servers, mounts, cgroups or network namespaces left"
