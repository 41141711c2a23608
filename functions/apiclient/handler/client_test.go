package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"crossregionapi/internal/apitest"
)

// proxyChildEnv marks the process TestHandleIgnoresProxyEnvironment
// re-runs itself in, with the proxy variables set from its start.
const proxyChildEnv = "APICLIENT_TEST_PROXY_CHILD"

// proxiedHost is the API's hostname in the proxy test. It must not look
// local, because ProxyFromEnvironment never proxies localhost or a
// loopback address, and httptest's certificate covers it.
const proxiedHost = "api.example.com"

// TestHandleIgnoresProxyEnvironment sets HTTPS_PROXY and HTTP_PROXY to a
// listener that counts connections and checks that the call still goes
// straight to the API: through a proxy it would not leave by the VPC
// peering connection, and the API's aws:SourceVpce condition would deny it.
//
// net/http reads the proxy variables once per process (a sync.Once behind
// ProxyFromEnvironment), so setting them in this process would be too late
// if any earlier request had read them. The test therefore re-runs itself
// in a child process whose environment holds them from its start; the
// listener stays here, so the count is this process's own.
func TestHandleIgnoresProxyEnvironment(t *testing.T) {
	if os.Getenv(proxyChildEnv) != "" {
		callWithProxyEnvironment(t)
		return
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var proxied atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			// Counted before closing, so a proxied call fails only after
			// it has been counted.
			proxied.Add(1)
			conn.Close()
		}
	}()
	proxyURL := "http://" + ln.Addr().String()

	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), proxyChildEnv+"=1",
		"HTTPS_PROXY="+proxyURL, "https_proxy="+proxyURL,
		"HTTP_PROXY="+proxyURL, "http_proxy="+proxyURL,
		"NO_PROXY=", "no_proxy=")
	out, err := cmd.CombinedOutput()
	if n := proxied.Load(); n != 0 {
		t.Errorf("connections to the proxy in HTTPS_PROXY: got %d, want 0 (the client must take no proxy from the environment)", n)
	}
	if err != nil {
		t.Errorf("the call with HTTPS_PROXY=%s set, in a child process: %v\n%s", proxyURL, err, out)
	}
}

// callWithProxyEnvironment is the child's half of
// TestHandleIgnoresProxyEnvironment.
func callWithProxyEnvironment(t *testing.T) {
	srv := apitest.NewServer(t, http.StatusOK)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	apiHost := net.JoinHostPort(proxiedHost, port)
	cfg := testConfig("https://" + apiHost + "/v1")
	cfg.MaxAttempts = 1
	th := newTestHandler(t, cfg, srv.Server)
	// The API's hostname resolves to the test server; any other address,
	// such as a proxy's, is dialled as it is.
	transport := th.Client.Transport.(*http.Transport)
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == apiHost {
			addr = srv.Listener.Addr().String()
		}
		return dial(ctx, network, addr)
	}

	// Without a proxy ProxyFromEnvironment would choose, a client that
	// used it would pass too, and the test would prove nothing.
	req, err := http.NewRequest(http.MethodGet, cfg.TargetURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := http.ProxyFromEnvironment(req); err != nil || u == nil {
		t.Fatalf("test setup: ProxyFromEnvironment(%s): got %v, %v; want the proxy in HTTPS_PROXY=%q",
			req.URL, u, err, os.Getenv("HTTPS_PROXY"))
	}

	got, err := th.Handle(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatalf("Handle with HTTPS_PROXY=%s: got error %v, want the API's answer, straight from the API", os.Getenv("HTTPS_PROXY"), err)
	}
	if got.StatusCode != http.StatusOK || got.Body != apitest.HelloBody {
		t.Errorf("Handle with HTTPS_PROXY set: got HTTP %d %q, want HTTP 200 %q", got.StatusCode, got.Body, apitest.HelloBody)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("requests the API saw: got %d, want 1", n)
	}
}

