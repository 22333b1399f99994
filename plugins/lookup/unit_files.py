# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: unit_files
version_added: "0.1.0"
short_description: Render every systemd unit file of an app, as data
description:
  - Renders the C(procfile) role's unit templates on the controller, each with
    P(ansible.builtin.template#lookup), C(app.target.j2) for the app's target,
    C(process.service.j2) once per process type (with C(item) set to that process), and
    C(release.service.j2) when the Procfile has a release process, and
    C(scheduled.timer.j2) and C(scheduled.service.j2) for each scheduled type whose timer
    lives on this host.
  - Returns one dict per unit file, with its C(path), its C(content) and the process
    C(type) it runs (null for the target and the release unit), so that a single
    M(procfile.systemd.procfile_install) call verifies and installs them all.
  - The result is built as data and never as text parsed back into data, so it is the
    same on every ansible-core version, whichever way that version's templating converts
    a template's output. The contents are data too; a C({{UNIQUE_INT}}) or any other
    C({{ }}) that a Procfile command carries is never rendered as a template.
  - Use it with C(query), which returns the list as it is.
author: procfile.systemd contributors (@procfile-systemd)
options:
  app:
    description: The app's name (C(procfile_app)).
    type: str
    required: true
  unit_dir:
    description: The directory the unit files go to (C(procfile_unit_dir)).
    type: str
    required: true
  target:
    description: The file name of the app's target unit.
    type: str
    required: true
  processes:
    description:
      - The Procfile's process types, release excluded (scheduled ones included), as returned by
        M(procfile.systemd.procfile_info) (RV(procfile.systemd.procfile_info#module:processes)).
    type: list
    elements: dict
    required: true
  release_unit:
    description: The file name of the app's release unit.
    type: str
    required: true
  release:
    description: Whether to render the release unit (the Procfile has a release process).
    type: bool
    default: false
  schedules:
    description:
      - The app's scheduled process types, the C(types) of the
        P(procfile.systemd.schedules#filter) filter. A type of O(processes) named here gets
        a timer and a service (C(scheduled.timer.j2), C(scheduled.service.j2)) instead of
        a template unit, on the hosts whose C(here) is true; none where it is false.
      - A type whose C(here) is null (a limited run) is rendered with RV(_raw.keep_only),
        so that the host writes it only where the timer already is.
    type: dict
    default: {}
notes:
  - The templates are looked up like P(ansible.builtin.template#lookup) does, in the
    calling role's C(templates) directory, and see all variables of the task.
"""

EXAMPLES = r"""
- name: Install the units
  procfile.systemd.procfile_install:
    app: shop
    types: [web, worker]
    files: >-
      {{ query('procfile.systemd.unit_files', app='shop', unit_dir='/etc/systemd/system',
               target='shop.target', release_unit='shop-release.service',
               processes=processes, release=false) }}
"""

RETURN = r"""
_raw:
  description: One dict per unit file.
  type: list
  elements: dict
  contains:
    path:
      description: Where the unit file goes.
      type: str
    type:
      description: The process type the unit runs; null for the target and the release unit.
      type: str
    content:
      description: The unit file's text, ending in exactly one line break.
      type: str
    scheduled:
      description: Whether the unit is a scheduled type's timer or service.
      type: bool
    keep_only:
      description:
        - A scheduled type's timer path, when the file is to be written only if that timer
          is on the host already (C(schedule_on) C(first) in a run limited with C(--limit)).
      type: str
"""

import secrets

from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        # The builtin template lookup finds the role's templates and sets up templating
        # the way each ansible-core version does it; only its text output is used here.
        template = lookup_loader.get("ansible.builtin.template", loader=self._loader,
                                     templar=self._templar)
        unit_dir = self.get_option("unit_dir").rstrip("/")

        app = self.get_option("app")
        schedules = self.get_option("schedules")
        units = [(self.get_option("target"), None, "app.target.j2", None)]
        extra = {}
        for process in self.get_option("processes"):
            name = str(process["name"])
            if name not in schedules:
                units.append(("%s-%s@.service" % (app, name), name, "process.service.j2", process))
                continue
            here = schedules[name].get("here")
            if here is False:
                continue
            timer = "%s-%s.timer" % (app, name)
            keep = {"keep_only": unit_dir + "/" + timer} if here is None else {}
            item = dict(process, schedule=schedules[name])
            for unit, source in ((timer, "scheduled.timer.j2"),
                                 ("%s-%s.service" % (app, name), "scheduled.service.j2")):
                units.append((unit, name, source, item))
                extra[unit] = dict(scheduled=True, **keep)
        if self.get_option("release"):
            units.append((self.get_option("release_unit"), None, "release.service.j2", None))

        # One render of units.j2 includes every unit's template, so that Jinja compiles
        # process.service.j2 once, not once per type: compiling is most of what this task
        # costs the controller, and each forked worker starts with no compiled template.
        # The units are split at a random boundary that no Procfile command can contain.
        boundary = "\n#--procfile-unit-%s--\n" % secrets.token_hex(16)
        [text] = template.run(["units.j2"], variables, template_vars={
            "_procfile_units": [{"source": source, "item": item} for _path, _type, source, item in units],
            "_procfile_unit_boundary": boundary})
        # Plain str: a tagged or unsafe string of the template engine stays inside.
        parts = str(text).split(boundary)
        if len(parts) != len(units) + 1 or parts[0].strip():
            raise AnsibleLookupError("units.j2 rendered %d units for %d" % (len(parts) - 1, len(units)))
        return [dict({"path": unit_dir + "/" + name, "type": type_, "content": part.rstrip("\n") + "\n"},
                     **extra.get(name, {}))
                for (name, type_, _source, _item), part in zip(units, parts[1:])]
