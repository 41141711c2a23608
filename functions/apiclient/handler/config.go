// Package handler calls the private API Gateway REST API with SigV4-signed
// requests, retries what a retry can fix, and turns every failure into an
// error that says where in the deployment to look.
package handler

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"crossregionapi/internal/demo"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvAPIURL         = "API_URL"
	EnvAPIRegion      = "API_REGION"
	EnvAPIResource    = "API_RESOURCE"
	EnvAttemptTimeout = "ATTEMPT_TIMEOUT_MS"
	EnvMaxAttempts    = "MAX_ATTEMPTS"
	EnvBackoffBase    = "BACKOFF_BASE_MS"
	EnvBackoffMax     = "BACKOFF_MAX_MS"
	EnvAPITransport   = "API_TRANSPORT"

	// The failover Region's variables (failover.go): both of the first two
	// or neither; the other two only with them.
	EnvFailoverAPIURL    = "FAILOVER_API_URL"
	EnvFailoverAPIRegion = "FAILOVER_API_REGION"
	EnvConnectTimeout    = "CONNECT_TIMEOUT_MS"
	EnvFailoverCooldown  = "FAILOVER_COOLDOWN_MS"
)

// Values of API_TRANSPORT: what carries the calls to the API's VPC, which
// the hints for network failures name. The client constructs set it only
// for PrivateLink; unset means peering.
const (
	// TransportPeering: VPC peering, with routes both ways, to the API
	// VPC's execute-api endpoint.
	TransportPeering = "peering"
	// TransportPrivateLink: an interface endpoint in the client VPC to the
	// API's endpoint service in the API's Region, whose Network Load
	// Balancer forwards to the API VPC's execute-api endpoint.
	TransportPrivateLink = "privatelink"
)

// Defaults for the optional variables.
const (
	DefaultAPIResource    = demo.ResourcePath
	DefaultAttemptTimeout = 3000 * time.Millisecond
	DefaultMaxAttempts    = 3
	DefaultBackoffBase    = 100 * time.Millisecond
	DefaultBackoffMax     = 2000 * time.Millisecond
	// DefaultConnectTimeout bounds the TCP connection and TLS handshake to
	// an API Region when there is another to fail over to.
	DefaultConnectTimeout = 1000 * time.Millisecond
	// DefaultFailoverCooldown is how long a warm function skips an API
	// Region that just failed before it tries it first again.
	DefaultFailoverCooldown = 30 * time.Second
)

// Config is the function's configuration, read once per execution
// environment.
type Config struct {
	// APIURL is the API's base URL including the stage, without a trailing
	// slash.
	APIURL string
	// APIRegion is the API's Region. It, not the function's own Region, is
	// the SigV4 signing Region: API Gateway rejects a signature scoped to
	// any other Region.
	APIRegion string
	// APIResource is the demo resource's path below APIURL, without
	// leading or trailing slashes.
	APIResource string
	// AttemptTimeout bounds one HTTP attempt, so a stalled connection is
	// reported with its cause before Lambda ends the invocation.
	AttemptTimeout time.Duration
	// MaxAttempts counts the first attempt too.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the full-jitter backoff between
	// attempts.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Transport is TransportPeering or TransportPrivateLink; "" counts as
	// TransportPeering.
	Transport string

	// FailoverAPIURL and FailoverAPIRegion are the second API, in another
	// Region, the handler fails over to (failover.go); both "" without
	// one. The remaining fields are set only with them.
	FailoverAPIURL    string
	FailoverAPIRegion string
	// ConnectTimeout bounds the TCP connection and the TLS handshake of an
	// attempt, so an API Region that does not answer costs this, not
	// AttemptTimeout, before the handler fails over. At most
	// AttemptTimeout.
	ConnectTimeout time.Duration
	// FailoverCooldown is how long a Region that failed is tried only
	// after the other one.
	FailoverCooldown time.Duration
}

// TargetURL is the URL the handler GETs.
func (c Config) TargetURL() string {
	return c.APIURL + "/" + c.APIResource
}

