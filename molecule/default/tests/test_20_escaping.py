"""Every byte of a Procfile command reaches /bin/sh -c (or bash -c, for an app with
procfile_shell: /bin/bash); environment values arrive exactly."""

import json
import re

import pytest
import yaml
from procfile_testlib import SCENARIO, instances, props, wait_for

HOSTILE_PROCFILE = (SCENARIO / "files" / "hostile" / "Procfile").read_text(encoding="utf-8")
CORPUS = [m.group(1) for m in re.finditer(r"^(c\d\d):", HOSTILE_PROCFILE, re.M)]


class UnsafeLoader(yaml.SafeLoader):
    pass


UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def settled_content(host, path, accept=bool, timeout=60):
    """The file's content once it passes accept().

    The corpus commands exit and Restart=always runs them again (every 15 s: the plays'
    restart_sec); each run truncates the file (`>`) before it writes, so a single read can
    see it empty, and the next good one comes with the next run (the deadline covers a
    few of them).
    """
    return wait_for(lambda: _content_if(host, path, accept), timeout) or host.file(path).content


def _content_if(host, path, accept):
    content = host.file(path).content if host.file(path).exists else None
    return content if content is not None and accept(content) else None


def test_corpus_is_large():
    assert len(CORPUS) >= 28


# The same corpus, deployed twice: app, its base port, its shell (procfile_shell).
APPS = [("hostile", 7000, "sh"), ("hostile-bash", 7200, "bash")]


@pytest.mark.parametrize("app, base_port, shell", APPS)
@pytest.mark.parametrize("process_type", CORPUS)
def test_command_reaches_the_shell_byte_for_byte(host, process_type, app, base_port, shell):
    [n] = instances(host, app, process_type, "loaded")
    unit_out = "/var/lib/%s-out/%s" % (app, process_type)
    assert wait_for(lambda: host.file(unit_out).exists, 60), "the unit never wrote " + unit_out
    by_hand = host.run("python3 /usr/local/bin/by_hand.py /srv/hostile/Procfile %s %s "
                       "/var/lib/%s-hand %s %s /srv/hostile %s", process_type, str(n), app, app,
                       str(base_port), shell)
    assert by_hand.rc == 0, by_hand.stderr
    expected = host.file("/var/lib/%s-hand/%s" % (app, process_type)).content
    assert expected, "the command wrote nothing by hand"
    assert settled_content(host, unit_out, lambda got: got == expected) == expected


def test_unique_int_placeholder_became_the_instance(host):
    [n] = instances(host, "hostile", "c11", "loaded")
    text = settled_content(host, "/var/lib/hostile-out/c11").decode()
    assert text == u"unicode \u2603 \u00e9 \u65e5\u672c %d" % n


@pytest.mark.parametrize("app, shell", [("hostile", b"sh"), ("hostile-bash", b"bash")])
def test_positional_parameters_are_empty_like_sh_c(host, app, shell):
    assert settled_content(host, "/var/lib/%s-out/c01" % app) == b"|0|" + shell + b"|"


def test_the_units_run_their_apps_shell(host):
    for app, shell in (("hostile", "/bin/sh"), ("hostile-bash", "/bin/bash")):
        [n] = instances(host, app, "c01", "loaded")
        exec_start = props(host, "%s-c01@%d.service" % (app, n), "ExecStart")["ExecStart"]
        assert exec_start.startswith("{ path=%s ; argv[]=%s -c " % (shell, shell)), exec_start


def test_environment_values_arrive_exactly(host):
    expected = yaml.load((SCENARIO / "vars" / "hostile_env.yml").read_text(encoding="utf-8"),
                         Loader=UnsafeLoader)["hostile_environment"]
    expected = dict((k, str(v)) for k, v in expected.items())
    expected["H_BIG"] = "b" * 65536
    path = "/var/lib/hostile-out/envdump.json"
    got = json.loads(settled_content(host, path, _is_json))
    assert got == expected


def _is_json(content):
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


def test_hostile_units_verify_clean(host):
    out = host.run("systemd-analyze verify --man=no /etc/systemd/system/hostile-*@.service "
                   "/etc/systemd/system/bashy-*@.service")
    assert out.rc == 0 and out.stdout + out.stderr == "", out.stdout + out.stderr
