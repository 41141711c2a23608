//go:build linux

package main_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/functions/apiclient/handler"
	"crossregionapi/gobundle"
	"crossregionapi/internal/apitest"
	"crossregionapi/internal/probe"
)

// binDir holds the binaries the tests build, once per test binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "apiclient-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = dir
	code := m.Run()
	printFigures(os.Stdout)
	os.RemoveAll(dir)
	os.Exit(code)
}

var builds = struct {
	sync.Mutex
	paths map[string]string
}{paths: map[string]string{}}

// build compiles the package at pkg (relative to this directory) for
// goos/goarch with the release flags, once per test binary, and returns
// the path of the executable, named bootstrap as Lambda wants it.
func build(tb testing.TB, pkg, goos, goarch string) string {
	tb.Helper()
	builds.Lock()
	defer builds.Unlock()
	key := pkg + " " + goos + "/" + goarch
	if p, ok := builds.paths[key]; ok {
		return p
	}
	out := filepath.Join(binDir, fmt.Sprintf("%s-%s-%s", filepath.Base(filepath.Clean(pkg)), goos, goarch), "bootstrap")
	if pkg == "." {
		out = filepath.Join(binDir, "apiclient-"+goos+"-"+goarch, "bootstrap")
	}
	buildTo(tb, pkg, goos, goarch, out)
	builds.paths[key] = out
	return out
}

// buildTo runs the project's release build (the one the CDK asset uses)
// into out, which must be named bootstrap.
func buildTo(tb testing.TB, pkg, goos, goarch, out string) {
	tb.Helper()
	if goos != "linux" || filepath.Base(out) != gobundle.BinaryName {
		tb.Fatalf("buildTo(%s, %s/%s, %s): only linux builds named %s", pkg, goos, goarch, out, gobundle.BinaryName)
	}
	if err := gobundle.Build(".", pkg, goarch, filepath.Dir(out)); err != nil {
		tb.Fatal(err)
	}
}

const (
	sessionToken   = "dummy-session-token"
	functionRegion = "us-west-2"
	apiRegion      = "us-east-1"
)

