package handler

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"time"

	"crossregionapi/internal/probe"
)

// The probe's metric record is a CloudWatch Embedded Metric Format (EMF)
// log event, written bare, one JSON object on one line, to stdout (Metrics).
//
// Why bare on stdout, next to slog's lines, with the function's
// LoggingConfig LogFormat JSON on provided.al2023:
//
//   - "Lambda automatically sends everything that your function writes to
//     standard output (STDOUT) to a CloudWatch Logs log group, and
//     CloudWatch Logs extracts metrics from any log events that follow the
//     embedded metric format specification. [...] To publish metrics from a
//     function, write embedded metric format logs to STDOUT." (CloudWatch
//     User Guide, "Using the embedded metric format with Lambda",
//     https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html)
//   - Lambda formats the application logs of a few runtimes only: "For
//     other managed Lambda runtimes, Lambda currently only natively
//     supports capturing system logs in structured JSON format", and
//     "Lambda doesn't double-encode any logs that are already JSON encoded"
//     (Lambda Developer Guide, "Configuring JSON and plain text log formats",
//     https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html).
//     Go is not among the runtimes it lists (Java, .NET, Node.js, Python,
//     Rust's runtime library), and nothing in this process rewrites stdout
//     (slog's JSON handler here writes its own lines, aws-lambda-go none).
//     So a stdout line that is a JSON object is the log event as written,
//     not wrapped in a "message" field, and the record needs no envelope.
//     Under LogFormat Text the line is sent as written too (first point):
//     the record does not depend on the format.
//   - Under LogFormat JSON, Lambda filters other runtimes' JSON lines by
//     their "level" key and counts a line without one as INFO (Lambda
//     Developer Guide, "Log-level filtering",
//     https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html);
//     it may add a timestamp to such a line, a member EMF ignores. The
//     record has no "level", so it reaches CloudWatch Logs while the
//     function's ApplicationLogLevel is INFO or more verbose (the client
//     construct sets INFO). Raising it to WARN or above would drop the
//     probe's metrics and leave the alarm without data.
//
// The record is written before Handle returns, inside the deadline reserve,
// so a failed probe reports its failure too; one Write call keeps it whole.

// EMF units.
const (
	unitCount        = "Count"
	unitMilliseconds = "Milliseconds"
)

// emfMetric, emfDirective and emfMetadata are the "_aws" member of an EMF
// record; their keys are the specification's.
type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetadata struct {
	// Timestamp is in milliseconds since the epoch.
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// probeEvent reads the schedule's payload. Anything that is not a JSON
// object with "probe": true, such as `make invoke`'s {}, is not a probe.
func probeEvent(event json.RawMessage) (probe.Event, bool) {
	var ev probe.Event
	if err := json.Unmarshal(event, &ev); err != nil {
		return probe.Event{}, false
	}
	return ev, ev.Probe
}

// probeOutcome is what the record reports of one call.
type probeOutcome struct {
	Start    time.Time
	Latency  time.Duration
	Attempts int
	// Kind is "" for a successful call.
	Kind Kind
	// APIRegion is the Region probed when the handler has a failover
	// Region, which the record then has as a dimension; "" otherwise.
	APIRegion string
}

// outcome is the probeOutcome of Handle's answer res, err to a call that
// started at start.
func (h *Handler) outcome(start time.Time, res Result, err error) probeOutcome {
	if err == nil {
		return probeOutcome{Start: start, Latency: time.Duration(res.LatencyMs) * time.Millisecond, Attempts: res.Attempts}
	}
	o := probeOutcome{Start: start, Latency: h.Now().Sub(start), Kind: KindTransport}
	var ce *CallError
	if errors.As(err, &ce) {
		o.Attempts, o.Kind = ce.Attempts, ce.Kind
	}
	return o
}

// probeRecord is the EMF record of a probe: one line, newline included.
// Every probe has Success, Latency and Attempts under probe.Dimensions();
// a failed one also has Failure under those and FailureKind.
func probeRecord(ev probe.Event, o probeOutcome) ([]byte, error) {
	values := map[string]string{
		probe.DimensionApp:           ev.App,
		probe.DimensionClientRegion:  ev.ClientRegion,
		probe.DimensionClientAccount: ev.ClientAccount,
	}
	dims := probe.Dimensions()
	if o.APIRegion != "" {
		dims = probe.RegionDimensions()
		values[probe.DimensionAPIRegion] = o.APIRegion
	}
	rec := make(map[string]any, len(dims)+6)
	for _, d := range dims {
		rec[d] = values[d]
	}
	success := 1
	if o.Kind != "" {
		success = 0
	}
	rec[probe.MetricSuccess] = success
	rec[probe.MetricLatency] = o.Latency.Milliseconds()
	rec[probe.MetricAttempts] = o.Attempts

	directives := []emfDirective{{
		Namespace:  probe.Namespace,
		Dimensions: [][]string{dims},
		Metrics: []emfMetric{
			{Name: probe.MetricSuccess, Unit: unitCount},
			{Name: probe.MetricLatency, Unit: unitMilliseconds},
			{Name: probe.MetricAttempts, Unit: unitCount},
		},
	}}
	if o.Kind != "" {
		rec[probe.DimensionFailureKind] = string(o.Kind)
		rec[probe.MetricFailure] = 1
		directives = append(directives, emfDirective{
			Namespace:  probe.Namespace,
			Dimensions: [][]string{append(slices.Clone(dims), probe.DimensionFailureKind)},
			Metrics:    []emfMetric{{Name: probe.MetricFailure, Unit: unitCount}},
		})
	}
	rec["_aws"] = emfMetadata{Timestamp: o.Start.UnixMilli(), CloudWatchMetrics: directives}

	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// reportProbe writes the probe's record. A failure to write it is logged,
// not returned: the invocation's answer stays the call's.
func (h *Handler) reportProbe(ctx context.Context, ev probe.Event, o probeOutcome) {
	if ev.App == "" || ev.ClientRegion == "" || ev.ClientAccount == "" {
		h.Logger.WarnContext(ctx, "probe event lacks a dimension value; CloudWatch may not accept its metrics",
			"app", ev.App, "clientRegion", ev.ClientRegion, "clientAccount", ev.ClientAccount)
	}
	w := h.Metrics
	if w == nil {
		w = os.Stdout
	}
	line, err := probeRecord(ev, o)
	if err == nil {
		_, err = w.Write(line)
	}
	if err != nil {
		h.Logger.ErrorContext(ctx, "writing the probe's metric record", "error", oneLine(err.Error()))
	}
}
