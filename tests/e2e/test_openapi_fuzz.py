"""Schemathesis against the served OpenAPI document, through real processes of this
module's own (its database, its Redis database): generated requests, valid and not, on
every operation, with a valid admin token; the login (Basic credentials) with the fuzz
victim's valid credentials or generated ones, each from an address of its own (the
login throttle would otherwise refuse every login after ten bad ones).

Each answer must not be a server error, must have a status, content type and body the
document declares (schemathesis' checks, and the test clients' own check), and a
rejected (4xx) request must change nothing: the application settings, and the users
the request names, read back unchanged, and the victim still logs in with its password.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.common.openapi_check import check_requests_response, checked_request
from tests.e2e.conftest import NEW_PASSWORD, own_cluster

TARGET_REQUESTS = 2000
MAX_ROUNDS = 6
# The cases of every run come from this seed (see fuzz); "random" draws new ones.
FUZZ_SEED = os.environ.get("FUZZ_SEED", "13")
# The server errors that are the original's answers, not failures: a user name already
# taken is 500/1014 (spec §4.4, pinned by tests/integration/gateway/test_users.py), which
# valid generated users meet.
ANSWERED_SERVER_ERRORS = {("POST", "/v1/users"): 1014}


def first_error_code(response: Any) -> int | None:
    try:
        return response.json()["errors"][0]["code"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


@schemathesis.check
def no_server_failure(ctx: Any, response: Any, case: Any) -> bool | None:
    """``not_a_server_error``, but for an answered server error."""
    answered = ANSWERED_SERVER_ERRORS.get((case.method.upper(), case.operation.path))
    if response.status_code == 500 and answered is not None and first_error_code(response) == answered:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [no_server_failure, status_code_conformance, content_type_conformance, response_schema_conformance]
# Operations left out, each with why (none now: a logout is followed by a new login).
EXCLUDED: dict[str, str] = {}
# A path parameter naming a user names this one, never the admin whose token the fuzzer
# holds: changing its password or deleting it would end the run, not test anything.
USER_PARAMETERS = ("username", "user")
VICTIM = "fuzz-victim"
VICTIM_PASSWORD = "V1ctim!Passw0rd"
SETTINGS = "/v1/settings/application"
READ_PATIENCE = 10.0
# The request-rate limits (20/s by default) would refuse most generated requests: off.
NO_RATE_LIMITS = {"control_api_rate_limit": 0, "contacts_api_rate_limit": 0, "healthcheck_api_rate_limit": 0,
                  "messaging_api_rate_limit": 0}


LOGIN = "/v1/users/login"
# The fuzzer is the gateway's "proxy": each login names its client in X-Forwarded-For.
TRUSTED_PROXIES = "127.0.0.1,::1"
# Generated Basic credentials; None stands for the victim's valid ones (as they are then).
CREDENTIALS = st.one_of(st.none(), st.tuples(st.text(max_size=40), st.text(max_size=70)))


@pytest.fixture(scope="module")
def cluster(servers_env, tmp_path_factory):
    env = {**servers_env, "WA_TRUSTED_PROXIES": TRUSTED_PROXIES}
    with own_cluster(env, tmp_path_factory, "openapi_fuzz", redis_db=9, shards=1, cores=1) as running:
        yield running


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def is_basic(operation: Any) -> bool:
    return operation.definition.raw.get("security") == [{"basic": []}]


@dataclass
class Fuzzer:
    base_url: str
    document: dict[str, Any]
    token: str = ""
    sent: Counter[str] = field(default_factory=Counter)
    session: requests.Session = field(default_factory=requests.Session)
    # The victim's password as the accepted requests left it, and whether it exists.
    victim_password: str = VICTIM_PASSWORD
    victim_exists: bool = False
    addresses: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.session.hooks["response"].append(check_requests_response)
        self.log_in()

    def log_in(self) -> None:
        answer = checked_request("POST", f"{self.base_url}/v1/users/login", auth=("admin", NEW_PASSWORD), timeout=30)
        assert answer.status_code == 200, f"the fuzzer's admin cannot log in again: {answer.text}"
        self.token = answer.json()["users"][0]["token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def fresh_address(self) -> str:
        number = next(self.addresses)
        return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"

    def login_headers(self, credentials: tuple[str, str] | None) -> dict[str, str]:
        username, password = credentials or (VICTIM, self.victim_password)
        return {"Authorization": basic(username, password), "X-Forwarded-For": self.fresh_address()}

    def victim_logs_in(self) -> int:
        answer = checked_request("POST", f"{self.base_url}{LOGIN}", headers=self.login_headers(None), timeout=30)
        return answer.status_code

    def read(self, path: str) -> Any:
        answer = self.session.get(f"{self.base_url}{path}", headers=self.headers, timeout=30)
        deadline = time.monotonic() + READ_PATIENCE
        # A generated request may have set a request-rate limit: the checker's own reads
        # wait their turn (Retry-After) instead of comparing a 429 with the state.
        while answer.status_code == 429 and time.monotonic() < deadline:
            time.sleep(min(float(answer.headers.get("Retry-After", "1")), 2.0))
            answer = self.session.get(f"{self.base_url}{path}", headers=self.headers, timeout=30)
        body = answer.json()
        body.pop("meta", None)
        return answer.status_code, body

    def ensure_victim(self) -> None:
        """The user the path parameters name exists, so that changing or deleting it can succeed."""
        if "/v1/users" in self.document["paths"]:
            answer = self.session.post(f"{self.base_url}/v1/users", headers=self.headers, timeout=30,
                                       json={"username": VICTIM, "password": VICTIM_PASSWORD})
            assert answer.status_code in (201, 500), answer.text  # 500/1014: it exists already
            if answer.status_code == 201:
                self.victim_password = VICTIM_PASSWORD
            self.victim_exists = True

    @staticmethod
    def limited(settings: Any) -> bool:
        """Whether an accepted request (a PATCH, a reset) set a request-rate limit again."""
        application = settings[1].get("settings", {}).get("application", {})
        return any(application.get(name) not in (0, None) for name in NO_RATE_LIMITS)

    def lift_rate_limits(self) -> Any:
        answer = self.session.patch(f"{self.base_url}{SETTINGS}", headers=self.headers, json=NO_RATE_LIMITS,
                                    timeout=30)
        assert answer.status_code == 200, answer.text
        return self.settings()

    def settings(self) -> Any:
        return self.read(SETTINGS)

    def named_users(self, case: Any) -> dict[str, Any]:
        """What the users this request names look like now (where the API can show a user)."""
        if "/v1/users/{username}" not in self.document["paths"]:
            return {}
        names = {value for name, value in (case.path_parameters or {}).items() if name in USER_PARAMETERS}
        if isinstance(case.body, dict) and isinstance(case.body.get("username"), str):
            names.add(case.body["username"])
        return {name: self.read(f"/v1/users/{requests.utils.quote(name, safe='')}") for name in names}

    def names_victim(self, case: Any, credentials: tuple[str, str] | None) -> bool:
        named = set((case.path_parameters or {}).values())
        if isinstance(case.body, dict):
            named.add(case.body.get("username"))
        return VICTIM in named or (is_basic(case.operation) and credentials is None)

    def follow_victim(self, case: Any, credentials: tuple[str, str] | None) -> None:
        """What an accepted request did to the victim: its password, its existence."""
        body = case.body if isinstance(case.body, dict) else {}
        path, named = case.operation.path, (case.path_parameters or {}).get("username")
        if path == "/v1/users/{username}" and named == VICTIM:
            if case.method.upper() == "PUT":
                self.victim_password = body["password"]
            elif case.method.upper() == "DELETE":
                self.victim_exists = False
        elif path == "/v1/users" and case.method.upper() == "POST" and body.get("username") == VICTIM:
            self.victim_password, self.victim_exists = body["password"], True
        elif path == LOGIN and credentials is None and isinstance(body.get("new_password"), str):
            self.victim_password = body["new_password"]

    def run(self, case: Any, before: Any, credentials: tuple[str, str] | None = None) -> Any:
        """One request and its checks; the settings as they are after it."""
        users_before = self.named_users(case)
        headers = self.login_headers(credentials) if is_basic(case.operation) else self.headers
        response = case.call_and_validate(base_url=self.base_url, session=self.session, headers=headers,
                                          checks=CHECKS, timeout=30)
        self.sent[case.operation.definition.raw["operationId"]] += 1
        after = self.settings()
        rejected = 400 <= response.status_code < 500
        if after[0] == 401 and not rejected:
            # An accepted logout ended the fuzzer's session: it logs in again. A rejected
            # request that ended it fails below.
            self.log_in()
            after = self.settings()
        if not rejected and self.limited(after):
            after = self.lift_rate_limits()
        if 200 <= response.status_code < 300:
            self.follow_victim(case, credentials)
        if rejected:
            label = f"{case.method} {case.formatted_path} -> {response.status_code}"
            assert after == before, f"rejected request changed the settings: {label}"
            assert self.named_users(case) == users_before, f"rejected request changed a user: {label}"
            if self.victim_exists and self.names_victim(case, credentials):
                # A password change shows in no answer: logging in with the known one does.
                assert self.victim_logs_in() == 200, f"rejected request changed the victim's password: {label}"
        return after


def operations(schema: Any) -> list[Any]:
    found = [result.ok() for result in schema.get_all_operations()]
    return [operation for operation in found if operation.definition.raw["operationId"] not in EXCLUDED]


def fuzz(fuzzer: Fuzzer, operation: Any, mode: schemathesis.GenerationMode, examples: int, round_index: int) -> int:
    """Up to ``examples`` generated cases of one operation; how many were sent.

    Seeded (FUZZ_SEED, the operation, the mode and the round): a CI run is repeatable, and
    a failure reproduces with the same seed; ``FUZZ_SEED=random`` explores new cases."""
    user_parameters = {parameter.name: VICTIM for parameter in operation.path_parameters
                       if parameter.name in USER_PARAMETERS}
    if user_parameters or is_basic(operation):
        fuzzer.ensure_victim()
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=user_parameters or None)
    state = {"settings": fuzzer.settings(), "sent": 0}

    @given(case=strategy, credentials=CREDENTIALS if is_basic(operation) else st.none())
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=True)
    def one(case: Any, credentials: tuple[str, str] | None) -> None:
        state["settings"] = fuzzer.run(case, state["settings"], credentials)
        state["sent"] += 1

    if FUZZ_SEED != "random":
        key = f"{FUZZ_SEED}:{operation.label}:{mode.value}:{round_index}".encode()
        one = seed(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))(one)
    try:
        one()
    except Exception as error:  # noqa: BLE001 - a mode that cannot generate anything here is not a failure
        if type(error).__name__ not in {"Unsatisfiable", "NoValidExamples"} or state["sent"]:
            raise
        print(f"fuzz: {operation.label} {mode.value}: nothing to generate ({type(error).__name__})", file=sys.stderr)
    return state["sent"]


def test_generated_requests_break_nothing(cluster):
    stack = cluster["stack"]
    document = checked_request("GET", f"{stack.api_url}/v1/openapi.json", timeout=30).json()
    # From the served document as a dict: loaded from its URL, schemathesis would leave
    # that URL's own operation out.
    schema = schemathesis.openapi.from_dict(document)
    fuzzer = Fuzzer(stack.api_url, document)
    fuzzer.lift_rate_limits()
    chosen = operations(schema)
    assert chosen, "the document has no operation"
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    per_round = max(2, math.ceil(TARGET_REQUESTS / (len(chosen) * len(modes))))
    exhausted: set[tuple[str, str]] = set()
    for round_index in range(MAX_ROUNDS):
        for operation in chosen:
            for mode in modes:
                key = (operation.label, mode.value)
                if key in exhausted:
                    continue
                # Fewer than asked: hypothesis ran out of distinct cases (an operation
                # without parameters has one), so another round would only repeat them.
                if fuzz(fuzzer, operation, mode, per_round, round_index) < per_round:
                    exhausted.add(key)
        if sum(fuzzer.sent.values()) >= TARGET_REQUESTS:
            break

    for operation_id, count in sorted(fuzzer.sent.items()):
        print(f"fuzzed {operation_id}: {count} requests", file=sys.stderr)
    print(f"fuzzed in all: {sum(fuzzer.sent.values())} requests; excluded: {EXCLUDED}", file=sys.stderr)
    assert sum(fuzzer.sent.values()) >= TARGET_REQUESTS
    assert set(fuzzer.sent) == {operation.definition.raw["operationId"] for operation in chosen}
