package handler

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/internal/apitest"
)

const (
	forbiddenHint   = "aws:SourceVpce"
	networkHintPart = "security groups"
	dnsHint         = "Route 53 private hosted zone"
	tlsHint         = "certificate matches"
)

// privateLinkHintParts are what the hint for a timeout or a refused or
// reset connection names over PrivateLink: every hop of the path.
var privateLinkHintParts = []string{
	"PrivateLink path",
	"interface endpoint admits TCP 443 from the client VPC CIDR",
	"egress 443 to that endpoint",
	"endpoint is available", "pendingAcceptance",
	"SupportedRegions include the client's Region",
	"load balancer's target health", "execute-api endpoint's addresses",
	"execute-api endpoint's security group admits TCP 443 from the load balancer's",
}

// testHandler is a Handler whose waits are recorded, not slept, and whose
// clock moves on by each wait.
type testHandler struct {
	*Handler
	logs *bytes.Buffer
	// metrics is what the handler writes to stdout: probe records.
	metrics *bytes.Buffer
	mu      sync.Mutex
	slept   time.Duration
	sleeps  []time.Duration
}

func testConfig(apiURL string) Config {
	return Config{
		APIURL: apiURL, APIRegion: "us-east-1", APIResource: "hello",
		AttemptTimeout: 2 * time.Second, MaxAttempts: 3,
		BackoffBase: 100 * time.Millisecond, BackoffMax: 2 * time.Second,
	}
}

// newTestClient is NewHTTPClient(cfg) trusting the certificates of the
// given servers only.
func newTestClient(t *testing.T, cfg Config, trusted ...*httptest.Server) *http.Client {
	t.Helper()
	client := NewHTTPClient(cfg)
	pool := x509.NewCertPool()
	for _, s := range trusted {
		pool.AddCert(s.Certificate())
	}
	client.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	t.Cleanup(client.CloseIdleConnections)
	return client
}

// newTestHandler trusts the certificates of the given servers only.
func newTestHandler(t *testing.T, cfg Config, trusted ...*httptest.Server) *testHandler {
	t.Helper()
	th := &testHandler{logs: &bytes.Buffer{}, metrics: &bytes.Buffer{}}
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session-token")
	th.Handler = New(cfg, newTestClient(t, cfg, trusted...), creds, slog.New(slog.NewJSONHandler(th.logs, nil)))
	th.Metrics = th.metrics
	th.Now = func() time.Time {
		th.mu.Lock()
		defer th.mu.Unlock()
		return time.Now().Add(th.slept)
	}
	th.Sleep = func(ctx context.Context, d time.Duration) error {
		th.mu.Lock()
		defer th.mu.Unlock()
		th.sleeps = append(th.sleeps, d)
		th.slept += d
		return ctx.Err()
	}
	// The longest wait the backoff allows, so the deadline budget is tested
	// against the worst case.
	th.RandInt64N = func(n int64) int64 { return n - 1 }
	return th
}

// lastLog is the last JSON log record.
func (th *testHandler) lastLog(t *testing.T) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(th.logs.String()), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("log line %q is not JSON: %v", lines[len(lines)-1], err)
	}
	return rec
}

