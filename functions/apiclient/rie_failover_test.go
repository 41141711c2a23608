//go:build linux

package main_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/internal/apitest"
	"crossregionapi/internal/probe"
)

const failoverRegion = "us-west-2"

// failoverInvocation is the emulator's answer with a failover Region.
type failoverInvocation struct {
	StatusCode   int    `json:"statusCode"`
	Body         string `json:"body"`
	Attempts     int    `json:"attempts"`
	URL          string `json:"url"`
	APIRegion    string `json:"apiRegion"`
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// failoverEnv is functionEnv with the attempt timeout and connect timeout
// of a deployed function (3 s, 1 s: the defaults) and a failover API.
func failoverEnv(tb testing.TB, primaryURL, failoverURL string, trustPEM []byte, extra ...string) map[string]string {
	tb.Helper()
	return functionEnv(tb, primaryURL, trustPEM, append([]string{
		"ATTEMPT_TIMEOUT_MS", "3000",
		"FAILOVER_API_URL", failoverURL,
		"FAILOVER_API_REGION", failoverRegion,
	}, extra...)...)
}

// credentialRegion is the Region of a SigV4 Authorization header's
// credential scope.
var credentialRegion = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/([a-z0-9-]+)/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$`)

func signedFor(t *testing.T, s *apitest.Server) string {
	t.Helper()
	m := credentialRegion.FindStringSubmatch(s.Header().Get("Authorization"))
	if m == nil {
		t.Fatalf("Authorization: got %q, want a SigV4 header for execute-api", s.Header().Get("Authorization"))
	}
	return m[1]
}

// timedCall invokes e with event and returns the answer and the wall time
// the invocation took through the emulator.
func timedCall(t *testing.T, e *apitest.Emulator, event string) (failoverInvocation, time.Duration) {
	t.Helper()
	start := time.Now()
	status, body := e.Call(t, event)
	took := time.Since(start)
	var got failoverInvocation
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("HTTP %d, body %q is not JSON: %v\nemulator output:\n%s", status, body, err, e.Output())
	}
	return got, took
}

// TestEmulatorFailover runs the real bootstrap with two stand-ins of the
// API, one per Region, and a primary that fails in each way: the call
// answers from the failover Region, signed for it, in about the time the
// failure costs (a refused connection: well under a second; a silent
// endpoint: about the 1 s connect timeout, not the 3 s attempt timeout);
// the next, warm, call goes straight to the failover Region.
func TestEmulatorFailover(t *testing.T) {
	apitest.RIEBinary(t)
	bootstrap := build(t, ".", runtime.GOOS, runtime.GOARCH)

	tests := []struct {
		name string
		// primary returns the primary's API_URL, the server that answers
		// there if any, and a count of the connections it accepted if it
		// keeps one.
		primary  func(t *testing.T) (string, *apitest.Server, func() int)
		wantKind string
		// minFirst and maxFirst bound the first (failed-over) call.
		minFirst, maxFirst time.Duration
	}{
		{
			name: "refused primary",
			primary: func(t *testing.T) (string, *apitest.Server, func() int) {
				return apitest.ClosedPortURL(t) + "/v1", nil, nil
			},
			wantKind: "connection", maxFirst: 500 * time.Millisecond,
		},
		{
			name: "silent primary",
			primary: func(t *testing.T) (string, *apitest.Server, func() int) {
				s := apitest.NewSilent(t)
				return s.URL + "/v1", nil, s.Conns
			},
			wantKind: "timeout", minFirst: time.Second, maxFirst: 2 * time.Second,
		},
		{
			name: "primary answers 503",
			primary: func(t *testing.T) (string, *apitest.Server, func() int) {
				s := apitest.NewServer(t, http.StatusServiceUnavailable)
				return s.URL + "/v1", s, s.Conns
			},
			wantKind: "server_error", maxFirst: 500 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primaryURL, primary, primaryConns := tt.primary(t)
			secondary := apitest.NewServer(t, http.StatusOK)
			e := apitest.StartEmulator(t, bootstrap, failoverEnv(t, primaryURL, secondary.URL+"/v1", secondary.CertPEM()))

			first, tookFirst := timedCall(t, e, `{}`)
			warm, tookWarm := timedCall(t, e, `{}`)
			t.Logf("%s: first call %v, warm call %v", tt.name, tookFirst.Round(time.Millisecond), tookWarm.Round(time.Millisecond))

			want := failoverInvocation{StatusCode: 200, Body: apitest.HelloBody, Attempts: 2, URL: secondary.URL + "/v1/hello", APIRegion: failoverRegion}
			if diff := cmp.Diff(want, first); diff != "" {
				t.Errorf("first call (-want +got):\n%s\nemulator output:\n%s", diff, e.Output())
			}
			want.Attempts = 1
			if diff := cmp.Diff(want, warm); diff != "" {
				t.Errorf("warm call (-want +got):\n%s\nemulator output:\n%s", diff, e.Output())
			}
			if tookFirst < tt.minFirst || tookFirst > tt.maxFirst {
				t.Errorf("first call took %v, want %v to %v", tookFirst.Round(time.Millisecond), tt.minFirst, tt.maxFirst)
			}
			if limit := 300 * time.Millisecond; tookWarm > limit {
				t.Errorf("warm call took %v, want under %v: the breaker should skip the primary", tookWarm.Round(time.Millisecond), limit)
			}
			if n := secondary.Requests(); n != 2 {
				t.Errorf("requests the failover API saw: got %d, want 2", n)
			}
			if r := signedFor(t, secondary); r != failoverRegion {
				t.Errorf("request to the failover API signed for %s, want %s", r, failoverRegion)
			}
			if primaryConns != nil && primaryConns() != 1 {
				t.Errorf("connections the primary accepted: got %d, want 1 (none on the warm call)", primaryConns())
			}
			if primary != nil {
				if n := primary.Requests(); n != 1 {
					t.Errorf("requests the primary saw: got %d, want 1 (none on the warm call)", n)
				}
				if r := signedFor(t, primary); r != apiRegion {
					t.Errorf("request to the primary signed for %s, want %s", r, apiRegion)
				}
			}

			out := e.WaitForOutput(`"msg":"API Region failed recently`, 5*time.Second)
			for _, part := range []string{
				`"level":"WARN","msg":"API call failed, failing over","apiRegion":"us-east-1","url":"` + primaryURL + `/hello"`,
				`"kind":"` + tt.wantKind + `"`, `"failoverRegion":"us-west-2"`,
				`"level":"INFO","msg":"API Region failed recently; trying the other first","apiRegion":"us-east-1","kind":"` + tt.wantKind + `"`,
			} {
				if !strings.Contains(out, part) {
					t.Errorf("function log: want %s in\n%s", part, out)
				}
			}
		})
	}

	t.Run("both failing", func(t *testing.T) {
		secondary := apitest.NewServer(t, http.StatusInternalServerError)
		primaryURL := apitest.ClosedPortURL(t) + "/v1"
		e := apitest.StartEmulator(t, bootstrap, failoverEnv(t, primaryURL, secondary.URL+"/v1", secondary.CertPEM()))

		got, took := timedCall(t, e, `{}`)
		t.Logf("both failing: %v", took.Round(time.Millisecond))

		for _, part := range []string{
			"API call failed in us-east-1 (connection) and us-west-2 (server_error), 4 attempts in all",
			"GET " + primaryURL + "/hello in us-east-1 failed after 1 attempt (connection)", "connection refused",
			"GET " + secondary.URL + "/v1/hello in us-west-2 failed after 3 attempts: HTTP 500 (server_error)", "execution logs in us-west-2",
		} {
			if !strings.Contains(got.ErrorMessage, part) {
				t.Errorf("errorMessage: got %q, want it to contain %q", got.ErrorMessage, part)
			}
		}
		if got.ErrorType != "RegionsError" {
			t.Errorf("errorType: got %q, want RegionsError", got.ErrorType)
		}
		if limit := time.Second; took > limit {
			t.Errorf("the call took %v, want under %v", took.Round(time.Millisecond), limit)
		}
		if r := signedFor(t, secondary); r != failoverRegion {
			t.Errorf("request to the failover API signed for %s, want %s", r, failoverRegion)
		}
		out := e.WaitForOutput(`"regionFailures"`, 5*time.Second)
		if !strings.Contains(out, `"level":"ERROR","msg":"API call failed"`) || !strings.Contains(out, `"regionFailures":["us-east-1: connection","us-west-2: server_error"]`) {
			t.Errorf("function log: got\n%s\nwant one ERROR naming each Region's failure", out)
		}
	})

	t.Run("same Region twice stops the function", func(t *testing.T) {
		secondary := apitest.NewServer(t, http.StatusOK)
		env := failoverEnv(t, apitest.ClosedPortURL(t)+"/v1", secondary.URL+"/v1", secondary.CertPEM(), "FAILOVER_API_REGION", apiRegion)
		e := apitest.StartEmulator(t, bootstrap, env)
		if status, body := e.Call(t, `{}`); status != http.StatusBadGateway {
			t.Fatalf("got HTTP %d %s, want HTTP 502", status, body)
		}
		out := e.WaitForOutput("exit status 1", 5*time.Second)
		if !strings.Contains(out, `"msg":"invalid configuration","error":"invalid FAILOVER_API_REGION \"us-east-1\": must differ from API_REGION (us-east-1)`) {
			t.Errorf("function log: got\n%s\nwant a JSON record naming FAILOVER_API_REGION and its value", out)
		}
	})
}

