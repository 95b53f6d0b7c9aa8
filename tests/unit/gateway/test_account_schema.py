import pytest

from services.api_gateway.schemas.account import validate_registration, validate_shards, validate_verify
from services.common.errors import ApiError

CERT = "Q2VydGlmaWNhdGU="


def body(**changes):
    data = {"cc": "1", "phone_number": "6315550000", "cert": CERT}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_valid_registration_defaults():
    request = validate_registration(body())
    assert request.rpc_kwargs() == {
        "cc": "1", "phone_number": "6315550000", "method": "sms", "cert": CERT, "pin": None, "wipe": False,
    }


def test_reset_wipe():
    request = validate_registration(body(reset="wipe"))
    assert (request.wipe, request.pin) == (True, None)


def test_vname_cert_and_pin():
    request = validate_registration(body(cert=None, vname_cert=CERT, method="voice", pin="123456"))
    assert (request.cert, request.method, request.pin) == (CERT, "voice", "123456")


@pytest.mark.parametrize(
    ("data", "code", "details"),
    [
        (body(cc=None), 1008, "Missing mandatory parameter 'cc'"),
        (body(cc="+1"), 1009, "Parameter 'cc' has invalid value '+1'"),
        (body(cc=1), 1009, "Parameter 'cc' has invalid value '1'"),
        (body(phone_number=None), 1008, "Missing mandatory parameter 'phone_number'"),
        (body(phone_number="631-555"), 1009, "Parameter 'phone_number' has invalid value '631-555'"),
        (body(method="fax"), 1009, "Parameter 'method' has invalid value 'fax'"),
        (body(cert=None), 1008, "Atleast one of the following parameters must be present: 'cert', 'vname_cert'"),
        (body(vname_cert=CERT), 1010, "Exactly one of the following parameters must be present: 'cert', 'vname_cert'"),
        (body(cert="not base64!"), 1009, "Parameter 'cert' has invalid value: it must be a base64 string"),
        (body(pin="12345"), 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
        (body(pin=123456), 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
        (body(pin=""), 1009, "Pin must not be empty"),
        (body(cert=None, vname_cert=None), 1008,
         "Atleast one of the following parameters must be present: 'cert', 'vname_cert'"),
        (body(cert=None, vname_cert="not base64!"), 1009,
         "Parameter 'vname_cert' has invalid value: it must be a base64 string"),
        (body(reset="wipe", pin="123456"), 1010, "Parameter 'pin' is not required when 'reset' is 'wipe'"),
        (body(reset="all"), 1009, "Parameter 'reset' has invalid value 'all'"),
        (body(reset=True), 1009, "Parameter 'reset' has invalid value 'True'"),
    ],
)
def test_registration_errors(data, code, details):
    with pytest.raises(ApiError) as caught:
        validate_registration(data)
    assert (caught.value.code, caught.value.details) == (code, details)


def test_verify():
    assert validate_verify({"code": "123456"}) == "123456"
    assert validate_verify({"code": "123-456"}) == "123456"
    for data, code in [({}, 1008), ({"code": "12345"}, 1009), ({"code": 123456}, 1009), ({"code": "abcdef"}, 1009)]:
        with pytest.raises(ApiError) as caught:
            validate_verify(data)
        assert caught.value.code == code


def test_shards_carry_the_pin():
    shards = {"cc": "1", "phone_number": "6315550000", "shards": 4}
    assert validate_shards(shards).pin is None
    assert validate_shards({**shards, "pin": "123456"}).pin == "123456"
    refusals = [("", "Pin must not be empty"), ("12345a", "Parameter 'pin' has invalid value: it must be 6 digits")]
    for pin, details in refusals:
        with pytest.raises(ApiError) as caught:
            validate_shards({**shards, "pin": pin})
        assert (caught.value.code, caught.value.details) == (1009, details)
