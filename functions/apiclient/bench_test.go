//go:build linux

package main_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"crossregionapi/functions/apiclient/handler"
	"crossregionapi/internal/apitest"
)

// figure is one row of the table printed after the benchmarks.
type figure struct {
	name     string
	value    float64
	baseline float64 // NaN when there is none
	goal     string
	holds    func(value, ratio float64) bool // nil for a figure without a goal
}

var figures struct {
	sync.Mutex
	rows []figure
}

func record(b *testing.B, unit string, f figure) {
	b.ReportMetric(f.value, unit)
	if !math.IsNaN(f.baseline) && f.baseline != 0 {
		b.ReportMetric(f.value/f.baseline, unit+"-ratio")
	}
	figures.Lock()
	defer figures.Unlock()
	figures.rows = append(figures.rows, f)
}

func printFigures(w io.Writer) {
	figures.Lock()
	defer figures.Unlock()
	if len(figures.rows) == 0 {
		return
	}
	// Markdown rows, so the README's table is this output as printed.
	fmt.Fprintln(w, "| figure | value | baseline | ratio | goal | holds |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	num := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.3f", v)
	}
	for _, f := range figures.rows {
		ratio := math.NaN()
		if !math.IsNaN(f.baseline) && f.baseline != 0 {
			ratio = f.value / f.baseline
		}
		holds := "-"
		if f.holds != nil {
			holds = "no"
			if f.holds(f.value, ratio) {
				holds = "yes"
			}
		}
		goal := f.goal
		if goal == "" {
			goal = "-"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", f.name, num(f.value), num(f.baseline), num(ratio), goal, holds)
	}
}

func ratioAtMost(limit float64) func(float64, float64) bool {
	return func(_, ratio float64) bool { return ratio <= limit }
}

func valueAtMost(limit float64) func(float64, float64) bool {
	return func(value, _ float64) bool { return value <= limit }
}

func BenchmarkBinarySize(b *testing.B) {
	size := func(pkg string) float64 {
		fi, err := os.Stat(build(b, pkg, "linux", "arm64"))
		if err != nil {
			b.Fatal(err)
		}
		return float64(fi.Size())
	}
	boot, hello := size("."), size("./testdata/hello")
	for b.Loop() {
	}
	record(b, "bootstrap-bytes", figure{name: "bootstrap size, linux/arm64 (bytes) vs hello",
		value: boot, baseline: hello})
}

func BenchmarkColdInit(b *testing.B) {
	const runs = 10
	boot := build(b, ".", runtime.GOOS, runtime.GOARCH)
	hello := build(b, "./testdata/hello", runtime.GOOS, runtime.GOARCH)
	srv := apitest.NewServer(b)
	env := functionEnv(b, srv.URL+"/v1", srv.CertPEM())

	coldInit := func(bin string) float64 {
		e := apitest.StartEmulator(b, bin, env)
		defer e.Stop()
		if status, body := e.Call(b, `{}`); status != http.StatusOK {
			b.Fatalf("cold invocation of %s: HTTP %d %s", bin, status, body)
		}
		return float64(e.InitDuration(b)) / float64(time.Millisecond)
	}
	var bootMs, helloMs []float64
	// Alternating keeps drift in the machine's load from favouring either.
	for range runs {
		bootMs = append(bootMs, coldInit(boot))
		helloMs = append(helloMs, coldInit(hello))
	}
	for b.Loop() {
	}
	record(b, "init-median-ms", figure{name: fmt.Sprintf("cold init under emulator, median of %d (ms) vs hello", runs),
		value: percentile(bootMs, 50), baseline: percentile(helloMs, 50)})
}

