package handler

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/internal/apitest"
	"crossregionapi/internal/probe"
)

// testProbe is the payload the schedule sends, as the stack builds it.
var testProbe = probe.Event{Probe: true, App: "crossregion-demo", ClientRegion: "us-west-2", ClientAccount: "111122223333"}

func probePayload(t *testing.T, ev probe.Event) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// onlyRecord is the one metric record th wrote, checked against the EMF
// specification; it fails the test unless stdout holds exactly one line.
func (th *testHandler) onlyRecord(t *testing.T) apitest.EMF {
	t.Helper()
	out := th.metrics.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("stdout: got %q, want exactly one line", out)
	}
	rec, err := apitest.ParseEMF(strings.TrimSuffix(out, "\n"))
	if err != nil {
		t.Fatalf("stdout %q is not an EMF record: %v", out, err)
	}
	return rec
}

// wantDirectives are the metric directives of a probe that succeeded, or
// that failed.
func wantDirectives(failed bool) []apitest.EMFDirective {
	ds := []apitest.EMFDirective{{
		Namespace:  probe.Namespace,
		Dimensions: [][]string{probe.Dimensions()},
		Metrics: []apitest.EMFMetric{
			{Name: probe.MetricSuccess, Unit: "Count"},
			{Name: probe.MetricLatency, Unit: "Milliseconds"},
			{Name: probe.MetricAttempts, Unit: "Count"},
		},
	}}
	if failed {
		ds = append(ds, apitest.EMFDirective{
			Namespace:  probe.Namespace,
			Dimensions: [][]string{append(probe.Dimensions(), probe.DimensionFailureKind)},
			Metrics:    []apitest.EMFMetric{{Name: probe.MetricFailure, Unit: "Count"}},
		})
	}
	return ds
}

// wantMembers are the root members of ev's record, but for Latency.
func wantMembers(ev probe.Event, attempts int, kind Kind) map[string]any {
	m := map[string]any{
		probe.DimensionApp:           ev.App,
		probe.DimensionClientRegion:  ev.ClientRegion,
		probe.DimensionClientAccount: ev.ClientAccount,
		probe.MetricSuccess:          json.Number("1"),
		probe.MetricAttempts:         json.Number(strconv.Itoa(attempts)),
	}
	if kind != "" {
		m[probe.MetricSuccess] = json.Number("0")
		m[probe.MetricFailure] = json.Number("1")
		m[probe.DimensionFailureKind] = string(kind)
	}
	return m
}