// functionEnv is what Lambda and the CDK construct give the function,
// with short timeouts and backoff so failures are quick.
func functionEnv(tb testing.TB, apiURL string, trustPEM []byte, extra ...string) map[string]string {
	tb.Helper()
	certFile := filepath.Join(tb.TempDir(), "trust.pem")
	if err := os.WriteFile(certFile, trustPEM, 0o600); err != nil {
		tb.Fatal(err)
	}
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "dummy-secret",
		"AWS_SESSION_TOKEN":           sessionToken,
		"AWS_REGION":                  functionRegion,
		"AWS_DEFAULT_REGION":          functionRegion,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "5",
		"SSL_CERT_FILE":               certFile,
		"API_URL":                     apiURL,
		"API_REGION":                  apiRegion,
		"ATTEMPT_TIMEOUT_MS":          "300",
		"MAX_ATTEMPTS":                "3",
		"BACKOFF_BASE_MS":             "5",
		"BACKOFF_MAX_MS":              "20",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// invocation is the emulator's answer: the function's result, or the
// error aws-lambda-go reports.
type invocation struct {
	StatusCode   int    `json:"statusCode"`
	Body         string `json:"body"`
	Attempts     int    `json:"attempts"`
	URL          string `json:"url"`
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func TestEmulator(t *testing.T) {
	apitest.RIEBinary(t)
	bootstrap := build(t, ".", runtime.GOOS, runtime.GOARCH)

	type setup struct {
		apiURL   string
		trustPEM []byte
		api      *apitest.Server // nil when no server answers
	}
	server := func(statuses ...int) func(t *testing.T) setup {
		return func(t *testing.T) setup {
			s := apitest.NewServer(t, statuses...)
			return setup{apiURL: s.URL + "/v1", trustPEM: s.CertPEM(), api: s}
		}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) setup
		env   []string
		// invokes is how many warm invocations follow the first.
		invokes      int
		wantAttempts int
		// wantErr are the parts errorMessage must hold; none for success.
		wantErr []string
		// wantHTTP is the emulator's status when the function cannot answer.
		wantHTTP  int
		wantConns int
		check     func(t *testing.T, s setup, e *apitest.Emulator)
	}{
		{name: "200", setup: server(200), wantAttempts: 1, wantConns: 1},
		{
			name: "403 is not retried", setup: server(403), wantAttempts: 1, wantConns: 1,
			wantErr: []string{"/v1/hello", "HTTP 403", "1 attempt", "aws:SourceVpce", "execute-api:Invoke", "API_REGION=us-east-1"},
			check: func(t *testing.T, _ setup, e *apitest.Emulator) {
				// The function's log reaches the emulator's output after the
				// answer to the invocation, not before.
				out := e.WaitForOutput(`"kind":"forbidden"`, 5*time.Second)
				if !strings.Contains(out, `"level":"ERROR","msg":"API call failed"`) ||
					!strings.Contains(out, `"kind":"forbidden"`) {
					t.Errorf("function log: got\n%s\nwant a JSON ERROR record with kind forbidden", e.Output())
				}
			},
		},
		{name: "500, 500, 200 succeeds on attempt 3", setup: server(500, 500, 200), wantAttempts: 3, wantConns: 1},
		{name: "429 then 200", setup: server(429, 200), wantAttempts: 2, wantConns: 1},
		{
			name: "stalled server", setup: server(apitest.Stall), env: []string{"MAX_ATTEMPTS", "2"},
			wantAttempts: 2, wantErr: []string{"2 attempts", "(timeout)", "security groups", "peering"},
		},
		{
			name: "unresolvable host",
			setup: func(t *testing.T) setup {
				return setup{apiURL: "https://api.invalid/v1", trustPEM: apitest.NewServer(t).CertPEM()}
			},
			wantErr: []string{"https://api.invalid/v1/hello", "no such host", "1 attempt", "Route 53 private hosted zone"},
		},
		{
			name: "closed port",
			setup: func(t *testing.T) setup {
				return setup{apiURL: apitest.ClosedPortURL(t) + "/v1", trustPEM: apitest.NewServer(t).CertPEM()}
			},
			wantErr: []string{"connection refused", "3 attempts", "security groups", "peering connection is active"},
		},
		{
			name: "closed port over PrivateLink",
			setup: func(t *testing.T) setup {
				return setup{apiURL: apitest.ClosedPortURL(t) + "/v1", trustPEM: apitest.NewServer(t).CertPEM()}
			},
			env: []string{"API_TRANSPORT", "privatelink"},
			wantErr: []string{"connection refused", "3 attempts", "the PrivateLink path", "interface endpoint admits TCP 443 from the client VPC CIDR",
				"pendingAcceptance", "SupportedRegions include the client's Region", "load balancer's target health"},
		},
		{
			name: "certificate not in SSL_CERT_FILE",
			setup: func(t *testing.T) setup {
				return setup{apiURL: apitest.NewUntrustedServer(t).URL + "/v1", trustPEM: apitest.NewServer(t).CertPEM()}
			},
			wantErr: []string{"certificate", "1 attempt", "execute-api hostname"},
		},
		{name: "five warm invocations share one connection", setup: server(200), invokes: 4, wantAttempts: 1, wantConns: 1},
		{
			name: "signed for API_REGION, not AWS_REGION", setup: server(200), wantAttempts: 1, wantConns: 1,
			check: func(t *testing.T, s setup, _ *apitest.Emulator) {
				h := s.api.Header()
				auth := h.Get("Authorization")
				re := regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/([a-z0-9-]+)/([a-z-]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$`)
				m := re.FindStringSubmatch(auth)
				if m == nil {
					t.Fatalf("Authorization: got %q, want a SigV4 header", auth)
				}
				got := []string{m[1], m[2], m[3], h.Get("X-Amz-Security-Token")}
				want := []string{apiRegion, "execute-api", "host;x-amz-date;x-amz-security-token", sessionToken}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("scope Region, service, signed headers, token (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "invalid configuration stops the function",
			setup: func(t *testing.T) setup {
				return setup{apiURL: "http://plain.example/v1", trustPEM: apitest.NewServer(t).CertPEM()}
			},
			wantHTTP: http.StatusBadGateway,
			check: func(t *testing.T, _ setup, e *apitest.Emulator) {
				// The emulator may answer before it logs the exit.
				out := e.WaitForOutput("exit status 1", 5*time.Second)
				if !strings.Contains(out, `"level":"ERROR","msg":"invalid configuration","error":"invalid API_URL \"http://plain.example/v1\"`) {
					t.Errorf("function log: got\n%s\nwant a JSON record naming API_URL and its value", out)
				}
				if !strings.Contains(out, "Runtime.ExitError") || !strings.Contains(out, "exit status 1") {
					t.Errorf("emulator log: got\n%s\nwant the runtime to exit with status 1", out)
				}
			},
		},
		{
			name: "an unknown API_TRANSPORT stops the function", setup: server(200), env: []string{"API_TRANSPORT", "vpn"},
			wantHTTP: http.StatusBadGateway,
			check: func(t *testing.T, s setup, e *apitest.Emulator) {
				out := e.WaitForOutput("exit status 1", 5*time.Second)
				if !strings.Contains(out, `"msg":"invalid configuration","error":"invalid API_TRANSPORT \"vpn\": must be peering or privatelink`) {
					t.Errorf("function log: got\n%s\nwant a JSON record naming API_TRANSPORT and its value", out)
				}
				if n := s.api.Requests(); n != 0 {
					t.Errorf("requests the API saw: got %d, want none", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.setup(t)
			e := apitest.StartEmulator(t, bootstrap, functionEnv(t, s.apiURL, s.trustPEM, tt.env...))

			for i := 0; i <= tt.invokes; i++ {
				status, body := e.Call(t, `{}`)
				if tt.wantHTTP != 0 {
					if status != tt.wantHTTP {
						t.Fatalf("invocation %d: got HTTP %d %s, want HTTP %d", i+1, status, body, tt.wantHTTP)
					}
					continue
				}
				var got invocation
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("invocation %d: HTTP %d, body %q is not JSON: %v\nemulator output:\n%s", i+1, status, body, err, e.Output())
				}
				if len(tt.wantErr) == 0 {
					want := invocation{StatusCode: 200, Body: apitest.HelloBody, Attempts: tt.wantAttempts, URL: s.apiURL + "/hello"}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("invocation %d (-want +got):\n%s\nemulator output:\n%s", i+1, diff, e.Output())
					}
					continue
				}
				if got.ErrorMessage == "" {
					t.Fatalf("invocation %d: got %s, want an error\nemulator output:\n%s", i+1, body, e.Output())
				}
				for _, part := range tt.wantErr {
					if !strings.Contains(got.ErrorMessage, part) {
						t.Errorf("errorMessage: got %q, want it to contain %q", got.ErrorMessage, part)
					}
				}
			}
			if s.api != nil && tt.wantAttempts > 0 {
				if got, want := s.api.Requests(), tt.wantAttempts*(tt.invokes+1); got != want {
					t.Errorf("requests the API saw: got %d, want %d", got, want)
				}
			}
			if tt.wantConns > 0 {
				if got := s.api.Conns(); got != tt.wantConns {
					t.Errorf("TCP connections the API accepted: got %d, want %d", got, tt.wantConns)
				}
			}
			if tt.check != nil {
				tt.check(t, s, e)
			}
		})
	}
}

// finalLogs are the log records that end an invocation, one each.
var finalLogs = regexp.MustCompile(`"msg":"API call (succeeded|failed)"`)

// TestEmulatorProbe invokes the real bootstrap with the schedule's payload
// and reads the metric record from the function's stdout, as CloudWatch
// Logs would.
func TestEmulatorProbe(t *testing.T) {
	apitest.RIEBinary(t)
	bootstrap := build(t, ".", runtime.GOOS, runtime.GOARCH)

	ev := probe.Event{Probe: true, App: "crossregion-demo", ClientRegion: functionRegion, ClientAccount: "111122223333"}
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	probeEvent := string(payload)

	// want is one record's outcome.
	type want struct {
		success  int
		attempts int
		kind     handler.Kind // "" for success
		// minMs is the least Latency: a failed probe's includes its
		// attempts' timeouts (ATTEMPT_TIMEOUT_MS is 300).
		minMs int64
	}
	tests := []struct {
		name     string
		statuses []int
		env      []string
		// events are sent in turn to one warm function.
		events []string
		want   []want
	}{
		{name: "200", statuses: []int{200}, events: []string{probeEvent}, want: []want{{success: 1, attempts: 1}}},
		{
			name: "403", statuses: []int{403}, events: []string{probeEvent},
			want: []want{{success: 0, attempts: 1, kind: handler.KindForbidden}},
		},
		{
			name: "stalled server times out", statuses: []int{apitest.Stall}, env: []string{"MAX_ATTEMPTS", "2"},
			events: []string{probeEvent}, want: []want{{success: 0, attempts: 2, kind: handler.KindTimeout, minMs: 600}},
		},
		{name: "500, 500, 200", statuses: []int{500, 500, 200}, events: []string{probeEvent}, want: []want{{success: 1, attempts: 3}}},
		{
			// make invoke sends {}: no record for it, one for each probe.
			name: "make invoke's {} writes none", statuses: []int{200},
			events: []string{`{}`, probeEvent, `{}`, probeEvent},
			want:   []want{{success: 1, attempts: 1}, {success: 1, attempts: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := apitest.NewServer(t, tt.statuses...)
			e := apitest.StartEmulator(t, bootstrap, functionEnv(t, api.URL+"/v1", api.CertPEM(), tt.env...))

			// A last {} is the fence: the function writes to one stdout in
			// order, so once its final log line is out, every record of the
			// invocations before it is too.
			events := append(append([]string(nil), tt.events...), `{}`)
			for i, event := range events {
				status, body := e.Call(t, event)
				var got invocation
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("invocation %d: HTTP %d, body %q is not JSON: %v\nemulator output:\n%s", i+1, status, body, err, e.Output())
				}
				// The probe does not change the invocation's answer.
				failed := tt.want[0].kind != ""
				if failed != (got.ErrorMessage != "") || !failed && got.StatusCode != 200 {
					t.Fatalf("invocation %d: got %s, want failed=%v\nemulator output:\n%s", i+1, body, failed, e.Output())
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			out := e.Output()
			for len(finalLogs.FindAllString(out, -1)) < len(events) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
				out = e.Output()
			}
			if n := len(finalLogs.FindAllString(out, -1)); n != len(events) {
				t.Fatalf("got %d final log records, want %d, one per invocation\nemulator output:\n%s", n, len(events), out)
			}

			recs, errs := apitest.FindEMF(out)
			for _, err := range errs {
				t.Errorf("not an EMF record: %v", err)
			}
			if len(recs) != len(tt.want) {
				t.Fatalf("got %d EMF records, want %d, one per probe\nemulator output:\n%s", len(recs), len(tt.want), out)
			}
			for i, rec := range recs {
				w := tt.want[i]
				checkProbeRecord(t, rec, ev, w.success, w.attempts, w.kind, w.minMs)
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "_aws") {
					t.Logf("EMF record: %s", line)
				}
			}
			if t.Failed() {
				t.Logf("emulator output:\n%s", out)
			}
		})
	}
}

// checkProbeRecord checks a probe's record against internal/probe's names
// and the event's values; its Latency is at least minMs.
func checkProbeRecord(t *testing.T, rec apitest.EMF, ev probe.Event, success, attempts int, kind handler.Kind, minMs int64) {
	t.Helper()
	type directive struct {
		Namespace  string
		Dimensions [][]string
		Metrics    []string
	}
	var got []directive
	for _, d := range rec.AWS.CloudWatchMetrics {
		g := directive{Namespace: d.Namespace, Dimensions: d.Dimensions}
		for _, m := range d.Metrics {
			g.Metrics = append(g.Metrics, m.Name)
		}
		got = append(got, g)
	}
	wantDirectives := []directive{{
		Namespace:  probe.Namespace,
		Dimensions: [][]string{probe.Dimensions()},
		Metrics:    []string{probe.MetricSuccess, probe.MetricLatency, probe.MetricAttempts},
	}}
	wantMembers := map[string]any{
		probe.DimensionApp:           ev.App,
		probe.DimensionClientRegion:  ev.ClientRegion,
		probe.DimensionClientAccount: ev.ClientAccount,
		probe.MetricSuccess:          json.Number(strconv.Itoa(success)),
		probe.MetricAttempts:         json.Number(strconv.Itoa(attempts)),
	}
	if kind != "" {
		wantDirectives = append(wantDirectives, directive{
			Namespace:  probe.Namespace,
			Dimensions: [][]string{append(probe.Dimensions(), probe.DimensionFailureKind)},
			Metrics:    []string{probe.MetricFailure},
		})
		wantMembers[probe.MetricFailure] = json.Number("1")
		wantMembers[probe.DimensionFailureKind] = string(kind)
	}
	if diff := cmp.Diff(wantDirectives, got); diff != "" {
		t.Errorf("metric directives (-want +got):\n%s", diff)
	}
	members := map[string]any{}
	for k, v := range rec.Members {
		members[k] = v
	}
	latency, _ := members[probe.MetricLatency].(json.Number)
	if ms, err := latency.Int64(); err != nil || ms < minMs {
		t.Errorf("%s: got %#v, want a number of milliseconds, at least %d", probe.MetricLatency, members[probe.MetricLatency], minMs)
	}
	delete(members, probe.MetricLatency)
	if diff := cmp.Diff(wantMembers, members); diff != "" {
		t.Errorf("record members (-want +got):\n%s", diff)
	}
	if age := time.Since(time.UnixMilli(rec.AWS.Timestamp)); age < 0 || age > time.Minute {
		t.Errorf("Timestamp: got %d, %v ago, want the probe's time", rec.AWS.Timestamp, age)
	}
}

func TestBootstrapReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the function twice; skipped with -short")
	}
	var sums [2][32]byte
	for i := range sums {
		out := filepath.Join(t.TempDir(), "bootstrap")
		buildTo(t, ".", "linux", "arm64", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		sums[i] = sha256.Sum256(b)
	}
	if sums[0] != sums[1] {
		t.Errorf("linux/arm64 bootstrap built twice: got SHA-256 %x and %x, want identical bytes", sums[0], sums[1])
	}
}
