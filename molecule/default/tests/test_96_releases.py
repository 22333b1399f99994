"""Releases (procfile_source): one archive per deploy, unpacked once per host into
/srv/rel/releases/<revision>, `current` switched after the release phase, instances rolled
into it; rollback; hostile archives refused.

App "rel": 3 web instances with a health check, each answering a request with its PID and
the data.txt of its working directory, read per request. The source has 3,000 more small
files (30 packages of 100 modules). A prober on the server asks every instance round
after round while a deploy runs; the tests read the answers, never a duration.
"""

import io
import shutil
import tarfile

import pytest
from procfile_testlib import SCENARIO, ServerProber, playbook, recap_changed

ROOT = "/srv/rel"
DATA = "/var/lib/rel-data"
BASE_PORT = 9100
NUMBERS = (1, 2, 3)
PORTS = [BASE_PORT + n for n in NUMBERS]
CHECK = {"web": {"health_check": {"path": "/", "timeout": 30}}}
PROBES = "/tmp/rel-probes"
PROBES_STOP = "/tmp/rel-probes.stop"
PROCFILE = "release: echo release $(cat data.txt) >> %s/events\nweb: python3 app.py\n" % DATA


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    src = tmp_path_factory.mktemp("rel") / "app"
    src.mkdir()
    for name in ("app.py", "probe.py"):
        shutil.copy(str(SCENARIO / "files" / "releases" / name), str(src / name))
    for package in range(30):
        pkg = src / "lib" / ("p%02d" % package)
        pkg.mkdir(parents=True)
        for module in range(100):
            (pkg / ("m%03d.py" % module)).write_text("VALUE = %d\n" % module)
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return src


def write(src, version, procfile=PROCFILE):
    (src / "data.txt").write_text(version + "\n")
    (src / "Procfile").write_text(procfile)


def deploy(src, revision, *args, check=True, **extra):
    settings = dict(procfile_app="rel", procfile_root=ROOT, procfile_base_port=BASE_PORT,
                    procfile_writable_dirs=[DATA], procfile_scale={"web": 3},
                    procfile_process_settings=CHECK, procfile_source=str(src))
    if revision:
        settings["procfile_revision"] = revision
    settings.update(extra)
    return playbook("deploy.yml", *args, check=check, **settings)


def sent_archives(out):
    """The release archives a -vvv run sent to the host (Ansible's "PUT ... TO ..." lines)."""
    return [line for line in out.splitlines() if " PUT " in line and ".tar.gz TO " in line]


def rollback(*args, check=True, **extra):
    settings = dict(procfile_app="rel", procfile_root=ROOT, procfile_base_port=BASE_PORT,
                    procfile_process_settings=CHECK)
    settings.update(extra)
    return playbook("deploy.yml", "--tags", "rollback", *args, check=check, **settings)


def answers(host):
    """{port: (pid, content)} of every instance, asked once each."""
    found = {}
    for port in PORTS:
        out = host.check_output("python3 -c %s", "import urllib.request as u; print(u.urlopen("
                                "'http://127.0.0.1:%d/', timeout=5).read().decode().strip())" % port)
        pid, content = out.split()
        found[port] = (pid, content)
    return found


def current(host):
    return host.check_output("readlink %s/current", ROOT)


def listing(host):
    return host.check_output("ls -A %s/releases", ROOT).split()


def probing(host):
    """Every instance asked, round after round, on the server: a line per answer."""
    return ServerProber(host, "rel-prober", "python3 %s/current/probe.py %s"
                        % (ROOT, ",".join(str(p) for p in PORTS)), PROBES, PROBES_STOP)


@pytest.fixture(scope="module", autouse=True)
def rel_app(host, source):
    host.run("rm -rf %s %s", ROOT, DATA)
    write(source, "v1")
    _rc, out = deploy(source, "v1")
    yield out
    playbook("deploy.yml", "--tags", "remove", check=False, procfile_app="rel",
             procfile_remove_confirm="rel", procfile_remove_user=True)
    host.run("rm -rf %s %s", ROOT, DATA)


