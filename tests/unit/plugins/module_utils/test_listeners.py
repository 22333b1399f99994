"""Who listens on a port (module_utils/listeners): the TCP tables and cgroup files parsed
from fixture text and trees, and the socket searches on this test process's own socket."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import listeners
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import fake_cgroups

HEAD = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
TAIL = " 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 100 0 0 10 0\n"

# As a little-endian host prints them: 127.0.0.1:5502 and 0.0.0.0:6000 listen,
# 10.0.0.5:5502 listens on an address a probe of 127.0.0.1 never reaches, and
# 127.0.0.1:5502 also has a connection (state 01), which is no listener.
TCP = HEAD + "".join("%4d: %s %s %s" % (n, local, remote, state) + TAIL % inode for n, (local, remote, state, inode) in
                     enumerate([("0100007F:157E", "00000000:0000", "0A", 41001),
                                ("00000000:1770", "00000000:0000", "0A", 41002),
                                ("0500000A:157E", "00000000:0000", "0A", 41003),
                                ("0100007F:157E", "0100007F:C350", "01", 41004)]))

ZERO6 = "0" * 32
# [::]:5502, [::1]:5501, [::ffff:127.0.0.1]:5500 and [2001:db8::1]:5502.
TCP6 = HEAD + "".join("%4d: %s:%s %s:0000 0A" % (n, local, port, ZERO6) + TAIL % inode for n, (local, port, inode) in
                      enumerate([(ZERO6, "157E", 42001),
                                 ("000000000000000000000000" + "01000000", "157D", 42002),
                                 ("0000000000000000FFFF0000" + "0100007F", "157C", 42003),
                                 ("B80D0120000000000000000001000000", "157E", 42004)]))


def test_listening_sockets_are_read_with_their_address_port_and_inode():
    assert listeners.listening(TCP, "little") == [
        ("127.0.0.1", 5502, 41001), ("0.0.0.0", 6000, 41002), ("10.0.0.5", 5502, 41003)]
    assert listeners.listening(TCP6, "little") == [
        ("::", 5502, 42001), ("::1", 5501, 42002), ("::ffff:127.0.0.1", 5500, 42003),
        ("2001:db8::1", 5502, 42004)]


def test_a_big_endian_host_prints_the_address_in_order():
    assert listeners.address("7F000001", "big") == "127.0.0.1"
    assert listeners.address("0100007F", "little") == "127.0.0.1"


def test_the_listeners_of_a_port_are_those_a_local_probe_reaches():
    found = listeners.port_listeners([TCP, TCP6], [5500, 5501, 5502, 5503, 6000], byteorder="little")
    # 10.0.0.5 and 2001:db8::1 are left out; 5503 has no listener.
    assert found == {5500: {42003}, 5501: {42002}, 5502: {41001, 42001}, 6000: {41002}}
    # The probes' own address, when another, counts too (procfile_health's host).
    assert listeners.port_listeners([TCP], [5502], listeners.LOCAL_ADDRESSES | {"10.0.0.5"},
                                    "little") == {5502: {41001, 41003}}


def test_a_table_that_cannot_be_parsed_has_no_listeners():
    assert listeners.listening("", "little") == []
    assert listeners.listening(HEAD + "   0: garbage 0A\n   1: 0100007F:ZZZZ x 0A a b c d e f\n",
                               "little") == []
    assert listeners.read_tables("/nonexistent") == ["", ""]


@pytest.fixture(name="listener")
def fixture_listener():
    """A socket of this process listening on 127.0.0.1, with its port and inode."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1], os.fstat(sock.fileno()).st_ino
    sock.close()


def test_this_host_s_tables_show_a_socket_this_process_listens_on(listener):
    port, inode = listener
    assert listeners.port_listeners(listeners.read_tables(), [port]) == {port: {inode}}


def test_a_socket_s_inode_leads_to_the_process_that_holds_it_and_back(listener):
    _port, inode = listener
    assert inode in listeners.socket_inodes([os.getpid()])
    assert os.getpid() in listeners.holders(inode)
    with open("/proc/self/comm") as comm:
        assert listeners.describe(os.getpid()).startswith("PID %d (%s, " % (os.getpid(), comm.read().strip()))
    # A process that is gone holds nothing, and is still named by its PID.
    assert listeners.socket_inodes([2 ** 22 + 1]) == set()
    assert listeners.describe(2 ** 22 + 1) == "PID %d (?, in no unit)" % (2 ** 22 + 1)


@pytest.mark.parametrize("layout", ["unified", "", "systemd"])
def test_a_unit_s_cgroup_is_found_on_a_hybrid_a_v2_and_a_v1_host(tmp_path, layout):
    cgroup = "/system.slice/system-shop\\x2dweb.slice/shop-web@1.service"
    path = tmp_path.joinpath(layout, cgroup.strip("/")) if layout else tmp_path.joinpath(cgroup.strip("/"))
    path.mkdir(parents=True)
    (path / "cgroup.procs").write_text("10\n11\n")
    # A cgroup of its own below it (a service may make some): its processes are the unit's.
    (path / "worker").mkdir()
    (path / "worker" / "cgroup.procs").write_text("12\n")
    assert listeners.cgroup_dir(cgroup, str(tmp_path)) == str(path)
    assert listeners.cgroup_pids(cgroup, str(tmp_path)) == {10, 11, 12}


def test_the_hybrid_host_s_unified_tree_comes_first(tmp_path):
    fake_cgroups(str(tmp_path), {"/system.slice/a.service": [10]})
    v1 = tmp_path / "systemd" / "system.slice" / "a.service"
    v1.mkdir(parents=True)
    (v1 / "cgroup.procs").write_text("99\n")
    assert listeners.cgroup_pids("/system.slice/a.service", str(tmp_path)) == {10}


def test_no_cgroup_empty_or_root_has_no_processes(tmp_path):
    fake_cgroups(str(tmp_path), {"/": [1, 2, 3]})
    for cgroup in ("", None, "/", "/system.slice/gone.service"):
        assert listeners.cgroup_pids(cgroup, str(tmp_path)) == set()


@pytest.mark.parametrize("text, unit", [
    # Hybrid (v1 controllers, the unified tree as 0::).
    ("12:pids:/system.slice/squatter.service\n1:name=systemd:/system.slice/squatter.service\n"
     "0::/system.slice/squatter.service\n", "squatter.service"),
    ("0::/system.slice/system-shop\\x2dweb.slice/shop-web@2.service\n", "shop-web@2.service"),
    # A cgroup a service made below its own.
    ("0::/system.slice/docker.service/payload\n", "docker.service"),
    ("0::/user.slice/user-0.slice/session-3.scope\n", "session-3.scope"),
    # v1 only: systemd's named hierarchy.
    ("4:memory:/x\n1:name=systemd:/system.slice/cron.service\n0::/\n", "cron.service"),
    ("0::/\n", None),
    ("", None),
])
def test_the_unit_of_a_process_is_read_from_its_cgroup_file(text, unit):
    assert listeners.unit_of(text) == unit
