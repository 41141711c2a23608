//go:build linux

package main_test

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"crossregionapi/internal/apitest"
)

// BenchmarkFailover times, through the emulator, the answer of a warm
// function with a failover Region whose primary is healthy, refuses
// connections, or accepts them and never answers, and the call after a
// failure, which the breaker sends straight to the failover Region. The
// refused and silent rows run with a 1 ms cool-down, so every call meets
// the failure again; the connect timeout is the default, 1 s.
func BenchmarkFailover(b *testing.B) {
	const (
		n       = 50
		nSilent = 5
	)
	boot := build(b, ".", runtime.GOOS, runtime.GOARCH)
	secondary := apitest.NewServer(b)
	healthy := apitest.NewServer(b)

	// samples invokes a function, once to warm it and to trip its breaker
	// if the primary fails, then count times, in milliseconds.
	samples := func(primaryURL string, count int, extra ...string) []float64 {
		e := apitest.StartEmulator(b, boot, failoverEnv(b, primaryURL, secondary.URL+"/v1", secondary.CertPEM(), extra...))
		defer e.Stop()
		call := func() {
			status, body := e.Call(b, `{}`)
			if status != http.StatusOK {
				b.Fatalf("invocation: HTTP %d %s", status, body)
			}
		}
		call()
		var ms []float64
		for range count {
			start := time.Now()
			call()
			ms = append(ms, float64(time.Since(start))/float64(time.Millisecond))
		}
		return ms
	}
	base := percentile(samples(healthy.URL+"/v1", n), 50)
	refused := percentile(samples(apitest.ClosedPortURL(b)+"/v1", n, "FAILOVER_COOLDOWN_MS", "1"), 50)
	silent := percentile(samples(apitest.NewSilent(b).URL+"/v1", nSilent, "FAILOVER_COOLDOWN_MS", "1"), 50)
	warm := percentile(samples(apitest.NewSilent(b).URL+"/v1", n), 50)
	for b.Loop() {
	}

	record(b, "failover-refused-p50-ms", figure{name: fmt.Sprintf("failover: refused primary, p50 of %d (ms) vs healthy primary", n),
		value: refused, baseline: base, goal: "<= 100 ms", holds: valueAtMost(100)})
	record(b, "failover-silent-p50-ms", figure{name: fmt.Sprintf("failover: silent primary, connect timeout 1 s, median of %d (ms) vs healthy primary", nSilent),
		value: silent, baseline: base, goal: "<= 1100 ms", holds: valueAtMost(1100)})
	record(b, "failover-warm-p50-ms", figure{name: fmt.Sprintf("failover: warm call after a failure, breaker open, p50 of %d (ms) vs healthy primary", n),
		value: warm, baseline: base, goal: "<= healthy + 1 ms", holds: func(v, _ float64) bool { return v <= base+1 }})
}
