// Package probe names what the client function's scheduled probe reports
// and what reads it: the Embedded Metric Format record the handler writes,
// the alarm and dashboard the stacks build on it, and `make status`. Each
// takes the names from here, so a metric the handler writes is the metric
// the alarm watches.
package probe

import "strings"

// Namespace holds the probe's metrics.
const Namespace = "CrossRegionApi/Probe"

// Metrics of every probe, under the dimensions App, ClientRegion and
// ClientAccount.
const (
	// MetricSuccess is 1 for a call that reached the API (HTTP 200), 0 for
	// any other outcome.
	MetricSuccess = "Success"
	// MetricLatency is the call's time, all attempts included, in
	// milliseconds.
	MetricLatency = "Latency"
	// MetricAttempts is how many HTTP attempts the call made.
	MetricAttempts = "Attempts"
	// MetricFailure is 1 for a failed probe, under the dimensions of every
	// probe and FailureKind: how often each kind of failure happens.
	MetricFailure = "Failure"
)

// The dashboard shows each client in a row of DashboardWidgetsPerClient
// widgets (a heading, success, latency, failures by kind, the alarm), and
// CloudWatch holds at most MaxDashboardWidgets on one dashboard ("an array
// of between 0 and 500 widget objects", Dashboard Body Structure and Syntax
// in the CloudWatch API reference): the configuration bounds the clients
// with both.
const (
	DashboardWidgetsPerClient = 5
	MaxDashboardWidgets       = 500
)

// Dimensions.
const (
	// DimensionApp is the appName: two copies of the app in one account
	// keep their probes apart.
	DimensionApp = "App"
	// DimensionClientRegion and DimensionClientAccount are the client's
	// Region and account.
	DimensionClientRegion  = "ClientRegion"
	DimensionClientAccount = "ClientAccount"
	// DimensionFailureKind is the handler's classification of a failure
	// (handler.Kind: forbidden, timeout, dns, ...).
	DimensionFailureKind = "FailureKind"
	// DimensionAPIRegion is the API Region a probe called. Only a client
	// with a failover Region writes it: it probes each Region on its own,
	// and its records have Dimensions() and ApiRegion. A client of one
	// Region writes the records it always has, without it.
	DimensionAPIRegion = "ApiRegion"
)

// Dimensions are the dimensions of every probe metric, in the order the
// record and the alarm list them.
func Dimensions() []string {
	return []string{DimensionApp, DimensionClientRegion, DimensionClientAccount}
}

// RegionDimensions are the dimensions of every probe metric of a client
// with a failover Region: Dimensions() and DimensionAPIRegion.
func RegionDimensions() []string {
	return append(Dimensions(), DimensionAPIRegion)
}

// Event is the payload the schedule sends: Probe marks the invocation as a
// probe, and the other fields are the dimension values, known to the stack
// that builds the schedule. An invocation without Probe (`make invoke`)
// writes no metric.
type Event struct {
	Probe         bool   `json:"probe"`
	App           string `json:"app"`
	ClientRegion  string `json:"clientRegion"`
	ClientAccount string `json:"clientAccount"`
}

// AlarmName is the name of a client's probe alarm, unique in its account
// and Region: the app's name and the client's id (config.Client's ClientID,
// "" for the single client of clientRegion).
func AlarmName(app, clientID string) string {
	return strings.Join(nonEmpty(app, "probe", clientID), "-")
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// DashboardWidgets is how many widgets the dashboard holds per client of
// an app with apiRegions API Regions: a heading, then a row of four per
// API Region (success, latency, failures by kind, the path's alarm);
// DashboardWidgetsPerClient with one.
func DashboardWidgets(apiRegions int) int {
	return 1 + (DashboardWidgetsPerClient-1)*max(apiRegions, 1)
}

// PathAlarmName is the name of the alarm on one path of a client of an app
// with several API Regions: the path to the API of apiRegion. The client's
// AlarmName is then its composite alarm's, which fires only when no path
// answers.
func PathAlarmName(app, clientID, apiRegion string) string {
	return AlarmName(app, clientID) + "-" + apiRegion
}

// CompositeAlarmName is the name of the composite alarm of a client of an
// app with several API Regions: the alarm that notifies, when no path
// answers. It is not the client's AlarmName, which its one alarm had
// before a second Region: CloudFormation creates a replacing resource
// before it deletes the one replaced, and alarm names are unique in an
// account and Region.
func CompositeAlarmName(app, clientID string) string {
	return AlarmName(app, clientID) + "-all-regions"
}
