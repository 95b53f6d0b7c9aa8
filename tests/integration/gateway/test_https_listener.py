"""The gateway's gunicorn (its config and worker) serving a tiny app on both listeners:
``wsgi.url_scheme`` is that of the listener a request came in on, and the plain one is
bound only with WA_ALLOW_HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from infra.process_stack import free_port
from services.common.mongo import get_db
from tests.common.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).parent / "gunicorn"
DATABASE = "whatsapp_https_listener"


def echo_scheme(environ, start_response):  # noqa: ANN001, ANN201 - WSGI signature
    body = environ["wsgi.url_scheme"].encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def start_gateway(servers_env: dict[str, str], tmp_path: Path, **extra: str) -> tuple[subprocess.Popen, int, int]:
    http_port, https_port = free_port(), free_port()
    # A database of its own (dropped after): its certificate is sealed by this run's master key.
    env = {**os.environ, **servers_env, "WA_MONGO_DB": DATABASE,
           "WA_KEY_FILE": str(tmp_path / "master.key"), "WA_API_PORT": str(http_port),
           "WA_API_HTTPS_PORT": str(https_port), "WA_GATEWAY_WORKERS": "1", **extra}
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "services/api_gateway/gunicorn_conf.py",
         "tests.integration.gateway.test_https_listener:echo_scheme"],
        cwd=REPO, env=env, stdout=open(tmp_path / "gateway.log", "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True)
    return process, http_port, https_port


def get(url: str) -> requests.Response | None:
    try:
        return requests.get(url, verify=False, timeout=5)  # noqa: S501 - the scheme is what is tested
    except requests.ConnectionError:
        return None


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("allow_http", [True, False])
def test_each_listener_gives_its_scheme_and_http_only_when_allowed(servers_env, config, tmp_path, allow_http):
    process, http_port, https_port = start_gateway(servers_env, tmp_path, WA_ALLOW_HTTP="1" if allow_http else "0")
    try:
        secure = wait_for(lambda: get(f"https://127.0.0.1:{https_port}/"), timeout=30, interval=0.2,
                          message=lambda: (tmp_path / "gateway.log").read_text())
        assert secure.text == "https"
        plain = get(f"http://127.0.0.1:{http_port}/")
        if allow_http:
            assert plain is not None and plain.text == "http"
        else:
            assert plain is None  # nothing listens there
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        get_db(config).client.drop_database(DATABASE)