def test_the_first_deploy_unpacks_one_release_and_every_instance_runs_in_it(host, rel_app):
    assert current(host) == "releases/v1"
    assert listing(host) == ["v1"]
    assert set(content for _pid, content in answers(host).values()) == {"v1"}
    assert host.check_output("find %s/releases/v1/lib -type f | wc -l", ROOT) == "3000"
    assert not host.file(ROOT + "/releases/v1/.git").exists
    # root's, read-only to the app: nothing in it that the app's user could write.
    assert host.check_output("find %s/releases/v1 ! -user root -o -perm /022 | wc -l", ROOT) == "0"
    assert host.run("runuser -u rel -- touch %s/releases/v1/x", ROOT).rc != 0
    assert host.check_output("cat %s/events", DATA) == "release v1"
    for n in NUMBERS:
        assert host.check_output("systemctl show -P WorkingDirectory rel-web@%s.service", str(n)) == ROOT + "/current"


def test_the_same_code_again_sends_nothing_and_changes_nothing(host, source):
    before = answers(host)
    # -vvv: Ansible logs each file it sends ("PUT <file> TO <path on the host>").
    _rc, out = deploy(source, "v1", "-vvv")
    assert recap_changed(out) == 0
    assert not sent_archives(out), sent_archives(out)
    assert answers(host) == before


def test_new_code_rolls_in_while_instances_not_yet_restarted_answer_from_their_old_release(host, source):
    before = answers(host)
    old_pids = set(pid for pid, _content in before.values())
    write(source, "v2")
    gone = source / "lib" / "p00" / "m000.py"
    gone.unlink()
    with probing(host) as prober:
        _rc, out = deploy(source, "v2", "-vvv")
    assert recap_changed(out) >= 1
    # The positive control of the test above: new code is sent, once.
    assert len(sent_archives(out)) == 1, sent_archives(out)
    after = answers(host)
    assert set(content for _pid, content in after.values()) == {"v2"}
    assert not old_pids & set(pid for pid, _content in after.values())
    lines = [line.split() for line in prober.lines()]
    # Every answer of a process started before the deploy came from the old release.
    from_old = [line for line in lines if line[1] in old_pids]
    assert from_old and all(line[2] == "v1" for line in from_old), lines
    # The roll was observed: new processes answered v2 while old ones still answered.
    assert any(line[2] == "v2" for line in lines), lines
    assert current(host) == "releases/v2"
    assert not host.file(ROOT + "/current/lib/p00/m000.py").exists
    assert host.file(ROOT + "/releases/v1/lib/p00/m000.py").exists
    assert host.check_output("tail -1 %s/events", DATA) == "release v2"


def test_a_failed_release_phase_leaves_current_and_every_instance_where_they_were(host, source):
    before = answers(host)
    write(source, "v3", procfile="release: exit 3\nweb: python3 app.py\n")
    rc, _out = deploy(source, "v3", check=False)
    assert rc != 0
    assert current(host) == "releases/v2"
    assert answers(host) == before
    write(source, "v2")


def test_rollback_check_says_where_it_would_go_and_changes_nothing(host):
    before = answers(host)
    _rc, out = rollback("--check")
    assert "would roll back from release v2 to v1" in out, out[-3000:]
    assert current(host) == "releases/v2" and answers(host) == before


def test_rollback_brings_every_instance_back_to_the_previous_release(host):
    before = answers(host)
    _rc, out = rollback()
    assert "rolled back from release v2 to v1" in out, out[-3000:]
    assert current(host) == "releases/v1"
    after = answers(host)
    assert set(content for _pid, content in after.values()) == {"v1"}
    assert not set(p for p, _c in before.values()) & set(p for p, _c in after.values())
    assert host.check_output("head -1 /var/lib/procfile-systemd/rel/code") == "v1"


def test_deploying_the_newer_revision_again_restarts_without_a_release_phase(host, source):
    releases_run = host.check_output("grep -c release %s/events", DATA)
    _rc, out = deploy(source, "v2")
    assert recap_changed(out) >= 1
    assert set(content for _pid, content in answers(host).values()) == {"v2"}
    assert host.check_output("grep -c release %s/events", DATA) == releases_run


def test_a_deploy_without_procfile_source_keeps_the_current_release(host):
    """A run without procfile_source (a scale, or the README's plain deploy after a first
    one with it) keeps the host on its release: the Procfile read is the current
    release's, the instances keep working in `current`, and nothing restarts."""
    before, release = answers(host), current(host)
    _rc, out = playbook("deploy.yml", procfile_app="rel", procfile_root=ROOT,
                        procfile_base_port=BASE_PORT, procfile_writable_dirs=[DATA],
                        procfile_scale={"web": 3}, procfile_process_settings=CHECK)
    assert recap_changed(out) == 0, out[-3000:]
    assert current(host) == release and answers(host) == before
    for n in NUMBERS:
        assert host.check_output("systemctl show -P WorkingDirectory rel-web@%s.service",
                                 str(n)) == ROOT + "/current"


