#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_info
short_description: Parse an application's Procfile
version_added: "0.1.0"
description:
  - "Reads and parses a Procfile (C(NAME: COMMAND) lines) on the target, strictly."
  - Every rejection names the file, the line number and the rule that failed, so that
    nothing is deployed from a misread file.
  - Reports the variables each command references and which of them nothing defines.
  - The result is data. A command such as C(sidekiq -i {{UNIQUE_INT}}) is returned
    exactly as written; it is never templated.
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  path:
    description:
      - The application directory, or the path of a Procfile itself.
      - In a directory, the file read is C(Procfile.<env>) or C(Procfile_<env>) when
        O(env) is set and one of them exists, else C(Procfile) (with a warning, or an
        error when O(env_strict)). Both spellings at once are an error naming both.
      - Mutually exclusive with O(content).
    type: path
  env:
    description:
      - Environment name, for example V(staging), selecting C(Procfile.<env>) (the
        common spelling) or C(Procfile_<env>) (Cloud 66's) in a directory O(path).
      - Letters, digits, C(.), C(-) and C(_), starting with a letter or digit.
    type: str
  env_strict:
    description:
      - Fail, instead of warning and reading C(Procfile), when O(env) is set and neither
        C(Procfile.<env>) nor C(Procfile_<env>) exists.
    type: bool
    default: false
  content:
    description:
      - Parse this text instead of a file. Mutually exclusive with O(path).
      - Text passed here through a templated variable is templated by Ansible first, so
        C({{UNIQUE_INT}}) must not come this way; prefer O(path).
    type: str
  environment:
    description:
      - The variables the processes will have (names matter, values are ignored).
      - Used to report C($VAR) and C(${VAR}) references that nothing defines. A variable
        with a default or an alternative (C(${VAR:-x}), C(${VAR-x}), C(${VAR:=x}),
        C(${VAR=x}), C(${VAR:+x})) is never reported; C(${VAR:?msg}) is.
    type: dict
    default: {}
  shells:
    description:
      - "The shell each type's command runs under, as C({type: path}), C(*) for the types
        not named. Under bash, the variables bash sets itself (C($RANDOM), C($BASH_VERSION),
        C($SECONDS), C($HOSTNAME), ...) are not reported as undefined; under C(/bin/sh)
        (dash) they are."
    type: dict
    default: {}
  strict:
    description:
      - "Fail, instead of warning, when a command references an undefined variable, and
        on a C(NAME : COMMAND) line (whitespace before the colon), which honcho and
        foreman ignore and Heroku rejects."
    type: bool
    default: false
  read_as:
    description:
      - The user who owns the app's code or runs its processes (the role passes
        C(procfile_user)). The file is read by a child process running as this user, so
        that a Procfile the user replaced by a link (or a hard link, or a swapped
        directory) can never make root read a file the user could not read itself.
      - When the user does not exist (yet) or is root, the file is read as root.
    type: str
  follow_current:
    description:
      - With O(path) a directory deployed from releases (C(current) -> C(releases/<revision>),
        made by this collection where only root can change them), read the Procfile of the
        current release and return its revision as RV(current_release).
    type: bool
    default: false
  count_variables:
    description:
      - Names of the variables set for the host that end in C(_count) (the role passes
        them; values are not needed). A name within two edits of a process type's count
        variable that is none, such as C(wroker_count) for C(worker), gives a warning
        naming the type it probably meant, since it scales nothing.
    type: list
    elements: str
    default: []
