// Command status tells, for each client of the configuration, whether its
// scheduled probe reaches the API: the state of the client's probe alarm,
// and the last probe's result, latency and time from its CloudWatch
// metrics, with where to look when it failed. It reads the same
// configuration as the app (cdk.json, cdk.context.json, ~/.cdk.json) and
// takes the same -c key=value arguments.
//
//	go run ./cmd/status [-c key=value ...]
//
// It exits 1 when any client is failing: its alarm is in ALARM or missing,
// its last probe failed, or no probe reported while its alarm exists.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/aws/smithy-go"

	"crossregionapi/config"
	"crossregionapi/e2e"
	"crossregionapi/internal/awscreds"
	"crossregionapi/internal/cdkcontext"
	"crossregionapi/internal/probe"
)

// Cloud is what status needs from AWS.
type Cloud interface {
	// Account is the account of the credentials in use; an error means
	// there are none that work.
	Account(ctx context.Context) (string, error)
	// AlarmState is the state of an alarm of region; exists is false when
	// there is no such alarm.
	AlarmState(ctx context.Context, region, name string) (state string, exists bool, err error)
	// ProbeData reads one client's probe metrics of region.
	ProbeData(ctx context.Context, region string, key e2e.ProbeKey, start, end time.Time) (e2e.ProbeData, error)
}

var _ Cloud = (*e2e.AWS)(nil)

func main() {
	newCloud := func(ctx context.Context) (Cloud, error) {
		a, err := e2e.NewAWS(ctx)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	code := run(context.Background(), os.Args[1:], newCloud, time.Now, os.Stdout, os.Stderr)
	jsii.Close()
	os.Exit(code)
}

// slack is how long after its interval a probe may still be missing from
// CloudWatch: the function's run, and its metrics' way from the log into
// CloudWatch.
const slack = 5 * time.Minute

func run(ctx context.Context, args []string, newCloud func(context.Context) (Cloud, error), now func() time.Time, stdout, stderr io.Writer) int {
	overrides, err := cdkcontext.ParseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "status: %v\nusage: go run ./cmd/status [-c key=value ...], with the -c values you deployed with\n", err)
		return 2
	}
	home, _ := os.UserHomeDir()
	files, err := cdkcontext.Read(".", home)
	if err != nil {
		fmt.Fprintf(stderr, "status: %v\n", err)
		return 1
	}
	for k, v := range overrides {
		files.Merged[k] = v
	}
	cfg, _, err := config.FromContext(files.Merged, files.Sources)
	if err != nil {
		fmt.Fprintf(stderr, "status: invalid configuration:\n%v\n", err)
		return 1
	}
	if cfg.ProbeIntervalMinutes == 0 {
		fmt.Fprintln(stdout, "probes are off (probeIntervalMinutes = 0): the clients have no probe, alarm or metrics to show; set probeIntervalMinutes (1 to 1440) and deploy to turn them on")
		return 0
	}
	cloud, err := newCloud(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "status: %s\n", awscreds.Problem(err))
		return 1
	}
	// Without working credentials every call below fails with the SDK's
	// whole credential chain in its error, twice per client: check once,
	// up front, and say what to do instead.
	caller, err := cloud.Account(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "status: %s\n", awscreds.Problem(err))
		return 1
	}
	interval := time.Duration(cfg.ProbeIntervalMinutes) * time.Minute
	window := 2*interval + slack
	deploy := cdkcontext.DeployCommand(args)
	var failing, unchecked []string
	for _, cl := range cfg.ClientList() {
		account := clientAccount(cfg, cl, caller)
		label := fmt.Sprintf("%s (account %s)", cl.Region, account)
		// A client's probe, metrics and alarm are in its own account, which
		// only that account's credentials can read.
		if account != caller {
			fmt.Fprintf(stdout, "%s: not checked: its alarm and metrics are in account %s, and these credentials are for account %s; run make status again with credentials for account %s\n",
				label, account, caller, account)
			unchecked = append(unchecked, label)
			continue
		}
		line, ok := clientStatus(ctx, cloud, cfg, cl, account, now(), window, deploy)
		fmt.Fprintf(stdout, "%s: %s\n", label, line)
		if !ok {
			failing = append(failing, label)
		}
	}
	if len(unchecked) > 0 {
		fmt.Fprintf(stderr, "status: %d of %d clients not checked, in other accounts: %s\n", len(unchecked), len(cfg.ClientList()), strings.Join(unchecked, ", "))
	}
	if len(failing) > 0 {
		fmt.Fprintf(stderr, "status: %d of %d clients failing: %s\n", len(failing), len(cfg.ClientList()), strings.Join(failing, ", "))
		return 1
	}
	return 0
}