func TestHandleStatuses(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int
		wantStatus int
		wantBody   string
		// wantAttempts is also the number of requests the server must see.
		wantAttempts int
		wantSleeps   []time.Duration
		wantKind     Kind
		wantErr      []string
	}{
		{name: "200", statuses: []int{200}, wantStatus: 200, wantBody: apitest.HelloBody, wantAttempts: 1},
		{
			name: "403 is not retried", statuses: []int{403}, wantAttempts: 1, wantKind: KindForbidden,
			wantErr: []string{"/v1/hello", "HTTP 403", "1 attempt", forbiddenHint, "execute-api:Invoke", "API_REGION=us-east-1"},
		},
		{
			name: "404 is not retried", statuses: []int{404}, wantAttempts: 1, wantKind: KindStatus,
			wantErr: []string{"HTTP 404", "API_RESOURCE"},
		},
		{
			name: "500 on every attempt", statuses: []int{500}, wantAttempts: 3, wantKind: KindServer,
			wantSleeps: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
			wantErr:    []string{"/v1/hello", "HTTP 500", "3 attempts", "execution logs"},
		},
		{
			name: "500, 500, 200 succeeds on the third attempt", statuses: []int{500, 500, 200},
			wantStatus: 200, wantBody: apitest.HelloBody, wantAttempts: 3,
			wantSleeps: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
		},
		{
			name: "429 is retried", statuses: []int{429, 200}, wantStatus: 200, wantBody: apitest.HelloBody, wantAttempts: 2,
			wantSleeps: []time.Duration{100 * time.Millisecond},
		},
		{
			name: "429 on every attempt", statuses: []int{429}, wantAttempts: 3, wantKind: KindThrottled,
			wantSleeps: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
			wantErr:    []string{"HTTP 429", "3 attempts", "throttling"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := apitest.NewServer(t, tt.statuses...)
			th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv.Server)
			url := srv.URL + "/v1/hello"

			got, err := th.Handle(context.Background(), json.RawMessage(`{}`))

			// `make invoke` sends {}: not a probe, so no metric record.
			if th.metrics.Len() != 0 {
				t.Errorf("stdout of a non-probe invocation: got %q, want no metric record", th.metrics)
			}
			if diff := cmp.Diff(tt.wantSleeps, th.sleeps); diff != "" {
				t.Errorf("waits between attempts (-want +got):\n%s", diff)
			}
			if n := srv.Requests(); n != tt.wantAttempts {
				t.Errorf("requests the server saw: got %d, want %d", n, tt.wantAttempts)
			}
			// Drained bodies let every attempt, failed or not, reuse one
			// connection.
			if n := srv.Conns(); n != 1 {
				t.Errorf("TCP connections: got %d, want 1", n)
			}
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Handle: got error %v, want none", err)
				}
				got.LatencyMs = 0
				want := Result{StatusCode: tt.wantStatus, Body: tt.wantBody, Attempts: tt.wantAttempts, URL: url}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Handle (-want +got):\n%s", diff)
				}
				rec := th.lastLog(t)
				if rec["level"] != "INFO" || rec["url"] != url || rec["status"] != float64(200) ||
					rec["attempts"] != float64(tt.wantAttempts) || rec["latencyMs"] == nil {
					t.Errorf("success log: got %v, want INFO with url, status 200, attempts %d, latencyMs", rec, tt.wantAttempts)
				}
				return
			}
			checkCallError(t, err, url, tt.wantKind, tt.wantAttempts, tt.wantErr)
			rec := th.lastLog(t)
			for _, key := range []string{"url", "status", "attempts", "kind", "hint", "error"} {
				if rec[key] == nil {
					t.Errorf("failure log: got %v, want field %q", rec, key)
				}
			}
			if rec["level"] != "ERROR" || rec["kind"] != string(tt.wantKind) || rec["attempts"] != float64(tt.wantAttempts) {
				t.Errorf("failure log: got %v, want ERROR, kind %s, attempts %d", rec, tt.wantKind, tt.wantAttempts)
			}
		})
	}
}

func checkCallError(t *testing.T, err error, url string, kind Kind, attempts int, parts []string) {
	t.Helper()
	var ce *CallError
	if !errors.As(err, &ce) {
		t.Fatalf("Handle: got error %v (%T), want a *CallError", err, err)
	}
	if ce.URL != url || ce.Kind != kind || ce.Attempts != attempts {
		t.Errorf("CallError: got URL %q, kind %q, %d attempts; want %q, %q, %d", ce.URL, ce.Kind, ce.Attempts, url, kind, attempts)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error text: got %q, want one line", msg)
	}
	for _, part := range parts {
		if !strings.Contains(msg, part) {
			t.Errorf("error text: got %q, want it to contain %q", msg, part)
		}
	}
}

