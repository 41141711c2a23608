package handler

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFromEnv(t *testing.T) {
	const apiURL = "https://abc123.execute-api.us-east-1.amazonaws.com/v1"
	base := map[string]string{EnvAPIURL: apiURL, EnvAPIRegion: "us-east-1"}
	with := func(kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	defaults := Config{
		APIURL: apiURL, APIRegion: "us-east-1", APIResource: "hello",
		AttemptTimeout: 3 * time.Second, MaxAttempts: 3,
		BackoffBase: 100 * time.Millisecond, BackoffMax: 2 * time.Second,
		Transport: TransportPeering,
	}
	privateLink := defaults
	privateLink.Transport = TransportPrivateLink

	tests := []struct {
		name string
		env  map[string]string
		want Config
		// wantErr are the parts the error must name; empty means no error.
		wantErr []string
	}{
		{name: "defaults", env: base, want: defaults},
		{
			name: "every variable set",
			env: map[string]string{
				EnvAPIURL: apiURL + "/", EnvAPIRegion: "us-gov-west-1", EnvAPIResource: "/v2/hello/",
				EnvAttemptTimeout: "250", EnvMaxAttempts: "10", EnvBackoffBase: "0", EnvBackoffMax: "0",
				EnvAPITransport: " privatelink ",
			},
			want: Config{
				APIURL: apiURL, APIRegion: "us-gov-west-1", APIResource: "v2/hello",
				AttemptTimeout: 250 * time.Millisecond, MaxAttempts: 10, Transport: TransportPrivateLink,
			},
		},
		{name: "API_TRANSPORT peering", env: with(EnvAPITransport, "peering"), want: defaults},
		{name: "API_TRANSPORT privatelink", env: with(EnvAPITransport, "privatelink"), want: privateLink},
		{name: "API_TRANSPORT not a transport", env: with(EnvAPITransport, "vpn"), wantErr: []string{`API_TRANSPORT "vpn"`, "must be peering or privatelink", "unset means peering"}},
		{name: "API_TRANSPORT in capitals", env: with(EnvAPITransport, "PrivateLink"), wantErr: []string{`API_TRANSPORT "PrivateLink"`, "must be peering or privatelink"}},
		{name: "missing API_URL", env: map[string]string{EnvAPIRegion: "us-east-1"}, wantErr: []string{"API_URL is required", "https"}},
		{name: "http API_URL", env: with(EnvAPIURL, "http://abc123.example.com/v1"), wantErr: []string{`API_URL "http://abc123.example.com/v1"`, "absolute https URL"}},
		{name: "relative API_URL", env: with(EnvAPIURL, "/v1"), wantErr: []string{`API_URL "/v1"`, "absolute https URL"}},
		{name: "API_URL with query", env: with(EnvAPIURL, apiURL+"?a=b"), wantErr: []string{`API_URL "` + apiURL + `?a=b"`, "no query"}},
		{name: "API_URL unparsable", env: with(EnvAPIURL, "https://exa mple.com"), wantErr: []string{`API_URL "https://exa mple.com"`}},
		{name: "missing API_REGION", env: map[string]string{EnvAPIURL: apiURL}, wantErr: []string{"API_REGION is required", "us-east-1"}},
		{name: "bad API_REGION", env: with(EnvAPIRegion, "US_EAST_1"), wantErr: []string{`API_REGION "US_EAST_1"`, "Region name"}},
		{name: "API_RESOURCE climbing out", env: with(EnvAPIResource, "../admin"), wantErr: []string{`API_RESOURCE "../admin"`, "letters, digits"}},
		{name: "API_RESOURCE with query", env: with(EnvAPIResource, "hello?x=1"), wantErr: []string{`API_RESOURCE "hello?x=1"`}},
		{name: "API_RESOURCE only slashes", env: with(EnvAPIResource, "//"), wantErr: []string{`API_RESOURCE "//"`}},
		{name: "ATTEMPT_TIMEOUT_MS not a number", env: with(EnvAttemptTimeout, "3s"), wantErr: []string{`ATTEMPT_TIMEOUT_MS "3s"`, "from 1 to 900000"}},
		{name: "ATTEMPT_TIMEOUT_MS zero", env: with(EnvAttemptTimeout, "0"), wantErr: []string{`ATTEMPT_TIMEOUT_MS "0"`, "from 1 to 900000"}},
		{name: "MAX_ATTEMPTS zero", env: with(EnvMaxAttempts, "0"), wantErr: []string{`MAX_ATTEMPTS "0"`, "from 1 to 10"}},
		{name: "MAX_ATTEMPTS eleven", env: with(EnvMaxAttempts, "11"), wantErr: []string{`MAX_ATTEMPTS "11"`, "from 1 to 10"}},
		{name: "MAX_ATTEMPTS not a number", env: with(EnvMaxAttempts, "three"), wantErr: []string{`MAX_ATTEMPTS "three"`}},
		{name: "BACKOFF_BASE_MS negative", env: with(EnvBackoffBase, "-1"), wantErr: []string{`BACKOFF_BASE_MS "-1"`, "from 0 to 60000"}},
		{name: "BACKOFF_MAX_MS not a number", env: with(EnvBackoffMax, "2.5"), wantErr: []string{`BACKOFF_MAX_MS "2.5"`, "from 0 to 60000"}},
		{name: "base above max", env: with(EnvBackoffBase, "500", EnvBackoffMax, "200"), wantErr: []string{"BACKOFF_MAX_MS 200 ms", "at least BACKOFF_BASE_MS (500 ms)"}},
		{
			name:    "every problem at once",
			env:     map[string]string{EnvAPIURL: "ftp://x", EnvMaxAttempts: "0", EnvAttemptTimeout: "x", EnvAPITransport: "peered"},
			wantErr: []string{"API_URL", "API_REGION", "MAX_ATTEMPTS", "ATTEMPT_TIMEOUT_MS", "API_TRANSPORT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("ConfigFromEnv: got error %v, want none", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("ConfigFromEnv (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("ConfigFromEnv: got %+v and no error, want an error naming %q", got, tt.wantErr)
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("ConfigFromEnv error: got %q, want it to contain %q", err, part)
				}
			}
		})
	}
}

func TestTargetURL(t *testing.T) {
	cfg := Config{APIURL: "https://abc123.execute-api.us-east-1.amazonaws.com/v1", APIResource: "hello"}
	if got, want := cfg.TargetURL(), "https://abc123.execute-api.us-east-1.amazonaws.com/v1/hello"; got != want {
		t.Errorf("TargetURL: got %q, want %q", got, want)
	}
}