notes:
  - "A Procfile that is a link, or is reached through one, is followed only while it
    stays inside O(path) (or, when O(path) is a file, inside its directory):
    C(Procfile -> Procfile.production) works, a link leading elsewhere is refused without
    reading the target, and no message ever shows the content of a refused file."
  - "Parsing rules: UTF-8 (a leading BOM is ignored); C(\\n), C(\\r\\n) and a lone C(\\r)
    end a line; blank lines and lines starting with C(#) are ignored; an entry is
    C(NAME: COMMAND), the command being everything after the first colon, trimmed.
    Whitespace before the colon is a warning (an error with O(strict)). A line ending in
    a backslash followed by a line that continues it (indented, starting with C(-), or
    no entry) is an error: continuation lines are not supported. A UTF-16 or UTF-32
    file is named as such."
  - "Names use letters, digits, C(-) and C(_), start with a letter or digit and have at
    most 63 characters. An empty command, a duplicate name, two names mapping to the
    same inventory count variable, a line without a colon, a merge-conflict marker, a
    control character, an empty file and a file over 1 MiB are errors."
  - "The process named C(release) is flagged with RV(processes[].release=true): it is the
    one-shot release phase and never runs as a service."
  - "Variables every process gets are never reported as undefined: PORT, UNIQUE_INT, DYNO,
    PS, PROCFILE_APP, PROCFILE_TYPE, HOME, PATH, USER, LOGNAME, SHELL, PWD, LANG and the
    shell's own."
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.attributes.read_only
seealso:
  - name: Procfile format
    description: The format as Heroku defines it.
    link: https://devcenter.heroku.com/articles/procfile
"""

EXAMPLES = r"""
- name: Parse the app's Procfile, preferring Procfile.staging (or Procfile_staging)
  procfile.systemd.procfile_info:
    path: /srv/shop
    env: staging
    environment:
      RAILS_ENV: staging
  register: __procfile

- name: Show the process types
  ansible.builtin.debug:
    msg: "{{ __procfile.processes | map(attribute='name') | list }}"

- name: Warn about a count variable that names no type (wroker_count for worker)
  procfile.systemd.procfile_info:
    path: /srv/shop
    count_variables: "{{ query('ansible.builtin.varnames', '_count$') }}"

- name: Fail when a command uses a variable nothing defines
  procfile.systemd.procfile_info:
    path: /srv/shop/Procfile
    environment: "{{ app_environment }}"
    strict: true
"""

RETURN = r"""
current_release:
  description: With O(follow_current), the revision of the current release, or null when O(path) is not deployed from releases.
  returned: success
  type: str
procfile:
  description: The file that was read, or null when O(content) was parsed.
  returned: always
  type: str
  sample: /srv/shop/Procfile.staging
reason:
  description: Why that file was chosen.
  returned: always
  type: str
  sample: Procfile.staging exists for env 'staging'
processes:
  description: The process types, in file order.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The process type.
      type: str
      sample: worker
    command:
      description: The command, exactly as written (trimmed at both ends).
      type: str
      sample: bundle exec sidekiq -i {{UNIQUE_INT}}
    line:
      description: The line number of the entry.
      type: int
      sample: 2
    variables:
      description: Names of the variables the command references.
      type: list
      elements: str
      sample: [PORT, RAILS_ENV]
    release:
      description: True for the one-shot release phase (the type named C(release)).
      type: bool
      sample: false
    count_variable:
      description: The inventory variable that sets this type's instance count.
      type: str
      sample: worker_beat_count
undefined_variables:
  description:
    - Per process type, the variables its command needs that nothing defines.
    - A variable with a default (C(${VAR:-x}), C(${VAR:=x}), ...) is not needed; the text
      after C(:-) counts only when the variable before it is not defined, the text after
      C(:+) only when it is.
  returned: success
  type: dict
  sample: {web: [SECRET_KEY_BASE]}
error:
  description: Where and why parsing failed.
  returned: failure
  type: dict
  contains:
    file:
      description: The file (or C(content)) that failed.
      type: str
    line:
      description: The line number, 0 when the problem is the file as a whole.
      type: int
    rule:
      description: The rule that failed, for example V(duplicate-name).
      type: str
    detail:
      description: What is wrong.
      type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.count_typos import count_typos
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import parse
from ansible_collections.procfile.systemd.plugins.module_utils.release import RELEASES, deployed_revision
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_read import (
    read_procfile,
    select_procfile,
)
from ansible_collections.procfile.systemd.plugins.module_utils.shell_variables import (
    undefined_variables,
)


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path"),
            env=dict(type="str"),
            env_strict=dict(type="bool", default=False),
            content=dict(type="str"),
            environment=dict(type="dict", default={}, no_log=False),
            strict=dict(type="bool", default=False),
            shells=dict(type="dict", default={}),
            read_as=dict(type="str"),
            count_variables=dict(type="list", elements="str", default=[]),
            follow_current=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("path", "content")],
        required_one_of=[("path", "content")],
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, procfile=None, reason="content was given", current_release=None)
    if params["follow_current"] and params["path"] and os.path.isdir(params["path"]):
        # A host deployed from releases: the Procfile is the current release's.
        result["current_release"] = deployed_revision(params["path"])
        if result["current_release"]:
            params["path"] = os.path.join(params["path"], RELEASES, result["current_release"])
    warnings = []
    try:
        if params["content"] is not None:
            processes = parse(params["content"], "content", strict=params["strict"],
                              warnings=warnings)
        else:
            result["procfile"], result["reason"] = select_procfile(
                params["path"], params["env"], env_strict=params["env_strict"],
                warnings=warnings)
            root = params["path"] if os.path.isdir(params["path"]) else os.path.dirname(params["path"])
            processes = read_procfile(result["procfile"], root=root, as_user=params["read_as"],
                                      strict=params["strict"], warnings=warnings)
    except ProcfileError as exc:
        module.fail_json(msg=str(exc), error=exc.to_dict(), **result)
    for warning in warnings:
        module.warn(warning)

    for warning in count_typos([p["name"] for p in processes if not p["release"]],
                               params["count_variables"]):
        module.warn(warning)

    # Only the names of the environment matter here; values (secrets) are never echoed.
    undefined = undefined_variables(processes, params["environment"], params["shells"])
    result.update(processes=processes, undefined_variables=undefined)
    if undefined:
        text = "; ".join("%s references %s" % (name, ", ".join("$" + v for v in names))
                         for name, names in sorted(undefined.items()))
        message = "variables that nothing defines: %s" % text
        if params["strict"]:
            module.fail_json(msg="%s (strict: true)" % message, **result)
        module.warn(message)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
