import pytest

from services.templates.store import document, template_key

LISTED = {"id": "t1", "namespace": "ns", "name": "hello", "language": "en_US", "category": "UTILITY",
          "status": "APPROVED", "components": [{"type": "BODY", "text": "Hi {{1}}"}]}


def test_a_listed_template_is_cached_under_namespace_name_and_language():
    assert template_key("ns", "hello", "en_US") == "ns:hello:en_US"
    assert document({**LISTED, "extra": "ignored"}) == {"_id": "ns:hello:en_US", **LISTED}


@pytest.mark.parametrize("broken", [{"status": None}, {"language": 1}, {"components": "BODY"}, {"name": None}])
def test_a_malformed_template_is_left_out(broken):
    assert document({**LISTED, **broken}) is None
