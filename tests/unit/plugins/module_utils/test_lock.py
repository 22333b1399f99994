"""The per-app lease: one run at a time, taken over only from a holder named dead."""

import contextlib
import json
import multiprocessing
import os
import threading
import time
import types

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import lock as lock_module
from ansible_collections.procfile.systemd.plugins.module_utils.lock import (
    acquire,
    acquire_waiting,
    describe,
    hold,
    lock_path,
    read_holder,
    release,
)

A = {"token": "ctl:boot:100:5", "controller": "ctl", "user": "root", "pid": 100}
B = {"token": "ctl:boot:200:7", "controller": "ctl", "user": "root", "pid": 200}


def test_free_lock_is_taken_and_recorded(tmp_path):
    path = lock_path(str(tmp_path / "run"), "shop")
    assert path == str(tmp_path / "run" / "shop.lock")
    acquired, holder, took_over = acquire(path, A)
    assert acquired and took_over is None
    record = json.loads(open(path).read())
    assert record["token"] == A["token"] and record["acquired_at"] <= time.time()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert oct(os.stat(os.path.dirname(path)).st_mode & 0o777) == "0o700"


def test_the_holder_may_take_it_again(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquire(path, A)
    assert acquire(path, A)[0]


def test_another_run_is_refused_and_told_who_holds_it(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquire(path, A)
    acquired, holder, _took_over = acquire(path, B)
    assert not acquired and holder["token"] == A["token"]
    assert "pid 100" in describe(holder) and "controller ctl" in describe(holder)


def test_takeover_only_of_the_holder_named(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquire(path, A)
    assert not acquire(path, B, steal="someone-else")[0]
    acquired, _holder, took_over = acquire(path, B, steal=A["token"])
    assert acquired and took_over["token"] == A["token"]
    assert read_holder(path)["token"] == B["token"]


def test_release_removes_only_its_own_lock(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquire(path, A)
    assert not release(path, B["token"])
    assert os.path.exists(path)
    assert release(path, A["token"])
    assert not os.path.exists(path)
    assert not release(path, A["token"])


def test_dry_run_writes_nothing(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    assert acquire(path, A, dry_run=True)[0]
    assert not os.path.exists(path)


def test_a_dry_run_on_a_fresh_host_makes_no_directory_and_no_guard(tmp_path):
    """--check on a host never deployed to must leave it as it was: not even the lock's
    directory (found by the whole-host snapshot around molecule's check step)."""
    path = lock_path(str(tmp_path / "run" / "procfile-systemd"), "shop")
    assert acquire(path, A, dry_run=True) == (True, A, None)
    assert release(path, A["token"], dry_run=True) is False
    assert os.listdir(str(tmp_path)) == []
    # With the directory there but no guard file, a dry run makes none either.
    os.makedirs(os.path.dirname(path))
    assert acquire(path, A, dry_run=True)[0]
    assert os.listdir(os.path.dirname(path)) == []
    # A real acquisition makes both, and a dry run then reads the lease under the guard.
    assert acquire(path, A)[0]
    assert sorted(os.listdir(os.path.dirname(path))) == ["shop.lock", "shop.lock.guard"]
    assert acquire(path, B, dry_run=True)[:2] == (False, read_holder(path))
    assert release(path, A["token"], dry_run=True) and os.path.exists(path)


def test_unreadable_lock_is_never_taken(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    open(path, "w").write("garbage")
    acquired, holder, _took_over = acquire(path, A)
    assert not acquired and holder["token"] == "unreadable"
    assert describe(holder) == "an unreadable lock ('garbage')"
    assert describe({"token": "unreadable"}) == "an unreadable lock ('')"


def _hold_for(path, seconds, ready, let_go=None):
    hold(path)
    ready.set()
    time.sleep(seconds)
    if let_go is not None:
        # The guard is let go when this process exits, just after this moment.
        let_go.value = time.monotonic()


def test_a_module_holding_the_guard_delays_a_takeover(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquire(path, A)
    ready = multiprocessing.Event()
    let_go = multiprocessing.Value("d", 0.0)
    worker = multiprocessing.Process(target=_hold_for, args=(path, 1.0, ready, let_go))
    worker.start()
    assert ready.wait(5)
    assert acquire(path, B, steal=A["token"])[0]
    # Compared with the worker's own clock reading, not a duration, so that a slow machine
    # cannot make the test pass or fail by accident.
    assert let_go.value and time.monotonic() >= let_go.value
    worker.join()


def test_release_with_a_nonce_gives_back_only_that_acquisition(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    record = acquire(path, A)[1]
    assert len(record["nonce"]) == 16
    assert not release(path, A["token"], nonce="an-earlier-one")
    assert release(path, A["token"], nonce=record["nonce"])


def test_release_inside_a_held_guard_does_not_deadlock(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquire(path, A)
    fd = hold(path)
    try:
        assert release(path, A["token"], guard_held=True)
    finally:
        os.close(fd)


def _hold_until_told(path, ready, done, gave_up):
    hold(path)
    ready.set()
    # Set before this process exits, that is before the guard is let go.
    gave_up.value = 0 if done.wait(120) else 1


@contextlib.contextmanager
def guard_held_elsewhere(path):
    """A's lease on PATH, and another process holding its guard (as the holder's module
    does through a health check) until the block ends. Yields a check, to call at the
    end of the block, that the guard was still held: what the block did, it did without
    waiting for the guard (the holder lets go only when told, or after two minutes, and
    says which)."""
    acquire(path, A)
    ready, done = multiprocessing.Event(), multiprocessing.Event()
    gave_up = multiprocessing.Value("i", -1)
    worker = multiprocessing.Process(target=_hold_until_told, args=(path, ready, done, gave_up))
    worker.start()
    try:
        assert ready.wait(60)
        yield lambda: gave_up.value == -1
    finally:
        done.set()
        worker.join()


def test_a_refused_run_gives_back_nothing_at_once_even_while_the_holder_works(tmp_path):
    """A refused run's "give the lock back" must not wait for the holder's module."""
    path = lock_path(str(tmp_path), "shop")
    with guard_held_elsewhere(path) as still_held:
        assert not release(path, B["token"])
        assert not release(str(tmp_path / "other.lock"), B["token"])
        assert still_held()
    assert read_holder(path)["token"] == A["token"]


def test_a_held_lock_is_reported_at_once_even_while_its_holder_works(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    with guard_held_elsewhere(path) as still_held:
        assert not acquire(path, B)[0]
        assert still_held()


def _given_back_after_one_look(path, wait):
    """acquire_waiting(B, WAIT) on a lease of A's that is given back once B has seen it.

    The lease is a FIFO: B's first read blocks until the test opens the other end, so the
    test knows B is looking. B reads A's lease through it, and the FIFO is gone by then.
    Counted, not timed (see tests/functional/test_lock_and_health_modules.py).
    """
    os.mkfifo(path, 0o600)
    outcome = []
    waiter = threading.Thread(target=lambda: outcome.append(acquire_waiting(path, B, wait=wait)),
                              daemon=True)
    waiter.start()
    deadline = time.monotonic() + 120
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            assert waiter.is_alive() and time.monotonic() < deadline
            time.sleep(0.01)
    os.unlink(path)
    os.write(fd, json.dumps(dict(A, acquired_at=int(time.time()), nonce="1" * 16)).encode())
    os.close(fd)
    waiter.join(120)
    assert not waiter.is_alive()
    return outcome[0]


def test_waiting_takes_a_lock_given_back_during_the_wait(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquired, holder, _took_over = _given_back_after_one_look(path, 600)
    assert acquired and holder["token"] == B["token"] == read_holder(path)["token"]


def test_not_waiting_is_refused_at_the_first_look(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquired, holder, _took_over = _given_back_after_one_look(path, 0)
    assert not acquired and holder["token"] == A["token"]
    assert not os.path.exists(path)


def test_waiting_takes_over_and_dry_runs_like_acquire(tmp_path):
    path = lock_path(str(tmp_path), "shop")
    acquire(path, A)
    assert acquire_waiting(path, B, steal=A["token"], wait=0, dry_run=True)[0]
    assert read_holder(path)["token"] == A["token"]
    acquired, _holder, took_over = acquire_waiting(path, B, steal=A["token"], wait=0)
    assert acquired and took_over["token"] == A["token"]
    assert read_holder(path)["token"] == B["token"]


# 2023-11-14 22:13:20 UTC: a lease's acquired_at, and clock readings after (or before) it.
SINCE = 1700000000


@pytest.mark.parametrize("holder, now, expected", [
    (dict(A, acquired_at=SINCE), SINCE + 90,
     "run ctl:boot:100:5 (ansible-playbook pid 100 of root on controller ctl, "
     "90 s ago, at 2023-11-14 22:13:20 UTC)"),
    # A fraction of a second is cut off, not rounded.
    (dict(A, acquired_at=SINCE), SINCE + 3599.9,
     "run ctl:boot:100:5 (ansible-playbook pid 100 of root on controller ctl, "
     "3599 s ago, at 2023-11-14 22:13:20 UTC)"),
    (dict(A, acquired_at=SINCE), SINCE,
     "run ctl:boot:100:5 (ansible-playbook pid 100 of root on controller ctl, "
     "0 s ago, at 2023-11-14 22:13:20 UTC)"),
    # A controller clock behind the host's: never a negative age.
    (dict(A, acquired_at=SINCE), SINCE - 30,
     "run ctl:boot:100:5 (ansible-playbook pid 100 of root on controller ctl, "
     "0 s ago, at 2023-11-14 22:13:20 UTC)"),
    # 0 is a time (the epoch), not a missing one.
    ({"token": "t", "acquired_at": 0}, 61,
     "run t (ansible-playbook pid ? of ? on controller ?, 61 s ago, at 1970-01-01 00:00:00 UTC)"),
    # No acquired_at (a lease written by hand, say): no age at all.
    ({"token": "t"}, SINCE, "run t (ansible-playbook pid ? of ? on controller ?)"),
], ids=["90-s", "fraction-cut-off", "same-second", "clock-behind", "epoch", "no-acquired-at"])
def test_describe_says_how_long_ago_and_when_in_utc(holder, now, expected):
    assert describe(holder, now=now) == expected


def test_describe_reads_the_clock_when_not_given_one(monkeypatch):
    # A fake clock for the lock module only: the age is computed, never measured.
    clock = types.SimpleNamespace(time=lambda: SINCE + 42, strftime=time.strftime,
                                  gmtime=time.gmtime)
    monkeypatch.setattr(lock_module, "time", clock)
    assert describe(dict(A, acquired_at=SINCE)) == (
        "run ctl:boot:100:5 (ansible-playbook pid 100 of root on controller ctl, "
        "42 s ago, at 2023-11-14 22:13:20 UTC)")


def test_an_unreadable_lease_is_shown_by_its_first_200_characters(tmp_path):
    path = tmp_path / "shop.lock"
    path.write_text("x" * 199 + "yz" + "w" * 100)
    assert read_holder(str(path)) == {"token": "unreadable", "content": "x" * 199 + "y"}
