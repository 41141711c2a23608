package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/e2e"
	"crossregionapi/functions/apiclient/handler"
	"crossregionapi/internal/awscreds/awscredstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // config's Region check starts the jsii runtime
	os.Exit(code)
}

// fakeCloud is CloudWatch in memory, for the credentials of account.
type fakeCloud struct {
	// noCredentials is the SDK's error when no credentials work, which
	// every call then returns.
	noCredentials error
	account       string
	alarms        map[string]string // "region/name" -> state
	data          map[e2e.ProbeKey]e2e.ProbeData
	// denied are the Regions where every read is refused.
	denied map[string]bool
	calls  []string
}

var accessDenied = &smithy.GenericAPIError{Code: "AccessDenied",
	Message: "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudwatch:DescribeAlarms"}

func (f *fakeCloud) Account(context.Context) (string, error) {
	f.calls = append(f.calls, "Account")
	if f.noCredentials != nil {
		return "", f.noCredentials
	}
	if f.account == "" {
		return "123456789012", nil
	}
	return f.account, nil
}

func (f *fakeCloud) AlarmState(_ context.Context, region, name string) (string, bool, error) {
	f.calls = append(f.calls, "AlarmState "+region+" "+name)
	if f.noCredentials != nil {
		return "", false, f.noCredentials
	}
	if f.denied[region] {
		return "", false, fmt.Errorf("describing alarm %s in %s: %w", name, region,
			&smithy.OperationError{ServiceID: "CloudWatch", OperationName: "DescribeAlarms", Err: accessDenied})
	}
	state, ok := f.alarms[region+"/"+name]
	return state, ok, nil
}

func (f *fakeCloud) ProbeData(_ context.Context, region string, key e2e.ProbeKey, start, end time.Time) (e2e.ProbeData, error) {
	f.calls = append(f.calls, fmt.Sprintf("ProbeData %s %s %s-%s", region, key, start.Format("15:04"), end.Format("15:04")))
	if f.noCredentials != nil {
		return e2e.ProbeData{}, f.noCredentials
	}
	if f.denied[region] {
		return e2e.ProbeData{}, &smithy.OperationError{ServiceID: "CloudWatch", OperationName: "GetMetricData", Err: accessDenied}
	}
	if region != key.ClientRegion {
		return e2e.ProbeData{}, fmt.Errorf("the metrics of a client in %s are read in %s", key.ClientRegion, region)
	}
	return f.data[key], nil
}

var now = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

func at(hhmm string) time.Time {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 5, 4, t.Hour(), t.Minute(), 0, 0, time.UTC)
}

// good is a probe that succeeded at hhmm in ms milliseconds.
func good(hhmm string, ms float64) e2e.ProbeData {
	return e2e.ProbeData{Success: []e2e.Point{{Time: at(hhmm), Value: 1}}, Latency: []e2e.Point{{Time: at(hhmm), Value: ms}}}
}

// failed is an earlier good probe and one that failed at hhmm with kind
// ("" for none in the metrics).
func failed(hhmm string, ms float64, kind string) e2e.ProbeData {
	d := good("11:50", 30)
	d.Success = append(d.Success, e2e.Point{Time: at(hhmm), Value: 0})
	d.Latency = append(d.Latency, e2e.Point{Time: at(hhmm), Value: ms})
	if kind != "" {
		d.Failures = map[string][]e2e.Point{kind: {{Time: at(hhmm), Value: 1}}}
	}
	return d
}

func key(region string) e2e.ProbeKey {
	return e2e.ProbeKey{App: "Demo", ClientRegion: region, ClientAccount: "123456789012"}
}

const twoClients = `clients=[{"region":"us-west-2","cidr":"10.1.0.0/16"},{"region":"eu-west-1","cidr":"10.2.0.0/16"}]`

var two = []string{"-c", "appName=Demo", "-c", twoClients}

