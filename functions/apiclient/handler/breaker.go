package handler

import (
	"sync"
	"time"
)

// breaker remembers, for the life of an execution environment, the API
// Regions whose last call failed (opensBreaker), so that a warm function
// does not pay a dead Region's timeout on every call. Each Region is
//
//   - closed: never failed, or answered since. Calls try the Regions in
//     their configured order, the primary first.
//   - open: failed less than the cool-down ago. Calls try it only after
//     the others, as a last resort.
//   - half-open: failed at least the cool-down ago. The next call tries it
//     first again, as a trial; calls that start during the trial still
//     treat it as open. The trial's answer closes it; a failure opens it
//     for another cool-down.
//
// Its zero value has every Region closed. It is safe for concurrent use.
type breaker struct {
	mu      sync.Mutex
	regions map[string]*regionHealth
}

// regionHealth is an open or half-open Region.
type regionHealth struct {
	failedAt time.Time
	kind     Kind
	// trial is set while a call tries the Region after its cool-down.
	trial bool
}

// regionPlan is the order one call tries the Regions in.
type regionPlan struct {
	order []target
	// skipped are the open Regions put after the others.
	skipped []skippedRegion
	// trial is the half-open Region this call tries first, if any.
	trial string
	b     *breaker
}

type skippedRegion struct {
	region  string
	kind    Kind
	ago     time.Duration
	retryIn time.Duration
}

// plan orders targets for a call starting at now: closed and half-open
// Regions in their order, then open ones. It takes the trial of a
// half-open Region it puts first; release gives back a trial the call
// did not settle.
func (b *breaker) plan(now time.Time, cooldown time.Duration, targets []target) *regionPlan {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := &regionPlan{b: b}
	var open []target
	for _, t := range targets {
		h := b.regions[t.Region]
		switch {
		case h == nil:
			p.order = append(p.order, t)
		case !h.trial && now.Sub(h.failedAt) >= cooldown && p.trial == "":
			h.trial = true
			p.trial = t.Region
			p.order = append(p.order, t)
		default:
			open = append(open, t)
			p.skipped = append(p.skipped, skippedRegion{
				region: t.Region, kind: h.kind, ago: now.Sub(h.failedAt),
				retryIn: max(0, h.failedAt.Add(cooldown).Sub(now)),
			})
		}
	}
	if len(p.order) == 0 {
		// Every Region is open: none is skipped for another, and the
		// configured order stands.
		p.skipped = nil
	}
	p.order = append(p.order, open...)
	return p
}

// release ends the call's trial if neither succeeded nor failed settled
// it (a failure that does not open the breaker, or no attempt made), so
// the next call takes it.
func (p *regionPlan) release() {
	if p.trial == "" {
		return
	}
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if h := p.b.regions[p.trial]; h != nil {
		h.trial = false
	}
}

// succeeded closes region.
func (b *breaker) succeeded(region string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.regions, region)
}

// failed opens region for a cool-down from now.
func (b *breaker) failed(region string, kind Kind, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.regions == nil {
		b.regions = map[string]*regionHealth{}
	}
	b.regions[region] = &regionHealth{failedAt: now, kind: kind}
}
