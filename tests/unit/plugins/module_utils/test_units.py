"""Quoting for systemd: ExecStart= words and EnvironmentFile= values."""

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.units import (
    env_file_value,
    exec_command,
    exec_word,
    instance_name,
    release_name,
    template_name,
)


@pytest.mark.parametrize("text, word", [
    ("echo hi", '"echo hi"'),
    ("echo $HOME ${X}", '"echo $$HOME $${X}"'),
    ("printf '%s' 100%", '"printf \'%%s\' 100%%"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("a\\b\\", '"a\\\\b\\\\"'),
    ("a;b ; c", '"a;b ; c"'),
    ("tab\there", '"tab\\there"'),
    (u"snow \u2603", u'"snow \u2603"'),
])
def test_exec_word(text, word):
    assert exec_word(text) == word


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_exec_word_rejects_line_breaks(bad):
    with pytest.raises(ValueError):
        exec_word(bad)


def test_unique_int_becomes_the_instance_specifier():
    assert exec_command("sidekiq -i {{UNIQUE_INT}} -q 100%") == '"sidekiq -i %i -q 100%%"'
    assert exec_command("x {{UNIQUE_INT}}", "0") == '"x 0"'
    # Only the exact placeholder: anything else stays literal.
    assert exec_command("x {{ UNIQUE_INT }}") == '"x {{ UNIQUE_INT }}"'


@pytest.mark.parametrize("value, quoted", [
    ("plain", '"plain"'),
    ("", '""'),
    ('a "b" c', '"a \\"b\\" c"'),
    ("$HOME `id` \\n", '"\\$HOME \\`id\\` \\\\n"'),
    ("line\nbreak", '"line\nbreak"'),
    ("100% #x ;y", '"100% #x ;y"'),
    # Only \\ " ` $ are escaped, the four systemd's env-file parser unescapes inside double
    # quotes: before any other character (an X) it keeps the backslash, which would arrive.
    ("X", '"X"'),
    ("XX x", '"XX x"'),
    ("\\X", '"\\\\X"'),
])
def test_env_file_value(value, quoted):
    assert env_file_value(value) == quoted


def test_env_file_value_rejects_nul():
    with pytest.raises(ValueError):
        env_file_value("a\x00b")


def test_names():
    assert template_name("shop", "worker-beat") == "shop-worker-beat@.service"
    assert instance_name("shop", "web", 3) == "shop-web@3.service"


def test_release_name():
    assert release_name("shop") == "shop-release.service"


# ------------------------------------------------------------------ unit_value
from ansible_collections.procfile.systemd.plugins.module_utils.units import unit_value  # noqa: E402


@pytest.mark.parametrize("value, written", [
    ("/srv/shop", "/srv/shop"),
    ("50%", "50%%"),
    ("a\\b", "a\\b"),
    (30, "30"),
    (1.5, "1.5"),
])
def test_unit_value_escapes_specifiers(value, written):
    assert unit_value(value) == written


def test_unit_value_keeps_specifiers_where_asked():
    assert unit_value("/bin/echo %i", specifiers=True) == "/bin/echo %i"


@pytest.mark.parametrize("value", ["/etc/x\nExecStartPre=+/bin/sh", "a\r", "a\x00", "a\x1b", "a\x7f",
                                   "a\x85", "a\u2028b", "a\u2029", "a\\", None, True])
def test_unit_value_refuses_what_would_end_or_join_the_line(value):
    with pytest.raises(ValueError):
        unit_value(value)
    with pytest.raises(ValueError):
        unit_value(value, specifiers=True)
