"""Unit tests of the Procfile parser: every rule, accepted and rejected."""

import os

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.procfile_decode import MAX_BYTES
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import (
    count_variable,
    parse,
)
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_read import (
    confined,
    read_procfile,
    select_procfile,
)
from ansible_collections.procfile.systemd.plugins.module_utils.shell_variables import (
    referenced_variables,
    undefined_variables,
)


def names(processes):
    return [p["name"] for p in processes]


def rejected(text, source="Procfile"):
    with pytest.raises(ProcfileError) as info:
        parse(text, source)
    return info.value


# ----------------------------------------------------------------------------- accepted

def test_seed_procfile():
    procs = parse("worker: rake resque:work QUEUE=*\nscheduler: rake resque:scheduler\n")
    assert procs == [
        {"name": "worker", "command": "rake resque:work QUEUE=*", "line": 1,
         "variables": [], "release": False, "count_variable": "worker_count"},
        {"name": "scheduler", "command": "rake resque:scheduler", "line": 2,
         "variables": [], "release": False, "count_variable": "scheduler_count"},
    ]


def test_real_world_shapes():
    text = (
        "web:      bundle exec rails server -p $PORT\n"
        "worker:   env QUEUE=* bundle exec rake resque:work\n"
        "sidekiq:  bundle exec sidekiq -i {{UNIQUE_INT}} -c ${CONCURRENCY:-5}\n"
        "release:  bundle exec rails db:migrate\n"
    )
    procs = parse(text)
    assert names(procs) == ["web", "worker", "sidekiq", "release"]
    assert procs[0]["command"] == "bundle exec rails server -p $PORT"
    assert procs[0]["variables"] == ["PORT"]
    assert procs[1]["command"] == "env QUEUE=* bundle exec rake resque:work"
    assert procs[2]["command"] == "bundle exec sidekiq -i {{UNIQUE_INT}} -c ${CONCURRENCY:-5}"
    assert procs[2]["variables"] == ["CONCURRENCY"]
    assert [p["release"] for p in procs] == [False, False, False, True]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_endings(ending):
    procs = parse(ending.join(["a: one", "", "b: two", "c: three"]))
    assert [(p["name"], p["command"], p["line"]) for p in procs] == [
        ("a", "one", 1), ("b", "two", 3), ("c", "three", 4)]


def test_mixed_line_endings_and_no_final_newline():
    procs = parse("a: one\r\nb: two\rc: three\nd: four")
    assert [(p["name"], p["line"]) for p in procs] == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]


def test_bom_is_ignored_in_bytes_and_text():
    assert names(parse(b"\xef\xbb\xbfweb: x\n")) == ["web"]
    assert names(parse(u"\ufeffweb: x\n")) == ["web"]


def test_blank_and_comment_lines_are_skipped():
    text = "# a comment\n\n   \t\n  # indented comment\nweb: x\n"
    procs = parse(text)
    assert [(p["name"], p["line"]) for p in procs] == [("web", 5)]


def test_whitespace_around_name_and_after_colon():
    procs = parse("  web  :\t  python app.py  \t\n")
    assert procs[0]["name"] == "web"
    assert procs[0]["command"] == "python app.py"


def test_no_space_after_colon():
    assert parse("web:python app.py")[0]["command"] == "python app.py"


def test_command_is_everything_after_first_colon():
    procs = parse("worker: rake resque:work QUEUE=a:b http://x\n")
    assert procs[0]["command"] == "rake resque:work QUEUE=a:b http://x"


def test_hash_inside_command_is_kept():
    procs = parse('web: echo "a #b" # trailing\n')
    assert procs[0]["command"] == 'echo "a #b" # trailing'


def test_tab_inside_command_is_kept():
    assert parse("web: printf 'a\tb'\n")[0]["command"] == "printf 'a\tb'"


def test_unicode_command():
    assert parse(u"web: echo h\u00e9llo \u2603\n")[0]["command"] == u"echo h\u00e9llo \u2603"


@pytest.mark.parametrize("name", ["web", "Web2", "worker-beat", "worker_beat", "9lives",
                                  "a", "x" * 63])
def test_valid_names(name):
    assert parse("%s: run\n" % name)[0]["name"] == name


