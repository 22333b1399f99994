# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The error every Procfile rule raises, in a module of its own.

Decoding, parsing and reading a Procfile each raise it; here, none of those modules has
to import another just for the error, and a caller catches one type whatever failed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ProcfileError(Exception):
    """A Procfile that cannot be used, with where and why."""

    def __init__(self, source, line, rule, detail):
        self.source = source
        self.line = line
        self.rule = rule
        self.detail = detail
        where = "%s, line %d" % (source, line) if line else source
        super(ProcfileError, self).__init__("%s: %s [rule: %s]" % (where, detail, rule))

    def to_dict(self):
        return {"file": self.source, "line": self.line, "rule": self.rule,
                "detail": self.detail, "msg": str(self)}


def shorten(text, limit=60):
    """TEXT cut for a message: a long line or name quoted whole would bury the point."""
    return text if len(text) <= limit else text[:limit] + u"…"
