"""The published contract: /openapi.json is generated from the schemas the
views use, documents every route, and /docs works without the internet."""

from __future__ import annotations

import re

import pytest

from app.bootstrap import build_services, create_app
from app.http.openapi import route_doc
from tests.conftest import memory_settings


@pytest.fixture(scope="module")
def spec():
    """The served document, built once for the module's tests (they only read it)."""
    services = build_services(memory_settings())
    try:
        response = create_app(services=services).test_client().get("/openapi.json")
    finally:
        services.close()
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_document_is_openapi_3_1_and_lists_every_route(flask_app, spec):
    assert spec["openapi"] == "3.1.0"
    for rule in flask_app.url_map.iter_rules():
        assert route_doc(flask_app.view_functions[rule.endpoint]) is not None, rule.rule
        path = rule.rule.replace("<uuid:", "{").replace("<path:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], f"{method} {path}"


def test_commands_document_their_headers_and_every_problem(spec):
    approve = spec["paths"]["/purchase-orders/{po_id}/approve"]["post"]
    headers = {p["name"] for p in approve["parameters"] if p["in"] == "header"}
    assert {"Idempotency-Key", "If-Match"} <= headers
    assert {"ETag", "Event-Position", "Idempotent-Replayed"} <= set(approve["responses"]["200"]["headers"])
    assert {"400", "401", "403", "404", "409", "413", "415", "422", "428", "500", "503"} <= set(approve["responses"])
    assert "Retry-After" in approve["responses"]["503"]["headers"]
    assert "version-conflict" in approve["responses"]["409"]["description"]


def test_request_bodies_come_from_the_validation_schemas(spec):
    create = spec["paths"]["/purchase-orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    draft = spec["components"]["schemas"][create["$ref"].rsplit("/", 1)[1]]
    assert set(draft["required"]) == {"title", "supplier_id", "currency", "needed_by", "lines"}
    assert draft["properties"]["title"]["maxLength"] == 200
    assert draft.get("additionalProperties") is False


def test_open_routes_need_no_token_in_the_document(spec):
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert "security" not in spec["paths"]["/purchase-orders/{po_id}"]["get"]


def test_the_interactive_docs_are_served_from_the_package(client):
    page = client.get("/docs")
    assert page.status_code == 200 and '<script src="/docs/init.js">' in page.get_data(as_text=True)
    assert "cdn" not in page.get_data(as_text=True).lower()
    assert '"/openapi.json"' in client.get("/docs/init.js").get_data(as_text=True)
    bundle = client.get("/docs/static/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.get_data()) > 100_000


def _query_parameter(spec, path, name):
    return next(p for p in spec["paths"][path]["get"]["parameters"] if p["in"] == "query" and p["name"] == name)


def _allows(parameter_schema, value) -> bool:
    # schemathesis's validator, formats asserted as schemathesis asserts them.
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(parameter_schema, validate_formats=True).is_valid(value)


@pytest.mark.parametrize("path", ["/purchase-orders", "/approvals/queue"])
def test_a_cursor_the_server_refuses_is_invalid_in_the_document(spec, path):
    cursor = _query_parameter(spec, path, "cursor")["schema"]
    assert not _allows(cursor, "0")
    issued = "eyJrIjowLCJpIjoiIiwiZiI6IjAxMjM0NTY3ODlhYmNkZWYifQ"
    assert _allows(cursor, issued)


@pytest.mark.parametrize("path", ["/purchase-orders/{po_id}/history", "/purchase-orders/{po_id}/timeline"])
def test_a_step_cursor_the_server_refuses_is_invalid_in_the_document(spec, path):
    cursor = _query_parameter(spec, path, "cursor")["schema"]
    assert not _allows(cursor, "(╯°□°）╯︵ ┻━┻")
    issued = "eyJ2IjozLCJmIjoiMDEyMzQ1Njc4OWFiY2RlZiJ9"
    assert _allows(cursor, issued)


@pytest.mark.parametrize("path, name", [("/reports/spend", "to"), ("/reports/spend", "from"),
                                        ("/reports/cycle-times", "to"), ("/purchase-orders", "created_from"),
                                        ("/purchase-orders", "created_to")])
def test_date_bounds_state_their_format_so_an_empty_one_is_invalid(spec, path, name):
    bound = _query_parameter(spec, path, name)["schema"]
    assert bound.get("type") == "string"
    for refused in ("", "yesterday", "2026-02-30", "2026-01-31T10:00", "9999-12-31"):
        assert not _allows(bound, refused), refused
    for accepted in ("2026-01-31", "2026-01-31T10:00:00Z", "2026-01-31T10:00:00.5+01:00"):
        assert _allows(bound, accepted), accepted


@pytest.mark.parametrize("name", ["min_total", "max_total"])
def test_amount_bounds_state_their_format(spec, name):
    amount = _query_parameter(spec, "/purchase-orders", name)["schema"]
    assert amount.get("type") == "string"
    assert [_allows(amount, v) for v in ("", "1e3", "-1", "1.234", "12.50", "0")] == [False] * 4 + [True] * 2


def test_a_console_page_for_a_non_uuid_id_answers_a_documented_404(spec, client):
    timeline = spec["paths"]["/console/purchase-orders/{po_id}"]["get"]
    response = client.get("/console/purchase-orders/not-a-uuid")
    assert response.status_code == 404 and str(response.status_code) in timeline["responses"]
    assert response.content_type == "application/problem+json"


def test_every_operation_documents_what_the_edge_may_answer(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status, slug in [("400", "malformed-request"), ("408", "request-timeout"),
                                 ("413", "payload-too-large"), ("503", "overloaded"),
                                 ("502", "internal-error"), ("504", "internal-error")]:
                assert slug in responses.get(status, {}).get("description", ""), f"{method} {path} {status}"
            assert "Retry-After" in responses["503"]["headers"], f"{method} {path}"


def test_text_fields_state_that_they_refuse_the_nul_character(spec):
    schemas = spec["components"]["schemas"]
    create = spec["paths"]["/purchase-orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    draft = schemas[create["$ref"].rsplit("/", 1)[1]]
    line = schemas[draft["properties"]["lines"]["items"]["$ref"].rsplit("/", 1)[1]]
    for text in (draft["properties"]["title"], line["properties"]["sku"], line["properties"]["description"],
                 _query_parameter(spec, "/purchase-orders", "q")["schema"],
                 _query_parameter(spec, "/trace", "id")["schema"]):
        assert not _allows(text, "a\x00b") and _allows(text, "a b")


def test_a_created_po_links_to_what_can_be_done_with_it_and_a_placement_to_its_operation(spec):
    created = spec["paths"]["/purchase-orders"]["post"]["responses"]["201"]["links"]
    submit = spec["paths"]["/purchase-orders/{po_id}/submit"]["post"]["operationId"]
    history = spec["paths"]["/purchase-orders/{po_id}/history"]["get"]["operationId"]
    assert created[submit]["parameters"] == {"path.po_id": "$response.body#/id",
                                             "header.If-Match": "$response.header.ETag"}
    assert created[history]["parameters"] == {"path.po_id": "$response.body#/id"}
    placed = spec["paths"]["/purchase-orders/{po_id}/place"]["post"]["responses"]["202"]["links"]
    poll = spec["paths"]["/operations/{op_id}"]["get"]["operationId"]
    assert placed[poll]["parameters"] == {"path.op_id": "$response.body#/id"}


def test_paths_with_a_fixed_set_of_values_list_them_and_the_types_they_answer(spec, client):
    slug = spec["paths"]["/problems/{slug}"]["get"]["parameters"][0]["schema"]
    assert "version-conflict" in slug["enum"] and client.get("/problems/version-conflict").status_code == 200
    static = spec["paths"]["/console/static/{filename}"]["get"]
    assert static["parameters"][0]["schema"]["enum"] == ["console.css", "console.js", "purchase_orders.js", "webhooks.js"]
    served = client.get("/console/static/console.js").content_type.split(";")[0]
    assert served in static["responses"]["200"]["content"]


def test_every_public_event_type_is_a_webhook_whose_data_shows_exactly_its_declared_fields(spec):
    from aggregates.public_events import PUBLIC_EVENTS

    schemas = spec["components"]["schemas"]
    assert list(spec["webhooks"]) == [p.type for p in PUBLIC_EVENTS]
    for public in PUBLIC_EVENTS:
        body = spec["webhooks"][public.type]["post"]["requestBody"]["content"]["application/json"]["schema"]
        document = schemas[body["$ref"].rsplit("/", 1)[1]]
        data = schemas[document["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
        assert document["properties"]["type"]["enum"] == [public.type]
        assert sorted(data.get("properties", {})) == sorted(public.fields), public.type
        # Additive changes within a type (docs/integrators/events.md): a new member must not break a validator.
        assert data.get("additionalProperties", True) is not False
        assert document.get("additionalProperties", True) is not False


def test_the_event_feed_documents_its_parameters_and_refusals(spec):
    feed = spec["paths"]["/events"]["get"]
    assert {p["name"] for p in feed["parameters"] if p["in"] == "query"} == {"after", "type", "po_id", "limit", "wait"}
    assert {"200", "401", "403", "422", "429"} <= set(feed["responses"])


def test_operation_ids_name_intents_in_camel_case_once_each(spec):
    ids = [op["operationId"] for operations in spec["paths"].values() for op in operations.values()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", i) for i in ids), ids
    assert spec["paths"]["/purchase-orders/{po_id}/approve"]["post"]["operationId"] == "approvePurchaseOrder"


def test_the_document_is_the_same_whatever_suppliers_a_deployment_configures(spec):
    from dataclasses import replace

    from app.bootstrap import build_services, create_app
    from tests.conftest import memory_settings

    services = build_services(replace(memory_settings(), suppliers=("acme", "globex")))
    try:
        other = create_app(services=services).test_client().get("/openapi.json").get_json()
    finally:
        services.close()
    assert other == spec
    assert "enum" not in str(spec["components"]["schemas"]["Draft"]["properties"]["supplier_id"])


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _closed_enums(spec, schema, where, seen):
    """Where an answer's schema has an enum that is not one arm of an
    anyOf beside a plain string (docs/integrators/api.md, "Open enums")."""
    if isinstance(schema, list):
        return [found for item in schema for found in _closed_enums(spec, item, where, seen)]
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return _closed_enums(spec, _resolve(spec, schema), name, seen)
    found = [where] if "enum" in schema else []
    arms = schema.get("anyOf", [])
    if {"type": "string"} in arms:  # the other arm is the known values
        arms = []
    for key, value in schema.items():
        found += _closed_enums(spec, arms if key == "anyOf" else value, f"{where}/{key}", seen)
    return found


def test_every_enum_in_an_answer_is_open_to_values_added_later(spec):
    seen: set[str] = set()
    closed = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for content in response.get("content", {}).values():
                    closed += _closed_enums(spec, content.get("schema", {}), f"{method} {path} {status}", seen)
    assert closed == []


def test_the_spend_report_has_one_representation_per_operation(spec):
    assert list(spec["paths"]["/reports/spend"]["get"]["responses"]["200"]["content"]) == ["application/json"]
    csv = spec["paths"]["/reports/spend.csv"]["get"]["responses"]["200"]["content"]
    assert csv == {"text/csv": {"schema": {"type": "string"}}}


def test_a_conflicts_members_are_typed_in_the_problem_schema(spec):
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert problem["current_version"]["type"] == "integer" and problem["expected_version"]["type"] == "integer"
    assert problem["allowed_actions"]["items"] == {"type": "string"}
    change = _resolve(spec, problem["changes_since"]["items"])
    assert set(change["required"]) == {"version", "type", "occurred_at", "actor"}
    operation = spec["components"]["schemas"]["OperationOut"]["properties"]
    assert {"$ref": "#/components/schemas/Problem"} in operation["error"]["anyOf"]


def test_answers_to_a_request_with_a_token_declare_the_rate_limit_headers(spec):
    listing = spec["paths"]["/purchase-orders"]["get"]["responses"]
    assert {"RateLimit", "RateLimit-Policy"} <= set(listing["200"]["headers"])
    assert {"RateLimit", "RateLimit-Policy", "Retry-After"} <= set(listing["429"]["headers"])
    assert "RateLimit" not in spec["paths"]["/healthz"]["get"]["responses"]["200"]["headers"]