def test_release_is_flagged():
    procs = parse("web: a\nrelease: ./migrate\n")
    assert procs[1] == {"name": "release", "command": "./migrate", "line": 2,
                        "variables": [], "release": True, "count_variable": "release_count"}


def test_unique_int_placeholder_stays_literal():
    procs = parse("worker: bundle exec sidekiq -i {{UNIQUE_INT}}\n")
    assert procs[0]["command"] == "bundle exec sidekiq -i {{UNIQUE_INT}}"


def test_count_variable():
    assert count_variable("worker-beat") == "worker_beat_count"
    assert count_variable("web") == "web_count"


# ----------------------------------------------------------------------------- rejected

@pytest.mark.parametrize("name", [
    "foo.bar", "my web", "-foo", "_foo", "w\u00e9b", "web@1", "-.slice", "a/b", "a$b",
    "x" * 64,
])
def test_invalid_names(name):
    err = rejected("ok: x\n%s: run\n" % name)
    assert err.rule == "name"
    assert err.line == 2
    assert "Procfile, line 2" in str(err)


def test_missing_name():
    err = rejected(": run\n")
    assert (err.rule, err.line) == ("name", 1)
    assert "missing process name" in str(err)


@pytest.mark.parametrize("line", ["web:", "web:   ", "web:\t"])
def test_empty_command(line):
    err = rejected("ok: x\n" + line + "\n")
    assert (err.rule, err.line) == ("empty-command", 2)
    assert "'web' has an empty command" in str(err)


def test_duplicate_name_names_both_lines():
    err = rejected("web: a\nworker: b\nweb: c\n")
    assert (err.rule, err.line) == ("duplicate-name", 3)
    assert "already defined on line 1" in str(err)


def test_names_colliding_on_count_variable():
    err = rejected("worker-beat: a\nworker_beat: b\n")
    assert (err.rule, err.line) == ("count-variable-collision", 2)
    assert "'worker_beat_count'" in str(err)
    assert "'worker-beat' (line 1)" in str(err)


@pytest.mark.parametrize("line", ["just some text", "web python app.py", "   oops"])
def test_line_without_colon(line):
    err = rejected("web: a\n" + line + "\n")
    assert (err.rule, err.line) == ("syntax", 2)
    assert "no colon" in str(err)


@pytest.mark.parametrize("marker", ["<<<<<<< HEAD", "=======", ">>>>>>> feature:x"])
def test_merge_conflict_markers(marker):
    err = rejected("web: a\n%s\nworker: b\n" % marker)
    assert (err.rule, err.line) == ("merge-conflict", 2)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "  \n# x\n\t\n"])
def test_empty_or_comment_only(text):
    err = rejected(text)
    assert (err.rule, err.line) == ("empty", 0)
    assert str(err).startswith("Procfile: no process entries")


@pytest.mark.parametrize("char", [u"\x00", u"\x01", u"\x0b", u"\x0c", u"\x1b", u"\x7f"])
def test_control_characters(char):
    err = rejected(u"web: echo a%sb\n" % char)
    assert (err.rule, err.line) == ("control-character", 1)


def test_invalid_utf8_names_the_line():
    err = rejected(b"web: a\nworker: \xff\xfe\n")
    assert (err.rule, err.line) == ("encoding", 2)
    assert "0xff" in str(err)


def test_file_over_one_mib(tmp_path):
    path = tmp_path / "Procfile"
    path.write_bytes(b"web: " + b"x" * MAX_BYTES + b"\n")
    with pytest.raises(ProcfileError) as info:
        read_procfile(str(path))
    assert info.value.rule == "size"
    assert str(path) in str(info.value)


def test_bytes_over_one_mib():
    err = rejected(b"#" * (MAX_BYTES + 1))
    assert err.rule == "size"


def test_error_names_the_source():
    err = rejected("web a\n", source="/srv/app/Procfile_staging")
    assert str(err).startswith("/srv/app/Procfile_staging, line 1:")
    assert err.to_dict()["file"] == "/srv/app/Procfile_staging"


# ----------------------------------------------------------------------------- variables

