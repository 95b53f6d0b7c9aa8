"""The two-step PIN in the account document: sealed, and dropped when the registration
it belonged to is replaced by a wipe or by another number."""

from services.account import store as account_store
from services.common.master_key import load_master_key

NUMBER = {"cc": "1", "phone_number": "5550100"}


def registered(db, keys, *, wipe: bool = False, **number: str) -> None:
    account_store.record_code_requested(db, **{**NUMBER, **number}, cert="c", vname="Acme", wipe=wipe)
    account_store.record_registered(db, keys, wa_id="15550100", token="network-token")


def test_the_pin_is_sealed(db, config):
    keys = load_master_key(config)
    registered(db, keys)
    assert account_store.two_step_pin(db, keys) is None
    account_store.record_two_step(db, keys, "123456")
    assert "123456" not in str(db.account.find_one())
    assert account_store.two_step_pin(db, keys) == "123456"
    account_store.clear_two_step(db)
    assert account_store.two_step_pin(db, keys) is None


def test_registering_the_same_number_again_keeps_it(db, config):
    keys = load_master_key(config)
    registered(db, keys)
    account_store.record_two_step(db, keys, "123456")
    registered(db, keys)
    assert account_store.two_step_pin(db, keys) == "123456"


def test_a_wipe_or_another_number_drops_it(db, config):
    keys = load_master_key(config)
    registered(db, keys)
    account_store.record_two_step(db, keys, "123456")
    registered(db, keys, wipe=True)
    assert account_store.two_step_pin(db, keys) is None

    account_store.record_two_step(db, keys, "123456")
    registered(db, keys, phone_number="5550199")
    assert account_store.two_step_pin(db, keys) is None
