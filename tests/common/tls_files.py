"""The files of a TLS-enabled server that tests start (infra.tls.ServerTls): a CA of its
own and a certificate for loopback, from tests/common/pki.py."""

from __future__ import annotations

from pathlib import Path

from infra.tls import ServerTls
from tests.common.pki import make_ca, make_leaf


def make_server_tls(directory: Path) -> ServerTls:
    """ca.crt, server.crt and server.key in ``directory`` (created), signed by a CA made
    for this call alone."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = make_ca("wa test CA")
    cert_file, key_file = make_leaf(ca).write(directory, "server")
    key_file.chmod(0o600)
    ca_file = directory / "ca.crt"
    ca_file.write_text(ca.cert_pem)
    return ServerTls(cert_file=cert_file, key_file=key_file, ca_file=ca_file)
