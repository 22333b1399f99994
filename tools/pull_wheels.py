"""ansible-core's wheels for servers that deploy themselves (`-c local`, ansible-pull) and
cannot reach PyPI: the version requirements-dev.txt pins, for the servers' Python 3.11
(Debian bookworm), downloaded once on a machine that reaches PyPI and cached in
.cache/pull-wheels/<version>/. One place for molecule/fleet/tests/test_40_pull.py and
benchmarks/fleet.py, which share that cache.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pinned_ansible_core():
    """The ansible-core version requirements-dev.txt pins."""
    pins = (ROOT / "requirements-dev.txt").read_text()
    return re.search(r"^ansible-core==(\S+)$", pins, re.M).group(1)


def wheels(python, env=None):
    """The cache directory, filled on first use with PYTHON's pip (the README's
    `pip download` line, plus the destination)."""
    version = pinned_ansible_core()
    cache = ROOT / ".cache" / "pull-wheels" / version
    if not (cache / ".complete").exists():
        subprocess.run([str(python), "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--only-binary=:all:", "--python-version", "3.11",
                        "--platform", "manylinux2014_x86_64", "-d", str(cache),
                        "ansible-core==" + version, "pip"], check=True, env=env)
        (cache / ".complete").touch()
    return cache
