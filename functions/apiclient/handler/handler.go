package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"crossregionapi/internal/ctxsleep"
)

const (
	// signingService is the SigV4 service name of API Gateway's invoke API.
	signingService = "execute-api"
	// emptyPayloadHash is the SHA-256 of the empty body of a GET.
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// maxBody bounds what one response may hold in memory; the demo API
	// answers a few dozen bytes.
	maxBody = 1 << 20
	// minAttempt is the least time worth starting another attempt with.
	minAttempt = 100 * time.Millisecond
	// reserve is kept back from the invocation's deadline so the failure is
	// logged and returned by the function rather than cut off by Lambda.
	reserve = 50 * time.Millisecond
)

// Result is what a successful invocation returns.
type Result struct {
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
	Attempts   int    `json:"attempts"`
	// LatencyMs spans every attempt and wait of the invocation.
	LatencyMs int64  `json:"latencyMs"`
	URL       string `json:"url"`
	// APIRegion is the Region of the API that answered, set only when the
	// handler has a failover Region, so the result of a single Region is
	// what it always was.
	APIRegion string `json:"apiRegion,omitempty"`
}

// Handler calls the API once per invocation. Its fields are its
// dependencies, so tests can replace the clock, the waits and the jitter.
type Handler struct {
	Config      Config
	Client      *http.Client
	Signer      *v4.Signer
	Credentials aws.CredentialsProvider
	Logger      *slog.Logger
	// Metrics receives a probe's Embedded Metric Format record (probe.go):
	// stdout, where Lambda hands it to CloudWatch Logs as it is. New sets
	// os.Stdout; nil means os.Stdout too.
	Metrics io.Writer
	// Now is the clock for latency, signing time and the deadline budget.
	Now func() time.Time
	// Sleep waits d or until ctx is done, whichever comes first.
	Sleep func(ctx context.Context, d time.Duration) error
	// RandInt64N returns a number in [0, n) for the backoff's jitter.
	RandInt64N func(n int64) int64

	// breaker remembers the API Regions that failed recently, across the
	// invocations of one execution environment; used only with a failover
	// Region.
	breaker breaker
}

// New returns a Handler that uses the real clock, timers and randomness.
func New(cfg Config, client *http.Client, creds aws.CredentialsProvider, logger *slog.Logger) *Handler {
	return &Handler{
		Config:      cfg,
		Client:      client,
		Signer:      v4.NewSigner(),
		Credentials: creds,
		Logger:      logger,
		Metrics:     os.Stdout,
		Now:         time.Now,
		Sleep:       ctxsleep.Sleep,
		RandInt64N:  rand.Int64N,
	}
}

// Handle GETs the demo resource, whatever the event holds. It fails with a
// *CallError unless the API answers 2xx. When the event is the schedule's
// probe.Event, it also writes the call's metrics, failed or not, as one
// Embedded Metric Format record to Metrics before it returns.
//
// With a failover Region (Config.FailoverAPIURL), the call fails over to
// it and a probe probes each Region: see failover.go.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (Result, error) {
	ev, isProbe := probeEvent(event)
	if h.Config.hasFailover() {
		if isProbe {
			return h.probeEachRegion(ctx, ev)
		}
		return h.callWithFailover(ctx, h.Now())
	}
	start := h.Now()
	res, err := h.call(ctx, start)
	if isProbe {
		h.reportProbe(ctx, ev, h.outcome(start, res, err))
	}
	return res, err
}

// call makes the GET, with its retries, that Handle started at start.
func (h *Handler) call(ctx context.Context, start time.Time) (Result, error) {
	res, fail, _ := h.callTarget(ctx, start, h.Config.primary(), false)
	if fail != nil {
		h.logFailure(ctx, fail)
		return Result{}, fail
	}
	h.logSuccess(ctx, res)
	return res, nil
}

// budget is the time the invocation's attempts and waits must end by, if
// it has a deadline: the deadline less the reserve.
func budget(ctx context.Context) (time.Time, bool) {
	deadline, ok := ctx.Deadline()
	if ok {
		deadline = deadline.Add(-reserve)
	}
	return deadline, ok
}