func TestProbeRecord(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the API_URL and the servers the client trusts.
		setup        func(t *testing.T) (string, []*httptest.Server)
		wantAttempts int
		// wantKind is "" for a probe that succeeds.
		wantKind Kind
	}{
		{name: "200", setup: statuses(200), wantAttempts: 1},
		{name: "500, 500, 200", setup: statuses(500, 500, 200), wantAttempts: 3},
		{name: "403", setup: statuses(403), wantAttempts: 1, wantKind: KindForbidden},
		{name: "500 on every attempt", setup: statuses(500), wantAttempts: 2, wantKind: KindServer},
		{name: "stalled server times out", setup: statuses(apitest.Stall), wantAttempts: 2, wantKind: KindTimeout},
		{
			name: "closed port",
			setup: func(t *testing.T) (string, []*httptest.Server) {
				return apitest.ClosedPortURL(t) + "/v1", nil
			},
			wantAttempts: 2, wantKind: KindConnection,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiURL, trusted := tt.setup(t)
			cfg := testConfig(apiURL)
			cfg.AttemptTimeout = 150 * time.Millisecond
			cfg.MaxAttempts = 2
			if tt.wantKind == "" {
				cfg.MaxAttempts = 3
			}
			th := newTestHandler(t, cfg, trusted...)
			before := th.Now().UnixMilli()

			res, err := th.Handle(context.Background(), probePayload(t, testProbe))

			// The invocation's answer is what it is without a probe.
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Handle: got error %v, want none", err)
				}
				if res.StatusCode != 200 || res.Attempts != tt.wantAttempts {
					t.Errorf("Handle: got %+v, want status 200 after %d attempts", res, tt.wantAttempts)
				}
			} else {
				checkCallError(t, err, apiURL+"/hello", tt.wantKind, tt.wantAttempts, nil)
				if res != (Result{}) {
					t.Errorf("Handle: got result %+v with the error, want none", res)
				}
			}

			rec := th.onlyRecord(t)
			if diff := cmp.Diff(wantDirectives(tt.wantKind != ""), rec.AWS.CloudWatchMetrics); diff != "" {
				t.Errorf("metric directives (-want +got):\n%s", diff)
			}
			latency, ok := rec.Members[probe.MetricLatency].(json.Number)
			delete(rec.Members, probe.MetricLatency)
			if diff := cmp.Diff(wantMembers(testProbe, tt.wantAttempts, tt.wantKind), rec.Members); diff != "" {
				t.Errorf("record members (-want +got):\n%s", diff)
			}
			ms, lerr := latency.Int64()
			if !ok || lerr != nil || ms < 0 || ms > th.Now().UnixMilli()-before {
				t.Errorf("%s: got %v, want the call's milliseconds, 0 to %d", probe.MetricLatency, latency, th.Now().UnixMilli()-before)
			}
			// A failed probe's latency is the time it took, its backoff
			// waits and attempt timeouts included: a failure reported as
			// 0 ms would pull p99 down exactly when the path is slowest.
			minMs := th.slept.Milliseconds()
			if tt.wantKind == KindTimeout {
				minMs += int64(tt.wantAttempts) * cfg.AttemptTimeout.Milliseconds()
			}
			if ms < minMs {
				t.Errorf("%s: got %d ms, want at least %d (the waits and timeouts of its %d attempts)", probe.MetricLatency, ms, minMs, tt.wantAttempts)
			}
			if tt.wantKind == "" && ms != res.LatencyMs {
				t.Errorf("%s: got %d, want the result's latencyMs %d", probe.MetricLatency, ms, res.LatencyMs)
			}
			if ts := rec.AWS.Timestamp; ts < before || ts > th.Now().UnixMilli() {
				t.Errorf("Timestamp: got %d, want the call's start, %d to %d", ts, before, th.Now().UnixMilli())
			}
		})
	}
}

// statuses is a setup: a server answering with the given statuses.
func statuses(s ...int) func(t *testing.T) (string, []*httptest.Server) {
	return func(t *testing.T) (string, []*httptest.Server) {
		srv := apitest.NewServer(t, s...)
		return srv.URL + "/v1", []*httptest.Server{srv.Server}
	}
}

func TestProbeRecordDeadline(t *testing.T) {
	// The invocation's deadline, not the attempt timeout, ends the call
	// (TestHandleAttemptEndsBeforeDeadlineReserve pins the reserve): the
	// record is still written, with the timeout kind.
	srv := apitest.NewServer(t, apitest.Stall)
	cfg := testConfig(srv.URL + "/v1")
	cfg.AttemptTimeout = 10 * time.Second
	th := newTestHandler(t, cfg, srv.Server)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()

	_, err := th.Handle(ctx, probePayload(t, testProbe))

	checkCallError(t, err, srv.URL+"/v1/hello", KindTimeout, 1, nil)
	rec := th.onlyRecord(t)
	if got := rec.Members[probe.DimensionFailureKind]; got != string(KindTimeout) {
		t.Errorf("%s: got %v, want %s", probe.DimensionFailureKind, got, KindTimeout)
	}
}

