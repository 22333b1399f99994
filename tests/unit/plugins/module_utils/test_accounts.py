"""The app's account and home (accounts.py): what a name alone may never hand the app."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import os

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import accounts
from ansible_collections.procfile.systemd.plugins.module_utils.accounts import (
    AccountRefused,
    home_plan,
    plan_account,
)

User = collections.namedtuple("User", "pw_name pw_uid pw_gid pw_gecos pw_dir")
Group = collections.namedtuple("Group", "gr_name gr_gid gr_mem")


@pytest.fixture(name="host")
def fixture_host(monkeypatch):
    """A host with Debian's group disk (no user disk), a user daemon made by hand, and
    the account of app shop that the collection made."""
    users = {"daemon": User("daemon", 1, 1, "daemon", "/usr/sbin"),
             "shop": User("shop", 990, 990, "procfile.systemd app shop", "/var/lib/shop")}
    groups = {"disk": Group("disk", 6, []), "daemon": Group("daemon", 1, []),
              "shop": Group("shop", 990, []), "www-data": Group("www-data", 33, ["nginx"])}
    monkeypatch.setattr(accounts, "_user", users.get)
    monkeypatch.setattr(accounts, "_group", groups.get)
    return users, groups


@pytest.mark.parametrize("app", ["disk", "www-data"])
def test_a_new_account_never_joins_an_existing_group_by_its_name(host, app):
    with pytest.raises(AccountRefused) as refused:
        plan_account(app, app, app, True, user_named=False, group_named=False)
    message = str(refused.value)
    assert "the new account %s would join the existing group %s" % (app, app) in message
    assert "procfile_group" in message and "gid" in message


def test_the_group_is_refused_even_when_the_user_was_named(host):
    with pytest.raises(AccountRefused):
        plan_account("app", "disk", "disk", True, user_named=True, group_named=False)


def test_an_existing_group_named_on_purpose_is_joined(host):
    assert plan_account("web", "web", "www-data", True, user_named=False, group_named=True) == \
        dict(group_missing=False, user_missing=True, user_group=False)


def test_a_new_account_gets_its_own_group_in_the_same_useradd(host):
    assert plan_account("blog", "blog", "blog", True, user_named=False, group_named=False) == \
        dict(group_missing=False, user_missing=True, user_group=True)


def test_a_named_group_that_is_missing_is_made_first(host):
    assert plan_account("blog", "blog", "apps", True) == \
        dict(group_missing=True, user_missing=True, user_group=False)


def test_an_existing_account_the_collection_did_not_make_is_refused_unless_named(host):
    with pytest.raises(AccountRefused) as refused:
        plan_account("daemon", "daemon", "daemon", True, user_named=False, group_named=False)
    assert "set procfile_user: daemon" in str(refused.value)
    assert plan_account("daemon", "daemon", "daemon", True, user_named=True, group_named=False) == \
        dict(group_missing=False, user_missing=False, user_group=False)


def test_the_account_the_collection_made_for_the_app_is_its_own(host):
    assert plan_account("shop", "shop", "shop", True, user_named=False, group_named=False) == \
        dict(group_missing=False, user_missing=False, user_group=False)
    # Made for shop, not for shop-two: another app called after it is refused.
    with pytest.raises(AccountRefused):
        plan_account("shop-two", "shop", "shop", True, user_named=False, group_named=False)


def test_without_create_nothing_is_planned_or_refused(host):
    assert plan_account("disk", "disk", "disk", False, user_named=False, group_named=False) == \
        dict(group_missing=False, user_missing=False, user_group=False)


def test_create_account_makes_user_and_group_in_one_useradd():
    calls = []

    class Module(object):
        @staticmethod
        def get_bin_path(name, required=False):
            return "/usr/sbin/" + name

        @staticmethod
        def run_command(argv, check_rc=False):
            calls.append(argv)
            return 0, "", ""

    accounts.create_account(Module, "blog", "blog", "blog", "/var/lib/blog",
                            dict(group_missing=False, user_missing=True, user_group=True))
    assert calls == [["/usr/sbin/useradd", "--system", "--user-group", "--home-dir", "/var/lib/blog",
                      "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment",
                      "procfile.systemd app blog", "blog"]]


def test_an_existing_directory_is_never_a_new_accounts_home(tmp_path):
    home = tmp_path / "heir"
    home.mkdir(mode=0o755)
    with pytest.raises(AccountRefused) as refused:
        home_plan(str(home), "/srv/heir", "heir", True)
    message = str(refused.value)
    assert "procfile_home %s exists already (a directory, owner" % home in message
    assert "mode 0755" in message and "new account heir" in message


def test_a_link_or_file_is_refused_too(tmp_path):
    os.symlink("/var/lib/dpkg", str(tmp_path / "dpkg"))
    with pytest.raises(AccountRefused):
        home_plan(str(tmp_path / "dpkg"), "/srv/dpkg", "dpkg", True)


def test_a_missing_home_is_made_for_a_new_account(tmp_path):
    assert home_plan(str(tmp_path / "new"), "/srv/new", "new", True) == str(tmp_path / "new")


@pytest.mark.parametrize("home", ["/srv/shop", "/srv/shop/home", "relative", "/"])
def test_a_home_in_the_code_or_not_absolute_is_refused(home):
    with pytest.raises(AccountRefused):
        home_plan(home, "/srv/shop", "shop", True)


def test_recorded_home(tmp_path):
    assert accounts.recorded_home(str(tmp_path)) is None
    (tmp_path / accounts.HOME_RECORD).write_text("/var/lib/shop\n")
    assert accounts.recorded_home(str(tmp_path)) == "/var/lib/shop"


# ------------------------------------------------------------------ moved from test_files.py
def account_changes(user, group, create):
    """(a group is made, the user is made), as the deploy plans them."""
    plan = plan_account("shop", user, group, create)
    return plan["group_missing"] or plan["user_group"], plan["user_missing"]


def test_accounts_are_never_root_and_only_when_asked():
    assert account_changes("root", "root", True) == (False, False)
    assert account_changes("no-such-user-x", "no-such-group-x", False) == (False, False)
    assert account_changes("no-such-user-x", "no-such-group-x", True) == (True, True)


def _missing(name):
    raise KeyError(name)


@pytest.mark.parametrize("user, group, expected", [
    ("root", "root", (False, False)),
    ("root", "shop", (True, False)),
    ("shop", "root", (False, True)),
    ("shop", "shop", (True, True)),
])
def test_a_missing_root_account_is_never_created(monkeypatch, user, group, expected):
    # A host whose passwd and group databases lack root (a broken NSS, a bare
    # container): root is still never created, by name.
    monkeypatch.setattr(accounts.grp, "getgrnam", _missing)
    monkeypatch.setattr(accounts.pwd, "getpwnam", _missing)
    assert account_changes(user, group, True) == expected
    assert account_changes(user, group, False) == (False, False)


def test_a_created_user_gets_procfile_home_outside_procfile_root():
    assert home_plan("/var/lib/shop", "/srv/shop", "no-such-user-x", True) == "/var/lib/shop"
    assert home_plan("/var/lib/shop/", "/srv/shop", "no-such-user-x", True) == "/var/lib/shop"
    # No home asked for (a caller of the module without it): none is made.
    assert home_plan(None, "/srv/shop", "no-such-user-x", True) is None


@pytest.mark.parametrize("home, message", [
    ("/srv/shop", "inside procfile_root /srv/shop"),
    ("/srv/shop/home", "inside procfile_root /srv/shop"),
    ("var/lib/shop", "absolute, normalized"),
    ("/var/lib/../shop", "absolute, normalized"),
    ("/", "other than /"),
])
def test_a_created_user_never_gets_a_home_in_procfile_root_or_a_relative_one(home, message):
    with pytest.raises(AccountRefused, match=message.replace(".", r"\.")):
        home_plan(home, "/srv/shop", "no-such-user-x", True)


def test_a_home_beside_procfile_root_with_a_common_prefix_is_not_inside_it():
    assert home_plan("/srv/shop-home", "/srv/shop", "no-such-user-x", True) == "/srv/shop-home"


def test_an_existing_user_keeps_its_own_home(tmp_path):
    # root's home is /root: never made, changed or checked, whatever procfile_home says.
    assert home_plan("/var/lib/shop", "/srv/shop", "root", False) is None
    assert home_plan("/srv/shop", "/srv/shop", "root", False) is None
    # procfile_home is that user's home and exists: left as it is.
    assert home_plan("/root", "/srv/shop", "root", False) is None


def test_an_existing_users_missing_home_that_is_procfile_home_is_made(monkeypatch, tmp_path):
    """A run stopped between creating the user and its home: the next run makes it."""
    home = str(tmp_path / "home")

    class Entry:
        pw_dir = home
    monkeypatch.setattr(accounts.pwd, "getpwnam", lambda name: Entry())
    assert home_plan(home, "/srv/shop", "shop", False) == home
    os.mkdir(home)
    assert home_plan(home, "/srv/shop", "shop", False) is None


def test_a_home_whose_name_ends_in_x_is_made():
    assert home_plan("/var/lib/appX", "/srv/shop", "no-such-user-x", True) == "/var/lib/appX"


def test_a_home_in_a_procfile_root_whose_name_ends_in_x_is_refused_word_for_word():
    with pytest.raises(AccountRefused) as info:
        home_plan("/srv/shopX/home", "/srv/shopX", "no-such-user-x", True)
    assert str(info.value) == (
        "procfile_home /srv/shopX/home is inside procfile_root /srv/shopX, which only root may "
        "change: give the app's user a home of its own outside it, e.g. /var/lib/<app>")


def test_every_home_is_inside_a_procfile_root_of_slash():
    with pytest.raises(AccountRefused, match="is inside procfile_root /,"):
        home_plan("/var/lib/shop", "/", "no-such-user-x", True)