// TestEmulatorFailoverProbe: with a failover Region, a probe calls each
// Region on its own and writes one record per Region, with ApiRegion, even
// when the primary fails (no failover in a probe).
func TestEmulatorFailoverProbe(t *testing.T) {
	apitest.RIEBinary(t)
	bootstrap := build(t, ".", runtime.GOOS, runtime.GOARCH)
	primary := apitest.NewServer(t, http.StatusForbidden)
	secondary := apitest.NewServer(t, http.StatusOK)
	e := apitest.StartEmulator(t, bootstrap, failoverEnv(t, primary.URL+"/v1", secondary.URL+"/v1", secondary.CertPEM()))
	ev := probe.Event{Probe: true, App: "crossregion-demo", ClientRegion: functionRegion, ClientAccount: "111122223333"}
	payload, _ := json.Marshal(ev)

	got, _ := timedCall(t, e, string(payload))
	_, _ = timedCall(t, e, `{}`) // the fence: its log follows every record

	if !strings.Contains(got.ErrorMessage, "API call failed in us-east-1 (forbidden), 1 attempt in all") {
		t.Errorf("errorMessage: got %q, want the primary's 403 alone", got.ErrorMessage)
	}
	// The fence, a call, fails over from the primary's 403.
	if primary.Requests() != 2 || secondary.Requests() != 2 {
		t.Errorf("requests: primary %d, failover %d; want 2 and 2 (the probe's and the fence's)", primary.Requests(), secondary.Requests())
	}
	deadline := time.Now().Add(5 * time.Second)
	out := e.Output()
	for len(finalLogs.FindAllString(out, -1)) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		out = e.Output()
	}
	recs, errs := apitest.FindEMF(out)
	for _, err := range errs {
		t.Errorf("not an EMF record: %v", err)
	}
	if len(recs) != 2 {
		t.Fatalf("got %d EMF records, want 2, one per Region\nemulator output:\n%s", len(recs), out)
	}
	regionDims := probe.RegionDimensions()
	for i, want := range []struct {
		region, kind string
	}{{apiRegion, "forbidden"}, {failoverRegion, ""}} {
		rec := recs[i]
		if rec.Members[probe.DimensionAPIRegion] != want.region {
			t.Errorf("record %d: ApiRegion %v, want %s", i+1, rec.Members[probe.DimensionAPIRegion], want.region)
		}
		if diff := cmp.Diff([][]string{regionDims}, rec.AWS.CloudWatchMetrics[0].Dimensions); diff != "" {
			t.Errorf("record %d: dimensions (-want +got):\n%s", i+1, diff)
		}
		var kind any
		if want.kind != "" {
			kind = want.kind
			if diff := cmp.Diff([][]string{append(probe.RegionDimensions(), probe.DimensionFailureKind)}, rec.AWS.CloudWatchMetrics[1].Dimensions); diff != "" {
				t.Errorf("record %d: failure dimensions (-want +got):\n%s", i+1, diff)
			}
		}
		if got := rec.Members[probe.DimensionFailureKind]; got != kind {
			t.Errorf("record %d: FailureKind %v, want %v", i+1, got, kind)
		}
	}
}
