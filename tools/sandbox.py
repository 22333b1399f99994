#!/usr/bin/env python3
"""Boot real systemd "servers" on this machine with systemd-nspawn.

Every behaviour of procfile.systemd (restart on crash, start at boot, scale, pause
across a reboot) is about systemd, so it is tested on a booted systemd: a Debian rootfs
built once with debootstrap, and one overlay + one ``systemd-nspawn --boot`` per server.
Each server has its own machine-id, hostname, SSH host keys and journal, and is reached
by Ansible over SSH with a generated key.

Two network modes:
  host     sshd listens on a loopback port of this machine (simple, ports are shared);
  private  own network namespace behind a bridge in a hub namespace, reached through
           ``ip netns exec <hub> socat`` as ProxyCommand; every server has its own ports.

Everything it creates is named and recorded under the state directory
(``$PROCFILE_SANDBOX_DIR``, default /var/lib/procfile-sandbox), so destroy and cleanup
remove exactly that and nothing else.

Usage: sandbox.py {build,up,down,reboot,poweroff,start,list,inventory,info,ssh,proxy,cleanup,leftovers} ...
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STATE = Path(os.environ.get("PROCFILE_SANDBOX_DIR", "/var/lib/procfile-sandbox"))
IMAGES = STATE / "images"
HOSTS = STATE / "hosts"
DEB_CACHE = STATE / "debcache"
SSH_KEY = STATE / "ssh" / "id_ed25519"

# Names and prefixes of everything created outside the state directory.
CGROUP_ROOTS = [Path("/sys/fs/cgroup/systemd"), Path("/sys/fs/cgroup/unified")]
CGROUP_PREFIX = "sdhost-"
NETNS_PREFIX = "sdh-"
HUB_NETNS = "sdh-hub"
HUB_BRIDGE = "sdhbr0"
# A private range used only inside network namespaces this tool creates.
PRIVATE_NET = "10.213.0"
HUB_ADDRESS = PRIVATE_NET + ".1"
FIRST_SSH_PORT = 2222

BASE_PACKAGES = [
    "systemd", "systemd-sysv", "dbus", "openssh-server", "python3", "iproute2",
    "procps", "sudo", "ca-certificates",
]
SUITES = ("bookworm", "trixie", "bullseye")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
MASKED_UNITS = [
    "systemd-timesyncd.service", "getty@tty1.service", "console-getty.service",
    "systemd-networkd-wait-online.service",
]
HOSTKEYS_UNIT = """\
[Unit]
Description=Generate this sandbox server's own SSH host keys
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
"""
SSHD_DROPIN = """\
# Written by procfile.systemd's sandbox tool.
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
"""
SSH_OPTIONS = [
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
]


class SandboxError(Exception):
    """A failure with a message meant for the user."""


def log(msg: str) -> None:
    print(f"sandbox: {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], check: bool = True, capture: bool = False, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, text=True, capture_output=capture, check=False, **kw)
    if check and res.returncode != 0:
        detail = (res.stderr or "").strip() if capture else ""
        raise SandboxError(f"command failed ({res.returncode}): {shlex.join(cmd)}\n{detail}")
    return res


# --------------------------------------------------------------------------- images

def apt_mirror() -> str:
    """The host's own Debian mirror, read from its apt configuration."""
    candidates = sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    for path in candidates:
        for line in path.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    sources = Path("/etc/apt/sources.list")
    if sources.exists():
        for line in sources.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[-3]:
                uri = next(p for p in parts[1:] if "://" in p)
                return uri
    raise SandboxError("cannot find a Debian mirror in /etc/apt (sources.list or *.sources)")


def image_key(suite: str, extra: list[str]) -> str:
    if not extra:
        return suite
    digest = hashlib.sha256(" ".join(sorted(extra)).encode()).hexdigest()[:10]
    return f"{suite}-{digest}"


def image_dir(suite: str, extra: list[str]) -> Path:
    return IMAGES / image_key(suite, extra)