const (
	okWest = "us-west-2 (account 123456789012): alarm OK, last probe ok in 38 ms at 2026-05-04T11:57:00Z (3m0s ago)\n"
	okEu   = "eu-west-1 (account 123456789012): alarm OK, last probe ok in 41 ms at 2026-05-04T11:58:00Z (2m0s ago)\n"
)

func runStatus(t *testing.T, args []string, c *fakeCloud) (int, string, string) {
	t.Helper()
	t.Setenv("HOME", t.TempDir()) // no ~/.cdk.json of the machine
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, func(context.Context) (Cloud, error) { return c, nil }, func() time.Time { return now }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestStatus(t *testing.T) {
	forbidden := kindHint(handler.KindForbidden, "us-east-1", config.TransportPeering)
	network := kindHint(handler.KindTimeout, "us-east-1", config.TransportPeering)
	privateLink := kindHint(handler.KindConnection, "us-east-1", config.TransportPrivateLink)
	cases := []struct {
		name       string
		args       []string
		cloud      fakeCloud
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"all OK", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "OK"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): good("11:58", 41)},
		}, 0, okWest + okEu, ""},
		{"the single client of clientRegion", []string{"-c", "appName=Demo", "-c", "clientRegion=us-west-2"}, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe": "OK"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38)},
		}, 0, okWest, ""},
		{"one ALARM, forbidden", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "ALARM"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): failed("11:58", 25, "forbidden")},
		}, 1, okWest + "eu-west-1 (account 123456789012): alarm ALARM, last probe FAILED (forbidden) in 25 ms at 2026-05-04T11:58:00Z (2m0s ago); check " + forbidden + "\n",
			"status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"ALARM with a good last probe: the path failed before and the alarm has not cleared yet", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "ALARM"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): good("11:58", 41)},
		}, 1, okWest + strings.Replace(okEu, "alarm OK", "alarm ALARM", 1), "status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"alarm OK, the last probe failed", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "OK"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): failed("11:59", 10000, "timeout")},
		}, 1, okWest + "eu-west-1 (account 123456789012): alarm OK, last probe FAILED (timeout) in 10000 ms at 2026-05-04T11:59:00Z (1m0s ago); check " + network + "\n",
			"status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"transport=privatelink: the hint names the PrivateLink path", slices.Concat(two, []string{"-c", "transport=privatelink"}), fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "ALARM"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): failed("11:58", 25, "connection")},
		}, 1, okWest + "eu-west-1 (account 123456789012): alarm ALARM, last probe FAILED (connection) in 25 ms at 2026-05-04T11:58:00Z (2m0s ago); check " + privateLink + "\n",
			"status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"a failure the metrics do not sort", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "ALARM"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): failed("11:58", 25, "")},
		}, 1, okWest + "eu-west-1 (account 123456789012): alarm ALARM, last probe FAILED in 25 ms at 2026-05-04T11:58:00Z (2m0s ago); check the client function's logs in eu-west-1, which tell each failure with its kind and hint\n",
			"status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"alarm missing", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38)},
		}, 1, okWest + "eu-west-1 (account 123456789012): alarm Demo-probe-eu-west-1 missing (the client stack is not deployed, or was deployed with probeIntervalMinutes = 0), no probe in the last 15m0s; deploy with npx cdk deploy --all -c appName=Demo -c '" + twoClients + "', or pass the -c values you deployed with\n",
			"status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"alarm missing, though a probe reported: nothing watches the probe", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): good("11:58", 41)},
		}, 1, okWest + "eu-west-1 (account 123456789012): alarm Demo-probe-eu-west-1 missing (the client stack is not deployed, or was deployed with probeIntervalMinutes = 0), last probe ok in 41 ms at 2026-05-04T11:58:00Z (2m0s ago)\n",
			"status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"no probe while the alarm exists", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "INSUFFICIENT_DATA"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38)},
		}, 1, okWest + "eu-west-1 (account 123456789012): alarm INSUFFICIENT_DATA, no probe in the last 15m0s; check the client stack's probe schedule (every 5 minute(s)) and the client function's logs in eu-west-1\n",
			"status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"just deployed: INSUFFICIENT_DATA after a good probe", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "INSUFFICIENT_DATA"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): good("11:58", 41)},
		}, 0, okWest + strings.Replace(okEu, "alarm OK", "alarm INSUFFICIENT_DATA", 1), ""},
		{"a probe every 30 minutes looks back 65 minutes", []string{"-c", "appName=Demo", "-c", "clientRegion=us-west-2", "-c", "probeIntervalMinutes=30"}, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe": "OK"},
		}, 1, "us-west-2 (account 123456789012): alarm OK, no probe in the last 1h5m0s; check the client stack's probe schedule (every 30 minute(s)) and the client function's logs in us-west-2\n",
			"status: 1 of 1 clients failing: us-west-2 (account 123456789012)\n"},
		{"the credentials may not read CloudWatch", two, fakeCloud{
			alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "OK"},
			data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), key("eu-west-1"): good("11:58", 41)},
			denied: map[string]bool{"eu-west-1": true},
		}, 1, okWest + "eu-west-1 (account 123456789012): cannot read its alarm and metrics: these credentials of account 123456789012 may not (AccessDenied: " + accessDenied.Message + "); they need cloudwatch:DescribeAlarms, cloudwatch:ListMetrics and cloudwatch:GetMetricData in eu-west-1\n",
			"status: 1 of 2 clients failing: eu-west-1 (account 123456789012)\n"},
		{"a stray argument", []string{"--all"}, fakeCloud{}, 2, "", "status: unexpected argument \"--all\": only -c key=value is accepted\nusage: go run ./cmd/status [-c key=value ...], with the -c values you deployed with\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cloud
			code, stdout, stderr := runStatus(t, tc.args, &c)
			t.Logf("make status printed (exit %d):\n%s%s", code, stdout, stderr)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			if diff := cmp.Diff(tc.wantStdout, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStderr, stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// A client in another account than the credentials' is not read at all
// (every read there would be refused): its line names the account whose
// credentials can, and the others are checked as usual.
func TestStatusOtherAccount(t *testing.T) {
	args := []string{"-c", "appName=Demo", "-c", "account=123456789012", "-c",
		`clients=[{"region":"us-west-2","cidr":"10.1.0.0/16"},{"region":"eu-west-1","cidr":"10.2.0.0/16","account":"222222222222"}]`}
	c := &fakeCloud{
		alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1-222222222222": "OK"},
		data:   map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38)},
		denied: map[string]bool{"eu-west-1": true},
	}
	code, stdout, stderr := runStatus(t, args, c)
	want := okWest + "eu-west-1 (account 222222222222): not checked: its alarm and metrics are in account 222222222222, and these credentials are for account 123456789012; run make status again with credentials for account 222222222222\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if code != 0 || stderr != "status: 1 of 2 clients not checked, in other accounts: eu-west-1 (account 222222222222)\n" {
		t.Errorf("exit %d, stderr %q; want 0 and the client not checked", code, stderr)
	}
	for _, call := range c.calls {
		if strings.Contains(call, "eu-west-1") {
			t.Errorf("read the other account's client: %s", call)
		}
	}

	// With that account's credentials, the client is read there, and the
	// API's account is now the other one.
	c = &fakeCloud{account: "222222222222",
		alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1-222222222222": "OK"},
		data: map[e2e.ProbeKey]e2e.ProbeData{
			{App: "Demo", ClientRegion: "eu-west-1", ClientAccount: "222222222222"}: good("11:58", 41)},
		denied: map[string]bool{"us-west-2": true},
	}
	code, stdout, _ = runStatus(t, args, c)
	want = "us-west-2 (account 123456789012): not checked: its alarm and metrics are in account 123456789012, and these credentials are for account 222222222222; run make status again with credentials for account 123456789012\n" +
		strings.Replace(okEu, "account 123456789012", "account 222222222222", 1)
	if diff := cmp.Diff(want, stdout); diff != "" || code != 0 {
		t.Errorf("exit %d, stdout (-want +got):\n%s", code, diff)
	}
}

