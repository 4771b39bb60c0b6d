"""schemathesis against /api/v1/openapi.json: every operation, positive and negative data.

Checks: no 5xx, documented status codes and content types, responses valid against the
documented schemas, and (negative data) invalid input is refused with a 4xx.
"""

from __future__ import annotations

import os
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories_integration import make_token

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Reported in the run's output: how many cases ran per mode.
COUNTS: Counter = Counter()


def _run(operation, mode: GenerationMode, headers: dict, failures: list) -> None:
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        COUNTS[mode.value] += 1
        case.validate_response(response, checks=checks, headers=headers)

    try:
        run()
    except Exception as exc:  # noqa: BLE001 - collect every operation's failure, fail once
        failures.append(f"{operation.label} [{mode.value}]: {exc}"[:3000])


def test_every_operation_honours_its_schema(app, db):
    _token, secret = make_token(scopes=("erp", "shop"))
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, headers, failures)
    print(f"schemathesis: {len(operations)} operations, cases {dict(COUNTS)}")
    assert not failures, "\n\n".join(failures)