// callTarget makes the GET to t, with its retries, and returns its result
// or its failure, completed but not logged. With canFailOver, a failure
// that another Region may not share (failsOver) ends it at once rather
// than being retried here, and failover reports whether the caller should
// try the other Region.
func (h *Handler) callTarget(ctx context.Context, start time.Time, t target, canFailOver bool) (res Result, fail *CallError, failover bool) {
	deadline, hasDeadline := budget(ctx)
	for attempt := 1; ; attempt++ {
		status, body, err := h.attempt(ctx, t, deadline, hasDeadline)
		if err == nil && status/100 == 2 {
			return Result{StatusCode: status, Body: string(body), Attempts: attempt,
				LatencyMs: h.Now().Sub(start).Milliseconds(), URL: t.URL}, nil, false
		}

		var final *CallError
		if errors.As(err, &final) {
			return Result{}, h.complete(final, t, attempt), false
		}
		var kind Kind
		var retry bool
		if err != nil {
			kind, retry = errorKind(err)
		} else {
			kind, retry = statusKind(status)
			err = fmt.Errorf("%s, response body: %s", http.StatusText(status), snippet(body))
		}
		if ctx.Err() != nil {
			retry = false
		}
		fail := &CallError{URL: t.URL, Status: status, Kind: kind, Cause: err}
		if canFailOver && failsOver(kind) {
			return Result{}, h.complete(fail, t, attempt), true
		}
		// A Region that throttled every attempt is tried no more this
		// invocation; the other has a stage and account limits of its own.
		exhausted := canFailOver && kind == KindThrottled
		if !retry || attempt >= h.Config.MaxAttempts {
			return Result{}, h.complete(fail, t, attempt), exhausted
		}

		wait := backoff(h.Config.BackoffBase, h.Config.BackoffMax, attempt, h.RandInt64N)
		if hasDeadline && h.Now().Add(wait+min(minAttempt, h.Config.AttemptTimeout)).After(deadline) {
			fail.Cause = fmt.Errorf("%w; not retried: waiting %v and trying again would pass the invocation's deadline", err, wait)
			return Result{}, h.complete(fail, t, attempt), exhausted
		}
		h.Logger.WarnContext(ctx, "API call failed, retrying", append([]any{
			"url", t.URL, "status", status, "attempt", attempt, "kind", string(kind),
			"waitMs", wait.Milliseconds(), "error", oneLine(err.Error())}, t.logAttrs()...)...)
		if serr := h.Sleep(ctx, wait); serr != nil {
			fail.Cause = fmt.Errorf("%w; not retried: %v", err, serr)
			return Result{}, h.complete(fail, t, attempt), false
		}
	}
}

// attempt makes one GET to t, signed for t's Region. It returns a
// *CallError for failures that are not about the API or the network. It
// reads every body to its end and closes it, so the connection can serve
// the next attempt or invocation; only a body over maxBody costs the
// connection.
func (h *Handler) attempt(ctx context.Context, t target, deadline time.Time, hasDeadline bool) (int, []byte, error) {
	var cancel context.CancelFunc
	if hasDeadline && deadline.Before(h.Now().Add(h.Config.AttemptTimeout)) {
		ctx, cancel = context.WithDeadline(ctx, deadline)
	} else {
		ctx, cancel = context.WithTimeout(ctx, h.Config.AttemptTimeout)
	}
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return 0, nil, &CallError{Kind: KindTransport, Cause: err}
	}
	creds, err := h.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, nil, &CallError{Kind: KindCredentials, Cause: fmt.Errorf("retrieving AWS credentials: %w", err)}
	}
	if err := h.Signer.SignHTTP(ctx, creds, req, emptyPayloadHash, signingService, t.Region, h.Now()); err != nil {
		return 0, nil, &CallError{Kind: KindCredentials, Cause: fmt.Errorf("signing the request: %w", err)}
	}

	resp, err := h.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the HTTP %d response: %w", resp.StatusCode, err)
	}
	if len(body) > maxBody {
		return resp.StatusCode, nil, &CallError{Status: resp.StatusCode, Kind: KindResponse,
			Cause: fmt.Errorf("response body larger than %d bytes", maxBody)}
	}
	return resp.StatusCode, body, nil
}

// complete fills in what a failed call to t says of itself.
func (h *Handler) complete(e *CallError, t target, attempts int) *CallError {
	e.URL, e.Attempts = t.URL, attempts
	if t.named {
		e.Region = t.Region
	}
	e.Hint = hintFor(e.Kind, e.Status, t.Region, h.Config.Transport, t.URLVar, t.RegionVar)
	return e
}

// logSuccess logs the call that ended with res.
func (h *Handler) logSuccess(ctx context.Context, res Result, attrs ...any) {
	h.Logger.InfoContext(ctx, "API call succeeded", append([]any{
		"url", res.URL, "status", res.StatusCode, "attempts", res.Attempts, "latencyMs", res.LatencyMs}, attrs...)...)
}

// logFailure logs the failure that ends a call.
func (h *Handler) logFailure(ctx context.Context, e *CallError, attrs ...any) {
	h.Logger.ErrorContext(ctx, "API call failed", append([]any{
		"url", e.URL, "status", e.Status, "attempts", e.Attempts, "kind", string(e.Kind),
		"hint", e.Hint, "error", oneLine(e.Cause.Error())}, attrs...)...)
}

// backoff is the full-jitter wait before retry n (1 for the first): a
// random duration in [0, min(limit, base*2^(n-1))]. Full jitter spreads
// the retries of concurrent invocations instead of repeating their burst.
func backoff(base, limit time.Duration, n int, randInt64N func(int64) int64) time.Duration {
	ceiling := limit
	if n-1 < 62 && base <= limit>>(n-1) {
		ceiling = base << (n - 1)
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(randInt64N(int64(ceiling) + 1))
}

// snippet is the start of a response body, enough to carry API Gateway's
// error message into the error.
func snippet(body []byte) string {
	const limit = 256
	s := oneLine(string(body))
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}
