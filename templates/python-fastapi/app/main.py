"""The FastAPI application: probes, metrics, the API, and the middleware that gives every
request one server span, its metrics and one access-log line."""

import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import api, errors
from .lifecycle import Lifecycle
from .settings import SERVICE_NAME
from .telemetry import access_log

log = logging.getLogger("app")
tracer = trace.get_tracer("app")

REQUESTS = Counter("http_requests_total", "HTTP requests handled.", ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency in seconds.",
                    ["method", "route", "status"])

# Routes that are probed often and not worth a log line each.
_QUIET_ROUTES = frozenset(("/healthz", "/readyz", "/metrics"))
# The only headers the W3C trace-context and baggage propagators read.
_PROPAGATION_HEADERS = frozenset((b"traceparent", b"tracestate", b"baggage"))
# FastAPI's own OpenTelemetry instrumentation would add a second server span per request
# (and, with no incoming traceparent, a second trace) next to the one made here.
NO_BUILT_IN_TELEMETRY = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


class _Series:
    """The counter and histogram children of one (method, route, status), looked up once:
    `labels()` takes a lock and hashes the label values on every call."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = self._children.setdefault(key, (REQUESTS.labels(*labels), LATENCY.labels(*labels)))
        children[0].inc()
        children[1].observe(seconds)


class Observe:
    """Plain ASGI middleware (not `@app.middleware("http")`, which runs each request through
    an extra task and memory stream): one server span continuing the caller's W3C
    `traceparent`, request metrics by route template, one JSON access-log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.series = _Series()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        method = scope["method"]
        carrier = {k.decode("latin-1"): v.decode("latin-1")
                   for k, v in scope["headers"] if k in _PROPAGATION_HEADERS}
        parent = propagate.extract(carrier) if carrier else None
        # Attributes are set once, at the end: each call cleans and copies them under a lock.
        span = tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
        token = context.attach(trace.set_span_in_context(span, parent))
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_of(scope)
            self.series.observe(method, route, status, elapsed)
            if route not in _QUIET_ROUTES:
                access_log.write({"method": method, "path": scope["path"], "route": route,
                                  "status": status, "duration_ms": round(elapsed * 1000, 3)})
            if span.is_recording():
                span.update_name(f"{method} {route}")
                span.set_attributes({"http.request.method": method, "http.route": route,
                                     "http.response.status_code": status})
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            span.end()
            context.detach(token)


def _route_of(scope: Scope) -> str:
    """The matched route template (/api/v1/items/{item_id}), never the raw path, so that
    metric label cardinality stays bounded. Routing records it in the scope."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def create_app(lifecycle: Lifecycle | None = None) -> FastAPI:
    lifecycle = lifecycle or Lifecycle()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        # Open connections, warm caches, ... here; /readyz answers 503 until this is done.
        lifecycle.mark_started()
        log.info("ready")
        yield
        log.info("stopped")

    app = FastAPI(title=SERVICE_NAME, version="1.0.0", lifespan=lifespan, telemetry=NO_BUILT_IN_TELEMETRY)
    app.state.lifecycle = lifecycle
    errors.install(app)
    app.include_router(api.router)
    app.add_middleware(Observe)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(response: Response) -> dict:
        if lifecycle.ready:
            return {"status": "ready"}
        response.status_code = 503
        return {"status": "draining" if lifecycle.draining else "starting"}

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
