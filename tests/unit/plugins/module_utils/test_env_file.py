"""The environment file read as systemd reads it, for the --diff: names, never values.

The file under test is the one the role writes: roles/procfile/templates/environment.j2
rendered with the collection's own env_file_value filter and Ansible's comment filter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible.plugins.filter.core import FilterModule as CoreFilters
from ansible_collections.procfile.systemd.plugins.filter.procfile import FilterModule
from ansible_collections.procfile.systemd.plugins.module_utils.env_file import (
    _assignments,
    digest,
    variables,
)
from ansible_collections.procfile.systemd.plugins.module_utils.files import env_names_diff

ROLE = Path(__file__).resolve().parents[4] / "roles" / "procfile"


def _template():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True)
    env.filters["comment"] = CoreFilters().filters()["comment"]
    for name, fn in FilterModule().filters().items():
        env.filters["procfile.systemd." + name] = fn
    return env.from_string((ROLE / "templates" / "environment.j2").read_text())


TEMPLATE = _template()


def written(environment):
    """The environment file the role writes for ENVIRONMENT."""
    return TEMPLATE.render(procfile_environment=environment, procfile_app="shop",
                           ansible_managed="Ansible managed: do not edit")


PEM = "-----BEGIN KEY-----\nab=cd+ef/gh==\n-----END KEY-----"


# ------------------------------------------------------------------ systemd's rules, case by case

@pytest.mark.parametrize("text, expected", [
    # What the role writes: double quotes, \\ \" \` \$ unescaped, line breaks kept.
    ('A="x"\n', [("A", "x")]),
    ('A="a\\"b\\\\c\\`d\\$e"\n', [("A", 'a"b\\c`d$e')]),
    ('KEY="%s"\nB="y"\n' % PEM, [("KEY", PEM), ("B", "y")]),
    ('A="one\r\ntwo"\n', [("A", "one\r\ntwo")]),
    # A backslash that escapes nothing stays; one before a line break joins the lines.
    ('A="a\\nb"\n', [("A", "a\\nb")]),
    ('A="a\\\nb"\n', [("A", "ab")]),
    # Unquoted: whitespace around the value goes, inside it stays; quotes are literal.
    ("A=  foo bar  \n", [("A", "foo bar")]),
    ('A=x "y"\n', [("A", 'x "y"')]),
    ("A=abc\\\nB=x\n", [("A", "abcB=x")]),
    ("A=a\\ b\n", [("A", "a b")]),
    # Single quotes: nothing is special inside, line breaks included.
    ("A='x\"$\\y'\n", [("A", "x\"$\\y")]),
    ("A='l1\nB=l2'\n", [("A", "l1\nB=l2")]),
    # Quoted parts and what follows them join.
    ("A=\"x\"'y'z\n", [("A", "xyz")]),
    # Comments (# and ;, after blanks too), blank lines, CRLF, a key without "=".
    ("# A=1\n; B=2\n   # C=3\n\n\t\nD=4\n", [("D", "4")]),
    ("A=1\r\nB=2\r\n", [("A", "1"), ("B", "2")]),
    ("JUST_TEXT\nA=1\n", [("A", "1")]),
    # A comment ending in a backslash takes the next line along (systemd up to 253;
    # 254 and later read that line): the rule that shows less.
    ("#comment \\\nA=1\nB=2\n", [("B", "2")]),
    ("#a\\b\nA=1\n", [("A", "1")]),
    # Blanks around the name; empty values; the last line without a line break.
    ("  A =1\n", [("A", "1")]),
    ("A=\nB=   \nC=''", [("A", ""), ("B", ""), ("C", "")]),
    # A quote that never closes: the value runs to the end of the file.
    ('A="abc\nB=secret\n', [("A", "abc\nB=secret\n")]),
    ("A='abc\nB=secret\n", [("A", "abc\nB=secret\n")]),
    ('A="abc\\', [("A", "abc")]),
    # Names systemd will drop still come out of the parser (variables() filters them).
    ("export A=1\n", [("export A", "1")]),
    ("a-b=1\n", [("a-b", "1")]),
    # Nothing after a NUL exists for systemd.
    ("A=1\nB=2\x00\nC=3\n", [("A", "1"), ("B", "2")]),
    ("", []),
])
def test_assignments_follow_systemds_parser(text, expected):
    assert _assignments(text) == expected


def test_a_name_set_twice_keeps_its_last_value():
    names, others = variables("A=1\nA=2\n")
    assert names == {"A": digest("2")} and others == 0


def test_assignments_without_a_variable_name_are_only_counted():
    names, others = variables("export A=1\nab cd=2\n1X=3\nOK=4\n")
    assert names == {"OK": digest("4")} and others == 3


def test_variables_never_hold_a_value():
    names, _others = variables('SECRET="%s"\n' % PEM)
    assert list(names) == ["SECRET"]
    assert names["SECRET"] != PEM and "ab=cd" not in names["SECRET"]


# ----------------------------------------------------------------------- the file the role writes

def test_the_role_writes_a_pem_value_as_one_variable():
    text = written({"SECRET_TOKEN": PEM, "PLAIN": "x"})
    # The value's line that looks like an assignment is really in the file, unquoted:
    # the line-by-line reading took it for one.
    assert "\nab=cd+ef/gh==\n" in text
    assert _assignments(text) == [("PLAIN", "x"), ("SECRET_TOKEN", PEM)]


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
# Values: any text systemd can carry, and text made of what the quoting and the parser
# care about (quotes, escapes, comment signs, =, line breaks) to reach their corners.
VALUES = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
            max_size=40),
    st.text(alphabet=list("ab=+/-#;'\"\\`$ \t\r\nXY_0"), max_size=60),
    st.just(PEM),
)
ENVIRONMENTS = st.dictionaries(NAMES, VALUES, max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ENVIRONMENTS)
def test_round_trip_every_value_comes_back_whole_under_its_name(environment):
    assignments = _assignments(written(environment))
    assert len(assignments) == len(environment)
    assert dict(assignments) == environment
    names, others = variables(written(environment))
    assert sorted(names) == sorted(environment) and others == 0


def names_only(old, new):
    """The diff env_names_diff must give: built from the names and the comparison alone."""
    return ("".join("%s=(secret)\n" % k for k in sorted(old)),
            "".join("%s=(secret%s)\n" % (k, "" if k in old and old[k] == v else ", new value")
                    for k, v in sorted(new.items())))


def pieces(values):
    """Every part of the values longer than 3 characters (a longer one holds one of these)."""
    return set(v[i:i + 4] for v in values for i in range(len(v) - 3))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ENVIRONMENTS, ENVIRONMENTS)
def test_round_trip_the_diff_names_variables_and_holds_no_part_of_a_value(old, new):
    expected = names_only(old, new)
    values = list(old.values()) + list(new.values())
    # A value may happen to contain a name or "secret": such a part is in the diff
    # anyway, and tells nothing about the value.
    assume(not any(p in "".join(expected) for p in pieces(values)))
    diff = env_names_diff(written(old), written(new))
    text = "".join(diff)
    assert [p for p in pieces(values) if p in text] == []
    assert diff == expected


LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*=\(secret(, new value)?\)"
                  r"|# \d+ more assignment\(s\) without a valid variable name \(not shown\))$")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200),
                 st.text(alphabet=list("AB_=\"'\\#; \t\r\nxy"), max_size=200)))
def test_any_old_file_gives_only_the_names_systemd_would_set(text):
    """A hand-edited or damaged file: never a crash, and only names systemd would pass
    to the process, never a line of a value."""
    before, _after = env_names_diff(text, "")
    assert all(LINE.match(line) for line in before.splitlines()), before
    shown = [line.split("=", 1)[0] for line in before.splitlines() if not line.startswith("#")]
    assert shown == sorted(set(k for k, _v in _assignments(text)
                               if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\Z", k)))