// TestHandleNetworkFailures runs each failure under both transports: the
// hint names the path API_TRANSPORT says the calls take, and, over
// PrivateLink, nothing of peering's.
func TestHandleNetworkFailures(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the API_URL and the servers the client trusts.
		setup        func(t *testing.T) (string, []*httptest.Server)
		wantKind     Kind
		wantAttempts int
		// wantErr are the parts the error holds whatever the transport;
		// wantPeering and wantPrivateLink those it holds with one.
		wantErr, wantPeering, wantPrivateLink []string
	}{
		{
			name: "stalled server",
			setup: func(t *testing.T) (string, []*httptest.Server) {
				srv := apitest.NewServer(t, apitest.Stall)
				return srv.URL + "/v1", []*httptest.Server{srv.Server}
			},
			wantKind: KindTimeout, wantAttempts: 2,
			wantErr:         []string{"2 attempts", networkHintPart},
			wantPeering:     []string{"peering connection is active", "route tables"},
			wantPrivateLink: privateLinkHintParts,
		},
		{
			name: "unresolvable host",
			setup: func(t *testing.T) (string, []*httptest.Server) {
				return "https://nonexistent.invalid/v1", nil
			},
			wantKind: KindDNS, wantAttempts: 1,
			wantErr:         []string{"no such host", "1 attempt", dnsHint, "association with the client VPC"},
			wantPrivateLink: []string{"alias record to the client VPC's PrivateLink endpoint"},
		},
		{
			name: "closed port",
			setup: func(t *testing.T) (string, []*httptest.Server) {
				return apitest.ClosedPortURL(t) + "/v1", nil
			},
			wantKind: KindConnection, wantAttempts: 2,
			wantErr:         []string{"connection refused", networkHintPart},
			wantPeering:     []string{"peering connection is active", "route tables"},
			wantPrivateLink: privateLinkHintParts,
		},
		{
			name: "untrusted certificate",
			setup: func(t *testing.T) (string, []*httptest.Server) {
				trusted := apitest.NewServer(t)
				return apitest.NewUntrustedServer(t).URL + "/v1", []*httptest.Server{trusted.Server}
			},
			wantKind: KindTLS, wantAttempts: 1,
			wantErr:         []string{"certificate", "1 attempt", tlsHint},
			wantPrivateLink: []string{"load balancer passes TLS through", "TCP listener on 443"},
		},
	}
	for _, tt := range tests {
		for _, transport := range []string{TransportPeering, TransportPrivateLink} {
			t.Run(tt.name+"/"+transport, func(t *testing.T) {
				apiURL, trusted := tt.setup(t)
				cfg := testConfig(apiURL)
				cfg.AttemptTimeout = 150 * time.Millisecond
				cfg.MaxAttempts = 2
				cfg.Transport = transport
				th := newTestHandler(t, cfg, trusted...)

				start := time.Now()
				_, err := th.Handle(context.Background(), json.RawMessage(`{}`))
				elapsed := time.Since(start)

				want := tt.wantPeering
				if transport == TransportPrivateLink {
					want = tt.wantPrivateLink
				}
				checkCallError(t, err, apiURL+"/hello", tt.wantKind, tt.wantAttempts, append(slices.Clone(tt.wantErr), want...))
				if transport == TransportPrivateLink {
					for _, peering := range []string{"peering", "route table", "API VPC CIDR"} {
						if strings.Contains(err.Error(), peering) {
							t.Errorf("error text over PrivateLink: got %q, want nothing about %q", err, peering)
						}
					}
				}
				if th.metrics.Len() != 0 {
					t.Errorf("stdout of a non-probe invocation: got %q, want no metric record", th.metrics)
				}
				if limit := time.Duration(tt.wantAttempts)*cfg.AttemptTimeout + time.Second; elapsed > limit {
					t.Errorf("Handle took %v, want under %v", elapsed, limit)
				}
				var ce *CallError
				errors.As(err, &ce)
				if rec := th.lastLog(t); rec["level"] != "ERROR" || rec["kind"] != string(tt.wantKind) || rec["hint"] != ce.Hint {
					t.Errorf("failure log: got %v, want ERROR with kind %s and the error's hint", rec, tt.wantKind)
				}
			})
		}
	}
}

