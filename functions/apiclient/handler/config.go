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

	const urlAllowed = "must be an absolute https URL with the stage and no query, such as https://abc123.execute-api.us-east-1.amazonaws.com/v1"
	switch raw := get(EnvAPIURL); {
	case raw == "":
		errs = append(errs, fmt.Errorf("%s is required: %s", EnvAPIURL, urlAllowed))
	default:
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.Hostname() == "" ||
			u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			bad(EnvAPIURL, raw, urlAllowed)
			break
		}
		cfg.APIURL = strings.TrimRight(raw, "/")
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

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
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
