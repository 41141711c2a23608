package handler

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/internal/apitest"
	"crossregionapi/internal/probe"
)

// records are every metric record th wrote, each checked against the EMF
// specification.
func (th *testHandler) records(t *testing.T) []apitest.EMF {
	t.Helper()
	out := th.metrics.String()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("stdout: got %q, want whole lines", out)
	}
	var recs []apitest.EMF
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		rec, err := apitest.ParseEMF(line)
		if err != nil {
			t.Fatalf("stdout line %q is not an EMF record: %v", line, err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// TestProbeEachRegion checks the probe with a failover Region: each
// Region is called on its own, with no failover, and has a record of its
// own whose dimensions add ApiRegion, FailureKind after it on failure.
func TestProbeEachRegion(t *testing.T) {
	type want struct {
		attempts int
		kind     Kind
	}
	tests := []struct {
		name    string
		primary primarySetup
		// secondary are the failover API's statuses.
		secondary []int
		want      [2]want // primary, failover
		// wantRequests are the requests each server sees, when it has one.
		wantRequests [2]int
	}{
		{name: "both answer", primary: primaryServer(200), secondary: []int{200},
			want: [2]want{{attempts: 1}, {attempts: 1}}, wantRequests: [2]int{1, 1}},
		{name: "primary fails, no failover", primary: primaryServer(500), secondary: []int{200},
			want: [2]want{{attempts: 2, kind: KindServer}, {attempts: 1}}, wantRequests: [2]int{2, 1}},
		{name: "primary refused, failover forbidden", primary: primaryRefused, secondary: []int{403},
			want: [2]want{{attempts: 2, kind: KindConnection}, {attempts: 1, kind: KindForbidden}}, wantRequests: [2]int{0, 1}},
		{name: "primary answers, failover fails", primary: primaryServer(200), secondary: []int{503},
			want: [2]want{{attempts: 1}, {attempts: 2, kind: KindServer}}, wantRequests: [2]int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primaryURL, trusted, primaryCalls := tt.primary(t)
			secondary := apitest.NewServer(t, tt.secondary...)
			cfg := failoverConfig(primaryURL, secondary.URL+"/v1")
			cfg.MaxAttempts = 2
			th := newTestHandler(t, cfg, append(trusted, secondary.Server)...)
			before := th.Now().UnixMilli()

			res, err := th.Handle(context.Background(), probePayload(t, testProbe))

			if primaryCalls != nil && primaryCalls() != tt.wantRequests[0] {
				t.Errorf("requests the primary saw: got %d, want %d", primaryCalls(), tt.wantRequests[0])
			}
			if n := secondary.Requests(); n != tt.wantRequests[1] {
				t.Errorf("requests the failover API saw: got %d, want %d", n, tt.wantRequests[1])
			}
			recs := th.records(t)
			if len(recs) != 2 {
				t.Fatalf("got %d records, want 2, one per Region:\n%s", len(recs), th.metrics)
			}
			var failed []Kind
			for i, region := range []string{primaryRegion, failoverRegion} {
				w, rec := tt.want[i], recs[i]
				dirs := wantDirectives(w.kind != "")
				dirs[0].Dimensions = [][]string{{probe.DimensionApp, probe.DimensionClientRegion, probe.DimensionClientAccount, probe.DimensionAPIRegion}}
				if w.kind != "" {
					failed = append(failed, w.kind)
					dirs[1].Dimensions = [][]string{{probe.DimensionApp, probe.DimensionClientRegion, probe.DimensionClientAccount,
						probe.DimensionAPIRegion, probe.DimensionFailureKind}}
				}
				if diff := cmp.Diff(dirs, rec.AWS.CloudWatchMetrics); diff != "" {
					t.Errorf("%s record's directives (-want +got):\n%s", region, diff)
				}
				members := wantMembers(testProbe, w.attempts, w.kind)
				members[probe.DimensionAPIRegion] = region
				delete(rec.Members, probe.MetricLatency)
				if diff := cmp.Diff(members, rec.Members); diff != "" {
					t.Errorf("%s record's members (-want +got):\n%s", region, diff)
				}
				if ts := rec.AWS.Timestamp; ts < before || ts > th.Now().UnixMilli() {
					t.Errorf("%s record's Timestamp: got %d, want %d to %d", region, ts, before, th.Now().UnixMilli())
				}
			}
			if len(failed) == 0 {
				if err != nil || res.APIRegion != primaryRegion || res.URL != primaryURL+"/hello" {
					t.Errorf("Handle: got %+v, %v; want the primary's answer", res, err)
				}
				return
			}
			var re *RegionsError
			if !errors.As(err, &re) {
				t.Fatalf("Handle: got %v, want a *RegionsError", err)
			}
			var got []Kind
			for _, f := range re.Failures {
				got = append(got, f.Kind)
			}
			if diff := cmp.Diff(failed, got); diff != "" {
				t.Errorf("failures in the error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProbeLeavesBreaker: a probe that finds the primary failing does not
// send the next call to the failover Region first; only calls move the
// breaker.
func TestProbeLeavesBreaker(t *testing.T) {
	primary := apitest.NewServer(t, 500, 500, 200)
	secondary := apitest.NewServer(t, 200)
	cfg := failoverConfig(primary.URL+"/v1", secondary.URL+"/v1")
	cfg.MaxAttempts = 2
	th := newTestHandler(t, cfg, primary.Server, secondary.Server)

	_, _ = th.Handle(context.Background(), probePayload(t, testProbe))
	res, err := th.Handle(context.Background(), json.RawMessage(`{}`))

	if err != nil || res.APIRegion != primaryRegion {
		t.Errorf("the call after a failed probe: got %+v, %v; want the primary's answer", res, err)
	}
}

// TestProbeEachRegionAtOnce: the Regions are probed at once, so a Region
// that does not answer until the invocation's deadline leaves the other
// its whole budget, and each record's latency is its own.
func TestProbeEachRegionAtOnce(t *testing.T) {
	primary := apitest.NewServer(t, apitest.Stall)
	secondary := apitest.NewServer(t, 200)
	cfg := failoverConfig(primary.URL+"/v1", secondary.URL+"/v1")
	cfg.AttemptTimeout, cfg.MaxAttempts = 2*time.Second, 1
	th := newTestHandler(t, cfg, primary.Server, secondary.Server)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()

	_, _ = th.Handle(ctx, probePayload(t, testProbe))

	recs := th.records(t)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	latency := func(rec apitest.EMF) int64 {
		n, _ := rec.Members[probe.MetricLatency].(json.Number).Int64()
		return n
	}
	if got := []any{recs[0].Members[probe.DimensionFailureKind], recs[1].Members[probe.MetricSuccess]}; !slices.Equal(got, []any{string(KindTimeout), json.Number("1")}) {
		t.Errorf("records: got failure kind %v and success %v, want the primary's timeout and the failover's success", got[0], got[1])
	}
	// Probed one after the other, the failover Region would start only
	// once the primary's stall ended at the deadline's reserve, and could
	// not answer at all; probed at once, it answers in its own time, which
	// a loaded machine may stretch, but not past the primary's.
	if p, f := latency(recs[0]), latency(recs[1]); p < 350 || f >= p {
		t.Errorf("latencies: primary %d ms, failover %d ms; want the primary's, cut at the deadline's reserve (350 ms or more), and the failover's own answer (under it)", p, f)
	}
}
