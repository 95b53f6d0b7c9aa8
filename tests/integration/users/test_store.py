"""services/users/store.py against the real MongoDB: a login's token is issued only for
the password it checked, whatever a password change or a delete did meanwhile."""

from __future__ import annotations

from services.users import store
from tests.common.factories import scrypt_hash

PASSWORD = "Us3r-Passw0rd!"
NEW_PASSWORD = "N3w-Us3r-Passw0rd?"
TTL = 3600


def test_a_token_is_issued_for_the_password_just_checked(db):
    store.create_user(db, "alice", PASSWORD)
    checked = store.authenticate(db, "alice", PASSWORD)
    assert checked is not None and checked.password_stamp
    issued = store.issue_token_if_current(db, "alice", checked.role, checked.password_stamp, TTL)
    assert issued is not None
    assert store.token_holder(db, issued[0]).username == "alice"


def test_no_token_is_left_for_a_password_changed_while_it_was_checked(db):
    store.create_user(db, "alice", PASSWORD)
    checked = store.authenticate(db, "alice", PASSWORD)
    new_stamp = store.change_password(db, "alice", NEW_PASSWORD)  # after the check, before the token
    assert new_stamp is not None and new_stamp != checked.password_stamp
    assert store.issue_token_if_current(db, "alice", checked.role, checked.password_stamp, TTL) is None
    assert db.tokens.count_documents({}) == 0
    # The one who changed it gets its token.
    assert store.issue_token_if_current(db, "alice", checked.role, new_stamp, TTL) is not None


def test_no_token_is_left_for_a_user_deleted_while_it_was_checked(db):
    store.create_user(db, "alice", PASSWORD)
    checked = store.authenticate(db, "alice", PASSWORD)
    assert store.delete_user(db, "alice")
    assert store.issue_token_if_current(db, "alice", checked.role, checked.password_stamp, TTL) is None
    assert db.tokens.count_documents({}) == 0


def test_a_rehash_at_login_keeps_the_stamp(db):
    store.create_user(db, "alice", PASSWORD)
    db.users.update_one({"_id": "alice"}, {"$set": {"password_hash": scrypt_hash(PASSWORD)}})
    checked = store.authenticate(db, "alice", PASSWORD)  # re-hashes to argon2id
    assert db.users.find_one({"_id": "alice"})["password_hash"].startswith("$argon2id$")
    assert store.issue_token_if_current(db, "alice", checked.role, checked.password_stamp, TTL) is not None


def test_a_user_from_before_stamps_still_logs_in(db):
    store.ensure_admin(db)  # the built-in admin has no stamp until its first password change
    checked = store.authenticate(db, "admin", store.DEFAULT_ADMIN_PASSWORD)
    assert checked.password_stamp is None
    assert store.issue_token_if_current(db, "admin", checked.role, None, TTL) is not None


def test_changing_or_deleting_an_unknown_user_says_so(db):
    assert store.change_password(db, "nobody", NEW_PASSWORD) is None
    assert store.delete_user(db, "nobody") is False
    assert db.users.count_documents({}) == 0


def _logged_in(db, username: str = "alice", password: str = PASSWORD) -> str:
    checked = store.authenticate(db, username, password)
    issued = store.issue_token_if_current(db, username, checked.role, checked.password_stamp, TTL)
    assert issued is not None
    return issued[0]


def test_a_delete_whose_token_delete_was_lost_still_revokes_the_tokens(db, monkeypatch):
    store.create_user(db, "alice", PASSWORD)
    token = _logged_in(db)
    # A crash between the user's delete and its tokens' delete: the tokens stay stored.
    monkeypatch.setattr(db.tokens.__class__, "delete_many", lambda *args, **kwargs: None)
    assert store.delete_user(db, "alice")
    monkeypatch.undo()
    assert db.tokens.count_documents({}) == 1
    assert store.token_holder(db, token) is None
    assert db.tokens.count_documents({}) == 0  # and the leftover goes as it is found


def test_a_user_deleted_and_created_again_does_not_inherit_the_old_tokens(db, monkeypatch):
    store.create_user(db, "alice", PASSWORD)
    token = _logged_in(db)
    monkeypatch.setattr(db.tokens.__class__, "delete_many", lambda *args, **kwargs: None)
    store.delete_user(db, "alice")
    store.create_user(db, "alice", PASSWORD)
    monkeypatch.undo()
    assert store.token_holder(db, token) is None
    assert store.token_holder(db, _logged_in(db)).username == "alice"


def test_a_password_change_whose_token_delete_was_lost_still_revokes_the_tokens(db, monkeypatch):
    store.create_user(db, "alice", PASSWORD)
    token = _logged_in(db)
    monkeypatch.setattr(db.tokens.__class__, "delete_many", lambda *args, **kwargs: None)
    store.change_password(db, "alice", NEW_PASSWORD)
    monkeypatch.undo()
    assert store.token_holder(db, token) is None
    assert store.token_holder(db, _logged_in(db, password=NEW_PASSWORD)).username == "alice"