func TestProbeRecordNotWritten(t *testing.T) {
	for _, event := range []string{
		`{}`,
		`{"probe":false,"app":"crossregion-demo","clientRegion":"us-west-2","clientAccount":"111122223333"}`,
		`{"app":"crossregion-demo","clientRegion":"us-west-2","clientAccount":"111122223333"}`,
		`{"probe":"true"}`,
		`null`,
		`[]`,
		`"probe"`,
		`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`,
	} {
		t.Run(event, func(t *testing.T) {
			srv := apitest.NewServer(t, 200)
			th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv.Server)

			res, err := th.Handle(context.Background(), json.RawMessage(event))

			if err != nil || res.StatusCode != 200 {
				t.Fatalf("Handle: got %+v, %v; want the call's result", res, err)
			}
			if th.metrics.Len() != 0 {
				t.Errorf("stdout: got %q, want no metric record", th.metrics)
			}
		})
	}
}

func TestProbeRecordIsOneLine(t *testing.T) {
	// Values with a newline, quotes and non-ASCII stay one JSON line and
	// come back as sent.
	ev := probe.Event{Probe: true, App: "a\nb \"c\" <d>", ClientRegion: "us-west-2\r\n", ClientAccount: "ünïcode\u2028"}
	srv := apitest.NewServer(t, 403)
	th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv.Server)

	_, _ = th.Handle(context.Background(), probePayload(t, ev))

	rec := th.onlyRecord(t)
	got := []any{rec.Members[probe.DimensionApp], rec.Members[probe.DimensionClientRegion], rec.Members[probe.DimensionClientAccount]}
	want := []any{ev.App, ev.ClientRegion, ev.ClientAccount}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dimension values (-want +got):\n%s", diff)
	}
}

// A probe event without one of the dimension values still gets its call
// made and its record written, but its metrics are not the ones its alarm
// watches: the handler says so in a WARN record, whichever value is
// missing, rather than leave the alarm to fire on missing data unexplained.
func TestProbeWithoutDimensionValues(t *testing.T) {
	for _, event := range []string{
		`{"probe":true}`,
		`{"probe":true,"clientRegion":"us-west-2","clientAccount":"111122223333"}`,
		`{"probe":true,"app":"crossregion-demo","clientAccount":"111122223333"}`,
		`{"probe":true,"app":"crossregion-demo","clientRegion":"us-west-2"}`,
		`{"probe":true,"app":"crossregion-demo","clientRegion":"","clientAccount":"111122223333"}`,
	} {
		t.Run(event, func(t *testing.T) {
			srv := apitest.NewServer(t, 200)
			th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv.Server)

			res, err := th.Handle(context.Background(), json.RawMessage(event))

			if err != nil || res.StatusCode != 200 {
				t.Fatalf("Handle: got %+v, %v; want the call's result", res, err)
			}
			if out := th.metrics.String(); strings.Count(out, "\n") != 1 || !json.Valid([]byte(out)) {
				t.Errorf("stdout: got %q, want one JSON record", out)
			}
			if !strings.Contains(th.logs.String(), `"level":"WARN","msg":"probe event lacks a dimension value`) {
				t.Errorf("log: got\n%s\nwant a WARN record about the missing dimension value", th.logs)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

func TestProbeRecordWriteFailure(t *testing.T) {
	srv := apitest.NewServer(t, 200)
	th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv.Server)
	th.Metrics = failingWriter{}

	res, err := th.Handle(context.Background(), probePayload(t, testProbe))

	if err != nil || res.StatusCode != 200 {
		t.Fatalf("Handle: got %+v, %v; want the call's result", res, err)
	}
	if rec := th.lastLog(t); rec["level"] != "ERROR" || !strings.Contains(rec["error"].(string), "stdout closed") {
		t.Errorf("log: got %v, want an ERROR naming the write failure", rec)
	}
}

// TestProbeNamesFromPackage keeps the record's names in internal/probe:
// the handler's code spells none of them as a string literal, so the
// metric it writes is the metric the alarm watches.
func TestProbeNamesFromPackage(t *testing.T) {
	names := map[string]bool{probe.Namespace: true}
	for _, n := range append(probe.Dimensions(), probe.DimensionFailureKind,
		probe.MetricSuccess, probe.MetricLatency, probe.MetricAttempts, probe.MetricFailure) {
		names[n] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && names[s] {
				t.Errorf("%s: string literal %s; use the name from internal/probe", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
	}
}