// TestHandleDoesNotFollowRedirects answers with a redirect to a second
// server. Following it would send a request signed for one URL to another
// (and to wherever the answer points); the 3xx must instead be reported,
// with a hint at API_URL, and the second server must never be called.
func TestHandleDoesNotFollowRedirects(t *testing.T) {
	for _, status := range []int{
		http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect,
	} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			target := apitest.NewServer(t, http.StatusOK)
			var requests atomic.Int32
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				http.Redirect(w, r, target.URL+"/v1/hello", status)
			}))
			t.Cleanup(srv.Close)
			// Both servers are trusted, so only the client's redirect policy
			// stands between the two.
			th := newTestHandler(t, testConfig(srv.URL+"/v1"), srv, target.Server)

			_, err := th.Handle(context.Background(), json.RawMessage(`{}`))

			if n := target.Requests(); n != 0 {
				t.Errorf("requests the redirect's target saw: got %d, want 0 (no redirect may be followed)", n)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("requests the redirecting server saw: got %d, want 1", n)
			}
			checkCallError(t, err, srv.URL+"/v1/hello", KindStatus, 1, []string{fmt.Sprintf("HTTP %d", status), "API_URL"})
			var ce *CallError
			if errors.As(err, &ce) && ce.Status != status {
				t.Errorf("CallError.Status: got %d, want %d", ce.Status, status)
			}
		})
	}
}

// TestHandleTimeoutLayers stalls the server and checks that each of the
// two per-attempt timeouts ends every attempt on its own, with the other
// set to an hour:
//
//   - the per-attempt context in Handler.attempt, made from the Handler's
//     Config.AttemptTimeout, with a client built for an hour;
//   - the client's own timeouts from NewHTTPClient (http.Client.Timeout,
//     the transport's ResponseHeaderTimeout), with a Handler whose
//     Config.AttemptTimeout is an hour.
//
// Each layer meets two stalls: before the response headers, and after
// the headers and half the body. Only http.Client.Timeout covers the
// second on the client's side, since ResponseHeaderTimeout has passed by
// then; so removing Client.Timeout fails the "mid-body" case of the client
// layer, removing the client layer entirely fails both its cases, and
// removing the per-attempt context fails both of the context's.
//
// The invocation's context has a 3 s deadline as a safety net, so a
// missing layer makes Handle return at that deadline, after one attempt,
// rather than hang; the test then fails on the time taken and the count.
func TestHandleTimeoutLayers(t *testing.T) {
	const (
		short  = 150 * time.Millisecond
		long   = time.Hour
		safety = 3 * time.Second
	)
	tests := []struct {
		name                          string
		stall                         int
		clientTimeout, attemptTimeout time.Duration
		// layer names what alone can end the stall, for the failure message.
		layer string
	}{
		{
			name: "context alone, stall before headers", stall: apitest.Stall,
			clientTimeout: long, attemptTimeout: short, layer: "the per-attempt context in Handler.attempt",
		},
		{
			name: "context alone, stall mid-body", stall: apitest.StallBody,
			clientTimeout: long, attemptTimeout: short, layer: "the per-attempt context in Handler.attempt",
		},
		{
			name: "client alone, stall before headers", stall: apitest.Stall,
			clientTimeout: short, attemptTimeout: long, layer: "NewHTTPClient's Timeout or ResponseHeaderTimeout",
		},
		{
			name: "client alone, stall mid-body", stall: apitest.StallBody,
			clientTimeout: short, attemptTimeout: long, layer: "NewHTTPClient's http.Client.Timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := apitest.NewServer(t, tt.stall)
			cfg := testConfig(srv.URL + "/v1")
			cfg.AttemptTimeout, cfg.MaxAttempts = tt.attemptTimeout, 2
			th := newTestHandler(t, cfg, srv.Server)
			clientCfg := cfg
			clientCfg.AttemptTimeout = tt.clientTimeout
			th.Client = newTestClient(t, clientCfg, srv.Server)
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()

			start := time.Now()
			_, err := th.Handle(ctx, json.RawMessage(`{}`))
			elapsed := time.Since(start)

			if limit := 2*short + time.Second; elapsed > limit {
				t.Errorf("Handle took %v, want under %v: %s must end each stalled attempt after %v",
					elapsed.Round(time.Millisecond), limit, tt.layer, short)
			}
			checkCallError(t, err, srv.URL+"/v1/hello", KindTimeout, 2, []string{"2 attempts", "(timeout)", networkHintPart})
			if n := srv.Requests(); n != 2 {
				t.Errorf("requests the server saw: got %d, want 2", n)
			}
		})
	}
}
