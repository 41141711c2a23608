package handler

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"crossregionapi/internal/probe"
)

// Why the client, not DNS, fails over: a SigV4 signature is scoped to one
// Region ("Symmetric SigV4 requires you to derive a key that is scoped to
// a single AWS service, in a single AWS region, on a particular day", IAM
// User Guide, "AWS Signature Version 4 for API requests",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html),
// so a hostname that DNS moves between Regions would carry requests signed
// for the wrong one. The handler knows which Region each attempt calls: it
// signs for that Region, and switches after one short connect timeout
// rather than a health check's and a DNS record's cycle.

// target is one API the handler calls.
type target struct {
	// URL is the resource's URL, TargetURL's for the primary.
	URL string
	// Region is the API's Region, the one every request to URL is signed
	// for.
	Region string
	// URLVar and RegionVar are the variables that set URL and Region, for
	// the hints.
	URLVar, RegionVar string
	// named is set with a failover Region: errors and logs then name the
	// Region of each call.
	named bool
}

func (c Config) hasFailover() bool { return c.FailoverAPIURL != "" }

// primary is API_URL's API, named only when there is a failover Region.
func (c Config) primary() target {
	return target{URL: c.TargetURL(), Region: c.APIRegion, URLVar: EnvAPIURL, RegionVar: EnvAPIRegion, named: c.hasFailover()}
}

// targets are the primary and the failover Region's API, in that order.
func (c Config) targets() []target {
	return []target{c.primary(), {
		URL: c.FailoverAPIURL + "/" + c.APIResource, Region: c.FailoverAPIRegion,
		URLVar: EnvFailoverAPIURL, RegionVar: EnvFailoverAPIRegion, named: true,
	}}
}

// logAttrs are the fields a log record about a call to t adds.
func (t target) logAttrs() []any {
	if !t.named {
		return nil
	}
	return []any{"apiRegion", t.Region}
}

// failsOver reports whether a failure of kind k in one Region sends the
// call straight to the other, without retrying it in the first. It does
// for every failure of the Region's API or of the path to it, which the
// other Region's API and path do not share:
//
//   - connection (refused or reset), timeout (no TCP connection or TLS
//     handshake within Config.ConnectTimeout, or no answer within the
//     attempt's), dns (each Region's API has its own hostname and private
//     zone record) and tls (its own endpoint, and over PrivateLink its own
//     load balancer);
//   - server_error (HTTP 5xx): the Region's API, integration or endpoint
//     failing;
//   - forbidden (HTTP 403). A 403 is usually the caller's: the role's
//     execute-api:Invoke grant, or a resource policy. But each Region's API
//     has its own resource policy, admitting its own VPC endpoint
//     (aws:SourceVpce), and the role's grant names each API, so a 403 from
//     one Region says nothing of the other; one Region's policy broken by a
//     deploy, or a request reaching its API through the wrong endpoint, is
//     a failure a second Region should absorb. When the cause is common to
//     both (the role), failing over costs one quick extra request and the
//     error names the 403 of each Region. The per-Region probe (no
//     failover) keeps a 403 in one Region from going unseen.
//
// A 429 (throttled) is not in the list: "API Gateway examines the rate and
// a burst of request submissions against all APIs in your account, per
// Region", and stages and methods have target limits of their own (API
// Gateway Developer Guide, "Throttle requests to your REST APIs for better
// throughput in API Gateway",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html),
// so the Region is healthy but busy. The handler backs off and
// retries it there, as with one Region, and only when it throttled every
// attempt (or the next wait would pass the deadline) tries the other
// Region, whose limits are its own. Throttling never opens the Region's
// breaker (opensBreaker): moving every call to the other Region for a
// cool-down would double that Region's load for a burst that has passed.
//
// Other statuses (404, 3xx) and the response, credentials and transport
// kinds end the call: they are the request's or the function's own
// (API_RESOURCE, the credentials), the same in both Regions.
func failsOver(k Kind) bool {
	switch k {
	case KindConnection, KindTimeout, KindDNS, KindTLS, KindServer, KindForbidden:
		return true
	}
	return false
}

// opensBreaker reports whether a call to a Region that ended with a
// failure of kind k makes a warm function skip that Region for a while:
// the failures that fail over do, throttling does not.
func opensBreaker(k Kind) bool { return failsOver(k) }

