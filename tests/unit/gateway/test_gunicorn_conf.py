import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[3] / "services" / "api_gateway" / "gunicorn_conf.py"


def load(monkeypatch, **env):
    for name in ("WA_API_HOST", "WA_API_PORT", "WA_API_HTTPS_PORT", "WA_ALLOW_HTTP", "WA_GATEWAY_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_defaults(monkeypatch):
    conf = load(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:9443"]  # HTTPS only
    assert conf["workers"] == 2
    assert conf["threads"] == 4


def test_from_environment(monkeypatch):
    conf = load(monkeypatch, WA_API_HOST="0.0.0.0", WA_API_HTTPS_PORT="8443", WA_GATEWAY_WORKERS="5")
    assert conf["bind"] == ["0.0.0.0:8443"]
    assert conf["workers"] == 5


def test_plain_http_is_bound_beside_https_only_when_allowed(monkeypatch):
    conf = load(monkeypatch, WA_API_PORT="8080", WA_API_HTTPS_PORT="8443", WA_ALLOW_HTTP="1")
    assert conf["bind"] == ["127.0.0.1:8443", "127.0.0.1:8080"]
    assert load(monkeypatch, WA_API_PORT="8080", WA_ALLOW_HTTP="0")["bind"] == ["127.0.0.1:9443"]


def test_access_log_has_no_headers(monkeypatch):
    fmt = load(monkeypatch)["access_log_format"]
    assert "%({" not in fmt  # no request/response header atoms
    assert "%(r)s" not in fmt and "%(q)s" not in fmt  # no query string
