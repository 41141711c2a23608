package handler

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"crossregionapi/internal/apitest"
)

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

const (
	primaryRegion  = "us-east-1"
	failoverRegion = "us-west-2"
	// testConnect is the connect timeout of the failover tests, far below
	// their attempt timeout, so which of the two ended an attempt shows.
	testConnect = 200 * time.Millisecond
)

// failoverConfig is testConfig for primaryURL with a failover API at
// failoverURL in us-west-2.
func failoverConfig(primaryURL, failoverURL string) Config {
	cfg := testConfig(primaryURL)
	cfg.FailoverAPIURL, cfg.FailoverAPIRegion = failoverURL, failoverRegion
	cfg.ConnectTimeout = testConnect
	cfg.FailoverCooldown = 30 * time.Second
	return cfg
}

// primarySetup makes the primary API of a failover test: its API_URL, the
// servers the client trusts, and the server's request count (nil when no
// HTTP server answers).
type primarySetup func(t *testing.T) (string, []*httptest.Server, func() int)

func primaryServer(statuses ...int) primarySetup {
	return func(t *testing.T) (string, []*httptest.Server, func() int) {
		srv := apitest.NewServer(t, statuses...)
		return srv.URL + "/v1", []*httptest.Server{srv.Server}, srv.Requests
	}
}

var (
	primaryRefused primarySetup = func(t *testing.T) (string, []*httptest.Server, func() int) {
		return apitest.ClosedPortURL(t) + "/v1", nil, nil
	}
	primarySilent primarySetup = func(t *testing.T) (string, []*httptest.Server, func() int) {
		return apitest.NewSilent(t).URL + "/v1", nil, nil
	}
	primaryUnresolvable primarySetup = func(t *testing.T) (string, []*httptest.Server, func() int) {
		return "https://primary.invalid/v1", nil, nil
	}
	primaryUntrusted primarySetup = func(t *testing.T) (string, []*httptest.Server, func() int) {
		return apitest.NewUntrustedServer(t).URL + "/v1", nil, nil
	}
)

