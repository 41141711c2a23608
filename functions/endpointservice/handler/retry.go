package handler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/smithy-go"
)

// iamRefusals are the error codes of a call refused for want of
// permission: EC2's own ("If a user attempts to perform an action for
// which permission has not been granted, the request returns the
// following error: Client.UnauthorizedOperation", EC2 API Reference,
// Troubleshooting API request errors), and the AccessDenied codes other
// AWS APIs use.
var iamRefusals = map[string]bool{
	"UnauthorizedOperation":        true,
	"AccessDenied":                 true,
	"AccessDeniedException":        true,
	"Client.UnauthorizedOperation": true,
}

// Backoff between two tries of a refused call: doubling from
// firstBackoff, at most maxBackoff.
const (
	firstBackoff = 2 * time.Second
	maxBackoff   = 20 * time.Second
)

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// call runs op, named action in errors, and runs it again while AWS
// refuses it for want of permission, with backoff, for at most IAMWait
// from the first refusal (see Handler.IAMWait). Any other error ends it at
// once. The error names the action and AWS's error code, which
// CloudFormation shows as the reason.
func (h *Handler) call(ctx context.Context, action string, op func(context.Context) error) error {
	var start, end time.Time
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			if attempt > 1 {
				h.Log.Info("permission arrived", "action", action, "attempts", attempt)
			}
			return nil
		}
		code := errorCode(err)
		if !iamRefusals[code] {
			if code != "" {
				return fmt.Errorf("EC2 %s failed (%s): %w", action, code, err)
			}
			return fmt.Errorf("EC2 %s failed: %w", action, err)
		}
		if end.IsZero() {
			start, end = h.Now(), h.until(ctx, h.IAMWait)
		}
		if !h.Now().Add(backoff).Before(end) {
			return fmt.Errorf("EC2 %s refused for want of permission (%s) %d times over %s, longer than a new policy takes to propagate: check the function role's policy: %w",
				action, code, attempt, h.Now().Sub(start).Round(time.Second), err)
		}
		h.Log.Warn("refused for want of permission; trying again, the role's policy may not have propagated yet",
			"action", action, "code", code, "attempt", attempt, "backoff", backoff.String())
		if err := h.Sleep(ctx, backoff); err != nil {
			return fmt.Errorf("EC2 %s: %w", action, err)
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
