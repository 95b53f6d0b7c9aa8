"""The templates API of the real sandbox process: created and listed on /sandbox/v1,
fetched by a business on /network/v1, announced to it on its connection."""

from __future__ import annotations

import requests

from tests.integration.sandbox.client import Business, ack, next_item

TEMPLATE = {"namespace": "acme_ns", "name": "order_update", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Order {{1}} ships on {{2}}"}]}


def test_templates_are_created_replaced_listed_and_announced(sandbox, number):
    business = Business(sandbox.url, "1", number).setup()
    with business.connect() as ws:
        created = requests.post(sandbox.url + "/sandbox/v1/templates", json=TEMPLATE, timeout=10)
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "APPROVED"
        item = next_item(ws)
        assert item["type"] == "notification" and item["notification"] == {"kind": "templates"}
        ack(ws, item)

        replaced = requests.post(sandbox.url + "/sandbox/v1/templates", json={**TEMPLATE, "status": "PAUSED"},
                                 timeout=10)
        assert replaced.json() == {"id": created.json()["id"], "status": "PAUSED"}
        ack(ws, next_item(ws))

    listed = requests.get(sandbox.url + "/sandbox/v1/templates", timeout=10).json()["templates"]
    mine = [t for t in listed if t["name"] == "order_update"]
    assert len(mine) == 1 and mine[0]["status"] == "PAUSED"
    assert business.get("/network/v1/templates").json()["templates"] == listed
    assert requests.get(sandbox.url + "/network/v1/templates", timeout=10).status_code == 401

    bad = requests.post(sandbox.url + "/sandbox/v1/templates", json={**TEMPLATE, "status": "LIVE"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_request"