// scopeRe reads the Region and service of a SigV4 Authorization header.
var scopeRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/([a-z0-9-]+)/([a-z-]+)/aws4_request, `)

func scopeRegion(t *testing.T, h http.Header) string {
	t.Helper()
	m := scopeRe.FindStringSubmatch(h.Get("Authorization"))
	if m == nil {
		t.Fatalf("Authorization: got %q, want a SigV4 header", h.Get("Authorization"))
	}
	return m[1]
}

// logRecords are th's JSON log records with message msg.
func (th *testHandler) logRecords(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(th.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// TestFailoverRules calls a primary that fails in each way against a
// healthy failover API and checks, for each, whether the call fails over,
// how many attempts each Region gets, what the result and the log say,
// that every request is signed for the Region it goes to, and that a
// primary that refuses or never answers costs about the connect timeout at
// most, not the attempt timeout.
func TestFailoverRules(t *testing.T) {
	tests := []struct {
		name    string
		primary primarySetup
		// wantFailover: the failover API answers; otherwise the primary's
		// failure (wantKind) or answer ends the call.
		wantFailover     bool
		wantKind         Kind
		wantPrimaryCalls int // requests the primary's server sees, when it has one
		wantAttempts     int
		// maxElapsed bounds the call; 0 for no bound.
		maxElapsed time.Duration
		minElapsed time.Duration
	}{
		{name: "refused", primary: primaryRefused, wantFailover: true, wantKind: KindConnection, wantAttempts: 2, maxElapsed: 150 * time.Millisecond},
		{name: "silent", primary: primarySilent, wantFailover: true, wantKind: KindTimeout, wantAttempts: 2,
			minElapsed: testConnect, maxElapsed: testConnect + 300*time.Millisecond},
		{name: "no such host", primary: primaryUnresolvable, wantFailover: true, wantKind: KindDNS, wantAttempts: 2},
		{name: "untrusted certificate", primary: primaryUntrusted, wantFailover: true, wantKind: KindTLS, wantAttempts: 2},
		{name: "500", primary: primaryServer(500), wantFailover: true, wantKind: KindServer, wantPrimaryCalls: 1, wantAttempts: 2},
		{name: "503", primary: primaryServer(503), wantFailover: true, wantKind: KindServer, wantPrimaryCalls: 1, wantAttempts: 2},
		{name: "403", primary: primaryServer(403), wantFailover: true, wantKind: KindForbidden, wantPrimaryCalls: 1, wantAttempts: 2},
		{name: "429 on every attempt", primary: primaryServer(429), wantFailover: true, wantKind: KindThrottled, wantPrimaryCalls: 3, wantAttempts: 4},
		{name: "429 then 200 stays", primary: primaryServer(429, 200), wantPrimaryCalls: 2, wantAttempts: 2},
		{name: "404 does not fail over", primary: primaryServer(404), wantKind: KindStatus, wantPrimaryCalls: 1, wantAttempts: 1},
		{name: "healthy primary", primary: primaryServer(200), wantPrimaryCalls: 1, wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primaryURL, trusted, primaryCalls := tt.primary(t)
			secondary := apitest.NewServer(t, 200)
			cfg := failoverConfig(primaryURL, secondary.URL+"/v1")
			th := newTestHandler(t, cfg, append(trusted, secondary.Server)...)

			start := time.Now()
			got, err := th.Handle(context.Background(), json.RawMessage(`{}`))
			elapsed := time.Since(start)

			if primaryCalls != nil && primaryCalls() != tt.wantPrimaryCalls {
				t.Errorf("requests the primary saw: got %d, want %d", primaryCalls(), tt.wantPrimaryCalls)
			}
			wantSecondary := 0
			if tt.wantFailover {
				wantSecondary = 1
			}
			if n := secondary.Requests(); n != wantSecondary {
				t.Errorf("requests the failover API saw: got %d, want %d", n, wantSecondary)
			}
			if tt.maxElapsed > 0 && elapsed > tt.maxElapsed || elapsed < tt.minElapsed {
				t.Errorf("Handle took %v, want %v to %v", elapsed.Round(time.Millisecond), tt.minElapsed, tt.maxElapsed)
			}

			switch {
			case tt.wantFailover:
				if err != nil {
					t.Fatalf("Handle: got error %v, want the failover API's answer", err)
				}
				got.LatencyMs = 0
				want := Result{StatusCode: 200, Body: apitest.HelloBody, Attempts: tt.wantAttempts,
					URL: secondary.URL + "/v1/hello", APIRegion: failoverRegion}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Handle (-want +got):\n%s", diff)
				}
				if r := scopeRegion(t, secondary.Header()); r != failoverRegion {
					t.Errorf("signing Region of the request to the failover API: got %s, want %s", r, failoverRegion)
				}
				warns := th.logRecords(t, "API call failed, failing over")
				if len(warns) != 1 || warns[0]["level"] != "WARN" || warns[0]["apiRegion"] != primaryRegion ||
					warns[0]["kind"] != string(tt.wantKind) || warns[0]["failoverRegion"] != failoverRegion ||
					warns[0]["url"] != primaryURL+"/hello" || warns[0]["error"] == "" || warns[0]["hint"] == "" {
					t.Errorf("failover log: got %v, want one WARN from %s (kind %s) to %s", warns, primaryRegion, tt.wantKind, failoverRegion)
				}
				if rec := th.lastLog(t); rec["msg"] != "API call succeeded" || rec["apiRegion"] != failoverRegion ||
					rec["attempts"] != float64(tt.wantAttempts) {
					t.Errorf("last log: got %v, want the success in %s after %d attempts", rec, failoverRegion, tt.wantAttempts)
				}
			case tt.wantKind != "":
				checkCallError(t, err, primaryURL+"/hello", tt.wantKind, tt.wantAttempts, []string{"in " + primaryRegion + " failed"})
				if rec := th.lastLog(t); rec["level"] != "ERROR" || rec["apiRegion"] != primaryRegion {
					t.Errorf("last log: got %v, want an ERROR naming %s", rec, primaryRegion)
				}
			default:
				if err != nil {
					t.Fatalf("Handle: got error %v, want the primary's answer", err)
				}
				if got.APIRegion != primaryRegion || got.URL != primaryURL+"/hello" || got.Attempts != tt.wantAttempts {
					t.Errorf("Handle: got %+v, want the primary's answer in %s after %d attempts", got, primaryRegion, tt.wantAttempts)
				}
			}
		})
	}
}

// TestFailoverSignsForEachRegion checks the signature of each Region's
// request: scoped to the Region called, and valid there.
func TestFailoverSignsForEachRegion(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session-token")
	servers := map[string]*httptest.Server{}
	got := map[string]http.Header{}
	resigned := map[string]http.Header{}
	for region, status := range map[string]int{primaryRegion: 500, failoverRegion: 200} {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got[region] = r.Header.Clone()
			resigned[region] = resign(t, r, creds, region)
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		servers[region] = srv
	}
	cfg := failoverConfig(servers[primaryRegion].URL+"/v1", servers[failoverRegion].URL+"/v1")
	th := newTestHandler(t, cfg, servers[primaryRegion], servers[failoverRegion])
	th.Credentials = creds

	if _, err := th.Handle(context.Background(), json.RawMessage(`{}`)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	for _, region := range []string{primaryRegion, failoverRegion} {
		if got[region] == nil {
			t.Fatalf("the %s API saw no request", region)
		}
		if r := scopeRegion(t, got[region]); r != region {
			t.Errorf("request to the %s API: signed for %s, want %s", region, r, region)
		}
		if diff := cmp.Diff(resigned[region].Get("Authorization"), got[region].Get("Authorization")); diff != "" {
			t.Errorf("signature of the request to %s, re-signed for %s (-want +got):\n%s", region, region, diff)
		}
	}
}

// TestFailoverBothFail checks that a call failing in both Regions names
// both, with each one's failure kind and its hint, in the error and in the
// one final log record.
func TestFailoverBothFail(t *testing.T) {
	tests := []struct {
		name      string
		primary   primarySetup
		secondary []int
		wantKinds []Kind
		// wantAttempts are the attempts in each Region.
		wantAttempts []int
		wantErr      []string
	}{
		{
			name: "refused, then 500", primary: primaryRefused, secondary: []int{500},
			wantKinds: []Kind{KindConnection, KindServer}, wantAttempts: []int{1, 3},
			wantErr: []string{"connection refused", "HTTP 500", "execution logs in us-west-2"},
		},
		{
			name: "403 in both", primary: primaryServer(403), secondary: []int{403},
			wantKinds: []Kind{KindForbidden, KindForbidden}, wantAttempts: []int{1, 1},
			wantErr: []string{"API_REGION=us-east-1 must be", "FAILOVER_API_REGION=us-west-2 must be"},
		},
		{
			name: "silent, then 404", primary: primarySilent, secondary: []int{404},
			wantKinds: []Kind{KindTimeout, KindStatus}, wantAttempts: []int{1, 1},
			wantErr: []string{"TLS handshake timeout", "HTTP 404", "FAILOVER_API_URL (host and stage)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primaryURL, trusted, _ := tt.primary(t)
			secondary := apitest.NewServer(t, tt.secondary...)
			th := newTestHandler(t, failoverConfig(primaryURL, secondary.URL+"/v1"), append(trusted, secondary.Server)...)

			_, err := th.Handle(context.Background(), json.RawMessage(`{}`))

			var re *RegionsError
			if !errors.As(err, &re) {
				t.Fatalf("Handle: got %v (%T), want a *RegionsError", err, err)
			}
			var gotKinds []Kind
			var gotAttempts []int
			var gotRegions []string
			for _, f := range re.Failures {
				gotKinds, gotAttempts, gotRegions = append(gotKinds, f.Kind), append(gotAttempts, f.Attempts), append(gotRegions, f.Region)
			}
			if diff := cmp.Diff([]string{primaryRegion, failoverRegion}, gotRegions); diff != "" {
				t.Errorf("Regions of the failures (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantKinds, gotKinds); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAttempts, gotAttempts); diff != "" {
				t.Errorf("attempts per Region (-want +got):\n%s", diff)
			}
			msg := err.Error()
			want := append([]string{
				"API call failed in us-east-1 (" + string(tt.wantKinds[0]) + ") and us-west-2 (" + string(tt.wantKinds[1]) + ")",
				"GET " + primaryURL + "/hello in us-east-1 failed", "GET " + secondary.URL + "/v1/hello in us-west-2 failed",
			}, tt.wantErr...)
			for _, part := range want {
				if !strings.Contains(msg, part) {
					t.Errorf("error text: got %q, want it to contain %q", msg, part)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error text: got %q, want one line", msg)
			}
			finals := th.logRecords(t, "API call failed")
			wantFailures := []any{"us-east-1: " + string(tt.wantKinds[0]), "us-west-2: " + string(tt.wantKinds[1])}
			if len(finals) != 1 || finals[0]["level"] != "ERROR" || finals[0]["error"] != msg ||
				finals[0]["attempts"] != float64(tt.wantAttempts[0]+tt.wantAttempts[1]) ||
				!cmp.Equal(finals[0]["regionFailures"], wantFailures) {
				t.Errorf("final log records: got %v, want one ERROR with the error, %d attempts and regionFailures %v",
					finals, tt.wantAttempts[0]+tt.wantAttempts[1], wantFailures)
			}
		})
	}
}

// TestFailoverBreaker runs one warm handler through a primary's failure,
// its cool-down and its recovery, on the handler's clock, and checks which
// Region each call tries first.
func TestFailoverBreaker(t *testing.T) {
	// The primary fails the first call and the trial after the first
	// cool-down, then answers.
	primary := apitest.NewServer(t, 500, 503, 200)
	secondary := apitest.NewServer(t, 200)
	cfg := failoverConfig(primary.URL+"/v1", secondary.URL+"/v1")
	cfg.FailoverCooldown = 10 * time.Second
	th := newTestHandler(t, cfg, primary.Server, secondary.Server)
	// A clock that moves only by advance, so the cool-down's edges hold to
	// the millisecond.
	base := time.Now()
	th.Now = func() time.Time {
		th.mu.Lock()
		defer th.mu.Unlock()
		return base.Add(th.slept)
	}
	advance := func(d time.Duration) {
		th.mu.Lock()
		defer th.mu.Unlock()
		th.slept += d
	}

	steps := []struct {
		name string
		// advance moves the handler's clock before the call.
		advance       time.Duration
		wantRegion    string
		wantPrimary   int // the primary's requests so far
		wantSecondary int
		wantLog       string // a message the call must log, if any
	}{
		{name: "the primary fails, the call fails over", wantRegion: failoverRegion, wantPrimary: 1, wantSecondary: 1, wantLog: "API call failed, failing over"},
		{name: "warm: straight to the failover Region", wantRegion: failoverRegion, wantPrimary: 1, wantSecondary: 2, wantLog: "API Region failed recently; trying the other first"},
		{name: "1 ms before the cool-down ends: still skipped", advance: 10*time.Second - time.Millisecond, wantRegion: failoverRegion, wantPrimary: 1, wantSecondary: 3},
		{name: "cool-down over: the trial fails, the call fails over", advance: time.Millisecond, wantRegion: failoverRegion, wantPrimary: 2, wantSecondary: 4, wantLog: "API Region's cool-down is over; trying it first again"},
		{name: "a new cool-down from the trial's failure", advance: 9 * time.Second, wantRegion: failoverRegion, wantPrimary: 2, wantSecondary: 5},
		{name: "the next trial succeeds", advance: time.Second, wantRegion: primaryRegion, wantPrimary: 3, wantSecondary: 5},
		{name: "closed: the primary first", wantRegion: primaryRegion, wantPrimary: 4, wantSecondary: 5},
	}
	for i, s := range steps {
		advance(s.advance)
		th.logs.Reset()
		got, err := th.Handle(context.Background(), json.RawMessage(`{}`))
		if err != nil {
			t.Fatalf("call %d (%s): %v", i+1, s.name, err)
		}
		if got.APIRegion != s.wantRegion || primary.Requests() != s.wantPrimary || secondary.Requests() != s.wantSecondary {
			t.Errorf("call %d (%s): answered by %s, requests primary %d, failover %d; want %s, %d, %d",
				i+1, s.name, got.APIRegion, primary.Requests(), secondary.Requests(), s.wantRegion, s.wantPrimary, s.wantSecondary)
		}
		if s.wantLog != "" && len(th.logRecords(t, s.wantLog)) != 1 {
			t.Errorf("call %d (%s): log\n%s\nwant one %q", i+1, s.name, th.logs, s.wantLog)
		}
	}
}

// TestBreakerTrialIsOne checks that after the cool-down one call, not
// every call that starts meanwhile, tries the failed Region first, and
// that a trial not settled (no attempt, or a failure that does not open
// the breaker) passes to the next call.
func TestBreakerTrialIsOne(t *testing.T) {
	cfg := failoverConfig("https://primary.example/v1", "https://failover.example/v1")
	targets := cfg.targets()
	var b breaker
	t0 := time.Unix(1_000_000, 0)
	b.failed(primaryRegion, KindTimeout, t0)
	regions := func(p *regionPlan) []string {
		var out []string
		for _, t := range p.order {
			out = append(out, t.Region)
		}
		return out
	}
	after := t0.Add(cfg.FailoverCooldown)

	first := b.plan(after, cfg.FailoverCooldown, targets)
	second := b.plan(after, cfg.FailoverCooldown, targets)
	if diff := cmp.Diff([]string{primaryRegion, failoverRegion}, regions(first)); diff != "" || first.trial != primaryRegion {
		t.Errorf("first call after the cool-down: order (-want +got):\n%s trial %q, want %q", diff, first.trial, primaryRegion)
	}
	if diff := cmp.Diff([]string{failoverRegion, primaryRegion}, regions(second)); diff != "" || second.trial != "" {
		t.Errorf("call during the trial: order (-want +got):\n%s trial %q, want none", diff, second.trial)
	}
	first.release()
	third := b.plan(after, cfg.FailoverCooldown, targets)
	if third.trial != primaryRegion || regions(third)[0] != primaryRegion {
		t.Errorf("call after an unsettled trial: got order %v, trial %q; want the trial, primary first", regions(third), third.trial)
	}
	b.succeeded(primaryRegion)
	third.release()
	if p := b.plan(after, cfg.FailoverCooldown, targets); p.trial != "" || len(p.skipped) != 0 || regions(p)[0] != primaryRegion {
		t.Errorf("after the trial succeeded: got order %v, trial %q, skipped %v; want closed", regions(p), p.trial, p.skipped)
	}

	// Both open: nothing is skipped for the other, the configured order
	// stands.
	b.failed(primaryRegion, KindTimeout, t0)
	b.failed(failoverRegion, KindServer, t0)
	if p := b.plan(t0.Add(time.Second), cfg.FailoverCooldown, targets); len(p.skipped) != 0 || regions(p)[0] != primaryRegion {
		t.Errorf("both open: got order %v, skipped %v; want the configured order, none skipped", regions(p), p.skipped)
	}
}

// TestFailoverThrottlingKeepsBreakerClosed: a primary that throttled every
// attempt sends that call to the failover Region, but the next call tries
// the primary first again.
func TestFailoverThrottlingKeepsBreakerClosed(t *testing.T) {
	primary := apitest.NewServer(t, 429, 429, 429, 200)
	secondary := apitest.NewServer(t, 200)
	th := newTestHandler(t, failoverConfig(primary.URL+"/v1", secondary.URL+"/v1"), primary.Server, secondary.Server)
	for i, want := range []string{failoverRegion, primaryRegion} {
		got, err := th.Handle(context.Background(), json.RawMessage(`{}`))
		if err != nil || got.APIRegion != want {
			t.Errorf("call %d: got %+v, %v; want the answer from %s", i+1, got, err, want)
		}
	}
	if n := primary.Requests(); n != 4 {
		t.Errorf("requests the primary saw: got %d, want 4 (3 throttled, then the next call's)", n)
	}
}

// failoverClockHandler is reserveHandler with two APIs: every attempt at
// the primary's host moves the handler's clock on by primaryTakes and
// gets HTTP 503; every attempt at the failover's gets HTTP 500 at once.
// It records the deadline of each attempt's context, by Region.
func failoverClockHandler(t *testing.T, cfg Config, primaryTakes time.Duration) (h *Handler, start time.Time, deadlines map[string][]time.Time) {
	t.Helper()
	now := time.Now().Add(time.Hour)
	start = now
	deadlines = map[string][]time.Time{}
	transport := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		d, _ := req.Context().Deadline()
		status := http.StatusInternalServerError
		region := failoverRegion
		if req.URL.Host == "primary.example" {
			now = now.Add(primaryTakes)
			status, region = http.StatusServiceUnavailable, primaryRegion
		}
		deadlines[region] = append(deadlines[region], d)
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}, nil
	})
	h = &Handler{
		Config:      cfg,
		Client:      &http.Client{Transport: transport},
		Signer:      v4.NewSigner(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:         func() time.Time { return now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			now = now.Add(d)
			return ctx.Err()
		},
		RandInt64N: func(n int64) int64 { return n - 1 },
	}
	return h, start, deadlines
}

// TestFailoverKeepsDeadline checks the invocation's deadline across both
// Regions: the failover is made only if an attempt of at least 100 ms
// there ends by the 50 ms reserve before the deadline; the failover
// Region's attempts are cut at the reserve, and its retries stop there.
func TestFailoverKeepsDeadline(t *testing.T) {
	const budget = time.Second
	tests := []struct {
		name string
		// primaryTakes is the primary's failed attempt.
		primaryTakes time.Duration
		wantFailover bool
		// wantFailoverAttempts is how many attempts the failover API gets.
		wantFailoverAttempts int
	}{
		{name: "failover ending 1 ms before the reserve is made", primaryTakes: 849 * time.Millisecond, wantFailover: true, wantFailoverAttempts: 1},
		{name: "failover ending at the reserve is made", primaryTakes: 850 * time.Millisecond, wantFailover: true, wantFailoverAttempts: 1},
		{name: "failover ending 1 ms into the reserve is not made", primaryTakes: 851 * time.Millisecond},
		{name: "early failure leaves time for a retry there", primaryTakes: 100 * time.Millisecond, wantFailover: true, wantFailoverAttempts: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := failoverConfig("https://primary.example/v1", "https://failover.example/v1")
			cfg.AttemptTimeout, cfg.MaxAttempts = 2*time.Second, 3
			// The first retry's wait (300 ms) fits only after an early
			// failure, the second's (600 ms) never.
			cfg.BackoffBase, cfg.BackoffMax = 300*time.Millisecond, 10*time.Second
			h, start, deadlines := failoverClockHandler(t, cfg, tt.primaryTakes)
			deadline := start.Add(budget)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()

			_, err := h.Handle(ctx, json.RawMessage(`{}`))

			if n := len(deadlines[failoverRegion]); n != tt.wantFailoverAttempts {
				t.Errorf("attempts at the failover API: got %d, want %d", n, tt.wantFailoverAttempts)
			}
			for region, ds := range deadlines {
				for i, d := range ds {
					if !d.Equal(deadline.Add(-50 * time.Millisecond)) {
						t.Errorf("attempt %d in %s: its context ends %v before the deadline, want 50ms", i+1, region, deadline.Sub(d))
					}
				}
			}
			if end := h.Now(); end.After(deadline.Add(-50 * time.Millisecond)) {
				t.Errorf("Handle ended %v after the reserve began, want by then", end.Sub(deadline.Add(-50*time.Millisecond)))
			}
			if !tt.wantFailover {
				checkCallError(t, err, "https://primary.example/v1/hello", KindServer, 1,
					[]string{"not failed over to us-west-2", "would pass the invocation's deadline"})
				return
			}
			var re *RegionsError
			if !errors.As(err, &re) || len(re.Failures) != 2 || !strings.Contains(re.Failures[1].Error(), "not retried") {
				t.Errorf("Handle: got %v, want both Regions' failures, the failover Region's not retried for the deadline", err)
			}
		})
	}
}

// TestNewHTTPClientConnectTimeout: the connect timeout applies to the TCP
// connection and the TLS handshake only with a failover Region; with one
// Region both keep the attempt's timeout, as they always had.
func TestNewHTTPClientConnectTimeout(t *testing.T) {
	single := testConfig("https://primary.example/v1")
	single.ConnectTimeout = time.Millisecond
	for _, tt := range []struct {
		name string
		cfg  Config
		want time.Duration
	}{
		{name: "one Region", cfg: single, want: single.AttemptTimeout},
		{name: "failover", cfg: failoverConfig("https://primary.example/v1", "https://failover.example/v1"), want: testConnect},
	} {
		transport := NewHTTPClient(tt.cfg).Transport.(*http.Transport)
		if transport.TLSHandshakeTimeout != tt.want || transport.ResponseHeaderTimeout != tt.cfg.AttemptTimeout {
			t.Errorf("%s: TLS handshake timeout %v, response header timeout %v; want %v and %v",
				tt.name, transport.TLSHandshakeTimeout, transport.ResponseHeaderTimeout, tt.want, tt.cfg.AttemptTimeout)
		}
	}
}

// TestResultJSON: the result of one Region has exactly the members it
// always had; with a failover Region it also names the Region.
func TestResultJSON(t *testing.T) {
	srv := apitest.NewServer(t, 200)
	for _, tt := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{name: "one Region", cfg: testConfig(srv.URL + "/v1"), want: []string{"attempts", "body", "latencyMs", "statusCode", "url"}},
		{name: "failover", cfg: failoverConfig(srv.URL+"/v1", "https://failover.example/v1"),
			want: []string{"apiRegion", "attempts", "body", "latencyMs", "statusCode", "url"}},
	} {
		th := newTestHandler(t, tt.cfg, srv.Server)
		res, err := th.Handle(context.Background(), json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		var members map[string]any
		_ = json.Unmarshal(b, &members)
		var got []string
		for k := range members {
			got = append(got, k)
		}
		if diff := cmp.Diff(tt.want, got, cmpSorted); diff != "" {
			t.Errorf("%s: members of %s (-want +got):\n%s", tt.name, b, diff)
		}
	}
}

// TestSingleRegionUnchanged: without a failover Region the error text and
// every log record are what they were before there could be one: no
// Region in the text, no apiRegion in any record, the same keys.
func TestSingleRegionUnchanged(t *testing.T) {
	srv := apitest.NewServer(t, 503, 503, 200)
	cfg := testConfig(srv.URL + "/v1")
	cfg.MaxAttempts = 2
	th := newTestHandler(t, cfg, srv.Server)

	_, err := th.Handle(context.Background(), json.RawMessage(`{}`))
	if _, serr := th.Handle(context.Background(), json.RawMessage(`{}`)); serr != nil {
		t.Fatalf("second call: %v", serr)
	}

	wantPrefix := "GET " + srv.URL + "/v1/hello failed after 2 attempts: HTTP 503 (server_error): Service Unavailable"
	if err == nil || !strings.HasPrefix(err.Error(), wantPrefix) {
		t.Errorf("error text: got %v, want it to start %q", err, wantPrefix)
	}
	wantKeys := map[string][]string{
		"API call failed, retrying": {"attempt", "error", "kind", "level", "msg", "status", "time", "url", "waitMs"},
		"API call failed":           {"attempts", "error", "hint", "kind", "level", "msg", "status", "time", "url"},
		"API call succeeded":        {"attempts", "latencyMs", "level", "msg", "status", "time", "url"},
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(th.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		msg, _ := rec["msg"].(string)
		msgs = append(msgs, msg)
		var keys []string
		for k := range rec {
			keys = append(keys, k)
		}
		if diff := cmp.Diff(wantKeys[msg], keys, cmpSorted); diff != "" {
			t.Errorf("keys of %q (-want +got):\n%s", msg, diff)
		}
	}
	if diff := cmp.Diff([]string{"API call failed, retrying", "API call failed", "API call succeeded"}, msgs); diff != "" {
		t.Errorf("log messages (-want +got):\n%s", diff)
	}
}
