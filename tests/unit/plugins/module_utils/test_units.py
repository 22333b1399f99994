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