// With the probes off there is nothing to read: status says so, exits 0
// and needs no credentials.
func TestStatusProbesOff(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	var stdout, stderr bytes.Buffer
	called := false
	code := run(context.Background(), []string{"-c", "appName=Demo", "-c", twoClients, "-c", "probeIntervalMinutes=0"},
		func(context.Context) (Cloud, error) {
			called = true
			return &fakeCloud{noCredentials: sdkNoCredentials}, nil
		},
		func() time.Time { return now }, &stdout, &stderr)
	want := "probes are off (probeIntervalMinutes = 0): the clients have no probe, alarm or metrics to show; set probeIntervalMinutes (1 to 1440) and deploy to turn them on\n"
	if code != 0 || stdout.String() != want || stderr.Len() != 0 || called {
		t.Errorf("exit %d, stdout %q, stderr %q, AWS asked: %v; want 0, only\n%s", code, stdout.String(), stderr.String(), called, want)
	}
}

// sdkNoCredentials is the error the SDK gives on a machine without
// credentials, where the chain ends at the EC2 instance metadata service.
var sdkNoCredentials = awscredstest.NoCredentials

// Without credentials status says so once, whatever the number of clients,
// and calls nothing but the check.
func TestStatusNoCredentials(t *testing.T) {
	c := &fakeCloud{noCredentials: sdkNoCredentials}
	code, stdout, stderr := runStatus(t, two, c)
	want := "status: no usable AWS credentials (none in the environment or ~/.aws, and no EC2 instance role); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the account you deployed to and run again\n"
	if code != 1 || stderr != want || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant 1 and only:\n%s", code, stdout, stderr, want)
	}
	if !slices.Equal(c.calls, []string{"Account"}) {
		t.Errorf("calls %q, want only the credentials check", c.calls)
	}
}

