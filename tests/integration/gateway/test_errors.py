import logging

from tests.integration.gateway.conftest import META, assert_error


def test_unknown_path_is_enveloped(client, auth):
    assert_error(client.get("/v1/nope", headers=auth), 404, 1006, "Unknown path")
    assert_error(client.get("/"), 404, 1006, "Unknown path")


def test_wrong_method(client, auth):
    response = client.get("/v1/messages", headers=auth)
    assert_error(response, 405, 1025, "Method GET is not allowed on this path")
    assert "POST" in response.headers["Allow"]


def test_invalid_json(client, auth):
    response = client.post("/v1/messages", headers=auth, data="{not json", content_type="application/json")
    assert_error(response, 400, 1025, "Request body is not valid JSON")
    response = client.patch("/v1/settings/application", headers=auth, data="[1,", content_type="application/json")
    assert_error(response, 400, 1025, "Request body is not valid JSON")


def test_non_object_json(client, auth):
    response = client.post("/v1/messages", headers=auth, json=["to"])
    assert_error(response, 400, 1025, "Request body must be a JSON object")


def test_unexpected_exception_is_internal_error_and_logs_no_secrets(app, caplog):
    def boom():
        raise RuntimeError("kaboom")

    app.add_url_rule("/v1/test-boom", "boom", boom, methods=["POST"])
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.post(
            "/v1/test-boom",
            json={"password": "hunter2-Secret!"},
            headers={"Authorization": "Bearer very-secret-token"},
        )
    assert_error(response, 500, 1014, "Internal error")
    assert response.get_json()["errors"][0]["title"] == "Internal error"
    assert "kaboom" in caplog.text  # the traceback is logged
    assert "hunter2-Secret!" not in caplog.text
    assert "very-secret-token" not in caplog.text


def test_meta_on_success(client, auth):
    assert client.get("/v1/health", headers=auth).get_json()["meta"] == META