// callWithFailover makes the GET that Handle started at start: in the
// Region the breaker puts first, then, if that fails in a way failsOver
// names and the deadline leaves time, in the other. MAX_ATTEMPTS bounds
// each Region's attempts; the invocation's deadline bounds them all.
func (h *Handler) callWithFailover(ctx context.Context, start time.Time) (Result, error) {
	plan := h.breaker.plan(h.Now(), h.Config.FailoverCooldown, h.Config.targets())
	defer plan.release()
	for _, s := range plan.skipped {
		h.Logger.InfoContext(ctx, "API Region failed recently; trying the other first",
			"apiRegion", s.region, "kind", string(s.kind), "failedAgoMs", s.ago.Milliseconds(),
			"retryInMs", s.retryIn.Milliseconds(), "firstRegion", plan.order[0].Region)
	}
	if plan.trial != "" {
		h.Logger.InfoContext(ctx, "API Region's cool-down is over; trying it first again", "apiRegion", plan.trial)
	}

	var failures []*CallError
	attempts := 0
	for i, t := range plan.order {
		last := i == len(plan.order)-1
		res, fail, next := h.callTarget(ctx, start, t, !last)
		if fail == nil {
			h.breaker.succeeded(t.Region)
			res.Attempts += attempts
			res.APIRegion = t.Region
			h.logSuccess(ctx, res, t.logAttrs()...)
			return res, nil
		}
		attempts += fail.Attempts
		if opensBreaker(fail.Kind) {
			h.breaker.failed(t.Region, fail.Kind, h.Now())
		}
		failures = append(failures, fail)
		if !next || last {
			break
		}
		other := plan.order[i+1]
		deadline, hasDeadline := budget(ctx)
		if err := ctx.Err(); err != nil {
			fail.Cause = fmt.Errorf("%w; not failed over to %s: %v", fail.Cause, other.Region, err)
			break
		}
		if hasDeadline && h.Now().Add(min(minAttempt, h.Config.AttemptTimeout)).After(deadline) {
			fail.Cause = fmt.Errorf("%w; not failed over to %s: an attempt there would pass the invocation's deadline", fail.Cause, other.Region)
			break
		}
		h.Logger.WarnContext(ctx, "API call failed, failing over",
			"apiRegion", t.Region, "url", fail.URL, "status", fail.Status, "attempts", fail.Attempts,
			"kind", string(fail.Kind), "hint", fail.Hint, "error", oneLine(fail.Cause.Error()),
			"failoverRegion", other.Region, "failoverUrl", other.URL, "elapsedMs", h.Now().Sub(start).Milliseconds())
	}

	if len(failures) == 1 {
		h.logFailure(ctx, failures[0], failures[0].logAttrs()...)
		return Result{}, failures[0]
	}
	e := &RegionsError{Failures: failures}
	h.logRegionsFailure(ctx, e)
	return Result{}, e
}

// logAttrs are the fields the final log record of a failed call in e's
// Region adds.
func (e *CallError) logAttrs() []any {
	if e.Region == "" {
		return nil
	}
	return []any{"apiRegion", e.Region}
}

// logRegionsFailure logs the failure that ends a call in more than one
// Region: the last Region's fields, as for one, the attempts of all, and
// each Region's kind.
func (h *Handler) logRegionsFailure(ctx context.Context, e *RegionsError) {
	last := e.Failures[len(e.Failures)-1]
	kinds := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		kinds[i] = f.Region + ": " + string(f.Kind)
	}
	h.Logger.ErrorContext(ctx, "API call failed",
		"url", last.URL, "status", last.Status, "attempts", e.Attempts(), "kind", string(last.Kind),
		"hint", last.Hint, "error", oneLine(e.Error()), "apiRegion", last.Region, "regionFailures", kinds)
}

// RegionsError is a call that failed in more than one API Region, or a
// probe that failed in one or more: the failure in each, in the order
// they were tried.
type RegionsError struct {
	Failures []*CallError
}

// Attempts is the number of attempts in every Region.
func (e *RegionsError) Attempts() int {
	n := 0
	for _, f := range e.Failures {
		n += f.Attempts
	}
	return n
}

func (e *RegionsError) Error() string {
	var b strings.Builder
	b.WriteString("API call failed in ")
	for i, f := range e.Failures {
		if i > 0 {
			b.WriteString(" and ")
		}
		fmt.Fprintf(&b, "%s (%s)", f.Region, f.Kind)
	}
	fmt.Fprintf(&b, ", %d attempt", e.Attempts())
	if e.Attempts() != 1 {
		b.WriteByte('s')
	}
	b.WriteString(" in all")
	for _, f := range e.Failures {
		b.WriteString(" | ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find each Region's *CallError, the first tried
// first.
func (e *RegionsError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f
	}
	return errs
}

// probeEachRegion probes every API Region on its own, at once, without
// failover and without touching the breaker, and writes one record per
// Region, with its ApiRegion: a path that fails shows as failing even when
// the other would have answered for it. It returns the primary's result
// when every Region answered; otherwise a *RegionsError with the failures,
// so the function's own Errors metric counts a probe with a broken path.
func (h *Handler) probeEachRegion(ctx context.Context, ev probe.Event) (Result, error) {
	targets := h.Config.targets()
	type result struct {
		res     Result
		fail    *CallError
		outcome probeOutcome
	}
	results := make([]result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			start := h.Now()
			res, fail, _ := h.callTarget(ctx, start, t, false)
			var err error
			if fail != nil {
				err = fail
				h.logFailure(ctx, fail, t.logAttrs()...)
			} else {
				res.APIRegion = t.Region
				h.logSuccess(ctx, res, t.logAttrs()...)
			}
			// Taken as each call ends, so a failure's latency is its own.
			o := h.outcome(start, res, err)
			o.APIRegion = t.Region
			results[i] = result{res: res, fail: fail, outcome: o}
		})
	}
	wg.Wait()

	// Written in the Regions' order, each in one Write, after both calls.
	var failures []*CallError
	for _, r := range results {
		if r.fail != nil {
			failures = append(failures, r.fail)
		}
		h.reportProbe(ctx, ev, r.outcome)
	}
	if len(failures) > 0 {
		return Result{}, &RegionsError{Failures: failures}
	}
	return results[0].res, nil
}
