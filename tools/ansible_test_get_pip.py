"""Stand-in for ansible-test's get-pip bootstrap script, built from PyPI's pip wheel.

ansible-test bootstraps pip into each sanity virtualenv with a get-pip script that it
downloads from a host outside the package registries this project may reach. The real
get-pip.py is nothing but pip's own code run as ``pip install <args>``; this does the
same with the pip wheel that `make` downloads from PyPI next to this file
(~/.ansible/test/cache/, where ansible-test looks for a cached copy).
"""

import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
wheels = sorted(glob.glob(os.path.join(HERE, "pip-*-py3-none-any.whl")))
if not wheels:
    sys.exit("no pip wheel next to %s" % __file__)
sys.path.insert(0, wheels[-1])

from pip._internal.cli.main import main  # noqa: E402  (pip is importable from the wheel)

# get-pip's own switches: setuptools and wheel are never installed here anyway.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}
sys.exit(main(["install", *(arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY)]))
