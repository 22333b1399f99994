"""A corpus of malformed and tricky Procfiles, each read from a file on disk.

Every entry either parses to exactly the expected types, or fails with the expected
rule on the expected line. Nothing is silently dropped.
"""

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_read import read_procfile

OK = "ok"
CORPUS = [
    # (id, content, expected: ("ok", [names]) or (rule, line))
    ("empty", b"", ("empty", 0)),
    ("only-newlines", b"\n\n\r\n\r", ("empty", 0)),
    ("only-comments", b"# web: x\n   # worker: y\n", ("empty", 0)),
    ("bom-only", b"\xef\xbb\xbf", ("empty", 0)),
    ("bom-then-entry", b"\xef\xbb\xbfweb: x\n", (OK, ["web"])),
    ("double-bom", b"\xef\xbb\xbf\xef\xbb\xbfweb: x\n", ("name", 1)),
    ("utf16", "web: x\n".encode("utf-16"), ("encoding", 1)),
    ("latin1", b"web: caf\xe9\n", ("encoding", 1)),
    # Bytes 10 (LF) and 13 (CR) end lines 1 and 2, as split_lines counts them.
    ("binary-junk", bytes(range(256)), ("encoding", 3)),
    ("nul-in-command", b"web: a\x00b\n", ("control-character", 1)),
    ("nul-line", b"web: a\n\x00\n", ("control-character", 2)),
    ("escape-sequence", b"web: \x1b[31mred\n", ("control-character", 1)),
    ("form-feed", b"web: a\x0cb\n", ("control-character", 1)),
    ("vertical-tab", b"web: a\x0bb\n", ("control-character", 1)),
    ("del", b"web: a\x7f\n", ("control-character", 1)),
    ("unicode-line-separator", u"web: a\u2028b\n".encode(), (OK, ["web"])),
    ("crlf", b"web: a\r\nworker: b\r\n", (OK, ["web", "worker"])),
    ("lone-cr", b"web: a\rworker: b\r", (OK, ["web", "worker"])),
    ("no-final-newline", b"web: a\nworker: b", (OK, ["web", "worker"])),
    ("long-line", b"web: " + b"x" * 200000 + b"\n", (OK, ["web"])),
    ("many-entries", b"".join(b"p%d: run %d\n" % (i, i) for i in range(10000)),
     (OK, ["p%d" % i for i in range(10000)])),
    ("too-large", b"web: " + b"x" * (1024 * 1024) + b"\n", ("size", 0)),
    ("name-with-at", b"web@1: x\n", ("name", 1)),
    ("name-slice", b"-.slice: x\n", ("name", 1)),
    ("name-dot", b"web.1: x\n", ("name", 1)),
    ("name-space", b"my web: x\n", ("name", 1)),
    ("name-leading-dash", b"-web: x\n", ("name", 1)),
    ("name-leading-underscore", b"_web: x\n", ("name", 1)),
    ("name-unicode", u"w\u00e9b: x\n".encode(), ("name", 1)),
    ("name-too-long", b"a" * 64 + b": x\n", ("name", 1)),
    ("name-max-length", b"a" * 63 + b": x\n", (OK, ["a" * 63])),
    ("name-slash", b"a/b: x\n", ("name", 1)),
    ("name-dollar", b"$web: x\n", ("name", 1)),
    ("missing-name", b": x\n", ("name", 1)),
    ("empty-command", b"web:\n", ("empty-command", 1)),
    ("blank-command", b"web:  \t \n", ("empty-command", 1)),
    ("duplicate", b"web: a\nworker: b\nweb: c\n", ("duplicate-name", 3)),
    ("case-distinct", b"web: a\nWeb: b\n", (OK, ["web", "Web"])),
    ("count-variable-collision", b"worker-beat: a\nworker_beat: b\n", ("count-variable-collision", 2)),
    ("no-colon", b"web: a\nthis is not an entry\n", ("syntax", 2)),
    ("yaml-list", b"- web: a\n", ("name", 1)),
    ("yaml-nested", b"processes:\n  web: a\n", ("empty-command", 1)),
    ("conflict-ours", b"<<<<<<< HEAD\nweb: a\n=======\nweb: b\n>>>>>>> topic\n", ("merge-conflict", 1)),
    ("conflict-middle", b"web: a\n=======\n", ("merge-conflict", 2)),
    ("conflict-diff3", b"web: a\n||||||| base\n", ("merge-conflict", 2)),
    ("colon-in-command", b"worker: rake resque:work QUEUE=a:b\n", (OK, ["worker"])),
    ("hash-in-command", b'web: echo "a #b"\n', (OK, ["web"])),
    ("indented-comment", b"   # web: x\nweb: y\n", (OK, ["web"])),
    ("indented-entry", b"  \tweb: y\n", (OK, ["web"])),
    ("release-only", b"release: ./migrate\n", (OK, ["release"])),
    ("jinja-looking", b"worker: sidekiq -i {{UNIQUE_INT}} {% raw %}\n", (OK, ["worker"])),
    ("windows-path", b"web: C:\\app\\run.exe\n", (OK, ["web"])),
]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("case, content, expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus(tmp_path, case, content, expected):
    path = tmp_path / "Procfile"
    path.write_bytes(content)
    if expected[0] == OK:
        assert [p["name"] for p in read_procfile(str(path))] == expected[1]
        return
    with pytest.raises(ProcfileError) as info:
        read_procfile(str(path))
    assert (info.value.rule, info.value.line) == expected, str(info.value)
    assert str(info.value).startswith(str(path))