@pytest.mark.parametrize("command, expected", [
    ("rails s -p $PORT", ["PORT"]),
    ("echo ${A} ${B:-x} $C_1", ["A", "B", "C_1"]),
    ("echo '$NOT' \"$YES\"", ["YES"]),
    ("echo \"it's $X\"", ["X"]),
    ("echo $$ \\$NOT", []),
    ("echo $1 $@ $? $# $*", []),
    ("echo ${X:-$Y}", ["X", "Y"]),
    ("echo $A $A", ["A"]),
    ("echo $", []),
    ("echo {{UNIQUE_INT}}", []),
    ("echo '$A", []),
    # ${ at the very end, or with no name after it.
    ("echo ${", []),
    ("${", []),
    ("$A ${", ["A"]),
    ("${A", ["A"]),
    ("${ A} ${}", []),
    # A ' right after $ ($'...', the shell's C-string) still quotes what follows.
    ("echo $'$A' $B", ["B"]),
    ("$'", []),
    ("$'x", []),
    # The text after a closing quote is read again, from its very first character.
    ("'a'$B", ["B"]),
    ("'$A'${B}'$C'", ["B"]),
    ("echo ''$A", ["A"]),
    # What follows ${ is read from its first character on, a quote too.
    ("${'$A'} $B", ["B"]),
    # An unterminated single quote runs to the end of the command.
    ("'it $A ${B}", []),
    ("$A 'it $B \"$C\"", ["A"]),
    ("echo \\", []),
    ("\"'$A'\"", ["A"]),
    ("$${A}", []),
    # An escaped backslash escapes nothing after it; an escaped quote opens nothing.
    ("echo \\\\$HOME", ["HOME"]),
    ("echo \\\" $A", ["A"]),
    # The shell's PID, then a variable; the scan goes on after $$ and after ${.
    ("$$$A", ["A"]),
    ("$$ $B", ["B"]),
    ("${A:-1} $B", ["A", "B"]),
])
def test_referenced_variables(command, expected):
    assert referenced_variables(command) == expected


def test_undefined_variables():
    procs = parse("web: run -p $PORT --env $RAILS_ENV --key $SECRET\nworker: run $HOME\n")
    assert undefined_variables(procs, {"RAILS_ENV": "x"}) == {"web": ["SECRET"]}
    assert undefined_variables(procs, {"RAILS_ENV": "x", "SECRET": "y"}) == {}


# ----------------------------------------------------------------------------- files

