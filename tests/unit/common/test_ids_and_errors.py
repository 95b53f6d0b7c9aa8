import base64

from services.common.errors import ApiError, invalid, missing, not_required
from services.common.ids import outbound_message_id


def test_outbound_ids_have_the_on_prem_shape():
    ids = {outbound_message_id() for _ in range(200)}
    assert len(ids) == 200
    for message_id in ids:
        assert message_id.startswith("gBEG") and message_id.isalnum() and len(message_id) == 27
        assert base64.b64decode(message_id + "=")[:3] == b"\x80\x11\x06"


def test_error_items_carry_the_original_titles_and_statuses():
    assert missing("to").to_dict() == {
        "code": 1008, "title": "Required parameter is missing", "details": "Missing mandatory parameter 'to'"}
    assert invalid("type", "foo").status == 400
    assert not_required("image", "text").to_dict()["details"] == "Parameter 'image' is not required for type 'text'"
    assert ApiError(1024).status == 401 and ApiError(1022).status == 412


def test_unknown_codes_become_code_zero():
    error = ApiError(4242)
    assert error.status == 500
    assert error.to_dict() == {"code": 0, "title": "undefined", "details": "Undefined error code 4242"}
