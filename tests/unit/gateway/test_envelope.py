from services.api_gateway.envelope import build
from services.common.errors import ApiError

META = {"api_status": "stable", "version": "v2.45.1"}


def test_success_puts_payload_at_top_level():
    body, status = build("v2.45.1", {"messages": [{"id": "x"}]}, status=201)
    assert status == 201
    assert body == {"messages": [{"id": "x"}], "meta": META}


def test_empty_success_is_meta_only():
    body, status = build("v2.45.1")
    assert (body, status) == ({"meta": META}, 200)


def test_error_item_and_status_from_code():
    body, status = build("v2.45.1", errors=[ApiError(1008, "Missing mandatory parameter 'to'")])
    assert status == 400
    assert body == {
        "meta": META,
        "errors": [
            {"code": 1008, "title": "Required parameter is missing", "details": "Missing mandatory parameter 'to'"}
        ],
    }


def test_last_error_status_wins():
    errors = [ApiError(1011), ApiError(1006)]
    body, status = build("v1", errors=errors)
    assert status == 404
    assert [e["code"] for e in body["errors"]] == [1011, 1006]
    _, status = build("v1", errors=[ApiError(1006), ApiError(1015)])
    assert status == 429


def test_unknown_code_becomes_undefined():
    body, status = build("v1", errors=[ApiError(4242, "whatever")])
    assert status == 500
    assert body["errors"] == [{"code": 0, "title": "undefined", "details": "Undefined error code 4242"}]


def test_status_override_for_bad_tokens():
    body, status = build("v1", errors=[ApiError(1005, "Invalid credentials.", http_status=401)])
    assert status == 401
    assert body["errors"][0] == {"code": 1005, "title": "Access denied", "details": "Invalid credentials."}


def test_details_omitted_when_empty():
    body, _ = build("v1", errors=[ApiError(1024)])
    assert body["errors"] == [{"code": 1024, "title": "Password change required"}]