def test_select_procfile_env_variant(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    (tmp_path / "Procfile_staging").write_text("web: b\n")
    path, reason = select_procfile(str(tmp_path), "staging")
    assert path == str(tmp_path / "Procfile_staging")
    assert "Procfile_staging exists" in reason


def test_select_procfile_falls_back(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    path, reason = select_procfile(str(tmp_path), "production")
    assert path == str(tmp_path / "Procfile")
    assert "neither Procfile.production nor Procfile_production" in reason
    assert select_procfile(str(tmp_path))[0] == str(tmp_path / "Procfile")


def test_select_procfile_file_path(tmp_path):
    (tmp_path / "Procfile.dev").write_text("web: a\n")
    assert select_procfile(str(tmp_path / "Procfile.dev"), "x") == (
        str(tmp_path / "Procfile.dev"), "path is a file")


def test_select_procfile_missing(tmp_path):
    with pytest.raises(ProcfileError) as info:
        select_procfile(str(tmp_path), "staging")
    assert info.value.rule == "missing"
    assert "Procfile_staging" in str(info.value)
    with pytest.raises(ProcfileError):
        select_procfile(str(tmp_path / "nope"))


def test_read_procfile(tmp_path):
    path = tmp_path / "Procfile"
    path.write_bytes(b"web: a\r\nworker: b")
    assert names(read_procfile(str(path))) == ["web", "worker"]


# ----------------------------------------------------------------------------- exact messages
# Each rule's message word for word, and the line it names (blank and comment lines
# counted): what a user reads in a failed deploy.

@pytest.mark.parametrize("text, line, rule, detail", [
    ("web: a\n\n<<<<<<< HEAD\n", 3, "merge-conflict",
     "merge conflict marker '<<<<<<<': resolve the conflict first"),
    ("web: a\n  |||||||  base\n", 2, "merge-conflict",
     "merge conflict marker '|||||||': resolve the conflict first"),
    # A marker line has no colon and may hold anything: the marker is what is named.
    ("# c\n=======\x1b\n", 2, "merge-conflict",
     "merge conflict marker '=======': resolve the conflict first"),
    ("# c\nweb: a\x1bb\n", 2, "control-character", "control character U+001B is not allowed"),
    ("web: a\x7f\n", 1, "control-character", "control character U+007F is not allowed"),
    # A control character is found before a missing colon.
    ("web: a\n\x0bno colon\n", 2, "control-character",
     "control character U+000B is not allowed"),
    ("web: a\n\n\njust some text\n", 4, "syntax",
     "expected 'NAME: COMMAND', found no colon in 'just some text'"),
    ("x" * 61 + "\n", 1, "syntax",
     u"expected 'NAME: COMMAND', found no colon in '" + "x" * 60 + u"…'"),
    ("web: a\n : run\n", 2, "name", "missing process name before ':'"),
    # The name is checked before the command.
    (":\n", 1, "name", "missing process name before ':'"),
    ("x" * 64 + ": run\n", 1, "name",
     u"process name '" + "x" * 60 + u"…' is 64 characters long; at most 63"),
    ("# c\nfoo.bar: run\n", 2, "name",
     "invalid process name 'foo.bar': use letters, digits, '-' and '_', starting with a "
     "letter or digit"),
    ("web: a\nworker:\t \n", 2, "empty-command", "process 'worker' has an empty command"),
    ("web: a\nworker: b\n\nweb: c\n", 4, "duplicate-name",
     "process 'web' is already defined on line 1; a type has one command: to run two, join "
     "them on one line ('a && b') or put them in a script and call that"),
    ("# c\nworker-beat: a\nweb: b\nworker_beat: c\n", 4, "count-variable-collision",
     "processes 'worker-beat' (line 2) and 'worker_beat' both map to the inventory variable "
     "'worker_beat_count'; rename one"),
    ("# only\n\n", 0, "empty", "no process entries (the file is empty or only comments)"),
    (b"web: a\nworker: \xff\n", 2, "encoding",
     "byte 0xff is not valid UTF-8; a Procfile must be UTF-8 text"),
    (b"\xef\xbb\xbfweb: a\r\n\r\nworker: \xc3\x28\n", 3, "encoding",
     "byte 0xc3 is not valid UTF-8; a Procfile must be UTF-8 text"),
    (b"\xfeweb: a\n", 1, "encoding",
     "byte 0xfe is not valid UTF-8; a Procfile must be UTF-8 text"),
    # CR-only and CRLF endings count as split_lines counts them.
    (b"# c\rweb: a\r\n\rworker: \xff\n", 4, "encoding",
     "byte 0xff is not valid UTF-8; a Procfile must be UTF-8 text"),
    (b"\xff\xfe" + "web: x".encode("utf-16-le"), 1, "encoding",
     "the file starts with a UTF-16 (little-endian) byte order mark: it is UTF-16 text, not "
     "UTF-8; save it as UTF-8"),
    (b"\xfe\xff" + "web: x".encode("utf-16-be"), 1, "encoding",
     "the file starts with a UTF-16 (big-endian) byte order mark: it is UTF-16 text, not "
     "UTF-8; save it as UTF-8"),
    (b"\xff\xfe\x00\x00" + "web: x".encode("utf-32-le"), 1, "encoding",
     "the file starts with a UTF-32 (little-endian) byte order mark: it is UTF-32 text, not "
     "UTF-8; save it as UTF-8"),
    (b"\x00\x00\xfe\xff" + "web: x".encode("utf-32-be"), 1, "encoding",
     "the file starts with a UTF-32 (big-endian) byte order mark: it is UTF-32 text, not "
     "UTF-8; save it as UTF-8"),
    ("# c\nweb: puma \\\n  --bind 0.0.0.0:$PORT \\\n  --workers 2\n", 3, "continuation",
     "this line continues line 2, which ends with '\\'; continuation lines are not "
     "supported (honcho and foreman would run line 2 alone and drop this one): write the "
     "command on one line, or put it in a script (for example bin/web) and call that"),
    (b"#" * (MAX_BYTES + 1), 0, "size",
     "file is 1048577 bytes; a Procfile may have at most 1048576 (1 MiB)"),
    # 1 MiB of characters, one byte over in UTF-8: counted in bytes.
    (u"#" * (MAX_BYTES - 1) + u"\u00e9", 0, "size", "text is larger than 1 MiB"),
], ids=["conflict-ours", "conflict-base", "conflict-first", "control-esc", "control-del",
        "control-before-syntax", "syntax", "syntax-shortened", "name-missing", "name-first",
        "name-too-long", "name-invalid", "empty-command", "duplicate-name", "count-collision",
        "empty", "encoding", "encoding-bom-crlf", "encoding-first-line", "encoding-cr-lines",
        "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "continuation", "size-bytes",
        "size-text"])
def test_each_rule_says_exactly_what_and_where(text, line, rule, detail):
    err = rejected(text, source="/srv/shop/Procfile")
    where = "/srv/shop/Procfile, line %d" % line if line else "/srv/shop/Procfile"
    assert err.to_dict() == {"file": "/srv/shop/Procfile", "line": line, "rule": rule,
                             "detail": detail, "msg": "%s: %s [rule: %s]" % (where, detail, rule)}
    assert str(err) == err.to_dict()["msg"]
    assert (err.source, err.line, err.rule, err.detail) == (
        "/srv/shop/Procfile", line, rule, detail)


def test_exactly_one_mib_is_accepted():
    command = "x" * (MAX_BYTES - len("web: \n"))
    assert parse(("web: %s\n" % command).encode())[0]["command"] == command
    assert parse(u"web: %s\n" % command)[0]["command"] == command
    # Counted in UTF-8 bytes, not characters.
    assert parse(u"web: %s\u00e9\n" % command[2:])[0]["command"] == command[2:] + u"\u00e9"


# ----------------------------------------------------------------------------- exact file choice

def test_select_procfile_reasons_word_for_word(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    (tmp_path / "Procfile_staging").write_text("web: b\n")
    top = str(tmp_path)
    assert select_procfile(top, "staging") == (
        str(tmp_path / "Procfile_staging"), "Procfile_staging exists for env 'staging'")
    (tmp_path / "Procfile.review").write_text("web: b\n")
    assert select_procfile(top, "review") == (
        str(tmp_path / "Procfile.review"), "Procfile.review exists for env 'review'")
    assert select_procfile(top, "production") == (
        str(tmp_path / "Procfile"), "env 'production': neither Procfile.production nor "
        "Procfile_production exists in %s; using Procfile" % top)
    assert select_procfile(top) == (str(tmp_path / "Procfile"), "no env given; using Procfile")
    # An empty env is no env: Procfile_ is never looked for.
    (tmp_path / "Procfile_").write_text("web: c\n")
    assert select_procfile(top, "") == (str(tmp_path / "Procfile"), "no env given; using Procfile")


def test_select_procfile_takes_only_regular_files(tmp_path):
    (tmp_path / "Procfile_staging").mkdir()
    (tmp_path / "Procfile").write_text("web: a\n")
    assert select_procfile(str(tmp_path), "staging")[0] == str(tmp_path / "Procfile")


@pytest.mark.parametrize("env, detail", [
    ("staging", "no Procfile, Procfile.staging or Procfile_staging in directory %s"),
    (None, "no Procfile in directory %s"),
])
def test_select_procfile_missing_is_a_file_level_error(tmp_path, env, detail):
    (tmp_path / "Procfile").mkdir()  # a directory named Procfile is no Procfile
    top = str(tmp_path)
    with pytest.raises(ProcfileError) as info:
        select_procfile(top, env)
    assert info.value.to_dict() == {
        "file": top, "line": 0, "rule": "missing", "detail": detail % top,
        "msg": "%s: %s [rule: missing]" % (top, detail % top)}


def test_select_procfile_no_such_path(tmp_path):
    path = str(tmp_path / "nope")
    with pytest.raises(ProcfileError) as info:
        select_procfile(path, "staging")
    assert info.value.to_dict() == {
        "file": path, "line": 0, "rule": "missing",
        "detail": "no such file or directory: %s" % path,
        "msg": "%s: no such file or directory: %s [rule: missing]" % (path, path)}


# ----------------------------------------------------------------------------- file-level errors

def read_rejected(path, **kwargs):
    with pytest.raises(ProcfileError) as info:
        read_procfile(path, **kwargs)
    return info.value


def test_read_procfile_size_is_a_file_level_error(tmp_path):
    path = tmp_path / "Procfile"
    path.write_bytes(b"#" * (MAX_BYTES + 1))
    detail = "file is 1048577 bytes; a Procfile may have at most 1048576 (1 MiB)"
    assert read_rejected(str(path)).to_dict() == {
        "file": str(path), "line": 0, "rule": "size", "detail": detail,
        "msg": "%s: %s [rule: size]" % (path, detail)}
    path.write_bytes(b"#" * (MAX_BYTES - 6) + b"\nw: x\n")  # 1 MiB exactly
    assert names(read_procfile(str(path))) == ["w"]


def test_read_procfile_missing_file_is_a_file_level_read_error(tmp_path):
    path = str(tmp_path / "Procfile")
    assert read_rejected(path).to_dict() == {
        "file": path, "line": 0, "rule": "read", "detail": "cannot read: No such file or directory",
        "msg": "%s: cannot read: No such file or directory [rule: read]" % path}


@pytest.mark.parametrize("make", [os.mkfifo, os.mkdir], ids=["fifo", "directory"])
def test_read_procfile_not_regular_is_a_file_level_error(tmp_path, make):
    path = str(tmp_path / "Procfile")
    make(path)
    detail = "is not a regular file (a FIFO, device or directory); not read"
    assert read_rejected(path).to_dict() == {
        "file": path, "line": 0, "rule": "not-regular", "detail": detail,
        "msg": "%s: %s [rule: not-regular]" % (path, detail)}


def test_read_procfile_as_root_reads_as_root(tmp_path):
    # root is not an app user to drop to: the file is read directly (a 0600 file too).
    path = tmp_path / "Procfile"
    path.write_text("web: a\n")
    os.chmod(str(path), 0o600)
    assert names(read_procfile(str(path), as_user="root")) == ["web"]


@pytest.mark.parametrize("text, rule", [
    # Only blanks and tabs make a line blank: a form feed alone is a control character,
    # an "X" alone is a line without a colon.
    ("\x0c\nweb: a\n", "control-character"),
    ("X\nweb: a\n", "syntax"),
])
def test_only_blanks_and_tabs_make_a_line_blank(text, rule):
    err = rejected(text)
    assert (err.rule, err.line) == (rule, 1)


def test_a_line_of_exactly_60_characters_is_quoted_whole():
    line = "x" * 60
    assert rejected(line + "\n").detail == "expected 'NAME: COMMAND', found no colon in %r" % line
    assert rejected(line + "y\n").detail == \
        "expected 'NAME: COMMAND', found no colon in %r" % (line + u"\u2026")


def test_confined_in_a_root_whose_name_ends_in_x(tmp_path):
    root = tmp_path / "appX"
    root.mkdir()
    (root / "Procfile").write_text("web: a\n")
    assert confined(str(root / "Procfile"), str(root)) == str(root / "Procfile")
    # Everything is inside /.
    assert confined(str(root / "Procfile"), "/") == str(root / "Procfile")


def test_confined_refusal_word_for_word(tmp_path):
    root = tmp_path / "app"
    root.mkdir()
    (tmp_path / "secret").write_text("web: a\n")
    os.symlink(str(tmp_path / "secret"), str(root / "Procfile"))
    path = str(root / "Procfile")
    with pytest.raises(ProcfileError) as info:
        confined(path, str(root))
    detail = ("leads out of %s (to %s) through a symbolic link; a Procfile must be a file of the "
              "app's own directory, so it was not read" % (root, tmp_path / "secret"))
    assert info.value.to_dict() == {"file": path, "line": 0, "rule": "outside-root", "detail": detail,
                                    "msg": "%s: %s [rule: outside-root]" % (path, detail)}


def test_read_procfile_of_a_relative_path_is_confined_to_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "Procfile").write_text("web: a\n")
    monkeypatch.chdir(tmp_path)
    assert names(read_procfile("Procfile")) == ["web"]
