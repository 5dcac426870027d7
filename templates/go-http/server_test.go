package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceparent = "00-" + traceID + "-00f067aa0ba902b7-01"
)

func newTestServer(t *testing.T) (*server, *httptest.Server) {
	t.Helper()
	if _, err := setupTracing(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	s := newServer()
	ts := httptest.NewServer(s.routes())
	t.Cleanup(ts.Close)
	return s, ts
}

func do(t *testing.T, method, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthz(t *testing.T) {
	_, ts := newTestServer(t)
	if status, body := do(t, "GET", ts.URL+"/healthz", "", nil); status != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", status, body)
	}
}

func TestReadyzFollowsReadiness(t *testing.T) {
	s, ts := newTestServer(t)
	if status, _ := do(t, "GET", ts.URL+"/readyz", "", nil); status != 503 {
		t.Fatalf("readyz before start: %d, want 503", status)
	}
	s.ready.Store(true)
	if status, _ := do(t, "GET", ts.URL+"/readyz", "", nil); status != 200 {
		t.Fatalf("readyz when ready: %d, want 200", status)
	}
	s.ready.Store(false) // what SIGTERM does
	if status, _ := do(t, "GET", ts.URL+"/readyz", "", nil); status != 503 {
		t.Fatalf("readyz while draining: %d, want 503", status)
	}
}

func TestMetricsByRouteAndStatus(t *testing.T) {
	_, ts := newTestServer(t)
	do(t, "GET", ts.URL+"/api/v1/items/12345", "", nil)
	_, body := do(t, "GET", ts.URL+"/metrics", "", nil)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/api/v1/items/{id}",status="404"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/api/v1/items/{id}",status="404",le="0.005"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestCreateThenGetItem(t *testing.T) {
	_, ts := newTestServer(t)
	status, body := do(t, "POST", ts.URL+"/api/v1/items", `{"name":"widget","quantity":3}`, nil)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	var created item
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.Name != "widget" || created.Quantity != 3 {
		t.Fatalf("create answered %s (%v)", body, err)
	}
	status, body = do(t, "GET", ts.URL+"/api/v1/items/1", "", nil)
	if status != 200 || !strings.Contains(body, `"widget"`) {
		t.Fatalf("get: %d %s", status, body)
	}
}

func TestErrorsHaveOneShape(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/api/v1/items/999999", "", 404, "not_found"},
		{"GET", "/api/v1/nothing-here", "", 404, "not_found"},
		{"POST", "/api/v1/items", `{"name":""}`, 422, "invalid_request"},
		{"POST", "/api/v1/items", `not json`, 400, "bad_request"},
		{"DELETE", "/api/v1/items", "", 405, "method_not_allowed"},
	}
	for _, c := range cases {
		status, body := do(t, c.method, ts.URL+c.path, c.body, nil)
		var got struct {
			Error apiError `json:"error"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || status != c.status || got.Error.Code != c.code || got.Error.Message == "" {
			t.Errorf("%s %s: %d %s, want %d with code %s", c.method, c.path, status, body, c.status, c.code)
		}
	}
}

func TestLogLineCarriesIncomingTraceID(t *testing.T) {
	_, ts := newTestServer(t)
	var buf bytes.Buffer
	saved := logger
	logger = &jsonLogger{enc: json.NewEncoder(&buf)}
	t.Cleanup(func() { logger = saved })

	do(t, "GET", ts.URL+"/api/v1/items", "", map[string]string{"traceparent": traceparent})
	var entry map[string]any
	if err := json.Unmarshal(buf.Bytes(), &entry); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	if entry["message"] != "request" || entry["trace_id"] != traceID || len(entry["span_id"].(string)) != 16 {
		t.Fatalf("log line %v lacks the trace id %s", entry, traceID)
	}
}
