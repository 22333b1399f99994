"""The sandbox servers are real, booted systemd machines, and survive a reboot."""

import re


def test_pid1_is_systemd(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_system_is_running(host):
    out = host.run("systemctl is-system-running --wait")
    assert out.stdout.strip() == "running", host.run("systemctl --failed").stdout


def test_own_identity(host):
    assert host.file("/etc/hostname").content_string.strip() == host.backend.get_hostname()
    machine_id = host.file("/etc/machine-id").content_string.strip()
    assert len(machine_id) == 32


def test_reboot_happened_and_disk_kept(host):
    before = host.file("/var/lib/smoke-boot-id-before").content_string.strip()
    now = host.file("/proc/sys/kernel/random/boot_id").content_string.strip()
    assert before and now and before != now
    assert host.file("/var/lib/smoke-mark").content_string == "converged\n"
    # One line per boot; systemd 251 and later print a header line first, 247 does not.
    boots = host.check_output("journalctl --list-boots --no-pager")
    assert len(re.findall(r"\b[0-9a-f]{32}\b", boots)) >= 2, boots


def test_sshd_runs_under_systemd(host):
    assert host.service("ssh").is_running
    props = host.service("ssh").systemd_properties
    assert props["ActiveState"] == "active"