func TestHandleDeadline(t *testing.T) {
	tests := []struct {
		name        string
		deadline    time.Duration
		base        time.Duration
		maxAttempts int
		// jitterMax picks the longest possible wait, otherwise none.
		jitterMax    bool
		wantAttempts int
		wantSleeps   []time.Duration
	}{
		{
			name: "first wait does not fit", deadline: 300 * time.Millisecond, base: time.Second,
			maxAttempts: 3, jitterMax: true, wantAttempts: 1,
		},
		{
			name: "stops when the third wait would not fit", deadline: 2 * time.Second, base: 400 * time.Millisecond,
			maxAttempts: 5, jitterMax: true, wantAttempts: 3,
			wantSleeps: []time.Duration{400 * time.Millisecond, 800 * time.Millisecond},
		},
		{
			name: "zero jitter fits every attempt", deadline: 300 * time.Millisecond, base: time.Second,
			maxAttempts: 3, wantAttempts: 3, wantSleeps: []time.Duration{0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := apitest.NewServer(t, 500)
			cfg := testConfig(srv.URL + "/v1")
			cfg.BackoffBase, cfg.BackoffMax, cfg.MaxAttempts = tt.base, 10*time.Second, tt.maxAttempts
			th := newTestHandler(t, cfg, srv.Server)
			if !tt.jitterMax {
				th.RandInt64N = func(int64) int64 { return 0 }
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			deadline, _ := ctx.Deadline()

			_, err := th.Handle(ctx, json.RawMessage(`{}`))

			checkCallError(t, err, srv.URL+"/v1/hello", KindServer, tt.wantAttempts, []string{"HTTP 500"})
			if diff := cmp.Diff(tt.wantSleeps, th.sleeps); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if end := th.Now(); end.After(deadline) {
				t.Errorf("Handle ended %v after the deadline, want before it", end.Sub(deadline))
			}
			if tt.wantAttempts < tt.maxAttempts && !strings.Contains(err.Error(), "deadline") {
				t.Errorf("error text: got %q, want it to say the deadline stopped the retries", err)
			}
		})
	}
}

// reserveHandler returns a Handler whose every attempt gets HTTP 500 from
// an in-memory transport, on a clock that stands still except when the
// handler waits, and the deadline of each attempt's context. With no
// network and no time passing on its own, the boundaries below hold to
// the nanosecond. The clock starts an hour ahead of the real one, so the
// real timers of the contexts built from it never fire during the test.
func reserveHandler(t *testing.T, cfg Config) (h *Handler, start time.Time, attemptDeadlines *[]time.Time) {
	t.Helper()
	now := time.Now().Add(time.Hour)
	start = now
	var deadlines []time.Time
	transport := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		d, ok := req.Context().Deadline()
		if !ok {
			t.Errorf("attempt %d: its context has no deadline", len(deadlines)+1)
		}
		deadlines = append(deadlines, d)
		return &http.Response{
			StatusCode: http.StatusInternalServerError,
			Header:     http.Header{},
			Body:       io.NopCloser(strings.NewReader(`{"message": "Internal server error"}`)),
			Request:    req,
		}, nil
	})
	h = &Handler{
		Config: cfg,
		// No Client.Timeout: it would add a deadline of its own, on the
		// real clock, to the context the transport sees.
		Client:      &http.Client{Transport: transport},
		Signer:      v4.NewSigner(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:         func() time.Time { return now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			now = now.Add(d)
			return ctx.Err()
		},
		// The longest wait, which for the first retry is BackoffBase.
		RandInt64N: func(n int64) int64 { return n - 1 },
	}
	return h, start, &deadlines
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestHandleRetryKeepsDeadlineReserve checks the retry decision at the
// edge of the 50 ms the handler keeps before the invocation's deadline to
// log and return its failure. A retry is the backoff wait and then at
// least the shortest attempt worth making (100 ms); it is made only if it
// ends by 50 ms before the deadline. TestHandleDeadline's margins are
// hundreds of milliseconds, so there a reserve dropped, or added after the
// deadline instead of kept before it, goes unnoticed; here a retry ending
// 1 ms into the reserve must not be made. The 50 and 100 ms are written
// out rather than taken from reserve and minAttempt, so changing either
// fails the test.
func TestHandleRetryKeepsDeadlineReserve(t *testing.T) {
	const budget = time.Second
	tests := []struct {
		name string
		// end is where the retry would end (the wait, then 100 ms),
		// relative to the deadline.
		end          time.Duration
		wantAttempts int
	}{
		{name: "retry ending 1 ms before the reserve is made", end: -51 * time.Millisecond, wantAttempts: 2},
		{name: "retry ending at the reserve is made", end: -50 * time.Millisecond, wantAttempts: 2},
		{name: "retry ending 1 ms into the reserve is not made", end: -49 * time.Millisecond, wantAttempts: 1},
		{name: "retry ending 1 ms before the deadline is not made", end: -time.Millisecond, wantAttempts: 1},
		{name: "retry ending 1 ms after the deadline is not made", end: time.Millisecond, wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait := budget + tt.end - 100*time.Millisecond
			cfg := testConfig("https://api.example/v1")
			// Every attempt could run past the deadline, so each must be
			// cut at the reserve.
			cfg.AttemptTimeout = 2 * time.Second
			cfg.MaxAttempts = 2
			cfg.BackoffBase, cfg.BackoffMax = wait, 10*time.Second
			h, start, attemptDeadlines := reserveHandler(t, cfg)
			deadline := start.Add(budget)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()

			_, err := h.Handle(ctx, json.RawMessage(`{}`))

			checkCallError(t, err, "https://api.example/v1/hello", KindServer, tt.wantAttempts, []string{"HTTP 500"})
			if tt.wantAttempts == 1 && !strings.Contains(err.Error(), "not retried: waiting "+wait.String()) {
				t.Errorf("error text: got %q, want it to say the %v wait was not made because of the deadline", err, wait)
			}
			want := make([]time.Time, tt.wantAttempts)
			for i := range want {
				want[i] = deadline.Add(-50 * time.Millisecond)
			}
			if diff := cmp.Diff(want, *attemptDeadlines); diff != "" {
				t.Errorf("deadlines of the attempts, each 50 ms before the invocation's (-want +got):\n%s", diff)
			}
			if end := h.Now(); end.After(deadline.Add(-50 * time.Millisecond)) {
				t.Errorf("Handle's waits ended %v after the reserve began, want none", end.Sub(deadline.Add(-50*time.Millisecond)))
			}
		})
	}
}

