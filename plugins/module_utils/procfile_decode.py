# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Procfile's bytes as lines of text: the size limit, the encoding, the line ends.

Apart from the parser, because both the parser (given bytes) and the reader (which
checks the size of a file it read only in part) need these rules, and the reader also
needs the parser.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError

MAX_BYTES = 1024 * 1024
LINE_END_RE = re.compile(r"\r\n|\r|\n")
LINE_END_BYTES_RE = re.compile(b"\r\n|\r|\n")
# Longest first: a UTF-32 little-endian mark begins with the UTF-16 one.
UNICODE_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
)


def too_large(source, size):
    """SIZE: the file's size in bytes, or None when only "over the limit" is known."""
    return ProcfileError(source, 0, "size",
                         "file is %s bytes; a Procfile may have at most %d (1 MiB)"
                         % ("more than %d" % MAX_BYTES if size is None else "%d" % size,
                            MAX_BYTES))


def decode(data, source):
    """Bytes of a Procfile as text: UTF-8, a leading BOM ignored, size-capped.

    DATA is the whole file (read_procfile checks the size of a file it read in part).
    """
    if len(data) > MAX_BYTES:
        raise too_large(source, len(data))
    for mark, encoding in UNICODE_BOMS:
        if data.startswith(mark):
            raise ProcfileError(source, 1, "encoding",
                                "the file starts with a %s byte order mark: it is %s text, "
                                "not UTF-8; save it as UTF-8" % (encoding, encoding.split()[0]))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Lines are counted as split_lines counts them: CRLF, CR and LF each end one.
        line = len(LINE_END_BYTES_RE.findall(data[:exc.start])) + 1
        raise ProcfileError(source, line, "encoding",
                            "byte 0x%02x is not valid UTF-8; a Procfile must be UTF-8 text"
                            % data[exc.start])


def split_lines(text):
    """\\n, \\r\\n and a lone \\r all end a line; a last line without one counts."""
    lines = LINE_END_RE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def as_text(content, source):
    """CONTENT, bytes (see decode) or text, as text without a leading BOM, size-capped."""
    if isinstance(content, bytes):
        return decode(content, source)  # strips a leading BOM itself
    if len(content.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ProcfileError(source, 0, "size", "text is larger than 1 MiB")
    return content[1:] if content.startswith(u"\ufeff") else content
