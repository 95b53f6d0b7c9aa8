"""A route's declaration and its access survive the decorators, in either order."""

from __future__ import annotations

from pydantic import BaseModel

from services.api_gateway import auth
from services.api_gateway.operations import Access, HeaderParam, declared_access, declared_operation, operation


class Named(BaseModel):
    name: str


def test_declaration_is_kept_below_the_auth_guard():
    @operation("Read a thing", answers={200: Named}, errors=(1006,))
    @auth.require_auth(admin=True)
    def view():
        return None

    assert declared_operation(view).answers == {200: Named}
    assert declared_operation(view).errors == (1006,)
    assert declared_access(view) == Access(admin=True, apikey=False)


def test_declaration_is_copied_onto_the_auth_guard():
    @auth.require_auth(allow_apikey=True)
    @operation("Read health", answers={200: None})
    def view():
        return None

    assert declared_operation(view).summary == "Read health"
    assert declared_access(view) == Access(admin=False, apikey=True)


def test_an_undeclared_view_declares_nothing():
    def view():
        return None

    assert declared_operation(view) is None
    assert declared_access(view) is None


def test_headers_and_text_answers_are_kept_and_default_to_none():
    key = HeaderParam("Idempotency-Key", "one send per key", extension="retries are safe")

    @operation("Send", answers={201: Named}, headers=(key,), text_answers={201: "text/plain"})
    def view():
        return None

    @operation("Read", answers={200: Named})
    def plain():
        return None

    assert declared_operation(view).headers == (key,)
    assert declared_operation(view).text_answers == {201: "text/plain"}
    assert declared_operation(plain).headers == () and declared_operation(plain).text_answers == {}
