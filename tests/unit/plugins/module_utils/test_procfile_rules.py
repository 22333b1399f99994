"""The rules added for what real Procfiles hold: defaulted variables, continuation lines,
UTF-16/32 files, NAME : COMMAND, the size of a file over the limit, and the line an
invalid byte is on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import procfile_read
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_decode import (
    MAX_BYTES,
    split_lines,
)
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import parse
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_read import (
    read_procfile,
    select_procfile,
)
from ansible_collections.procfile.systemd.plugins.module_utils.shell_variables import (
    BUILTIN_VARIABLES,
    needed_variables,
    referenced_variables,
    undefined_variables,
)


# ----------------------------------------------------------------------------- variables

@pytest.mark.parametrize("command, defined, needed", [
    # A default or an alternative: an unset NAME never reaches the shell unset.
    ("sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}", (), []),
    ("run ${A-5}", (), []),
    ('rails s -e ${RAILS_ENV:="development"}', (), []),
    ("unicorn -c ${UNICORN_CONFIG:=config/unicorn.rb}", (), []),
    ("run --host ${HOST=0.0.0.0}", (), []),
    ("run ${A:+--verbose}", (), []),
    ("run ${A+--verbose}", (), []),
    ("run ${A:-}", (), []),
    # Required: an error if unset, or plain.
    ("run ${A:?A must be set}", (), ["A"]),
    ("run ${A?}", (), ["A"]),
    ("run $A ${B}", (), ["A", "B"]),
    ("run ${#A} ${B%.rb} ${C##*/} ${D:1}", (), ["A", "B", "C", "D"]),
    # Defined ones are never needed.
    ("run $A ${B:?x}", ("A", "B"), []),
    ("run $PORT $HOME", (), []),
    # Nesting: WORD of a default is expanded only when NAME is unset.
    ("run ${A:-$B}", (), ["B"]),
    ("run ${A:-$B}", ("A",), []),
    ("run ${A:-${B}}", (), ["B"]),
    ("run ${A:-${B}}", ("A",), []),
    ("run ${A:=${B:-${C}}} $D", (), ["C", "D"]),
    ("run ${A:=${B:-${C}}} $D", ("B",), ["D"]),
    ("run ${A:-x}-$B", (), ["B"]),
    # ... and WORD of an alternative only when NAME is set.
    ("run ${A:+$B}", (), []),
    ("run ${A:+$B}", ("A",), ["B"]),
    # The text of ${A:?msg} is a message, not a use.
    ("run ${A:?set $B first}", (), ["A"]),
    # Quoting: single quotes hide, double quotes do not; inside "...", ' is a character.
    ("run '$A ${B}' \"$C\"", (), ["C"]),
    ("run ${A:-'$B'}", (), []),
    ("run \"${A:-'$B'}\"", (), ["B"]),
    ("run \"${A:-$B}\"", (), ["B"]),
    ("run ${A:-\"}\"} $B", ("A",), ["B"]),
    ("run \\$A $$ ${A:-\\$B}", (), []),
    # Unfinished text is read to its end without failing.
    ("run ${A:-$B", (), ["B"]),
    ("run ${A:-", (), []),
    ("run ${", (), []),
    ("run ${1:-$B} ${@}", (), ["B"]),
    ("run $A $A ${A}", (), ["A"]),
])
def test_needed_variables(command, defined, needed):
    assert needed_variables(command, set(defined) | BUILTIN_VARIABLES) == needed


def test_defaulted_variables_are_referenced_but_not_undefined():
    procs = parse("web: puma -e ${RAILS_ENV:=development} -w ${WEB_CONCURRENCY:-2} $SECRET\n"
                  "worker: sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}\n")
    assert procs[0]["variables"] == ["RAILS_ENV", "WEB_CONCURRENCY", "SECRET"]
    assert procs[1]["variables"] == ["SIDEKIQ_CONCURRENCY"]
    assert undefined_variables(procs, {}) == {"web": ["SECRET"]}
    assert undefined_variables(procs, {"SECRET": "x"}) == {}


def test_a_length_is_a_reference():
    assert referenced_variables("echo ${#A} ${#} ${#1}") == ["A"]


def test_needed_variables_are_a_subset_of_the_referenced_ones():
    for command in ("${A:-${B:+$C}} ${D:?$E} '${F}' \"${G:=$H}\"", "${A:-x", "$A${B",
                    "${#A} ${B%x} ${C:1}", "${#} ${#1} ${#-}"):
        assert set(needed_variables(command, set())) <= set(
            referenced_variables(command))


# ----------------------------------------------------------------------------- continuation

def test_a_continued_command_names_the_line_that_continues():
    text = "web: bundle exec puma \\\n  --bind 0.0.0.0:$PORT \\\n  --workers 2\n"
    with pytest.raises(ProcfileError) as info:
        parse(text)
    assert (info.value.rule, info.value.line) == ("continuation", 2)
    assert "continues line 1, which ends with '\\'" in str(info.value)
    assert "invalid process name" not in str(info.value)


@pytest.mark.parametrize("follower", [
    "  --bind 0.0.0.0:$PORT",   # indented: would be a name error
    "\t-w 2",                    # a tab
    "--workers 2",              # an option
    "-w2",
    "bundle exec sidekiq",      # no colon: would be a syntax error
    "sidekiq -C config/x.yml",
    "foo.bar: x",               # an invalid name
    "  worker: sidekiq",        # indented, even though it looks like an entry
])
def test_what_follows_a_trailing_backslash_is_a_continuation(follower):
    with pytest.raises(ProcfileError) as info:
        parse("web: a\nworker: b \\\n%s\n" % follower)
    assert (info.value.rule, info.value.line) == ("continuation", 3)


@pytest.mark.parametrize("text", [
    "web: printf 'x' \\\nworker: b\n",   # a valid entry follows
    "web: a\nworker: b \\",               # the end of the file
    "web: a \\\n\n  --bind x\n",          # a blank line ends what the shell would join
])
def test_a_trailing_backslash_before_an_entry_or_the_end_is_kept(text):
    try:
        procs = parse(text)
    except ProcfileError as exc:
        # The blank-line case: the indented line is judged on its own, as any line is.
        assert (exc.rule, exc.line) == ("syntax", 3)
        return
    assert procs[0]["command"].endswith("\\") or procs[-1]["command"].endswith("\\")


@pytest.mark.parametrize("command", ["echo a\\\\", "echo 'a\\\\\\\\'", "C:\\app\\run.exe",
                                     "echo \\ a"])
def test_an_even_number_of_trailing_backslashes_is_no_continuation(command):
    assert parse("web: %s\n" % command)[0]["command"] == command
    with pytest.raises(ProcfileError) as info:
        parse("web: %s\n  --bind x\n" % command)
    assert (info.value.rule, info.value.line) == ("syntax", 2)


def test_a_comment_ending_in_a_backslash_is_a_comment():
    assert [p["name"] for p in parse("# web: a \\\nworker: b\n")] == ["worker"]


# ----------------------------------------------------------------------------- NAME : COMMAND

def test_space_before_the_colon_is_a_warning():
    warnings = []
    procs = parse("# c\nweb : puma\nworker\t: sidekiq\n", "/srv/shop/Procfile", warnings=warnings)
    assert [(p["name"], p["command"]) for p in procs] == [("web", "puma"), ("worker", "sidekiq")]
    assert warnings == [
        "/srv/shop/Procfile, line 2: 'web :' has whitespace before ':'; honcho and foreman "
        "ignore such a line (the type would not run) and Heroku rejects the Procfile; write "
        "'web:' [rule: space-before-colon]",
        "/srv/shop/Procfile, line 3: 'worker\\t:' has whitespace before ':'; honcho and "
        "foreman ignore such a line (the type would not run) and Heroku rejects the Procfile; "
        "write 'worker:' [rule: space-before-colon]",
    ]


def test_space_before_the_colon_is_an_error_when_strict():
    with pytest.raises(ProcfileError) as info:
        parse("web: a\nworker : b\n", strict=True)
    assert (info.value.rule, info.value.line) == ("space-before-colon", 2)


def test_no_warning_without_a_list_or_a_space():
    assert parse("web : a\n")[0]["name"] == "web"
    warnings = []
    parse("  web: a\nworker:b\n", warnings=warnings, strict=True)
    assert warnings == []


# ----------------------------------------------------------------------------- encoding lines

@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_an_invalid_byte_is_on_the_line_split_lines_gives(ending):
    text = ending.join(["# a", "", "web: x", "worker: \xff", "other: y"]).encode("latin-1")
    with pytest.raises(ProcfileError) as info:
        parse(text)
    lines = split_lines(text.decode("latin-1"))
    assert info.value.line == 4 and "\xff" in lines[info.value.line - 1]


def test_a_bom_is_not_a_line():
    with pytest.raises(ProcfileError) as info:
        parse(b"\xef\xbb\xbfweb: a\r\rworker: \xff")
    assert info.value.line == 3


@pytest.mark.parametrize("encoding, name", [
    ("utf-16", "UTF-16"), ("utf-32", "UTF-32"),
])
def test_utf16_and_utf32_files_are_named(encoding, name):
    with pytest.raises(ProcfileError) as info:
        parse("web: x\n".encode(encoding))
    assert info.value.rule == "encoding"
    assert "it is %s text, not UTF-8; save it as UTF-8" % name in str(info.value)


# ----------------------------------------------------------------------------- size

def test_an_oversized_file_reports_its_real_size(tmp_path):
    path = tmp_path / "Procfile"
    path.write_bytes(b"#" * (3 * MAX_BYTES + 5))
    with pytest.raises(ProcfileError) as info:
        read_procfile(str(path))
    assert (info.value.rule, info.value.line) == ("size", 0)
    assert info.value.detail == ("file is 3145733 bytes; a Procfile may have at most 1048576 "
                                 "(1 MiB)")


def test_an_oversized_file_without_a_size_says_more_than(tmp_path, monkeypatch):
    path = tmp_path / "Procfile"
    path.write_bytes(b"#" * (MAX_BYTES + 2))
    real_stat = os.stat

    def failing_stat(name, *args, **kwargs):
        if str(name) == str(path):
            raise OSError(13, "Permission denied")
        return real_stat(name, *args, **kwargs)
    monkeypatch.setattr(procfile_read.os, "stat", failing_stat)
    with pytest.raises(ProcfileError) as info:
        read_procfile(str(path))
    assert info.value.detail == ("file is more than 1048576 bytes; a Procfile may have at most "
                                 "1048576 (1 MiB)")


def test_a_file_shrunk_since_it_was_read_says_more_than(tmp_path, monkeypatch):
    path = tmp_path / "Procfile"
    path.write_bytes(b"web: a\n")
    monkeypatch.setattr(procfile_read, "read_regular_file",
                        lambda real, limit: b"#" * (limit + 1))
    with pytest.raises(ProcfileError) as info:
        read_procfile(str(path))
    assert "more than 1048576 bytes" in info.value.detail


def test_bytes_given_whole_report_their_length():
    with pytest.raises(ProcfileError) as info:
        parse(b"#" * (MAX_BYTES + 10))
    assert "file is 1048586 bytes" in info.value.detail


# ----------------------------------------------------------------------------- env variants

@pytest.mark.parametrize("variant", ["Procfile.staging", "Procfile_staging"])
def test_either_spelling_of_the_variant_is_found(tmp_path, variant):
    (tmp_path / "Procfile").write_text("web: a\n")
    (tmp_path / variant).write_text("web: b\n")
    warnings = []
    assert select_procfile(str(tmp_path), "staging", warnings=warnings) == (
        str(tmp_path / variant), "%s exists for env 'staging'" % variant)
    assert warnings == []


def test_both_spellings_are_refused_naming_both(tmp_path):
    for name in ("Procfile", "Procfile.staging", "Procfile_staging"):
        (tmp_path / name).write_text("web: a\n")
    with pytest.raises(ProcfileError) as info:
        select_procfile(str(tmp_path), "staging")
    assert info.value.to_dict() == {
        "file": str(tmp_path), "line": 0, "rule": "ambiguous-variant",
        "detail": "both Procfile.staging and Procfile_staging exist for env 'staging' in %s; "
                  "remove or rename one, so that which file is deployed is clear" % tmp_path,
        "msg": "%s: both Procfile.staging and Procfile_staging exist for env 'staging' in %s; "
               "remove or rename one, so that which file is deployed is clear "
               "[rule: ambiguous-variant]" % (tmp_path, tmp_path)}


def test_no_variant_warns_and_uses_procfile(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    (tmp_path / "Procfile.dev").write_text("web: a\n")
    warnings = []
    path, reason = select_procfile(str(tmp_path), "staging", warnings=warnings)
    assert path == str(tmp_path / "Procfile")
    assert warnings == [reason] == [
        "env 'staging': neither Procfile.staging nor Procfile_staging exists in %s; using "
        "Procfile" % tmp_path]


def test_no_variant_is_an_error_when_env_strict(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    with pytest.raises(ProcfileError) as info:
        select_procfile(str(tmp_path), "staging", env_strict=True)
    assert (info.value.rule, info.value.line) == ("missing-variant", 0)
    assert info.value.detail == (
        "env 'staging': neither Procfile.staging nor Procfile_staging exists in %s "
        "(env_strict: true, so Procfile is not used instead)" % tmp_path)


def test_env_strict_without_env_changes_nothing(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    assert select_procfile(str(tmp_path), "", env_strict=True) == (
        str(tmp_path / "Procfile"), "no env given; using Procfile")


def test_a_variant_directory_is_no_variant(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    (tmp_path / "Procfile.staging").mkdir()
    (tmp_path / "Procfile_staging").write_text("web: b\n")
    assert select_procfile(str(tmp_path), "staging")[0] == str(tmp_path / "Procfile_staging")


@pytest.mark.parametrize("env", ["../etc", "a/b", ".hidden", "-x", "a b", "x\n"])
def test_an_env_that_is_no_file_name_part_is_refused(tmp_path, env):
    (tmp_path / "Procfile").write_text("web: a\n")
    with pytest.raises(ProcfileError) as info:
        select_procfile(str(tmp_path), env)
    assert (info.value.rule, info.value.line) == ("env", 0)
