// Package ctxsleep waits for a duration or a context, whichever ends first:
// the waits of the client's backoff, of the PrivateLink handler's retries
// and of the end-to-end run, which each must stop when their deadline or
// cancellation comes.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done, and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
