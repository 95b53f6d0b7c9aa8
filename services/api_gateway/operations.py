"""What each route accepts and answers, declared once, beside the route.

The project's OpenAPI document (``GET /v1/openapi.json``) is generated from these
declarations and from the pydantic models they name, the same models that validate
the requests and build the answers: there is no second, hand-kept description.

A route declares itself with :func:`operation`::

    @bp.post("")
    @operation("Create a user", body=CreateUserBody, answers={201: UsersAnswer},
               errors=(1008, 1009, 1014, 1015))
    @auth.require_auth(admin=True)
    def create_user(): ...

- ``answers`` maps each success status to the model of the payload keys that sit
  beside ``meta`` (``None``: ``meta`` only), or to a media type string for an answer
  that is not JSON (a medium's bytes, a certificate's text).
- ``errors`` lists the error codes the route itself raises, each at the HTTP status of
  services/common/errors.py's table, or as ``(code, status)`` where the route answers it
  at another status (``ApiError(..., http_status=...)``); the document adds what
  every route may answer (401 without a token, 403 for a non-admin on an admin route,
  1025 for an unreadable body, 503/1016 during an outage).
- ``extension`` says why the operation (or a part of it) goes beyond the original
  On-Premises API; the document marks it ``x-extension``.
- ``text_answers`` maps a status to a media type it may answer instead of its JSON
  model, as the query asks (``?format=prometheus``: ``text/plain; version=0.0.4``).
- ``headers`` lists the request headers the route reads beyond ``Authorization``
  (:class:`HeaderParam`), each with its own ``extension`` when the original has none.

The declaration is an attribute of the view function; ``functools.wraps`` (used by
every decorator here) copies it to the wrappers, so the order of the decorators does
not matter. Who may call a route is declared by ``auth.require_auth`` in the same way
(``access``); a route without that guard (anonymous, or ``Basic`` for the login) may
declare its access with :func:`access`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])

Answer = type[BaseModel] | str | None
"""A payload model, a media type (not JSON), or ``None`` (``{"meta"}`` only)."""

DeclaredError = int | tuple[int, int]
"""An error code at its table status, or ``(code, HTTP status)`` where the route overrides it."""


@dataclass(frozen=True)
class HeaderParam:
    """A request header the route reads (``Idempotency-Key``); ``extension``: why, when
    the original API has no such header."""

    name: str
    description: str
    extension: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Operation:
    summary: str
    answers: Mapping[int, Answer]
    body: type[BaseModel] | None = None
    raw_body: str | None = None  # the media type of a body that is not JSON (uploads)
    query: type[BaseModel] | None = None
    errors: tuple[DeclaredError, ...] = ()
    extension: str | None = None
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    headers: tuple[HeaderParam, ...] = field(default_factory=tuple)
    text_answers: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Access:
    """Who may call a route: any user with a token, the admin only, and whether the
    monitoring API key (``Authorization: Apikey``, spec §4.3) is accepted too."""

    admin: bool = False
    apikey: bool = False
    basic: bool = False  # ``POST /v1/users/login`` only
    anonymous: bool = False


def operation(summary: str, *, answers: Mapping[int, Answer], body: type[BaseModel] | None = None,
              raw_body: str | None = None, query: type[BaseModel] | None = None,
              errors: tuple[DeclaredError, ...] = (), extension: str | None = None, description: str = "",
              tags: tuple[str, ...] = (), headers: tuple[HeaderParam, ...] = (),
              text_answers: Mapping[int, str] | None = None) -> Callable[[F], F]:
    declared = Operation(summary=summary, answers=dict(answers), body=body, raw_body=raw_body, query=query,
                         errors=tuple(errors), extension=extension, description=description, tags=tuple(tags),
                         headers=tuple(headers), text_answers=dict(text_answers or {}))

    def decorate(view: F) -> F:
        view.operation = declared  # type: ignore[attr-defined]
        return view

    return decorate


def access(declared: Access) -> Callable[[F], F]:
    """Declare who may call a route that ``auth.require_auth`` does not guard."""

    def decorate(view: F) -> F:
        view.access = declared  # type: ignore[attr-defined]
        return view

    return decorate


def declared_operation(view: Callable[..., Any]) -> Operation | None:
    return getattr(view, "operation", None)


def declared_access(view: Callable[..., Any]) -> Access | None:
    return getattr(view, "access", None)