func BenchmarkWarmInvoke(b *testing.B) {
	const n = 200
	boot := build(b, ".", runtime.GOOS, runtime.GOARCH)
	hello := build(b, "./testdata/hello", runtime.GOOS, runtime.GOARCH)
	srv := apitest.NewServer(b)
	env := functionEnv(b, srv.URL+"/v1", srv.CertPEM())
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	// The function through the emulator: the emulator's HTTP hop, its
	// Runtime API hop, and the function's own work.
	fn := apitest.StartEmulator(b, boot, env)
	viaEmulator := func() {
		if status, body := fn.Call(b, `{}`); status != http.StatusOK || !json.Valid(body) {
			b.Fatalf("invocation: HTTP %d %s", status, body)
		}
	}
	// hello through the emulator: the same hops, no work.
	hi := apitest.StartEmulator(b, hello, env)
	helloViaEmulator := func() {
		if status, body := hi.Call(b, `{}`); status != http.StatusOK {
			b.Fatalf("hello invocation: HTTP %d %s", status, body)
		}
	}
	// A plain GET on a reused connection: the floor for any client.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer plain.CloseIdleConnections()
	plainGET := func() {
		resp, err := plain.Get(srv.URL + "/v1/hello")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Handle in this process: signing, retries bookkeeping, logging, and
	// the same GET.
	cfg, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	client := handler.NewHTTPClient(cfg)
	client.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	defer client.CloseIdleConnections()
	h := handler.New(cfg, client, credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", sessionToken),
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	inProcess := func() {
		if _, err := h.Handle(context.Background(), json.RawMessage(`{}`)); err != nil {
			b.Fatal(err)
		}
	}

	kinds := []func(){viaEmulator, helloViaEmulator, plainGET, inProcess}
	samples := make([][]float64, len(kinds))
	for _, f := range kinds { // cold starts and first connections
		f()
	}
	// Interleaved, so each kind sees the same machine state.
	for range n {
		for k, f := range kinds {
			start := time.Now()
			f()
			samples[k] = append(samples[k], float64(time.Since(start))/float64(time.Millisecond))
		}
	}
	for b.Loop() {
	}

	rie50, rie99 := percentile(samples[0], 50), percentile(samples[0], 99)
	hop50 := percentile(samples[1], 50)
	get50, get99 := percentile(samples[2], 50), percentile(samples[2], 99)
	in50, in99 := percentile(samples[3], 50), percentile(samples[3], 99)
	nan := math.NaN()
	record(b, "rie-p50-ms", figure{name: fmt.Sprintf("warm invoke via emulator, p50 of %d (ms) vs plain GET", n), value: rie50, baseline: get50})
	record(b, "rie-p99-ms", figure{name: fmt.Sprintf("warm invoke via emulator, p99 of %d (ms) vs plain GET", n), value: rie99, baseline: get99})
	record(b, "hop-p50-ms", figure{name: "emulator hop: hello via emulator, p50 (ms)", value: hop50, baseline: nan})
	record(b, "overhead-raw-p50-ms", figure{name: "p50 overhead via emulator over plain GET (ms)",
		value: rie50 - get50, baseline: nan, goal: "<= 1 ms", holds: valueAtMost(1)})
	record(b, "overhead-net-p50-ms", figure{name: "p50 overhead via emulator less its hop (ms)",
		value: rie50 - hop50 - get50, baseline: nan, goal: "<= 1 ms", holds: valueAtMost(1)})
	record(b, "handle-p50-ms", figure{name: fmt.Sprintf("Handle in-process, p50 of %d (ms) vs plain GET", n), value: in50, baseline: get50})
	record(b, "handle-p99-ms", figure{name: fmt.Sprintf("Handle in-process, p99 of %d (ms) vs plain GET", n), value: in99, baseline: get99})
	record(b, "overhead-inproc-p50-ms", figure{name: "p50 overhead of Handle over plain GET (ms)",
		value: in50 - get50, baseline: nan, goal: "<= 1 ms", holds: valueAtMost(1)})
}

func BenchmarkConnections(b *testing.B) {
	const n = 100
	boot := build(b, ".", runtime.GOOS, runtime.GOARCH)
	srv := apitest.NewServer(b)
	e := apitest.StartEmulator(b, boot, functionEnv(b, srv.URL+"/v1", srv.CertPEM()))
	for range n + 1 { // one cold, n warm
		if status, body := e.Call(b, `{}`); status != http.StatusOK {
			b.Fatalf("invocation: HTTP %d %s", status, body)
		}
	}
	if got := srv.Requests(); got != n+1 {
		b.Fatalf("requests the API saw: got %d, want %d", got, n+1)
	}
	for b.Loop() {
	}
	record(b, "conns-per-100", figure{name: fmt.Sprintf("TCP connections for 1 cold + %d warm invocations", n),
		value: float64(srv.Conns()), baseline: 1, goal: "== 1", holds: valueAtMost(1)})
}

// percentile is the nearest-rank percentile p of xs.
func percentile(xs []float64, p float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}
