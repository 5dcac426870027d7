"""The FastAPI application: probes, metrics, tracing and access-log middleware, the API."""

import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from . import api, errors
from .lifecycle import Lifecycle
from .settings import SERVICE_NAME

log = logging.getLogger("app")
tracer = trace.get_tracer("app")

REQUESTS = Counter("http_requests_total", "HTTP requests handled.", ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency in seconds.",
                    ["method", "route", "status"])


def _route_of(request: Request) -> str:
    """The matched route template (/api/v1/items/{item_id}), never the raw path, so that
    metric label cardinality stays bounded. Routing records it in the scope."""
    route = request.scope.get("route")
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

    app = FastAPI(title=SERVICE_NAME, version="1.0.0", lifespan=lifespan)
    app.state.lifecycle = lifecycle
    errors.install(app)
    app.include_router(api.router)

    @app.middleware("http")
    async def observe(request: Request, call_next):
        parent = propagate.extract(request.headers)
        start = time.perf_counter()
        with tracer.start_as_current_span(request.method, context=parent, kind=SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", request.method)
            status = 500
            try:
                response = await call_next(request)
                status = response.status_code
                return response
            finally:
                elapsed = time.perf_counter() - start
                route = _route_of(request)
                span.update_name(f"{request.method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                REQUESTS.labels(request.method, route, str(status)).inc()
                LATENCY.labels(request.method, route, str(status)).observe(elapsed)
                if route not in ("/healthz", "/readyz", "/metrics"):
                    log.info("request", extra={"method": request.method, "path": request.url.path,
                                               "route": route, "status": status,
                                               "duration_ms": round(elapsed * 1000, 3)})

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