@contextlib.contextmanager
def state_lock():
    """Held while a command changes what all servers share: the image cache, the choice
    of a free index and SSH port, the private network's hub, and the runtime state that
    cleanup removes. Sandbox commands do run at once (make test-ansible-versions destroys
    its servers side by side; a user may run make demo during make test): without it,
    two servers created together could take the same address, or one command could
    delete the hub just as another's server joins it. Booting (wait_ready) runs outside."""
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_image(suite: str, extra: list[str], force: bool = False) -> Path:
    """Build (once) a minimal Debian rootfs; reused while its marker file exists."""
    if suite not in SUITES:
        raise SandboxError(f"unknown suite {suite!r}; known: {', '.join(SUITES)}")
    target = image_dir(suite, extra)
    rootfs = target / "rootfs"
    marker = target / "complete"
    packages = BASE_PACKAGES + sorted(extra)
    if marker.exists() and not force:
        return rootfs
    if target.exists():
        shutil.rmtree(target)
    rootfs.mkdir(parents=True)
    DEB_CACHE.mkdir(parents=True, exist_ok=True)
    mirror = apt_mirror()
    log(f"building {suite} rootfs with {len(packages)} packages (once; cached in {target})")
    started = time.monotonic()
    # debootstrap resolves dependencies of --include itself; minbase keeps it small.
    run(["debootstrap", "--variant=minbase", f"--cache-dir={DEB_CACHE}",
         "--include=" + ",".join(packages), suite, str(rootfs), mirror],
        stdout=subprocess.DEVNULL)
    configure_image(rootfs)
    marker.write_text(json.dumps({"suite": suite, "packages": packages,
                                  "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
    log(f"built {suite} rootfs in {time.monotonic() - started:.0f}s")
    return rootfs


def configure_image(rootfs: Path) -> None:
    run(["chroot", str(rootfs), "passwd", "-d", "root"], stdout=subprocess.DEVNULL)
    dropin = rootfs / "etc/ssh/sshd_config.d"
    dropin.mkdir(parents=True, exist_ok=True)
    (dropin / "00-sandbox.conf").write_text(SSHD_DROPIN)
    # Host keys are generated per server at first boot, never shared between servers.
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    unit = rootfs / "etc/systemd/system/sandbox-ssh-hostkeys.service"
    unit.write_text(HOSTKEYS_UNIT)
    for wants in ("multi-user.target.wants", "ssh.service.wants"):
        d = rootfs / "etc/systemd/system" / wants
        d.mkdir(parents=True, exist_ok=True)
        link = d / unit.name
        if not link.is_symlink():
            link.symlink_to("/etc/systemd/system/" + unit.name)
    for name in MASKED_UNITS:
        link = rootfs / "etc/systemd/system" / name
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to("/dev/null")
    # nginx's default site listens on port 80, which every server on the host network
    # shares (and the host may use): a server's own play enables the site it needs.
    default_site = rootfs / "etc/nginx/sites-enabled/default"
    if default_site.is_symlink() or default_site.exists():
        default_site.unlink()
    (rootfs / "etc/machine-id").write_text("")
    (rootfs / "root/.ssh").mkdir(mode=0o700, exist_ok=True)
    # Keep the journal across reboots of a server (journalctl -u spans boots).
    (rootfs / "var/log/journal").mkdir(parents=True, exist_ok=True)
    run(["chroot", str(rootfs), "apt-get", "clean"], check=False)


# --------------------------------------------------------------------------- hosts

def host_dir(name: str) -> Path:
    return HOSTS / name


def load_host(name: str) -> dict:
    path = host_dir(name) / "host.json"
    if not path.exists():
        raise SandboxError(f"no sandbox server named {name!r} (see `sandbox.py list`)")
    return json.loads(path.read_text())


def save_host(info: dict) -> None:
    path = host_dir(info["name"]) / "host.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, indent=2))
    tmp.replace(path)


def all_hosts() -> list[dict]:
    if not HOSTS.exists():
        return []
    hosts = []
    for d in sorted(HOSTS.iterdir()):
        if (d / "host.json").exists():
            hosts.append(json.loads((d / "host.json").read_text()))
    return hosts


def ensure_ssh_key() -> Path:
    if not SSH_KEY.exists():
        SSH_KEY.parent.mkdir(parents=True, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "procfile-sandbox",
             "-f", str(SSH_KEY)])
    return SSH_KEY


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def allocate(network: str) -> tuple[int, int]:
    """The lowest free index (private address) and SSH port (host network)."""
    used_index = {h["index"] for h in all_hosts()}
    used_ports = {h["ssh_port"] for h in all_hosts() if h["network"] == "host"}
    index = next(i for i in range(1, 240) if i not in used_index)
    if network == "private":
        return index, 22
    port = FIRST_SSH_PORT
    while port in used_ports or not port_free(port):
        port += 1
    return index, port


def cgroup_paths(name: str) -> list[Path]:
    return [root / (CGROUP_PREFIX + name) for root in CGROUP_ROOTS if root.exists()]


def cgroup_pids(name: str) -> list[int]:
    pids: set[int] = set()
    for path in cgroup_paths(name):
        if not path.exists():
            continue
        # os.walk, not Path.rglob: cgroups vanish while the server reboots or stops, and
        # os.walk skips a directory that is gone instead of raising.
        for directory, _dirs, files in os.walk(path):
            if "cgroup.procs" not in files:
                continue
            try:
                pids.update(int(p) for p in (Path(directory) / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
    return sorted(pids)


def container_pid1(name: str) -> int | None:
    """PID (on this machine) of the server's systemd, PID 1 in its own namespace."""
    for pid in cgroup_pids(name):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("NSpid:"):
                ids = line.split()[1:]
                if len(ids) > 1 and ids[-1] == "1":
                    return pid
    return None


def proc_start_time(pid: int) -> str | None:
    """Start time of a process (field 22 of /proc/PID/stat): with the PID, its identity."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def launcher_alive(info: dict) -> bool:
    pid = info.get("launcher_pid")
    if not pid:
        return False
    # The PID alone could have been reused since: compare the recorded start time too.
    started = proc_start_time(pid)
    if started is None or started != info.get("launcher_started"):
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def setup_hub() -> None:
    if Path(f"/run/netns/{HUB_NETNS}").exists():
        return
    run(["ip", "netns", "add", HUB_NETNS])
    run(["ip", "-n", HUB_NETNS, "link", "set", "lo", "up"])
    run(["ip", "-n", HUB_NETNS, "link", "add", HUB_BRIDGE, "type", "bridge"])
    run(["ip", "-n", HUB_NETNS, "addr", "add", f"{HUB_ADDRESS}/24", "dev", HUB_BRIDGE])
    run(["ip", "-n", HUB_NETNS, "link", "set", HUB_BRIDGE, "up"])


def setup_private_netns(info: dict) -> None:
    setup_hub()
    ns = info["netns"]
    if Path(f"/run/netns/{ns}").exists():
        return
    hub_if, inner = f"sdhv{info['index']}", "sdhv-in"
    run(["ip", "netns", "add", ns])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(["ip", "link", "add", hub_if, "netns", HUB_NETNS, "type", "veth",
         "peer", "name", inner, "netns", ns])
    run(["ip", "-n", HUB_NETNS, "link", "set", hub_if, "master", HUB_BRIDGE, "up"])
    run(["ip", "-n", ns, "link", "set", inner, "name", "eth0"])
    run(["ip", "-n", ns, "addr", "add", f"{info['address']}/24", "dev", "eth0"])
    run(["ip", "-n", ns, "link", "set", "eth0", "up"])
    run(["ip", "-n", ns, "route", "add", "default", "via", HUB_ADDRESS])


def write_launcher(info: dict, rootfs: Path) -> Path:
    d = host_dir(info["name"])
    nspawn = [
        "systemd-nspawn", "--boot", "--register=no", "--keep-unit", "--link-journal=no",
        "--console=read-only", "--resolv-conf=off", "--timezone=off",
        "-M", info["name"], "-D", str(d / "merged"),
    ]
    if info["network"] == "private":
        nspawn.append(f"--network-namespace-path=/run/netns/{info['netns']}")
    overlay = (f"lowerdir={rootfs},upperdir={d / 'upper'},workdir={d / 'work'}")
    script = f"""#!/bin/bash
# Generated by procfile.systemd's sandbox tool: boots server {info['name']}.
# Runs in its own mount namespace, so the overlay and the tmpfs vanish with it.
set -u
for cg in {' '.join(shlex.quote(str(p)) for p in cgroup_paths(info['name']))}; do
  echo $$ > "$cg/cgroup.procs"
done
mkdir -p /run/systemd/nspawn
mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
mount -t overlay overlay -o {shlex.quote(overlay)} {shlex.quote(str(d / 'merged'))}
while :; do
  {shlex.join(nspawn)}
  rc=$?
  echo "sandbox: nspawn exited with $rc"
  # 133: the container asked to reboot (as systemd-nspawn@.service handles it).
  [ "$rc" -eq 133 ] || break
done
umount {shlex.quote(str(d / 'merged'))}
exit "$rc"
"""
    path = d / "launcher.sh"
    path.write_text(script)
    path.chmod(0o755)
    return path


def prepare_upper(info: dict) -> None:
    """Per-server identity, written into the overlay's upper layer before first boot."""
    upper = host_dir(info["name"]) / "upper"
    (upper / "etc/ssh/sshd_config.d").mkdir(parents=True, exist_ok=True)
    (upper / "root/.ssh").mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(upper / "root/.ssh", 0o700)
    (upper / "etc/machine-id").write_text(info["machine_id"] + "\n")
    (upper / "etc/hostname").write_text(info["name"] + "\n")
    (upper / "etc/hosts").write_text(
        f"127.0.0.1\tlocalhost\n127.0.1.1\t{info['name']}\n::1\tlocalhost ip6-localhost\n")
    listen = "127.0.0.1" if info["network"] == "host" else "0.0.0.0"
    (upper / "etc/ssh/sshd_config.d/10-sandbox-listen.conf").write_text(
        f"Port {info['ssh_port']}\nListenAddress {listen}\n")
    pub = Path(str(SSH_KEY) + ".pub").read_text()
    keys = upper / "root/.ssh/authorized_keys"
    keys.write_text(pub)
    keys.chmod(0o600)


def start_launcher(info: dict) -> None:
    d = host_dir(info["name"])
    for path in cgroup_paths(info["name"]):
        path.mkdir(exist_ok=True)
    if info["network"] == "private":
        setup_private_netns(info)
    console = open(d / "console.log", "ab")
    proc = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", str(d / "launcher.sh")],
        stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
        start_new_session=True)
    info["launcher_pid"] = proc.pid
    info["launcher_started"] = proc_start_time(proc.pid)
    save_host(info)


def ssh_command(info: dict, remote: list[str] | None = None) -> list[str]:
    cmd = ["ssh", "-i", str(SSH_KEY), *SSH_OPTIONS, "-p", str(info["ssh_port"])]
    if info["network"] == "private":
        cmd += ["-o", f"ProxyCommand={proxy_command()}"]
    cmd.append(f"root@{info['address']}")
    if remote:
        cmd += remote
    return cmd


def proxy_command() -> str:
    return f"ip netns exec {HUB_NETNS} socat STDIO TCP:%h:%p"


def wait_ready(info: dict, timeout: float = 60.0, old_pid1: int | None = None) -> None:
    """Wait until systemd says the server is up and sshd accepts our key."""
    deadline = time.monotonic() + timeout
    state = "not started"
    while time.monotonic() < deadline:
        if not launcher_alive(info):
            raise SandboxError(f"server {info['name']} stopped while booting; see "
                               f"{host_dir(info['name']) / 'console.log'}")
        pid1 = container_pid1(info["name"])
        if pid1 and pid1 != old_pid1:
            # The bus inside is not up for a moment after start: retry until it answers.
            res = run(["nsenter", "-t", str(pid1), "-a", "systemctl", "is-system-running",
                       "--wait"], check=False, capture=True, timeout=timeout)
            state = res.stdout.strip()
            if state in ("running", "degraded"):
                res = run(ssh_command(info, ["true"]) + ["-o", "ConnectTimeout=2"],
                          check=False, capture=True)
                if res.returncode == 0:
                    info["pid1"] = pid1
                    save_host(info)
                    return
                state = f"{state}, sshd not answering yet"
        time.sleep(0.2)
    raise SandboxError(f"server {info['name']} not ready after {timeout:.0f}s (last state: {state})")


def cmd_up(args: argparse.Namespace) -> None:
    with state_lock():
        ensure_ssh_key()
        rootfs = build_image(args.suite, args.extra)
    for name in args.names:
        if not NAME_RE.match(name):
            raise SandboxError(f"bad server name {name!r}: lowercase letters, digits, '-'")
        with state_lock():
            info = create_and_start(name, args, rootfs)
        if info is None:
            continue
        started = time.monotonic()
        wait_ready(info)
        log(f"{name} up in {time.monotonic() - started:.1f}s ({info['network']} network, "
            f"ssh {info['address']}:{info['ssh_port']})")


def create_and_start(name: str, args: argparse.Namespace, rootfs: Path) -> dict | None:
    """Allocate NAME an index and port, write its state and start its launcher (under
    state_lock); None if it is up already."""
    if (host_dir(name) / "host.json").exists():
        info = load_host(name)
        if launcher_alive(info):
            log(f"{name} is already up")
            return None
        destroy(name)
    index, port = allocate(args.network)
    info = {
        "name": name, "suite": args.suite, "extra": sorted(args.extra),
        "network": args.network, "index": index, "ssh_port": port,
        "address": "127.0.0.1" if args.network == "host" else f"{PRIVATE_NET}.{10 + index}",
        "netns": NETNS_PREFIX + name if args.network == "private" else None,
        "machine_id": os.urandom(16).hex(), "rootfs": str(rootfs),
    }
    d = host_dir(name)
    for sub in ("upper", "work", "merged"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    save_host(info)
    prepare_upper(info)
    write_launcher(info, rootfs)
    start_launcher(info)
    return info


def cmd_start(args: argparse.Namespace) -> None:
    """Boot a server that was powered off, with its disk as it was."""
    for name in args.names:
        info = load_host(name)
        if launcher_alive(info):
            log(f"{name} is already running")
            continue
        with state_lock():
            cleanup_runtime(info)
            start_launcher(info)
        wait_ready(info)
        log(f"{name} started")


def poweroff(info: dict, timeout: float = 30.0) -> None:
    pid1 = container_pid1(info["name"])
    if pid1:
        os.kill(pid1, signal.SIGRTMIN + 4)  # systemd: clean poweroff
    deadline = time.monotonic() + timeout
    while launcher_alive(info) and time.monotonic() < deadline:
        time.sleep(0.05)
    if launcher_alive(info):
        log(f"{info['name']} did not power off in {timeout:.0f}s; killing it")
        kill_cgroup(info["name"])


def kill_cgroup(name: str) -> None:
    for _attempt in range(50):
        pids = cgroup_pids(name)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def cleanup_runtime(info: dict) -> None:
    """Remove processes, cgroups and network namespaces of one server (not its disk)."""
    name = info["name"]
    kill_cgroup(name)
    for path in cgroup_paths(name):
        if path.exists():
            for sub in sorted((p for p in path.rglob("*") if p.is_dir()),
                              key=lambda p: len(p.parts), reverse=True):
                try:
                    sub.rmdir()
                except OSError:
                    pass
            try:
                path.rmdir()
            except OSError as exc:
                log(f"could not remove cgroup {path}: {exc}")
    if info.get("netns") and Path(f"/run/netns/{info['netns']}").exists():
        # Deleting the namespace removes the veth pair with it.
        run(["ip", "netns", "del", info["netns"]], check=False)
    # A mount left by a launcher that died without its namespace is impossible (the
    # mounts live in the launcher's private namespace), but be sure.
    merged = host_dir(name) / "merged"
    if os.path.ismount(merged):
        run(["umount", "-l", str(merged)], check=False)


def recorded(name: str) -> dict:
    """NAME's state as saved, or what removing a half-made server needs."""
    d = host_dir(name)
    return json.loads((d / "host.json").read_text()) if (d / "host.json").exists() else {
        "name": name, "netns": NETNS_PREFIX + name}


def destroy(name: str) -> None:
    info = recorded(name)
    if launcher_alive(info):
        poweroff(info, timeout=10)
    cleanup_runtime(info)
    shutil.rmtree(host_dir(name), ignore_errors=True)


def teardown_hub_if_unused() -> None:
    if any(h["network"] == "private" for h in all_hosts()):
        return
    if Path(f"/run/netns/{HUB_NETNS}").exists():
        run(["ip", "netns", "del", HUB_NETNS], check=False)
    netns_dir = Path("/run/netns")
    # `ip netns add` made /run/netns a bind mount; undo it when nothing is left in it.
    if netns_dir.exists() and os.path.ismount(netns_dir) and not any(netns_dir.iterdir()):
        run(["umount", str(netns_dir)], check=False)
        try:
            netns_dir.rmdir()
        except OSError:
            pass


def cmd_down(args: argparse.Namespace) -> None:
    if args.all:
        names = [h["name"] for h in all_hosts()]
    elif args.keep_file:
        # Every server but those recorded: a failed test run removes its own only.
        keep = read_names(args.keep_file)
        names = [h["name"] for h in all_hosts() if h["name"] not in keep]
    else:
        names = args.names
    for name in names:
        started = time.monotonic()
        info = recorded(name)
        if launcher_alive(info):
            # Its shutdown, outside the lock: other servers may be created meanwhile.
            poweroff(info, timeout=10)
        with state_lock():
            destroy(name)
        log(f"{name} destroyed in {time.monotonic() - started:.1f}s")
    with state_lock():
        teardown_hub_if_unused()


def cmd_poweroff(args: argparse.Namespace) -> None:
    for name in args.names:
        info = load_host(name)
        poweroff(info)
        with state_lock():
            cleanup_runtime(info)
        log(f"{name} powered off")


def cmd_reboot(args: argparse.Namespace) -> None:
    for name in args.names:
        info = load_host(name)
        old = container_pid1(name)
        if not old:
            raise SandboxError(f"{name} is not running")
        run(["nsenter", "-t", str(old), "-a", "systemctl", "reboot"], check=False)
        wait_ready(info, old_pid1=old)
        log(f"{name} rebooted")


def read_names(path: str) -> set[str]:
    """Server names recorded by `sandbox.py list --names -o PATH` (absent file: none)."""
    try:
        return set(Path(path).read_text().split())
    except FileNotFoundError:
        return set()


def leftovers(keep: set[str]) -> list[str]:
    """What this tool made for servers not in KEEP that is still on the machine: servers,
    their processes, mounts, cgroups, network namespaces (and the hub, when only servers
    outside KEEP could be using it)."""
    problems = []
    for info in all_hosts():
        if info["name"] not in keep:
            problems.append(f"server {info['name']} ({host_status(info)})")
    for root in CGROUP_ROOTS:
        if root.exists():
            for path in sorted(root.glob(CGROUP_PREFIX + "*")):
                if path.name[len(CGROUP_PREFIX):] not in keep:
                    problems.append(f"cgroup {path}")
    netns = Path("/run/netns")
    kept_private = any(h["network"] == "private" for h in all_hosts() if h["name"] in keep)
    if netns.exists():
        for path in sorted(netns.glob(NETNS_PREFIX + "*")):
            name = path.name[len(NETNS_PREFIX):]
            if path.name == HUB_NETNS:
                if not kept_private:
                    problems.append(f"network namespace {path.name}")
            elif name not in keep:
                problems.append(f"network namespace {path.name}")
    hosts_dir = str(HOSTS) + "/"
    with open("/proc/mounts") as handle:
        for line in handle:
            mountpoint = line.split()[1]
            if mountpoint.startswith(hosts_dir) and \
                    mountpoint[len(hosts_dir):].split("/")[0] not in keep:
                problems.append(f"mount {mountpoint}")
    out = run(["pgrep", "-a", "-f", "systemd-nspawn"], check=False, capture=True).stdout
    for line in out.splitlines():
        match = re.search(re.escape(hosts_dir) + r"([a-z0-9-]+)/", line)
        if match and match.group(1) not in keep:
            problems.append(f"systemd-nspawn process of {match.group(1)}: {line.split()[0]}")
    return problems


def cmd_leftovers(args: argparse.Namespace) -> None:
    """Fail if anything of a server not recorded in --keep-file is left (tests use it to
    check that they removed all of theirs, and only theirs)."""
    keep = read_names(args.keep_file)
    problems = leftovers(keep)
    if problems:
        raise SandboxError("left behind by the tests: " + "; ".join(problems))
    kept = ", ".join(sorted(keep)) or "none"
    print(f"sandbox clean: nothing left but the servers that were there before ({kept})")


def cmd_cleanup(args: argparse.Namespace) -> None:
    """Remove leftovers of crashed runs: runtime state of servers whose launcher died."""
    with state_lock():
        for info in all_hosts():
            if not launcher_alive(info):
                cleanup_runtime(info)
        teardown_hub_if_unused()


def host_status(info: dict) -> str:
    if not launcher_alive(info):
        return "off"
    return "running" if container_pid1(info["name"]) else "booting"


def cmd_list(args: argparse.Namespace) -> None:
    hosts = all_hosts()
    if args.names:
        text = "".join(h["name"] + "\n" for h in hosts)
        if args.output:
            Path(args.output).write_text(text)
        else:
            print(text, end="")
        return
    if args.json:
        print(json.dumps([{**h, "status": host_status(h)} for h in hosts], indent=2))
        return
    print(f"{'NAME':<20} {'STATUS':<8} {'SUITE':<9} {'NETWORK':<8} SSH")
    for h in hosts:
        print(f"{h['name']:<20} {host_status(h):<8} {h['suite']:<9} {h['network']:<8} "
              f"{h['address']}:{h['ssh_port']}")


def ansible_vars(info: dict) -> dict:
    common = " ".join(SSH_OPTIONS)
    if info["network"] == "private":
        common += f" -o ProxyCommand='{proxy_command()}'"
    return {
        "ansible_host": info["address"], "ansible_port": info["ssh_port"],
        "ansible_user": "root", "ansible_ssh_private_key_file": str(SSH_KEY),
        "ansible_ssh_common_args": common, "ansible_python_interpreter": "/usr/bin/python3",
    }


def cmd_inventory(args: argparse.Namespace) -> None:
    hosts = [h for h in all_hosts() if not args.names or h["name"] in args.names]
    inventory = {"all": {"children": {"sandbox": {
        "hosts": {h["name"]: ansible_vars(h) for h in hosts}}}}}
    # JSON is valid YAML, and Ansible's yaml inventory plugin reads it.
    text = json.dumps(inventory, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n")
    else:
        print(text)


def cmd_info(args: argparse.Namespace) -> None:
    info = load_host(args.name)
    if args.molecule:
        # The instance config molecule's default driver builds its inventory from.
        print(json.dumps({"instance": info["name"], "address": info["address"], "user": "root",
                          "port": info["ssh_port"], "identity_file": str(SSH_KEY)}))
        return
    print(json.dumps({**info, "status": host_status(info), "identity_file": str(SSH_KEY),
                      "ansible": ansible_vars(info)}, indent=2))


def cmd_ssh(args: argparse.Namespace) -> None:
    info = load_host(args.name)
    os.execvp("ssh", ssh_command(info, args.command or None) + (["-t"] if not args.command else []))


def cmd_proxy(args: argparse.Namespace) -> None:
    """ssh ProxyCommand that reaches any sandbox server, host or private network."""
    argv = ["socat", "STDIO", f"TCP:{args.host}:{args.port}"]
    if args.host.startswith(PRIVATE_NET + "."):
        argv = ["ip", "netns", "exec", HUB_NETNS, *argv]
    os.execvp(argv[0], argv)


def cmd_build(args: argparse.Namespace) -> None:
    with state_lock():
        rootfs = build_image(args.suite, args.extra, force=args.force)
    print(rootfs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="cmd", required=True)

    def image_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--suite", default=os.environ.get("PROCFILE_SANDBOX_SUITE", "bookworm"),
                       choices=SUITES)
        p.add_argument("--extra", action="append", default=[], metavar="PACKAGE",
                       help="extra Debian package in the image (repeatable)")

    p = sub.add_parser("build", help="build the rootfs once (cached)")
    image_args(p)
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("up", help="create and boot servers")
    p.add_argument("names", nargs="+")
    image_args(p)
    p.add_argument("--network", choices=("host", "private"), default="host")
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("down", help="destroy servers (disk included)")
    p.add_argument("names", nargs="*")
    p.add_argument("--all", action="store_true")
    p.add_argument("--all-but", dest="keep_file", metavar="FILE",
                   help="every server not named in FILE (from `list --names -o FILE`)")
    p.set_defaults(func=cmd_down)
    for name, func, text in (("reboot", cmd_reboot, "reboot from inside and wait"),
                             ("poweroff", cmd_poweroff, "clean poweroff, disk kept"),
                             ("start", cmd_start, "boot a powered-off server")):
        p = sub.add_parser(name, help=text)
        p.add_argument("names", nargs="+")
        p.set_defaults(func=func)
    p = sub.add_parser("list", help="list servers")
    p.add_argument("--json", action="store_true")
    p.add_argument("--names", action="store_true", help="names only, one a line")
    p.add_argument("-o", "--output", help="with --names: write them to this file")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("inventory", help="print an Ansible inventory (YAML)")
    p.add_argument("names", nargs="*")
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_inventory)
    p = sub.add_parser("info", help="one server as JSON")
    p.add_argument("name")
    p.add_argument("--molecule", action="store_true", help="as a molecule instance config entry")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("ssh", help="ssh into a server")
    p.add_argument("name")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_ssh)
    p = sub.add_parser("proxy", help="ssh ProxyCommand for any server: proxy %%h %%p")
    p.add_argument("host")
    p.add_argument("port")
    p.set_defaults(func=cmd_proxy)
    p = sub.add_parser("cleanup", help="remove leftovers of crashed runs")
    p.set_defaults(func=cmd_cleanup)
    p = sub.add_parser("leftovers", help="fail if anything of a server not in FILE is left")
    p.add_argument("--keep-file", required=True, metavar="FILE",
                   help="the servers to leave out (from `list --names -o FILE`)")
    p.set_defaults(func=cmd_leftovers)

    args = parser.parse_args(argv)
    if args.cmd == "down" and not (args.all or args.names or args.keep_file):
        parser.error("down needs server names, --all or --all-but FILE")
    if os.geteuid() != 0:
        raise SandboxError("the sandbox needs root (systemd-nspawn, mounts, network namespaces)")
    args.func(args)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SandboxError as exc:
        log(f"error: {exc}")
        sys.exit(1)
