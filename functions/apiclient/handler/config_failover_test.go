package handler

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFromEnvFailover(t *testing.T) {
	const (
		apiURL      = "https://abc123.execute-api.us-east-1.amazonaws.com/v1"
		failoverURL = "https://def456.execute-api.us-west-2.amazonaws.com/v1"
	)
	with := func(kv ...string) map[string]string {
		env := map[string]string{EnvAPIURL: apiURL, EnvAPIRegion: "us-east-1"}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	both := []string{EnvFailoverAPIURL, failoverURL + "/", EnvFailoverAPIRegion, " us-west-2 "}
	withBoth := func(kv ...string) map[string]string { return with(append(append([]string(nil), both...), kv...)...) }
	defaults := Config{
		APIURL: apiURL, APIRegion: "us-east-1", APIResource: "hello",
		AttemptTimeout: 3 * time.Second, MaxAttempts: 3,
		BackoffBase: 100 * time.Millisecond, BackoffMax: 2 * time.Second,
		Transport:      TransportPeering,
		FailoverAPIURL: failoverURL, FailoverAPIRegion: "us-west-2",
		ConnectTimeout: time.Second, FailoverCooldown: 30 * time.Second,
	}
	set := defaults
	set.ConnectTimeout, set.FailoverCooldown, set.AttemptTimeout = 250*time.Millisecond, 5*time.Second, 500*time.Millisecond

	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr []string
	}{
		{name: "defaults", env: withBoth(), want: defaults},
		{name: "every variable set", env: withBoth(EnvConnectTimeout, "250", EnvFailoverCooldown, "5000", EnvAttemptTimeout, "500"), want: set},
		{name: "connect timeout equal to the attempt's", env: withBoth(EnvConnectTimeout, "3000"),
			want: func() Config { c := defaults; c.ConnectTimeout = 3 * time.Second; return c }()},
		{name: "URL without Region", env: with(EnvFailoverAPIURL, failoverURL),
			wantErr: []string{"FAILOVER_API_REGION is required with FAILOVER_API_URL=" + failoverURL, "such as us-west-2", "unset both for a single API Region"}},
		{name: "Region without URL", env: with(EnvFailoverAPIRegion, "us-west-2"),
			wantErr: []string{"FAILOVER_API_URL is required with FAILOVER_API_REGION=us-west-2", "https://def456.execute-api.us-west-2.amazonaws.com/v1", "unset both"}},
		{name: "same Region as API_REGION", env: with(EnvFailoverAPIURL, failoverURL, EnvFailoverAPIRegion, "us-east-1"),
			wantErr: []string{`invalid FAILOVER_API_REGION "us-east-1"`, "must differ from API_REGION (us-east-1)", "unset both"}},
		{name: "bad Region", env: with(EnvFailoverAPIURL, failoverURL, EnvFailoverAPIRegion, "west"),
			wantErr: []string{`invalid FAILOVER_API_REGION "west"`, "Region name"}},
		{name: "http URL", env: with(EnvFailoverAPIURL, "http://def456.example/v1", EnvFailoverAPIRegion, "us-west-2"),
			wantErr: []string{`invalid FAILOVER_API_URL "http://def456.example/v1"`, "absolute https URL"}},
		{name: "same URL as API_URL", env: with(EnvFailoverAPIURL, apiURL+"/", EnvFailoverAPIRegion, "us-west-2"),
			wantErr: []string{`invalid FAILOVER_API_URL "` + apiURL + `/"`, "the same API as API_URL"}},
		{name: "CONNECT_TIMEOUT_MS without failover", env: with(EnvConnectTimeout, "500"),
			wantErr: []string{`invalid CONNECT_TIMEOUT_MS "500"`, "applies only with FAILOVER_API_URL and FAILOVER_API_REGION", "unset it"}},
		{name: "FAILOVER_COOLDOWN_MS without failover", env: with(EnvFailoverCooldown, "500"),
			wantErr: []string{`invalid FAILOVER_COOLDOWN_MS "500"`, "applies only with"}},
		{name: "CONNECT_TIMEOUT_MS zero", env: withBoth(EnvConnectTimeout, "0"), wantErr: []string{`invalid CONNECT_TIMEOUT_MS "0"`, "from 1 to 900000"}},
		{name: "CONNECT_TIMEOUT_MS above the attempt's", env: withBoth(EnvConnectTimeout, "3001"),
			wantErr: []string{"invalid CONNECT_TIMEOUT_MS 3001 ms", "at most ATTEMPT_TIMEOUT_MS (3000 ms)"}},
		{name: "FAILOVER_COOLDOWN_MS not a number", env: withBoth(EnvFailoverCooldown, "30s"),
			wantErr: []string{`invalid FAILOVER_COOLDOWN_MS "30s"`, "from 1 to 3600000"}},
		{name: "every problem at once", env: with(EnvFailoverAPIURL, "ftp://x", EnvFailoverAPIRegion, "us-east-1", EnvConnectTimeout, "x", EnvMaxAttempts, "0"),
			wantErr: []string{"FAILOVER_API_URL", "FAILOVER_API_REGION", "CONNECT_TIMEOUT_MS", "MAX_ATTEMPTS"}},
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

// TestHintNamesFailoverVariables: a failure in the failover Region points
// at the variables that set it, and a hint with API_URL or API_REGION in
// it names nothing else for the primary.
func TestHintNamesFailoverVariables(t *testing.T) {
	for _, k := range []Kind{KindForbidden, KindStatus, KindDNS, KindTLS} {
		for _, transport := range []string{TransportPeering, TransportPrivateLink} {
			primary := hint(k, 404, "us-east-1", transport)
			failover := hintFor(k, 404, "us-west-2", transport, EnvFailoverAPIURL, EnvFailoverAPIRegion)
			if !strings.Contains(failover, "FAILOVER_API_") {
				t.Errorf("%s/%s in the failover Region: %q names no FAILOVER_ variable", k, transport, failover)
			}
			if got := strings.NewReplacer("FAILOVER_API_", "API_", "us-west-2", "us-east-1").Replace(failover); got != primary {
				t.Errorf("%s/%s: failover hint %q, primary %q; want them alike but for the variables and the Region", k, transport, failover, primary)
			}
		}
	}
}
