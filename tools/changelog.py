"""CHANGELOG.md and changelogs/changelog.yaml, made by antsibull-changelog from the fragments.

Usage (from the repository root, with the venv's Python):
    python tools/changelog.py          rewrite both files (make changelog)
    python tools/changelog.py --check  fail, with a diff, if either differs (make lint)

A change is described once, in a fragment under changelogs/fragments/. The version in
galaxy.yml is the one being prepared: its entry in changelog.yaml is made anew from every
fragment that no earlier release lists (keep_fragments is on), so an edited or deleted
fragment shows as surely as a new one; earlier releases stay as released. The work is done
in a temporary copy, so that the repository never holds antsibull-changelog's plugin cache
and --check changes nothing.
"""

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import datetime

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHANGES = os.path.join('changelogs', 'changelog.yaml')
OUTPUTS = ('CHANGELOG.md', CHANGES)
# What antsibull-changelog reads: the version, the fragments, and the plugins' docs (for
# the "New Modules" and "New Plugins" lists, by version_added).
INPUTS = ('galaxy.yml', 'meta', 'plugins', 'changelogs')


def environment():
    """The venv's tools first: antsibull-changelog runs ansible-doc, found on PATH."""
    env = dict(os.environ)
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    return env


def generate(work):
    """Make the outputs in the copy `work`; returns the version."""
    for name in INPUTS:
        src = os.path.join(ROOT, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(work, name),
                            ignore=shutil.ignore_patterns('__pycache__', '.plugin-cache.yaml'))
        else:
            shutil.copy(src, work)
    with open(os.path.join(work, 'galaxy.yml')) as f:
        version = str(yaml.safe_load(f)['version'])
    path = os.path.join(work, CHANGES)
    changes = {'ancestor': None, 'releases': {}}
    if os.path.exists(path):
        with open(path) as f:
            changes = yaml.safe_load(f) or changes
    # The date the version was first generated on, kept so that a re-run changes nothing.
    prepared = (changes.get('releases') or {}).pop(str(version), {})
    date = prepared.get('release_date') or datetime.date.today().isoformat()
    with open(path, 'w') as f:
        yaml.safe_dump(changes, f, default_flow_style=False)
    run = ['lint'], ['release', '--version', version, '--date', date, '--reload-plugins']
    for command in run:
        if subprocess.run(['antsibull-changelog'] + command, cwd=work, env=environment(), check=False).returncode:
            sys.exit('changelog: `antsibull-changelog %s` failed (above)' % command[0])
    return version


def main(argv):
    check = argv[1:] == ['--check']
    if argv[1:] not in ([], ['--check']):
        sys.exit(__doc__)
    work = tempfile.mkdtemp(prefix='changelog-')
    try:
        version = generate(work)
        stale = []
        for name in OUTPUTS:
            mine, made = os.path.join(ROOT, name), os.path.join(work, name)
            with open(made) as f:
                new = f.read()
            old = ''
            if os.path.exists(mine):
                with open(mine) as f:
                    old = f.read()
            if old == new:
                continue
            if check:
                stale.append(name)
                sys.stdout.writelines(difflib.unified_diff(
                    old.splitlines(True), new.splitlines(True), name, name + ' (from the fragments)'))
            else:
                shutil.copy(made, mine)
                print('changelog: wrote %s' % name)
        if stale:
            sys.exit('changelog: %s not what changelogs/fragments/ make for %s; run `make changelog`'
                     % (' and '.join(stale), version))
    finally:
        shutil.rmtree(work)


if __name__ == '__main__':
    main(sys.argv)
