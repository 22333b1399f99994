# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app's versions on a host, as a short history: which version each running instance
was started with (the VERSION column of --tags status).

procfile_install appends `<unix time> <version>` to <state_dir>/<app>/versions when the
app's version changes; procfile_status looks up the entry in force when an instance's
main process started. The history is not part of the release fingerprint: it only
records what the fingerprint and the code stamp already decided.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.module_utils.files import read_text

# Enough to name what every instance still running runs: an instance older than twenty
# deploys shows an unknown version (and the old mark).
KEEP = 20


def app_version(code_text, fingerprint):
    """The revision the code stamp records (its first line, procfile_revision), else the
    deploy's fingerprint shortened as git shortens a commit."""
    revision = (code_text or "").split("\n", 1)[0].strip()
    return revision or (fingerprint or "")[:12]


def read_history(path):
    """[(time, version)] oldest first; lines that are not `<time> <version>` are left out
    (a damaged line costs an unknown version, never a failed status)."""
    entries = []
    for line in read_text(path).splitlines():
        when, _sep, version = line.strip().partition(" ")
        try:
            entries.append((float(when), version.strip()))
        except ValueError:
            continue
    return [(when, version) for when, version in entries if version]


def current(history):
    return history[-1][1] if history else None


def appended(history, version, now):
    """The history's text with VERSION recorded at NOW, the last KEEP entries; None when
    VERSION is already the current one (nothing to write)."""
    if not version or version == current(history):
        return None
    # Centiseconds: finer than an instance's start time can be told (a clock tick).
    kept = (list(history) + [(now, version)])[-KEEP:]
    return "".join("%.2f %s\n" % (when, v) for when, v in kept)


def version_at(history, started, slack=0.0):
    """The version in force at STARTED (seconds since the epoch): the last entry no later
    than it, give or take SLACK; None when STARTED is unknown or before every entry."""
    if started is None:
        return None
    found = None
    for when, version in history:
        if when <= started + slack:
            found = version
    return found