// clientAccount is the account of a client's stack: its own, or the API's,
// or, when neither is set, the account of the credentials it was deployed
// with, taken to be the caller's.
func clientAccount(cfg config.Config, cl config.Client, caller string) string {
	switch {
	case cl.Account != "":
		return cl.Account
	case cfg.Account != "":
		return cfg.Account
	}
	return caller
}

// clientStatus is one client's line after its name, and whether the client
// is healthy: its alarm exists and is not in ALARM, and its last probe
// succeeded; with several API Regions, the composite alarm's state and a
// line per path, each healthy so. deploy is the command that deploys this
// configuration.
func clientStatus(ctx context.Context, cloud Cloud, cfg config.Config, cl config.Client, account string, now time.Time, window time.Duration, deploy string) (string, bool) {
	id := cfg.ClientID(cl)
	key := e2e.ProbeKey{App: cfg.AppName, ClientRegion: cl.Region, ClientAccount: account}
	if len(cfg.ApiRegions()) == 1 {
		return pathStatus(ctx, cloud, cfg, cl, probe.AlarmName(cfg.AppName, id), key, cfg.ApiRegion, now, window, deploy)
	}
	name := probe.CompositeAlarmName(cfg.AppName, id)
	state, exists, err := cloud.AlarmState(ctx, cl.Region, name)
	if err != nil {
		return cannotRead(err, account, cl.Region), false
	}
	line, ok := "alarm "+state+" (fires when no API Region answers)", exists && state != "ALARM"
	if !exists {
		line = "alarm " + name + " missing (the client stack is not deployed, or was deployed with probeIntervalMinutes = 0 or one API Region)"
	}
	var answering []string
	lines := []string{}
	for _, region := range cfg.ApiRegions() {
		key.ApiRegion = region
		l, pathOK := pathStatus(ctx, cloud, cfg, cl, probe.PathAlarmName(cfg.AppName, id, region), key, region, now, window, deploy)
		lines = append(lines, "\n  to the API in "+region+": "+l)
		ok = ok && pathOK
		if pathOK {
			answering = append(answering, region)
		}
	}
	if !ok && len(answering) > 0 {
		line += "; the client still answers through " + strings.Join(answering, " and ")
	}
	return line + strings.Join(lines, ""), ok
}

// pathStatus is the line of one path of a client, the path to the API of
// apiRegion whose alarm is name and whose metrics key names, and whether
// the path is healthy: its alarm exists and is not in ALARM, and its last
// probe succeeded.
func pathStatus(ctx context.Context, cloud Cloud, cfg config.Config, cl config.Client, name string, key e2e.ProbeKey, apiRegion string, now time.Time, window time.Duration, deploy string) (string, bool) {
	state, exists, err := cloud.AlarmState(ctx, cl.Region, name)
	if err != nil {
		return cannotRead(err, key.ClientAccount, cl.Region), false
	}
	data, err := cloud.ProbeData(ctx, cl.Region, key, now.Add(-window), now)
	if err != nil {
		return cannotRead(err, key.ClientAccount, cl.Region), false
	}
	alarm := "alarm " + state
	if !exists {
		alarm = "alarm " + name + " missing (the client stack is not deployed, or was deployed with probeIntervalMinutes = 0)"
	}
	latest, reported := data.Latest()
	switch {
	case !reported && !exists:
		return fmt.Sprintf("%s, no probe in the last %s; deploy with %s, or pass the -c values you deployed with", alarm, window, deploy), false
	case !reported:
		return fmt.Sprintf("%s, no probe in the last %s; check the client stack's probe schedule (every %d minute(s)) and the client function's logs in %s",
			alarm, window, cfg.ProbeIntervalMinutes, cl.Region), false
	case !latest.Success:
		return fmt.Sprintf("%s, last probe %s; check %s", alarm, latest.Summary(now), failureHint(latest.Kinds, apiRegion, cl.Region, cfg.Transport)), false
	}
	return fmt.Sprintf("%s, last probe %s", alarm, latest.Summary(now)), exists && state != "ALARM"
}

// cannotRead says why a client's alarm or metrics could not be read: for a
// refusal, which permissions the credentials lack, without the SDK's
// layers.
func cannotRead(err error, account, region string) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (strings.HasPrefix(apiErr.ErrorCode(), "AccessDenied") || apiErr.ErrorCode() == "UnauthorizedOperation") {
		return fmt.Sprintf("cannot read its alarm and metrics: these credentials of account %s may not (%s: %s); they need cloudwatch:DescribeAlarms, cloudwatch:ListMetrics and cloudwatch:GetMetricData in %s",
			account, apiErr.ErrorCode(), apiErr.ErrorMessage(), region)
	}
	return fmt.Sprintf("cannot read its alarm and metrics: %v", err)
}
