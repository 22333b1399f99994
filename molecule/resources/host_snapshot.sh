#!/bin/sh
# The collection's whole footprint on a server, printed in a stable order, for tests to
# compare before and after a run that must change nothing (a refused run, --check).
# Used by procfile_testlib.host_snapshot() and by the default scenario's prepare and
# side_effect plays (molecule's own check step). See procfile_testlib.py for what is
# left out and why.
for d in /etc/systemd/system /etc/procfile-systemd /var/lib/procfile-systemd /run/procfile-systemd; do
  [ -e "$d" ] || { echo "$d absent"; continue; }
  find "$d" ! -name '*.guard' -printf '%p %y %u %g %m %l\n' | sort
  find "$d" -type f ! -name '*.guard' -exec sha1sum {} + | sort
done
# The apps' code (the collection never writes or chowns it), and the owner and mode of
# every home and writable directory (under /var/lib by default); not their contents,
# which the running apps change.
find /srv ! -name '__pycache__' ! -path '*/__pycache__/*' -printf '%p %y %u %g %m %l\n' | sort
find /srv -type f ! -path '*/__pycache__/*' -exec sha1sum {} + | sort
find /var/lib -mindepth 1 -maxdepth 1 -printf '%p %y %u %g %m %l\n' | sort
getent passwd | sort
getent group | sort
owned=$(grep -l '^X-ProcfileApp=' /etc/systemd/system/*.service /etc/systemd/system/*.target 2>/dev/null | xargs -r -n1 basename)
patterns=$(for u in $owned; do case "$u" in *@.service) echo "${u%.service}*.service";; *) echo "$u";; esac; done)
# (Without patterns, list-units would list every unit of the server.)
# shellcheck disable=SC2086  # one glob pattern per word
units=$([ -z "$patterns" ] || systemctl list-units --all --plain --no-legend --full $patterns | awk '{print $1}' | sort)
echo "=== units"
# shellcheck disable=SC2086  # one unit per word
[ -z "$units" ] || systemctl show --property=Id,LoadState,ActiveState,SubState,MainPID,UnitFileState,NRestarts $units
