package handler

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoffStaysWithinCap(t *testing.T) {
	tests := []struct {
		name        string
		base, limit time.Duration
	}{
		{name: "defaults", base: 100 * time.Millisecond, limit: 2 * time.Second},
		{name: "no backoff", base: 0, limit: 0},
		{name: "base equals max", base: time.Millisecond, limit: time.Millisecond},
		{name: "largest allowed max", base: 3 * time.Millisecond, limit: 60 * time.Second},
		{name: "doubling past 2^62", base: 1, limit: 1 << 62},
	}
	jitters := map[string]func(int64) int64{
		"lowest":  func(int64) int64 { return 0 },
		"highest": func(n int64) int64 { return n - 1 },
		"random":  rand.New(rand.NewPCG(1, 2)).Int64N,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for retry := 1; retry <= 100; retry++ {
				// capAt doubles in float64, which cannot overflow here.
				capAt := time.Duration(min(float64(tt.limit), float64(tt.base)*float64(uint64(1)<<min(retry-1, 63))))
				for jname, jitter := range jitters {
					got := backoff(tt.base, tt.limit, retry, jitter)
					if got < 0 || got > capAt {
						t.Fatalf("backoff(%v, %v, retry %d, %s jitter): got %v, want within [0, %v]", tt.base, tt.limit, retry, jname, got, capAt)
					}
					if jname == "highest" && got != capAt {
						t.Fatalf("backoff(%v, %v, retry %d, highest jitter): got %v, want the cap %v", tt.base, tt.limit, retry, got, capAt)
					}
				}
			}
		})
	}
}
