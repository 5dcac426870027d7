package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// server holds what the handlers share: readiness, metrics and the example store.
type server struct {
	ready    atomic.Bool
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	items    *itemStore
}

func newServer() *server {
	s := &server{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests handled.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency in seconds.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
		items: newItemStore(),
	}
	s.registry.MustRegister(s.requests, s.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// routes wires every endpoint. Each is registered with its route template, which labels
// metrics and names spans (never the raw path, so label cardinality stays bounded).
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	s.handle(mux, "/healthz", "/healthz", methods{http.MethodGet: s.healthz})
	s.handle(mux, "/readyz", "/readyz", methods{http.MethodGet: s.readyz})
	s.handle(mux, "/metrics", "/metrics", methods{http.MethodGet: promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}).ServeHTTP})
	s.handle(mux, "/api/v1/items", "/api/v1/items", methods{http.MethodGet: s.listItems, http.MethodPost: s.createItem})
	s.handle(mux, "/api/v1/items/", "/api/v1/items/{id}", methods{http.MethodGet: s.getItem})
	s.handle(mux, "/", "unmatched", methods{})
	return mux
}

// methods maps an HTTP method to its handler; other methods get a JSON 405.
type methods map[string]http.HandlerFunc

func (s *server) handle(mux *http.ServeMux, pattern, route string, byMethod methods) {
	tracer := otel.Tracer("http")
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route))

		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				logger.Error(ctx, "panic while handling a request", map[string]any{"panic": fmt.Sprint(p)})
				writeError(rec, http.StatusInternalServerError, "internal", "internal server error", nil)
			}
			s.observe(ctx, span, r, route, rec.status, time.Since(start))
		}()
		r = r.WithContext(ctx)
		switch h, ok := byMethod[r.Method]; {
		case route == "unmatched":
			writeError(rec, http.StatusNotFound, "not_found", "no route for "+r.URL.Path, nil)
		case !ok:
			writeError(rec, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+route, nil)
		default:
			h(rec, r)
		}
	})
}

func (s *server) observe(ctx context.Context, span trace.Span, r *http.Request, route string, status int, elapsed time.Duration) {
	code := strconv.Itoa(status)
	s.requests.WithLabelValues(r.Method, route, code).Inc()
	s.latency.WithLabelValues(r.Method, route, code).Observe(elapsed.Seconds())
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	switch route {
	case "/healthz", "/readyz", "/metrics":
	default:
		logger.Info(ctx, "request", map[string]any{
			"method": r.Method, "path": r.URL.Path, "route": route, "status": status,
			"duration_ms": float64(elapsed.Microseconds()) / 1000,
		})
	}
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.ready.Load() {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		return
	}
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
}

// statusRecorder remembers the status code written, for metrics and logs.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// apiError is the one error shape: {"error": {"code", "message", "details"?}}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, message string, details any) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: message, Details: details}})
}
