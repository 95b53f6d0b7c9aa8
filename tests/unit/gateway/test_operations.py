"""A route's declaration and its access survive the decorators, in either order."""

from __future__ import annotations

from pydantic import BaseModel

from services.api_gateway import auth
from services.api_gateway.operations import Access, declared_access, declared_operation, operation


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
