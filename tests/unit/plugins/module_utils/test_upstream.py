"""Front-proxy upstream files: their text, what they list, and the setting's checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.upstream import (
    full_setting,
    members_in,
    render,
    upstream_errors,
)


def test_nginx_block_lists_each_instance_with_its_name():
    setting = full_setting("shop", "web", {"path": "/etc/nginx/conf.d/shop-web.conf"})
    assert setting == {"path": "/etc/nginx/conf.d/shop-web.conf", "format": "nginx",
                       "name": "shop_web", "reload": "nginx.service"}
    text = render(setting, "shop", "web", [(1, 5001), (3, 5003)])
    assert text.endswith("upstream shop_web {\n    server 127.0.0.1:5001;  # web.1\n"
                         "    server 127.0.0.1:5003;  # web.3\n}\n")
    assert members_in(text, "web") == [1, 3]


def test_nginx_block_without_instances_still_loads():
    # nginx refuses an upstream with no server: one marked down keeps the config valid.
    text = render(full_setting("shop", "web", {"path": "/x"}), "shop", "web", [])
    assert "server 127.0.0.1:9 down;" in text and members_in(text, "web") == []


def test_haproxy_backend():
    setting = full_setting("shop", "api-v2", {"path": "/etc/haproxy/conf.d/shop.cfg",
                                              "format": "haproxy", "name": "shop"})
    assert setting["reload"] == "haproxy.service"
    text = render(setting, "shop", "api-v2", [(2, 5002)])
    assert text.endswith("backend shop\n    server api-v2.2 127.0.0.1:5002 check\n")
    assert members_in(text, "api-v2") == [2]


def test_default_name_is_a_valid_nginx_name():
    assert full_setting("my-shop", "web-api", {"path": "/x"})["name"] == "my_shop_web_api"


@pytest.mark.parametrize("value, words", [
    ("/etc/nginx/conf.d/x.conf", "must be a dict"),
    ({}, ".path None: an absolute path"),
    ({"path": "conf.d/x.conf"}, ".path 'conf.d/x.conf': an absolute path"),
    ({"path": "/etc/nginx/../x.conf"}, "an absolute path"),
    ({"path": "/etc/nginx/conf.d/"}, "an absolute path to a file"),
    ({"path": "/x.conf", "format": "caddy"}, ".format 'caddy': one of nginx, haproxy"),
    ({"path": "/x.conf", "name": "shop web"}, ".name 'shop web'"),
    ({"path": "/x.conf", "reload": "nginx"}, ".reload 'nginx': the proxy's service unit"),
    ({"path": "/x.conf", "template": "my.j2"}, ".template: unknown key"),
])
def test_bad_settings_name_the_key_and_the_rule(value, words):
    assert any(words in e for e in upstream_errors("s.upstream", value)), \
        upstream_errors("s.upstream", value)


def test_a_good_setting_has_no_error():
    assert upstream_errors("s", {"path": "/etc/nginx/conf.d/shop-web.conf", "format": "nginx",
                                 "name": "shop_web", "reload": "nginx.service"}) == []
