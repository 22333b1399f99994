"""Property-based tests: arbitrary input never crashes the parser."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import NAME_RE, parse

LINE_ALPHABET = st.sampled_from(list("web:-_ #\t\r\n$'\"\\{}%;aZ09.@/") + [u"\x00", u"\u00e9"])


def check(text):
    try:
        procs = parse(text)
    except ProcfileError as exc:
        # A clean error: where (source, line number) and which rule.
        assert re.match(r"^Procfile(, line \d+)?: .+ \[rule: [a-z-]+\]$", str(exc), re.S)
        assert exc.line >= 0
        return
    assert procs
    for proc in procs:
        assert NAME_RE.match(proc["name"]) and len(proc["name"]) <= 63
        assert proc["command"] and proc["command"] == proc["command"].strip(" \t")
        assert "\n" not in proc["command"] and "\r" not in proc["command"]
        assert proc["line"] >= 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data):
    check(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text(text):
    check(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=LINE_ALPHABET, max_size=200))
def test_procfile_like_text(text):
    check(text)


COMMAND = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1, max_size=40).filter(lambda c: c.strip(" \t"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True), COMMAND,
                       min_size=1, max_size=10))
def test_well_formed_entries_round_trip(entries):
    """Any valid name with any single-line command comes back exactly, in order."""
    text = "".join("%s: %s\n" % item for item in entries.items())
    procs = parse(text)
    assert [(p["name"], p["command"], p["line"]) for p in procs] == [
        (name, command.strip(" \t"), number)
        for number, (name, command) in enumerate(entries.items(), start=1)]
