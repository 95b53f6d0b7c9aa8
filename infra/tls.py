"""TLS settings of a locally launched server: its certificate chain and the CA its
clients must trust (tests make them with tests/common/tls_files.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.credentials import write_private


@dataclass(frozen=True)
class ServerTls:
    cert_file: Path  # PEM certificate
    key_file: Path  # PEM private key
    ca_file: Path  # PEM CA that signed cert_file

    def combined_pem(self, into: Path) -> Path:
        """Certificate and key in one file, as mongod's --tlsCertificateKeyFile wants them."""
        write_private(into, self.cert_file.read_text() + self.key_file.read_text())
        return into