// TestHandleAttemptEndsBeforeDeadlineReserve checks that an attempt whose
// timeout would end inside the 50 ms kept before the invocation's deadline,
// even by 1 ms, is cut to end where the reserve begins; cut at the deadline
// or later, Lambda would end the invocation before it logs why it failed.
func TestHandleAttemptEndsBeforeDeadlineReserve(t *testing.T) {
	const budget = time.Second
	for _, timeout := range []time.Duration{951 * time.Millisecond, 999 * time.Millisecond, 2 * time.Second} {
		t.Run(timeout.String(), func(t *testing.T) {
			cfg := testConfig("https://api.example/v1")
			cfg.AttemptTimeout, cfg.MaxAttempts = timeout, 1
			h, start, attemptDeadlines := reserveHandler(t, cfg)
			deadline := start.Add(budget)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()

			_, err := h.Handle(ctx, json.RawMessage(`{}`))

			checkCallError(t, err, "https://api.example/v1/hello", KindServer, 1, []string{"HTTP 500"})
			want := []time.Time{deadline.Add(-50 * time.Millisecond)}
			if diff := cmp.Diff(want, *attemptDeadlines); diff != "" {
				t.Errorf("deadline of a %v attempt with %v left, 50 ms before the invocation's (-want +got):\n%s", timeout, budget, diff)
			}
		})
	}
}

func TestHandleReusesConnection(t *testing.T) {
	srv := apitest.NewServer(t, 200)
	th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv.Server)
	for i := range 5 {
		if _, err := th.Handle(context.Background(), json.RawMessage(`{}`)); err != nil {
			t.Fatalf("invocation %d: %v", i+1, err)
		}
	}
	if got, want := srv.Conns(), 1; got != want {
		t.Errorf("TCP connections over 5 invocations: got %d, want %d", got, want)
	}
}

func TestHandleSignsForAPIRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "us-west-2")
	t.Setenv("AWS_DEFAULT_REGION", "us-west-2")
	signingTime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	tests := []struct {
		name              string
		token             string
		wantSignedHeaders string
	}{
		{name: "with session token", token: "session-token", wantSignedHeaders: "host;x-amz-date;x-amz-security-token"},
		{name: "without session token", wantSignedHeaders: "host;x-amz-date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", tt.token)
			var got, resigned http.Header
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Clone()
				resigned = resign(t, r, creds, "us-east-1")
			}))
			t.Cleanup(srv.Close)
			th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv)
			th.Credentials = creds
			th.Now = func() time.Time { return signingTime }

			if _, err := th.Handle(context.Background(), json.RawMessage(`{}`)); err != nil {
				t.Fatalf("Handle: %v", err)
			}

			want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-1/execute-api/aws4_request, SignedHeaders=" + tt.wantSignedHeaders + ", Signature="
			if auth := got.Get("Authorization"); !strings.HasPrefix(auth, want) {
				t.Errorf("Authorization: got %q, want prefix %q", auth, want)
			}
			if diff := cmp.Diff(resigned.Get("Authorization"), got.Get("Authorization")); diff != "" {
				t.Errorf("signature of the received request, re-signed for us-east-1 (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.token, got.Get("X-Amz-Security-Token")); diff != "" {
				t.Errorf("X-Amz-Security-Token (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff("20260102T030405Z", got.Get("X-Amz-Date")); diff != "" {
				t.Errorf("X-Amz-Date (-want +got):\n%s", diff)
			}
		})
	}
}

// resign signs a copy of the received request the way API Gateway checks
// it, so a mismatch means the sent signature was not made for what arrived.
func resign(t *testing.T, r *http.Request, creds aws.CredentialsProvider, region string) http.Header {
	t.Helper()
	c, err := creds.Retrieve(r.Context())
	if err != nil {
		t.Error(err)
		return nil
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Errorf("X-Amz-Date: %v", err)
		return nil
	}
	req, err := http.NewRequest(r.Method, "https://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		t.Error(err)
		return nil
	}
	if err := v4.NewSigner().SignHTTP(r.Context(), c, req, emptyPayloadHash, "execute-api", region, when); err != nil {
		t.Error(err)
		return nil
	}
	return req.Header
}

func TestHandleWithoutCredentials(t *testing.T) {
	srv := apitest.NewServer(t, 200)
	th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv.Server)
	th.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	})

	_, err := th.Handle(context.Background(), json.RawMessage(`{}`))

	checkCallError(t, err, srv.URL+"/v1/hello", KindCredentials, 1, []string{"no EC2 IMDS role found", "execution role"})
	if n := srv.Requests(); n != 0 {
		t.Errorf("requests the server saw: got %d, want 0 (nothing unsigned may leave)", n)
	}
}

// endless, as a body size, streams a body until the client stops reading.
const endless = -1

// newBodyServer answers every request with HTTP 200 and a body of size
// bytes, or an endless one, and counts the requests.
func newBodyServer(t *testing.T, size int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	chunk := bytes.Repeat([]byte("a"), 32<<10)
	var requests atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if size >= 0 {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		// Writing fails once the client stops reading and closes.
		for left := size; left != 0; {
			n := len(chunk)
			if left > 0 {
				n = min(n, left)
				left -= n
			}
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
		}
	}))
	// The client closing an oversized body early is the point, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(srv.Close)
	return srv, &requests
}