def test_a_rollback_to_a_release_that_is_not_there_is_refused(host):
    before = answers(host)
    rc, out = rollback(check=False, procfile_rollback_to="nope")
    assert rc != 0 and "procfile_rollback_to nope: no such release on this host" in " ".join(out.split())
    assert current(host) == "releases/v2" and answers(host) == before


@pytest.mark.parametrize("name,kind,link,mode,rule", [
    ("../evil", "file", "", 0o644, "dot-dot"),
    ("/tmp/evil", "file", "", 0o644, "absolute"),
    ("out", "sym", "/etc", 0o777, "link-absolute"),
    ("up", "sym", "../../..", 0o777, "link-outside"),
    ("null", "chr", "", 0o644, "type"),
    ("su", "file", "", 0o4755, "set-id"),
])
def test_a_hostile_archive_is_refused_with_nothing_written(host, tmp_path, name, kind, link, mode, rule):
    archive = tmp_path / "hostile.tar.gz"
    with tarfile.open(str(archive), "w:gz") as tar:
        ok = tarfile.TarInfo("Procfile")
        ok.size = len(PROCFILE)
        tar.addfile(ok, io.BytesIO(PROCFILE.encode()))
        info = tarfile.TarInfo(name)
        info.mode = mode
        if kind == "file":
            info.size = 2
            tar.addfile(info, io.BytesIO(b"x\n"))
        else:
            info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.CHRTYPE
            info.linkname = link
            tar.addfile(info)
    before = (listing(host), current(host), answers(host))
    rc, out = deploy(archive, "", check=False)
    assert rc != 0
    assert "[rule: %s]" % rule in out and repr(name) in out, out[-3000:]
    assert (listing(host), current(host), answers(host)) == before
    assert host.run("ls /srv/evil /tmp/evil").rc != 0


def test_keep_removes_old_releases_but_never_the_current_one(host, source):
    deploy(source, "v2", procfile_keep_releases=1)
    assert listing(host) == ["v2"]
    assert current(host) == "releases/v2"


def test_a_host_deployed_in_place_moves_to_releases_on_its_next_deploy(host, source):
    """App mig was deployed the old way (its code put into procfile_root by other means);
    its next deploy with procfile_source unpacks a release and rolls its instances into
    `current`, one at a time behind their health check; a re-run then changes nothing."""
    mig = dict(procfile_app="mig", procfile_root="/srv/mig", procfile_base_port=9200,
               procfile_scale={"web": 2}, procfile_process_settings=CHECK)
    host.run("rm -rf /srv/mig")
    # No release phase: rel's writes into rel's data directory.
    host.check_output("mkdir -p /srv/mig && cp -r %s/current/. /srv/mig/ && echo in-place > /srv/mig/data.txt "
                      "&& printf 'web: python3 app.py\\n' > /srv/mig/Procfile", ROOT)
    try:
        playbook("deploy.yml", **mig)
        ports = (9201, 9202)

        def mig_answers():
            return [host.check_output("python3 -c %s", "import urllib.request as u; print(u.urlopen("
                                      "'http://127.0.0.1:%d/', timeout=5).read().decode().strip())" % port)
                    for port in ports]
        before = mig_answers()
        assert [a.split()[1] for a in before] == ["in-place", "in-place"], before
        write(source, "v3", procfile="web: python3 app.py\n")
        playbook("deploy.yml", procfile_source=str(source), procfile_revision="m1", **mig)
        after = mig_answers()
        assert [a.split()[1] for a in after] == ["v3", "v3"], after
        assert not set(a.split()[0] for a in before) & set(a.split()[0] for a in after)
        assert host.check_output("readlink /srv/mig/current") == "releases/m1"
        for n in (1, 2):
            assert host.check_output("systemctl show -P WorkingDirectory mig-web@%s.service",
                                     str(n)) == "/srv/mig/current"
        _rc, out = playbook("deploy.yml", procfile_source=str(source), procfile_revision="m1", **mig)
        assert recap_changed(out) == 0, out[-3000:]
    finally:
        playbook("deploy.yml", "--tags", "remove", check=False, procfile_remove_confirm="mig",
                 procfile_remove_user=True, **mig)
        host.run("rm -rf /srv/mig")
