"""--diff names the environment's variables and never shows a value, even a PEM-style
one whose lines hold "=" (read line by line, such a line passed for a variable)."""

from procfile_testlib import playbook

PEM = "-----BEGIN KEY-----\nab=cd+ef/gh==\n-----END KEY-----"
ENV_FILE = "/etc/procfile-systemd/shop/environment"


def test_a_multi_line_secret_is_named_never_shown_by_a_check_diff(host):
    before = host.file(ENV_FILE).content_string
    _rc, out = playbook("shop.yml", "--check", "--diff", shop_secret=PEM)
    # No line of the value, anywhere in the output (without -v, ansible does not echo
    # the extra vars themselves).
    assert [line for line in PEM.splitlines() if line in out] == [], \
        "a line of the secret is in the output"
    assert "SECRET_TOKEN=(secret, new value)" in out, out[-6000:]
    # The value's middle line is not taken for a variable of its own.
    assert "ab=(secret" not in out
    # Check mode: the file on the host is as it was.
    assert host.file(ENV_FILE).content_string == before