// ConfigFromEnv reads and checks the configuration. An unset or empty
// variable takes its default. Every problem is reported, each naming the
// variable, its value and what is allowed.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, value, allowed string) {
		errs = append(errs, fmt.Errorf("invalid %s %q: %s", name, value, allowed))
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	cfg := Config{APIRegion: get(EnvAPIRegion)}

	switch raw := get(EnvAPIURL); {
	case raw == "":
		errs = append(errs, fmt.Errorf("%s is required: %s", EnvAPIURL, urlAllowed))
	default:
		u, ok := apiURL(raw)
		if !ok {
			bad(EnvAPIURL, raw, urlAllowed)
			break
		}
		cfg.APIURL = u
	}

	if cfg.APIRegion == "" {
		errs = append(errs, fmt.Errorf("%s is required: the API's Region, such as us-east-1", EnvAPIRegion))
	} else if !validRegion(cfg.APIRegion) {
		bad(EnvAPIRegion, cfg.APIRegion, "must be a Region name such as us-east-1")
	}

	cfg.APIResource = DefaultAPIResource
	if raw := get(EnvAPIResource); raw != "" {
		res := strings.Trim(raw, "/")
		if !validResource(res) {
			bad(EnvAPIResource, raw, "must be a path such as hello or v2/hello, each part made of letters, digits and . _ ~ - (not . or ..)")
		} else {
			cfg.APIResource = res
		}
	}

	ms := func(name string, def time.Duration, lo, hi int) time.Duration {
		raw := get(name)
		if raw == "" {
			return def
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < lo || n > hi {
			bad(name, raw, fmt.Sprintf("must be a whole number of milliseconds from %d to %d", lo, hi))
			return def
		}
		return time.Duration(n) * time.Millisecond
	}
	cfg.AttemptTimeout = ms(EnvAttemptTimeout, DefaultAttemptTimeout, 1, 900_000)
	before := len(errs)
	cfg.BackoffBase = ms(EnvBackoffBase, DefaultBackoffBase, 0, 60_000)
	cfg.BackoffMax = ms(EnvBackoffMax, DefaultBackoffMax, 0, 60_000)
	if len(errs) == before && cfg.BackoffMax < cfg.BackoffBase {
		errs = append(errs, fmt.Errorf("invalid %s %d ms: must be at least %s (%d ms)",
			EnvBackoffMax, cfg.BackoffMax.Milliseconds(), EnvBackoffBase, cfg.BackoffBase.Milliseconds()))
	}

	cfg.MaxAttempts = DefaultMaxAttempts
	if raw := get(EnvMaxAttempts); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 10 {
			bad(EnvMaxAttempts, raw, "must be a whole number from 1 to 10")
		} else {
			cfg.MaxAttempts = n
		}
	}

	cfg.Transport = TransportPeering
	switch raw := get(EnvAPITransport); raw {
	case "", TransportPeering:
	case TransportPrivateLink:
		cfg.Transport = raw
	default:
		bad(EnvAPITransport, raw, fmt.Sprintf("must be %s or %s (unset means %s)", TransportPeering, TransportPrivateLink, TransportPeering))
	}

	failoverFromEnv(get, ms, &cfg, &errs)

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// failoverFromEnv reads the failover Region's variables into cfg, once
// the primary's are read, and appends their problems to errs. ms reads a
// variable in milliseconds, or appends its problem to errs and returns
// its default.
func failoverFromEnv(get func(string) string, ms func(name string, def time.Duration, lo, hi int) time.Duration, cfg *Config, errs *[]error) {
	add := func(format string, a ...any) { *errs = append(*errs, fmt.Errorf(format, a...)) }
	rawURL, region := get(EnvFailoverAPIURL), get(EnvFailoverAPIRegion)
	const unsetBoth = "unset both for a single API Region"
	switch {
	case rawURL == "" && region == "":
		for _, name := range []string{EnvConnectTimeout, EnvFailoverCooldown} {
			if raw := get(name); raw != "" {
				add("invalid %s %q: applies only with %s and %s; unset it, or set both", name, raw, EnvFailoverAPIURL, EnvFailoverAPIRegion)
			}
		}
		return
	case region == "":
		add("%s is required with %s=%s: the failover API's Region, such as us-west-2; or %s",
			EnvFailoverAPIRegion, EnvFailoverAPIURL, rawURL, unsetBoth)
	case rawURL == "":
		add("%s is required with %s=%s: the failover API's URL, such as https://def456.execute-api.%s.amazonaws.com/v1; or %s",
			EnvFailoverAPIURL, EnvFailoverAPIRegion, region, region, unsetBoth)
	}

	if rawURL != "" {
		if u, ok := apiURL(rawURL); !ok {
			add("invalid %s %q: %s", EnvFailoverAPIURL, rawURL, urlAllowed)
		} else if u == cfg.APIURL {
			add("invalid %s %q: the same API as %s; it must be the API in %s", EnvFailoverAPIURL, rawURL, EnvAPIURL, EnvFailoverAPIRegion)
		} else {
			cfg.FailoverAPIURL = u
		}
	}
	if region != "" {
		switch {
		case !validRegion(region):
			add("invalid %s %q: must be a Region name such as us-west-2", EnvFailoverAPIRegion, region)
		case region == cfg.APIRegion:
			add("invalid %s %q: must differ from %s (%s), since a failover in the same Region fails with it; %s",
				EnvFailoverAPIRegion, region, EnvAPIRegion, cfg.APIRegion, unsetBoth)
		default:
			cfg.FailoverAPIRegion = region
		}
	}

	before := len(*errs)
	cfg.ConnectTimeout = ms(EnvConnectTimeout, DefaultConnectTimeout, 1, 900_000)
	cfg.FailoverCooldown = ms(EnvFailoverCooldown, DefaultFailoverCooldown, 1, 3_600_000)
	if len(*errs) == before && cfg.ConnectTimeout > cfg.AttemptTimeout {
		add("invalid %s %d ms: must be at most %s (%d ms), which bounds the whole attempt",
			EnvConnectTimeout, cfg.ConnectTimeout.Milliseconds(), EnvAttemptTimeout, cfg.AttemptTimeout.Milliseconds())
	}
}

// urlAllowed says what API_URL and FAILOVER_API_URL must be.
const urlAllowed = "must be an absolute https URL with the stage and no query, such as https://abc123.execute-api.us-east-1.amazonaws.com/v1"

// apiURL checks an API's base URL and returns it without a trailing slash.
func apiURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", false
	}
	return strings.TrimRight(raw, "/"), true
}

// validRegion accepts names such as us-east-1, us-gov-west-1 and
// eu-isoe-west-1: lowercase words joined by dashes, ending in a number.
func validRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for _, r := range p {
			last := i == len(parts)-1
			if last && (r < '0' || r > '9') || !last && (r < 'a' || r > 'z') {
				return false
			}
		}
	}
	return true
}

// validResource keeps the resource a plain path, so joining it to the base
// URL cannot change the host, add a query, or climb out of the stage.
func validResource(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
		for _, r := range part {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._~-", r)
			if !ok {
				return false
			}
		}
	}
	return true
}
