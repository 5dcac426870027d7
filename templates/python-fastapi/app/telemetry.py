"""OpenTelemetry tracing and JSON logging.

Tracing follows the standard OTEL_* variables: spans are exported over OTLP/HTTP only
when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, and
context is propagated with W3C `traceparent` (the SDK default, see OTEL_PROPAGATORS).
Every log line is one JSON object on stdout carrying the current trace_id and span_id.
"""

import json
import logging
import os
import sys
import time

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# Attributes every LogRecord has; anything else passed with `extra=` is logged as a field.
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the standard library has no JSON formatter of its own."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = int(record.created)
        entry = {
            "time": f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}"
                    f".{int((record.created - seconds) * 1000):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = format(ctx.trace_id, "032x")
            entry["span_id"] = format(ctx.span_id, "016x")
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key[0] != "_":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _now() -> str:
    now = time.time()
    seconds = int(now)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{int((now - seconds) * 1000):03d}Z"


class AccessLog:
    """The one line per request, in the JsonFormatter's shape (logger "app.access", message
    "request"), written straight to the log handler's stream: going through `logging`
    (a LogRecord, `extra=`, the formatter's attribute scan) cost more than the span does."""

    def __init__(self) -> None:
        self.handler: logging.StreamHandler | None = None

    def write(self, fields: dict) -> None:
        handler = self.handler
        if handler is None:
            return
        entry = {"time": _now(), "level": "info", "logger": "app.access", "message": "request"}
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = format(ctx.trace_id, "032x")
            entry["span_id"] = format(ctx.span_id, "016x")
        entry.update(fields)
        line = json.dumps(entry) + "\n"
        with handler.lock:
            handler.stream.write(line)
            handler.stream.flush()


# Set up by setup_logging; tests point it at their own handler.
access_log = AccessLog()


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    access_log.handler = handler if logging.getLogger("app.access").isEnabledFor(logging.INFO) else None
    # uvicorn's own loggers go through the root handler; its access log is replaced by ours.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def setup_tracing(service_name: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
