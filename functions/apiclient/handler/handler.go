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
		Sleep:       sleep,
		RandInt64N:  rand.Int64N,
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Handle GETs the demo resource, whatever the event holds. It fails with a
// *CallError unless the API answers 2xx. When the event is the schedule's
// probe.Event, it also writes the call's metrics, failed or not, as one
// Embedded Metric Format record to Metrics before it returns.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (Result, error) {
	ev, isProbe := probeEvent(event)
	start := h.Now()
	res, err := h.call(ctx, start)
	if isProbe {
		h.reportProbe(ctx, ev, h.outcome(start, res, err))
	}
	return res, err
}

// call makes the GET, with its retries, that Handle started at start.
func (h *Handler) call(ctx context.Context, start time.Time) (Result, error) {
	url := h.Config.TargetURL()
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		deadline = deadline.Add(-reserve)
	}

	for attempt := 1; ; attempt++ {
		status, body, err := h.attempt(ctx, url, deadline, hasDeadline)
		if err == nil && status/100 == 2 {
			res := Result{StatusCode: status, Body: string(body), Attempts: attempt,
				LatencyMs: h.Now().Sub(start).Milliseconds(), URL: url}
			h.Logger.InfoContext(ctx, "API call succeeded",
				"url", url, "status", status, "attempts", attempt, "latencyMs", res.LatencyMs)
			return res, nil
		}

		var final *CallError
		if errors.As(err, &final) {
			return Result{}, h.fail(ctx, final, url, attempt)
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
		fail := &CallError{URL: url, Status: status, Kind: kind, Cause: err}
		if !retry || attempt >= h.Config.MaxAttempts {
			return Result{}, h.fail(ctx, fail, url, attempt)
		}

		wait := backoff(h.Config.BackoffBase, h.Config.BackoffMax, attempt, h.RandInt64N)
		if hasDeadline && h.Now().Add(wait+min(minAttempt, h.Config.AttemptTimeout)).After(deadline) {
			fail.Cause = fmt.Errorf("%w; not retried: waiting %v and trying again would pass the invocation's deadline", err, wait)
			return Result{}, h.fail(ctx, fail, url, attempt)
		}
		h.Logger.WarnContext(ctx, "API call failed, retrying",
			"url", url, "status", status, "attempt", attempt, "kind", string(kind),
			"waitMs", wait.Milliseconds(), "error", oneLine(err.Error()))
		if serr := h.Sleep(ctx, wait); serr != nil {
			fail.Cause = fmt.Errorf("%w; not retried: %v", err, serr)
			return Result{}, h.fail(ctx, fail, url, attempt)
		}
	}
}

// attempt makes one signed GET. It returns a *CallError for failures that
// are not about the API or the network. It reads every body to its end and
// closes it, so the connection can serve the next attempt or invocation;
// only a body over maxBody costs the connection.
func (h *Handler) attempt(ctx context.Context, url string, deadline time.Time, hasDeadline bool) (int, []byte, error) {
	var cancel context.CancelFunc
	if hasDeadline && deadline.Before(h.Now().Add(h.Config.AttemptTimeout)) {
		ctx, cancel = context.WithDeadline(ctx, deadline)
	} else {
		ctx, cancel = context.WithTimeout(ctx, h.Config.AttemptTimeout)
	}
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, &CallError{Kind: KindTransport, Cause: err}
	}
	creds, err := h.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, nil, &CallError{Kind: KindCredentials, Cause: fmt.Errorf("retrieving AWS credentials: %w", err)}
	}
	if err := h.Signer.SignHTTP(ctx, creds, req, emptyPayloadHash, signingService, h.Config.APIRegion, h.Now()); err != nil {
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

// fail completes, logs and returns the error of a failed invocation.
func (h *Handler) fail(ctx context.Context, e *CallError, url string, attempts int) error {
	e.URL, e.Attempts = url, attempts
	e.Hint = hint(e.Kind, e.Status, h.Config.APIRegion, h.Config.Transport)
	h.Logger.ErrorContext(ctx, "API call failed",
		"url", e.URL, "status", e.Status, "attempts", e.Attempts, "kind", string(e.Kind),
		"hint", e.Hint, "error", oneLine(e.Cause.Error()))
	return e
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