// TestHandleBodyLimit checks the limit on a response: up to 1 MiB is
// returned, anything more fails the call with kind response and is not
// retried. The limit is written out here rather than taken from maxBody,
// so raising maxBody fails the test. An endless body must fail the same
// way, promptly: a client that read the whole body before checking its
// size would instead read until the attempt timed out.
func TestHandleBodyLimit(t *testing.T) {
	const oneMiB = 1 << 20
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{name: "exactly 1 MiB", size: oneMiB},
		{name: "1 MiB and one byte", size: oneMiB + 1, wantErr: true},
		{name: "no end", size: endless, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := newBodyServer(t, tt.size)
			cfg := testConfig(srv.URL + "/v1")
			cfg.AttemptTimeout = 500 * time.Millisecond
			th := newTestHandler(t, cfg, srv)

			got, err := th.Handle(context.Background(), json.RawMessage(`{}`))

			if n := requests.Load(); n != 1 {
				t.Errorf("requests the server saw: got %d, want 1", n)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Handle with a body of %s: got error %v, want none", tt.name, err)
				}
				if len(got.Body) != tt.size {
					t.Errorf("Handle: got a %d-byte body, want %d bytes", len(got.Body), tt.size)
				}
				return
			}
			if err == nil {
				t.Fatalf("Handle with a body of %s: got HTTP %d and a %d-byte body, want a %s error for a body over %d bytes",
					tt.name, got.StatusCode, len(got.Body), KindResponse, oneMiB)
			}
			checkCallError(t, err, srv.URL+"/v1/hello", KindResponse, 1, []string{"HTTP 200", "(response)", "larger than 1048576 bytes"})
			var ce *CallError
			if errors.As(err, &ce) && ce.Status != http.StatusOK {
				t.Errorf("CallError.Status: got %d, want %d", ce.Status, http.StatusOK)
			}
		})
	}
}

// closeTracker wraps a RoundTripper and remembers every response body it
// hands out, to tell whether each was closed.
type closeTracker struct {
	http.RoundTripper
	mu     sync.Mutex
	bodies []*trackedBody
}

type trackedBody struct {
	io.ReadCloser
	status int
	closed atomic.Bool
}

func (b *trackedBody) Close() error {
	b.closed.Store(true)
	return b.ReadCloser.Close()
}

func (c *closeTracker) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.RoundTripper.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	b := &trackedBody{ReadCloser: resp.Body, status: resp.StatusCode}
	resp.Body = b
	c.mu.Lock()
	c.bodies = append(c.bodies, b)
	c.mu.Unlock()
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// wrapped transport.
func (c *closeTracker) CloseIdleConnections() {
	if ci, ok := c.RoundTripper.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// TestHandleClosesEveryBody checks that every response body is closed,
// whatever the outcome. A body read to its end frees an HTTP/1.1
// connection even unclosed, so counting connections cannot tell; an
// unclosed body still leaks its connection when reading stops early (a body
// over the limit) and holds its stream under HTTP/2.
func TestHandleClosesEveryBody(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the server and the statuses of the responses the
		// handler must get.
		setup func(t *testing.T) (*httptest.Server, []int)
	}{
		{
			name: "200",
			setup: func(t *testing.T) (*httptest.Server, []int) {
				return apitest.NewServer(t, 200).Server, []int{200}
			},
		},
		{
			name: "500 then 200",
			setup: func(t *testing.T) (*httptest.Server, []int) {
				return apitest.NewServer(t, 500, 200).Server, []int{500, 200}
			},
		},
		{
			name: "403",
			setup: func(t *testing.T) (*httptest.Server, []int) {
				return apitest.NewServer(t, 403).Server, []int{403}
			},
		},
		{
			name: "body over the limit",
			setup: func(t *testing.T) (*httptest.Server, []int) {
				srv, _ := newBodyServer(t, 2<<20)
				return srv, []int{200}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, wantStatus := tt.setup(t)
			th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv)
			tracker := &closeTracker{RoundTripper: th.Client.Transport}
			th.Client.Transport = tracker

			_, _ = th.Handle(context.Background(), json.RawMessage(`{}`))

			tracker.mu.Lock()
			defer tracker.mu.Unlock()
			var gotStatus []int
			for i, b := range tracker.bodies {
				gotStatus = append(gotStatus, b.status)
				if !b.closed.Load() {
					t.Errorf("body of response %d of %d (HTTP %d): not closed, want closed", i+1, len(tracker.bodies), b.status)
				}
			}
			if diff := cmp.Diff(wantStatus, gotStatus); diff != "" {
				t.Errorf("statuses of the responses (-want +got):\n%s", diff)
			}
		})
	}
}
