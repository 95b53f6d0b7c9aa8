"""``load_master_key``: the key file's two formats, and the file made on first use."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from services.common.config import Config
from services.common.master_key import load_master_key
from services.protocol.keyring import LEGACY_ID


def test_a_missing_file_is_created_with_one_raw_key_only_its_owner_reads(tmp_path):
    path = tmp_path / "keys" / "master.key"
    created = load_master_key(Config(key_file=path))
    assert created.ids == (LEGACY_ID,) and path.read_bytes() == created.newest
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(Config(key_file=path)) == created


def test_a_keyring_file_is_read_newest_last(tmp_path):
    old, new = os.urandom(32), os.urandom(32)
    path = tmp_path / "master.keys"
    path.write_text(f"legacy:{base64.b64encode(old).decode()}\n2026-12:{base64.b64encode(new).decode()}\n")
    keyring = load_master_key(Config(key_file=path))
    assert keyring.ids == (LEGACY_ID, "2026-12") and keyring.newest == new and keyring.key(LEGACY_ID) == old


def test_a_bad_file_names_itself_and_not_its_contents(tmp_path):
    path = tmp_path / "master.keys"
    path.write_text("2026-12:c2hvcnQ=\n")
    with pytest.raises(ValueError, match="master.keys") as refused:
        load_master_key(Config(key_file=path))
    assert "c2hvcnQ=" not in str(refused.value)


def test_a_file_others_may_read_is_used_with_a_warning(tmp_path, caplog):
    path = tmp_path / "master.key"
    path.write_bytes(os.urandom(32))
    path.chmod(0o644)
    assert load_master_key(Config(key_file=path)).newest == path.read_bytes()
    assert "chmod 600" in caplog.text
    caplog.clear()
    path.chmod(0o600)
    load_master_key(Config(key_file=path))
    assert "chmod 600" not in caplog.text
