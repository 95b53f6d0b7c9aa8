import stat

from infra.credentials import Credentials


def test_generated_once_private_and_reused(tmp_path):
    first = Credentials.load_or_create(tmp_path)
    again = Credentials.load_or_create(tmp_path)

    assert again == first
    for path in (tmp_path / "credentials.json", first.mongo_key_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.mongo_password) >= 32 and len(first.redis_password) >= 32
    assert first.mongo_password != first.redis_password


def test_each_run_directory_has_its_own(tmp_path):
    one = Credentials.load_or_create(tmp_path / "one")
    other = Credentials.load_or_create(tmp_path / "other")
    assert one.mongo_password != other.mongo_password
    assert one.mongo_key_file.read_text() != other.mongo_key_file.read_text()


def test_the_key_file_is_in_the_alphabet_mongod_accepts(tmp_path):
    key = Credentials.load_or_create(tmp_path).mongo_key_file.read_text().strip()
    assert 6 <= len(key) <= 1024
    assert set(key) <= set("0123456789abcdef")


def test_no_password_in_its_repr(tmp_path):
    credentials = Credentials.load_or_create(tmp_path)
    shown = repr(credentials) + str(credentials)
    assert credentials.mongo_password not in shown and credentials.redis_password not in shown
