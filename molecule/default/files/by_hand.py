"""Run a Procfile command with `sh -c` by hand, in the environment its unit gives it.

Usage: by_hand.py PROCFILE TYPE N OUT_DIR APP BASE_PORT ROOT [SHELL]
SHELL (default sh) runs it instead: `bash -c COMMAND` for an app with procfile_shell.
The command is taken from the Procfile exactly as the parser does (text after the first
colon, trimmed of spaces and tabs), with {{UNIQUE_INT}} replaced by N.
"""

import subprocess
import sys

procfile, process_type, number, out_dir, app, base_port, root = sys.argv[1:8]
shell = sys.argv[8] if len(sys.argv) > 8 else "sh"
with open(procfile, encoding="utf-8") as handle:
    for line in handle.read().split("\n"):
        name, sep, command = line.partition(":")
        if sep and name.strip(" \t") == process_type and not line.lstrip().startswith("#"):
            break
    else:
        sys.exit("no type %s in %s" % (process_type, procfile))
command = command.strip(" \t").replace("{{UNIQUE_INT}}", number)
env = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "UNIQUE_INT": number, "PORT": str(int(base_port) + int(number)),
    "DYNO": "%s.%s" % (process_type, number), "PS": "%s.%s" % (process_type, number),
    "PROCFILE_APP": app, "PROCFILE_TYPE": process_type, "OUT_DIR": out_dir,
}
sys.exit(subprocess.run([shell, "-c", command], cwd=root, env=env, check=False).returncode)
