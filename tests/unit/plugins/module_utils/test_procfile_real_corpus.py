"""Real Procfiles (procfile_corpus/, sources in SOURCES.tsv) read by this parser and by
honcho's, the reference most Procfile tools follow. Every difference must be one of the
kinds the README documents (its section "Differences from honcho, foreman and Heroku"):
a difference of any other kind fails the test, so that none goes unnoticed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.procfile_decode import (
    decode,
    split_lines,
)
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import parse
from ansible_collections.procfile.systemd.plugins.module_utils.shell_variables import (
    undefined_variables,
)

honcho_environ = pytest.importorskip("honcho.environ")

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "procfile_corpus")
README = os.path.join(HERE, "..", "..", "..", "..", "README.md")


def sources():
    rows = {}
    with open(os.path.join(CORPUS, "SOURCES.tsv")) as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                name, repo, path, commit = line.rstrip("\n").split("\t")
                rows[name] = (repo, path, commit)
    return rows


SOURCES = sources()
FILES = sorted(x for x in os.listdir(CORPUS) if x != "SOURCES.tsv")

# The kinds of difference, each with the README's words for it.
DOCUMENTED = {
    "trailing-whitespace": "honcho keeps trailing spaces",
    "space-before-colon": "honcho and foreman ignore the line",
    "indented-entry": "honcho and foreman ignore an indented entry",
    "strict-error": "honcho and foreman skip a line they cannot read",
    "duplicate-name": "honcho stops with an assertion",
}
# What each file is expected to show; files not listed read the same in both.
EXPECTED = {
    "chatwoot.Procfile.dev": {"trailing-whitespace"},
    # Both 'worker :' lines: honcho drops them (no worker runs); here the second one is
    # a duplicate of the first, after a warning for each.
    "space-before-colon.Procfile": {"space-before-colon", "duplicate-name"},
}


def honcho(text):
    """{name: command} as honcho reads TEXT, or the message of its assertion."""
    try:
        return dict(honcho_environ.parse_procfile(text).processes)
    except AssertionError as exc:
        return "assertion: %s" % exc


def differences(text):
    """The kinds of difference between this parser and honcho's on TEXT."""
    kinds = set()
    theirs = honcho(text)
    try:
        ours = {p["name"]: p for p in parse(text, "Procfile", warnings=[])}
    except ProcfileError as exc:
        if exc.rule == "duplicate-name" and isinstance(theirs, str):
            return {"duplicate-name"}
        kinds.add("duplicate-name" if exc.rule == "duplicate-name" else "strict-error")
        # What the lines before the error show, read on their own.
        lines = split_lines(text)[:exc.line - 1]
        text = "\n".join(lines) + "\n"
        theirs = honcho(text)
        try:
            ours = {p["name"]: p for p in parse(text, "Procfile")}
        except ProcfileError:
            ours = {}
    if isinstance(theirs, str):
        return kinds | {"unexplained: %s" % theirs}
    lines = split_lines(text)
    for name, process in ours.items():
        raw = lines[process["line"] - 1]
        if name not in theirs:
            if re.match(r"^[ \t]", raw):
                kinds.add("indented-entry")
            elif re.match(r"^[A-Za-z0-9_-]+[ \t]+:", raw.lstrip(" \t")):
                kinds.add("space-before-colon")
            else:
                kinds.add("unexplained: %s missing in honcho" % name)
        elif theirs[name] != process["command"]:
            if theirs[name].rstrip(" \t") == process["command"]:
                kinds.add("trailing-whitespace")
            else:
                kinds.add("unexplained: %s reads %r in honcho" % (name, theirs[name]))
    for name in theirs:
        if name not in ours:
            kinds.add("unexplained: honcho has %s" % name)
    return kinds


def test_every_file_has_a_source_and_every_source_a_file():
    assert sorted(SOURCES) == FILES
    assert len(FILES) >= 15
    for repo, path, _commit in SOURCES.values():
        assert repo and path.startswith("Procfile")


@pytest.mark.parametrize("name", FILES)
def test_real_procfile_differs_from_honcho_only_as_documented(name):
    with open(os.path.join(CORPUS, name), "rb") as handle:
        text = decode(handle.read(), name)
    kinds = differences(text)
    assert kinds == EXPECTED.get(name, set())


def test_every_kind_of_difference_is_in_the_readme():
    with open(README) as handle:
        readme = re.sub(r"\s+", " ", handle.read())
    for kind, words in sorted(DOCUMENTED.items()):
        assert words in readme, kind


@pytest.mark.parametrize("text, kinds", [
    ("web: a  \nworker: b\t\n", {"trailing-whitespace"}),
    ("web : a\n", {"space-before-colon"}),
    ("  web: a\nworker: b\n", {"indented-entry"}),
    ("web: a\nnot an entry\n", {"strict-error"}),
    ("web: puma \\\n  --bind 0.0.0.0:$PORT\n", {"strict-error"}),
    ("web: a\nweb: b\n", {"duplicate-name"}),
    ("web: a\n", set()),
])
def test_each_kind_is_recognised(text, kinds):
    assert differences(text) == kinds


def test_defaulted_variables_of_the_corpus_are_not_undefined():
    """The issue's cases, as the real files write them."""
    def undefined(name):
        with open(os.path.join(CORPUS, name), "rb") as handle:
            return undefined_variables(parse(handle.read(), name), {})
    assert undefined("codetriage.Procfile") == {}                       # ${SIDEKIQ_CONCURRENCY:-5}
    assert undefined("gitlabhq.Procfile") == {}                         # ${UNICORN_CONFIG:=...}
    assert undefined("openproject.Procfile") == {}                      # ${HOST:=...}
    assert undefined("discourse.Procfile") == {"worker": ["RAILS_ENV", "SIDEKIQ_WORKERS"]}
