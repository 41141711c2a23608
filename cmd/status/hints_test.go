package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"crossregionapi/config"
	"crossregionapi/functions/apiclient/handler"
)

// The hints are the handler's: a call failing each way through the real
// handler carries, in its CallError, the hint status gives for its kind.
// The handler keeps its hints unexported, so this is what keeps the two
// copies in step.
func TestHintsAreTheHandlers(t *testing.T) {
	serve := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	status := func(code int) string {
		return serve(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) })
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	untrusted := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "test"}, nil
	})
	noCreds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no credentials")
	})
	cases := []struct {
		name  string
		url   string
		creds aws.CredentialsProvider
		kind  handler.Kind
	}{
		{"403", status(http.StatusForbidden), creds, handler.KindForbidden},
		{"429", status(http.StatusTooManyRequests), creds, handler.KindThrottled},
		{"500", status(http.StatusInternalServerError), creds, handler.KindServer},
		{"404", status(http.StatusNotFound), creds, handler.KindStatus},
		{"400", status(http.StatusBadRequest), creds, handler.KindStatus},
		{"no answer in time", serve(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}), creds, handler.KindTimeout},
		{"connection refused", refused, creds, handler.KindConnection},
		{"a certificate nobody trusts", untrusted.URL, creds, handler.KindTLS},
		{"no credentials", status(http.StatusOK), noCreds, handler.KindCredentials},
	}
	for _, transport := range []string{config.TransportPeering, config.TransportPrivateLink} {
		for _, tc := range cases {
			t.Run(transport+"/"+tc.name, func(t *testing.T) {
				h := handler.New(handler.Config{APIURL: tc.url + "/v1", APIRegion: "us-east-1", APIResource: "hello",
					// Long enough for a TLS handshake on a loaded machine; the
					// "no answer in time" case waits for it once.
					AttemptTimeout: 2 * time.Second, MaxAttempts: 1, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond,
					Transport: transport},
					&http.Client{Transport: &http.Transport{}}, tc.creds, slog.New(slog.DiscardHandler))
				_, err := h.Handle(context.Background(), json.RawMessage(`{}`))
				var ce *handler.CallError
				if !errors.As(err, &ce) || ce.Kind != tc.kind {
					t.Fatalf("the handler answered %v, want a CallError of kind %s", err, tc.kind)
				}
				got := kindHint(tc.kind, "us-east-1", transport)
				// The metrics do not keep the status that picks one of the
				// handler's two hints for unexpected_status: status gives both.
				if tc.kind == handler.KindStatus && strings.Contains(got, ce.Hint) {
					return
				}
				if got != ce.Hint {
					t.Errorf("status's hint for %s over %s:\n%s\nthe handler's:\n%s", tc.kind, transport, got, ce.Hint)
				}
			})
		}
	}
}

// status hands the configuration's transport to kindHint, and the client
// constructs hand the same value to the function (API_TRANSPORT), whose
// handler reads it by the names it has for it: one name for each.
func TestTransportNamesAreTheHandlers(t *testing.T) {
	if config.TransportPeering != handler.TransportPeering || config.TransportPrivateLink != handler.TransportPrivateLink {
		t.Errorf("config's transports %q and %q, the handler's %q and %q: want the same", config.TransportPeering,
			config.TransportPrivateLink, handler.TransportPeering, handler.TransportPrivateLink)
	}
	if kindHint(handler.KindTimeout, "us-east-1", config.TransportPeering) == kindHint(handler.KindTimeout, "us-east-1", config.TransportPrivateLink) {
		t.Error("the timeout hint is the same for both transports")
	}
}