// The window looked at is the client's: the last two intervals and the
// slack, in the client's Region, under the client's dimensions.
func TestStatusReadsTheClientsMetrics(t *testing.T) {
	c := &fakeCloud{alarms: map[string]string{"us-west-2/Demo-probe-us-west-2": "OK", "eu-west-1/Demo-probe-eu-west-1": "OK"}}
	runStatus(t, two, c)
	want := []string{"Account",
		"AlarmState us-west-2 Demo-probe-us-west-2", "ProbeData us-west-2 App=Demo, ClientRegion=us-west-2, ClientAccount=123456789012 11:45-12:00",
		"AlarmState eu-west-1 Demo-probe-eu-west-1", "ProbeData eu-west-1 App=Demo, ClientRegion=eu-west-1, ClientAccount=123456789012 11:45-12:00"}
	if diff := cmp.Diff(want, c.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// Every kind of failure the handler sorts has a hint.
func TestEveryKindHasAHint(t *testing.T) {
	for _, k := range []handler.Kind{handler.KindForbidden, handler.KindThrottled, handler.KindServer, handler.KindStatus, handler.KindDNS,
		handler.KindTimeout, handler.KindConnection, handler.KindTLS, handler.KindCredentials} {
		for _, transport := range []string{config.TransportPeering, config.TransportPrivateLink} {
			if kindHint(k, "us-east-1", transport) == "" {
				t.Errorf("no hint for %s over %s", k, transport)
			}
		}
	}
}

// The command status prints for a client not deployed, pasted into a POSIX
// shell, passes the CLI exactly the -c values status was given, a quote or
// JSON in them included.
func TestStatusPrintsAPasteableCommand(t *testing.T) {
	args := []string{"-c", "appName=Demo", "-c", twoClients, "-c", "alarmEmail=o'brien@example.com", "--context", "probeIntervalMinutes=5"}
	_, stdout, _ := runStatus(t, args, &fakeCloud{})
	_, cmd, found := strings.Cut(stdout, "; deploy with ")
	cmd, _, _ = strings.Cut(cmd, ", or pass the -c values")
	if !found {
		t.Fatalf("stdout:\n%s\nwant a command to deploy with", stdout)
	}
	out, err := exec.Command("/bin/sh", "-c", `printf '%s\0' `+cmd).Output()
	if err != nil {
		t.Fatalf("/bin/sh -c %q: %v", cmd, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if diff := cmp.Diff(append([]string{"npx", "cdk", "deploy", "--all"}, args...), got); diff != "" {
		t.Errorf("%s\nreads in /bin/sh as (-want +got):\n%s", cmd, diff)
	}
}

// With secondaryApiRegion, a client's line is its composite alarm's state,
// then a line per path to an API Region with the path's alarm and last
// probe, read under that Region's ApiRegion dimension, and a failing path
// fails the client while saying which Regions still answer.
func TestStatusTwoApiRegions(t *testing.T) {
	args := []string{"-c", "appName=Demo", "-c", "clientRegion=us-west-2", "-c", "secondaryApiRegion=us-east-2"}
	path := func(region string) e2e.ProbeKey {
		k := key("us-west-2")
		k.ApiRegion = region
		return k
	}
	alarms := func(composite, east1, east2 string) map[string]string {
		out := map[string]string{}
		for name, state := range map[string]string{"Demo-probe-all-regions": composite, "Demo-probe-us-east-1": east1, "Demo-probe-us-east-2": east2} {
			if state != "" {
				out["us-west-2/"+name] = state
			}
		}
		return out
	}
	timeout := kindHint(handler.KindTimeout, "us-east-1", config.TransportPeering)
	const client = "us-west-2 (account 123456789012): "
	const east1OK = "\n  to the API in us-east-1: alarm OK, last probe ok in 38 ms at 2026-05-04T11:57:00Z (3m0s ago)"
	const east2OK = "\n  to the API in us-east-2: alarm OK, last probe ok in 52 ms at 2026-05-04T11:57:00Z (3m0s ago)"
	east1Failed := "\n  to the API in us-east-1: alarm ALARM, last probe FAILED (timeout) in 1000 ms at 2026-05-04T11:58:00Z (2m0s ago); check " + timeout
	cases := []struct {
		name       string
		cloud      fakeCloud
		wantCode   int
		wantStdout string
	}{
		{"both paths answer", fakeCloud{alarms: alarms("OK", "OK", "OK"),
			data: map[e2e.ProbeKey]e2e.ProbeData{path("us-east-1"): good("11:57", 38), path("us-east-2"): good("11:57", 52)}},
			0, client + "alarm OK (fires when no API Region answers)" + east1OK + east2OK + "\n"},
		{"the primary path fails, the secondary answers", fakeCloud{alarms: alarms("OK", "ALARM", "OK"),
			data: map[e2e.ProbeKey]e2e.ProbeData{path("us-east-1"): failed("11:58", 1000, "timeout"), path("us-east-2"): good("11:57", 52)}},
			1, client + "alarm OK (fires when no API Region answers); the client still answers through us-east-2" + east1Failed + east2OK + "\n"},
		{"the composite alarm is missing", fakeCloud{alarms: alarms("", "OK", "OK"),
			data: map[e2e.ProbeKey]e2e.ProbeData{path("us-east-1"): good("11:57", 38), path("us-east-2"): good("11:57", 52)}},
			1, client + "alarm Demo-probe-all-regions missing (the client stack is not deployed, or was deployed with probeIntervalMinutes = 0 or one API Region); the client still answers through us-east-1 and us-east-2" + east1OK + east2OK + "\n"},
		{"the one API's metrics, without ApiRegion, are not a path's", fakeCloud{alarms: alarms("OK", "OK", "OK"),
			data: map[e2e.ProbeKey]e2e.ProbeData{key("us-west-2"): good("11:57", 38), path("us-east-2"): good("11:57", 52)}},
			1, client + "alarm OK (fires when no API Region answers); the client still answers through us-east-2\n  to the API in us-east-1: alarm OK, no probe in the last 15m0s; check the client stack's probe schedule (every 5 minute(s)) and the client function's logs in us-west-2" + east2OK + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, _ := runStatus(t, args, &tc.cloud)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			if diff := cmp.Diff(tc.wantStdout, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}
