"""Reading the Procfile as root without being tricked by the app's user (uid 65534 here):
links that leave the app's directory, files only root can read, FIFOs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import procfile_read
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_read import read_procfile

SECRET = "root:$y$j9T$secret-hash:19000:0:99999:7:::\n"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="plays root against an app user")


@pytest.fixture(name="app")
def fixture_app():
    """An app directory the app's user ('nobody') owns, beside a root-only secret. Made
    under /tmp, since pytest's own tmp_path is closed to other users."""
    top = tempfile.mkdtemp(prefix="procfile-read-", dir="/tmp")
    os.chmod(top, 0o755)
    app = os.path.join(top, "app")
    os.mkdir(app, 0o755)
    os.chown(app, 65534, 65534)
    with open(os.path.join(top, "shadow"), "w") as handle:
        handle.write(SECRET)
    os.chmod(os.path.join(top, "shadow"), 0o600)
    yield app
    shutil.rmtree(top)


def refused(path, app, **kwargs):
    with pytest.raises(ProcfileError) as info:
        read_procfile(path, root=app, **kwargs)
    assert "secret-hash" not in str(info.value) and "root:" not in str(info.value)
    return info.value


def test_a_link_inside_the_app_directory_is_followed(app):
    with open(os.path.join(app, "Procfile.production"), "w") as handle:
        handle.write("web: serve\n")
    os.symlink("Procfile.production", os.path.join(app, "Procfile"))
    assert [p["name"] for p in read_procfile(os.path.join(app, "Procfile"), root=app,
                                             as_user="nobody")] == ["web"]


@pytest.mark.parametrize("as_user", ["nobody", None])
def test_a_link_out_of_the_app_directory_is_refused_unread(app, as_user):
    os.symlink("../shadow", os.path.join(app, "Procfile"))
    err = refused(os.path.join(app, "Procfile"), app, as_user=as_user)
    assert err.rule == "outside-root"
    assert "leads out of %s" % app in str(err)


def test_a_parent_directory_swapped_for_a_link_out_is_refused(app):
    os.symlink("..", os.path.join(app, "current"))
    err = refused(os.path.join(app, "current", "shadow"), app, as_user="nobody")
    assert err.rule == "outside-root"


def test_a_root_only_file_is_not_read_as_the_app_user(app):
    # A hard link needs no symlink at all (fs.protected_hardlinks stops the app making
    # one, but root might have): reading as the app's user is what keeps it out.
    os.link(os.path.join(os.path.dirname(app), "shadow"), os.path.join(app, "Procfile"))
    err = refused(os.path.join(app, "Procfile"), app, as_user="nobody")
    assert err.rule == "read"
    assert "as the app's user 'nobody'" in str(err) and "Permission denied" in str(err)


def test_a_fifo_is_refused_without_blocking(app):
    os.mkfifo(os.path.join(app, "Procfile"))
    err = refused(os.path.join(app, "Procfile"), app, as_user="nobody")
    assert err.rule == "not-regular"


def test_a_user_that_does_not_exist_yet_reads_as_root(app):
    with open(os.path.join(app, "Procfile"), "w") as handle:
        handle.write("worker: work\n")
    os.chmod(os.path.join(app, "Procfile"), 0o600)
    assert [p["name"] for p in read_procfile(os.path.join(app, "Procfile"), root=app,
                                             as_user="no-such-user-x")] == ["worker"]


def test_parse_errors_quote_only_the_offending_line(app):
    with open(os.path.join(app, "Procfile"), "w") as handle:
        handle.write("web: ok\nthis line has no colon\nworker: " + "x" * 200 + "\n")
    err = refused(os.path.join(app, "Procfile"), app, as_user="nobody")
    assert (err.rule, err.line) == ("syntax", 2)
    assert "web: ok" not in str(err) and "worker" not in str(err)


def test_the_app_users_uid_decides_not_its_group(app, monkeypatch):
    # An app user whose primary group is root (gid 0) is still not root: the file is read
    # as its uid, and a root-only file is refused, word for word.
    monkeypatch.setattr(procfile_read, "account", lambda user: (65534, 0, [0]))
    path = os.path.join(app, "Procfile")
    with open(path, "w") as handle:
        handle.write("web: serve\n")
    os.chmod(path, 0o600)
    err = refused(path, app, as_user="shop")
    detail = ("cannot read as the app's user 'shop' (its processes run as that user and must be "
              "able to read their code): Permission denied")
    assert err.to_dict() == {"file": path, "line": 0, "rule": "read", "detail": detail,
                             "msg": "%s: %s [rule: read]" % (path, detail)}
    # Made readable to its group (root's), the same file is read: as uid 65534 in group 0.
    os.chmod(path, 0o640)
    assert [p["name"] for p in read_procfile(path, root=app, as_user="shop")] == ["web"]


def test_an_app_user_that_is_root_reads_as_root(app, monkeypatch):
    # uid 0, whatever its group: read directly, a root-only file too.
    monkeypatch.setattr(procfile_read, "account", lambda user: (0, 65534, [65534]))
    path = os.path.join(app, "Procfile")
    with open(path, "w") as handle:
        handle.write("web: serve\n")
    os.chmod(path, 0o600)
    assert [p["name"] for p in read_procfile(path, root=app, as_user="admin")] == ["web"]


def test_an_app_user_of_uid_1_is_not_root(app, monkeypatch):
    # Only uid 0 reads directly; uid 1 (daemon) is an app user like any other.
    monkeypatch.setattr(procfile_read, "account", lambda user: (1, 1, [1]))
    path = os.path.join(app, "Procfile")
    with open(path, "w") as handle:
        handle.write("web: serve\n")
    os.chmod(path, 0o600)
    assert refused(path, app, as_user="daemon").rule == "read"
