"""The README's variables table lists every public variable, and nothing else: the role's
(meta/argument_specs.yml, which test_argument_specs.py keeps in step with
defaults/main.yml) and the playbook's own (procfile_* in playbooks/deploy.yml that the
role does not define, such as procfile_hosts and procfile_serial)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
OPTIONS = yaml.safe_load((ROOT / "roles" / "procfile" / "meta" / "argument_specs.yml").read_text())[
    "argument_specs"]["main"]["options"]
# Playbook-level variables the playbook may not mention by name (a play keyword's value).
PLAYBOOK_VARIABLES = {"procfile_hosts", "procfile_serial"}
NAME = re.compile(r"`(procfile_[a-z0-9_]+)`")


def readme_table(text):
    """The rows of the first table under '## Variables': {first cell's names: row}."""
    section = text.split("\n## Variables\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) > 2, "no table under ## Variables"
    header, rule = rows[0], rows[1]
    assert "variable" in header and set(rule) <= set("|- "), (header, rule)
    names = {}
    for row in rows[2:]:
        first = row.strip("|").split("|")[0]
        for name in NAME.findall(first):
            assert name not in names, "%s is listed twice in the README's table" % name
            names[name] = row
    return names


def public_variables():
    playbook = (ROOT / "playbooks" / "deploy.yml").read_text()
    # Not module names (procfile.systemd.procfile_trust).
    used = set(re.findall(r"(?<![.\w])(procfile_[a-z0-9_]+)\b", playbook))
    return set(OPTIONS) | PLAYBOOK_VARIABLES | used


def test_the_readme_table_lists_every_public_variable_and_no_other():
    listed = set(readme_table(README.read_text()))
    public = public_variables()
    assert sorted(public - listed) == [], "missing from the README's variables table"
    assert sorted(listed - public) == [], "in the README's table, but no such variable"


def test_playbook_variables_are_marked_as_such():
    rows = readme_table(README.read_text())
    for name in sorted(public_variables() - set(OPTIONS)):
        assert "(playbook)" in rows[name].split("|")[1], name


def test_the_check_finds_a_missing_and_an_unknown_name():
    text = README.read_text()
    broken = text.replace("| `procfile_log_since` |", "| `procfile_log_sinc` |", 1)
    listed = set(readme_table(broken))
    assert sorted(public_variables() - listed) == ["procfile_log_since"]
    assert sorted(listed - public_variables()) == ["procfile_log_sinc"]
