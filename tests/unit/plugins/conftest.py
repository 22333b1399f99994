"""The fake host the plugin tests share: the fake systemd's units run in this test
process (fake_module.FAKE_CGROUP, in a cgroup tree of the test's own), so the servers
fake_module.Instances starts on their ports are theirs to the health checks, which read
the real /proc for the listeners and the sockets this process holds."""

import os

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import health
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import FAKE_CGROUP, fake_cgroups


@pytest.fixture(name="fake_cgroup_root", scope="session", autouse=True)
def fixture_fake_cgroup_root(tmp_path_factory):
    """The fake tree's root, in place of /sys/fs/cgroup for the whole run. Session-wide
    and set by hand, not with monkeypatch: a function-scoped fixture on every test would
    trip hypothesis' check on the property tests."""
    root = str(tmp_path_factory.mktemp("cgroup"))
    fake_cgroups(root, {FAKE_CGROUP: [os.getpid()]})
    real = health.CGROUP_ROOT
    health.CGROUP_ROOT = root
    yield root
    health.CGROUP_ROOT = real
