"""Unit tests of the Procfile parser: every rule, accepted and rejected."""

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.procfile import (
    MAX_BYTES,
    ProcfileError,
    count_variable,
    parse,
    read_procfile,
    referenced_variables,
    select_procfile,
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
    assert "no Procfile_production" in reason
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
