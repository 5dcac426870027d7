"""Endpoint tests: probes, metrics, the example API and the error shape."""

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app.lifecycle import Lifecycle
from app.main import create_app
from app.telemetry import JsonFormatter, access_log, setup_tracing

setup_tracing("test")

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture()
def lifecycle() -> Lifecycle:
    return Lifecycle()


@pytest.fixture()
def client(lifecycle: Lifecycle):
    with TestClient(create_app(lifecycle)) as c:  # runs the lifespan: start-up marks ready
        yield c


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_is_503_before_start_and_while_draining(lifecycle: Lifecycle) -> None:
    app = create_app(lifecycle)
    assert TestClient(app).get("/readyz").status_code == 503  # lifespan not run: still starting
    with TestClient(app) as c:
        assert c.get("/readyz").status_code == 200
        lifecycle.mark_draining()
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json() == {"status": "draining"}


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    client.get("/api/v1/items/12345")
    body = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/api/v1/items/{item_id}",status="404"}' in body
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/items/{item_id}",status="404"}' in body


def test_create_then_get_item(client: TestClient) -> None:
    created = client.post("/api/v1/items", json={"name": "widget", "quantity": 3})
    assert created.status_code == 201
    item = created.json()
    assert item["name"] == "widget" and item["quantity"] == 3
    assert client.get(f"/api/v1/items/{item['id']}").json() == item
    assert item in client.get("/api/v1/items").json()["items"]


@pytest.mark.parametrize(
    "method,path,body,status,code",
    [
        ("GET", "/api/v1/items/999999", None, 404, "not_found"),
        ("GET", "/api/v1/nothing-here", None, 404, "not_found"),
        ("POST", "/api/v1/items", {"name": ""}, 422, "invalid_request"),
        ("DELETE", "/api/v1/items", None, 405, "method_not_allowed"),
    ],
)
def test_errors_have_one_shape(client: TestClient, method, path, body, status, code) -> None:
    r = client.request(method, path, json=body)
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


class _Lines(logging.Handler):
    """Formats each record as it is logged, inside the request's span, like the stdout handler."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_log_lines_carry_the_incoming_trace_id(client: TestClient) -> None:
    handler = logging.StreamHandler(io.StringIO())
    previous, access_log.handler = access_log.handler, handler
    try:
        client.get("/api/v1/items", headers={"traceparent": TRACEPARENT})
    finally:
        access_log.handler = previous
    entries = [json.loads(line) for line in handler.stream.getvalue().splitlines()]
    access = [e for e in entries if e["message"] == "request"]
    assert access, f"no access log line in {entries}"
    assert access[-1]["trace_id"] == TRACE_ID
    assert len(access[-1]["span_id"]) == 16
    assert access[-1]["route"] == "/api/v1/items" and access[-1]["status"] == 200


def test_json_formatter_carries_the_trace_id_and_extra_fields() -> None:
    handler = _Lines()
    logger = logging.getLogger("app.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    tracer = trace.get_tracer("test")
    try:
        with tracer.start_as_current_span("work") as span:
            logger.info("working", extra={"items": 3})
    finally:
        logger.removeHandler(handler)
    entry = json.loads(handler.lines[-1])
    assert entry["message"] == "working" and entry["items"] == 3
    assert entry["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_one_request_makes_one_trace_with_one_server_span(client: TestClient) -> None:
    """FastAPI's built-in tracing is off: the middleware's span is the only one per request,
    a root without a traceparent and the caller's child with one."""
    exported = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exported))
    client.get("/api/v1/items/777")
    client.get("/api/v1/items/777", headers={"traceparent": TRACEPARENT})
    spans = exported.get_finished_spans()
    assert [s.kind for s in spans] == [SpanKind.SERVER, SpanKind.SERVER], spans
    alone, continued = spans
    assert alone.parent is None
    assert alone.name == "GET /api/v1/items/{item_id}"
    assert format(continued.context.trace_id, "032x") == TRACE_ID
    assert format(continued.parent.span_id, "016x") == "00f067aa0ba902b7"
