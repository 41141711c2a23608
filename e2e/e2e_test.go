package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // config's Region check starts the jsii runtime
	os.Exit(code)
}

func plan(t *testing.T) Plan {
	t.Helper()
	p, err := NewPlan(config.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	withFakeClock(&p)
	return p
}

// withFakeClock gives the plan a clock whose waits take no time, and
// returns it.
func withFakeClock(p *Plan) *fakeClock {
	c := &fakeClock{t: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)}
	p.now, p.sleep = c.now, c.sleep
	return c
}

const goodPayload = `{"statusCode":200,"body":"{\"message\": \"hello from the private API\", \"region\": \"us-east-1\"}","attempts":1,"latencyMs":40,"url":"https://a1b2c3.execute-api.us-east-1.amazonaws.com/v1/hello"}`

func TestPlanNamesAFreshValidCopy(t *testing.T) {
	base := config.Defaults()
	base.Account = "123456789012"
	a, b := plan(t), plan(t)
	if a.Config.AppName == b.Config.AppName {
		t.Errorf("two plans share the app name %s", a.Config.AppName)
	}
	if !regexp.MustCompile(`^E2e[0-9a-f]{10}$`).MatchString(a.Config.AppName) {
		t.Errorf("app name %q, want E2e and 10 hex digits", a.Config.AppName)
	}
	if a.Config.AppName == base.AppName || a.Context["appName"] != a.Config.AppName {
		t.Errorf("context appName %q for config %q", a.Context["appName"], a.Config.AppName)
	}
	if err := a.Config.Validate(); err != nil {
		t.Errorf("the plan's config is invalid: %v", err)
	}
	p, err := NewPlan(base)
	if err != nil || p.Config.Account != "" {
		t.Errorf("account %q, %v: the run deploys to the account of its credentials", p.Config.Account, err)
	}
	// The probes run every minute, whatever the base says, so the run sees
	// them and their alarms within minutes.
	base.ProbeIntervalMinutes = 0
	p, err = NewPlan(base)
	if err != nil || p.Context["probeIntervalMinutes"] != "1" || p.Config.ProbeIntervalMinutes != 1 {
		t.Errorf("probeIntervalMinutes: context %q, config %d, %v; want 1 in both", p.Context["probeIntervalMinutes"], p.Config.ProbeIntervalMinutes, err)
	}
	if p.Drill || p.Waits != DefaultWaits {
		t.Errorf("drill %v, waits %+v: want no drill and the default waits", p.Drill, p.Waits)
	}
}

// A probe that never comes fails the run once the bound has passed, with
// the metric it looked for and where to look, and the copy is destroyed.
func TestRunStopsWaitingForAProbeThatNeverComes(t *testing.T) {
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cloud.noProbe = true
	cdk := &fakeCDK{cloud: cloud}
	p := plan(t)
	clock := withFakeClock(&p)
	start := clock.t
	var out bytes.Buffer
	err := Run(context.Background(), p, cloud, cdk, &out)
	want := "first probe of the client in us-west-2: no Success datapoint in CrossRegionApi/Probe (App=" + p.Config.AppName +
		", ClientRegion=us-west-2, ClientAccount=123456789012) after 10m0s: check the client stack's probe schedule (every 1 minute(s)) and the client function's log group in us-west-2"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error with %q", err, want)
	}
	if waited := clock.t.Sub(start); waited != p.Waits.FirstProbe {
		t.Errorf("waited %s, want the bound %s", waited, p.Waits.FirstProbe)
	}
	if got := cloud.probeLooks["us-west-2"]; got != 31 {
		t.Errorf("%d looks, want one every 20 s for 10 min and one at the bound: 31", got)
	}
	// Progress: the first look, then once a minute.
	if n := strings.Count(out.String(), ": no datapoint yet\n"); n != 11 {
		t.Errorf("%d progress lines, want 11:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "FAIL first probe of the client in us-west-2 (10m0s): no Success datapoint") {
		t.Errorf("the failed step and its duration are not shown:\n%s", out.String())
	}
	if strings.Contains(out.String(), "==> probe alarm") || cdk.destroyed == nil {
		t.Errorf("want the alarm not waited for and the copy destroyed:\n%s", out.String())
	}
}

// An alarm that never clears fails the run after its bound.
func TestRunStopsWaitingForAnAlarmThatStaysInAlarm(t *testing.T) {
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cloud.alarmStuck = "ALARM"
	cdk := &fakeCDK{cloud: cloud}
	p := plan(t)
	var out bytes.Buffer
	err := Run(context.Background(), p, cloud, cdk, &out)
	want := "probe alarm of the client in us-west-2 is OK: alarm " + p.Config.AppName + "-probe in us-west-2 is still ALARM after 15m0s, want OK"
	if err == nil || !strings.Contains(err.Error(), want) || cdk.destroyed == nil {
		t.Errorf("got %v, want an error with %q and the copy destroyed", err, want)
	}
}

// With the drill, the run breaks the first client's return routes after the
// probes are proven, sees the alarm fire, puts the routes back exactly as
// they were and sees the alarm clear, each a step with its duration.
func TestRunDrill(t *testing.T) {
	base := config.Defaults()
	base.Clients = []config.Client{{Region: "us-west-2", Cidr: "192.168.0.0/16"}, {Region: "eu-west-1", Cidr: "172.20.0.0/16"}}
	p, err := NewPlan(base)
	if err != nil {
		t.Fatal(err)
	}
	p.Drill = true
	withFakeClock(&p)
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cdk := &fakeCDK{cloud: cloud}
	var out bytes.Buffer
	var before []vpcRoute
	cloud.onDelete = func() {
		if before == nil {
			before = slices.Clone(cloud.routes)
		}
	}
	if err := Run(context.Background(), p, cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	want := []string{"credentials", "every Region bootstrapped", "no stack of this name exists", "API Gateway's CloudWatch role",
		"deploy", "read outputs", "invoke the client in us-west-2", "invoke the client in eu-west-1",
		"first probe of the client in us-west-2", "probe alarm of the client in us-west-2 is OK",
		"first probe of the client in eu-west-1", "probe alarm of the client in eu-west-1 is OK",
		"drill: delete the return route to the client in us-west-2",
		"drill: probe alarm of the client in us-west-2 is ALARM",
		"drill: restore the return route to the client in us-west-2",
		"drill: probe alarm of the client in us-west-2 is OK",
		"a call from outside the endpoint is refused",
		"update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16", "read outputs after the update",
		"invoke the client in us-west-2 after the update", "invoke the client in eu-west-1 after the update",
		"the client in us-west-2 peers with the new API VPC", "the client in eu-west-1 peers with the new API VPC", "destroy", "nothing left"}
	if diff := cmp.Diff(want, steps(out.String())); diff != "" {
		t.Errorf("steps (-want +got):\n%s\n%s", diff, out.String())
	}
	wantCalls := []string{
		"DeleteRoute us-east-1 rtb-1000016-a 192.168.0.0/16", "DeleteRoute us-east-1 rtb-1000016-b 192.168.0.0/16",
		"CreateRoute us-east-1 rtb-1000016-a 192.168.0.0/16 pcx-us-west-2-vpc-1000016", "CreateRoute us-east-1 rtb-1000016-b 192.168.0.0/16 pcx-us-west-2-vpc-1000016",
	}
	if diff := cmp.Diff(wantCalls, routeCalls(cloud.calls)); diff != "" {
		t.Errorf("route calls (-want +got):\n%s", diff)
	}
	if !strings.Contains(out.String(), "    rtb-1000016-a: 192.168.0.0/16 -> pcx-us-west-2-vpc-1000016 deleted\n") {
		t.Errorf("the deleted routes are not shown:\n%s", out.String())
	}
	if cloud.restoredRoutes == nil {
		t.Fatal("the routes were not looked at after the restore")
	}
	byTable := func(a, b vpcRoute) int {
		return strings.Compare(a.RouteTableID+a.DestinationCidr, b.RouteTableID+b.DestinationCidr)
	}
	slices.SortFunc(before, byTable)
	slices.SortFunc(cloud.restoredRoutes, byTable)
	if diff := cmp.Diff(before, cloud.restoredRoutes, cmp.AllowUnexported(vpcRoute{})); diff != "" {
		t.Errorf("routes after the restore (-before +after):\n%s", diff)
	}
}

// routeCalls are the DeleteRoute and CreateRoute calls among calls.
func routeCalls(calls []string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, "DeleteRoute ") || strings.HasPrefix(c, "CreateRoute ") {
			out = append(out, c)
		}
	}
	return out
}

// When the alarm does not fire, the drill still puts the routes back,
// before the copy is destroyed, and the run fails.
func TestRunDrillRestoresTheRoutesWhenTheAlarmDoesNotFire(t *testing.T) {
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cloud.alarmStuck = "OK"
	cdk := &fakeCDK{cloud: cloud}
	p := plan(t)
	p.Drill = true
	var out bytes.Buffer
	err := Run(context.Background(), p, cloud, cdk, &out)
	want := "drill: probe alarm of the client in us-west-2 is ALARM: alarm " + p.Config.AppName + "-probe in us-west-2 is still OK after 15m0s, want ALARM"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error with %q", err, want)
	}
	wantCalls := []string{
		"DeleteRoute us-east-1 rtb-1000016-a 192.168.0.0/16", "DeleteRoute us-east-1 rtb-1000016-b 192.168.0.0/16",
		"CreateRoute us-east-1 rtb-1000016-a 192.168.0.0/16 pcx-us-west-2-vpc-1000016", "CreateRoute us-east-1 rtb-1000016-b 192.168.0.0/16 pcx-us-west-2-vpc-1000016",
	}
	if diff := cmp.Diff(wantCalls, routeCalls(cloud.calls)); diff != "" {
		t.Errorf("route calls (-want +got):\n%s", diff)
	}
	o := out.String()
	failed := strings.Index(o, "FAIL drill: probe alarm of the client in us-west-2 is ALARM (15m0s)")
	restored := strings.Index(o, "ok   drill: restore the return route to the client in us-west-2")
	destroyed := strings.Index(o, "==> destroy")
	if failed < 0 || restored < failed || destroyed < restored {
		t.Errorf("want the failed wait, then the restore, then the destroy:\n%s", o)
	}
	if strings.Contains(o, "==> drill: probe alarm of the client in us-west-2 is OK") || strings.Contains(o, "==> a call from outside") {
		t.Errorf("the run went on after the failed drill:\n%s", o)
	}
}

func TestLatestProbe(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 5, 4, 12, min, 0, 0, time.UTC) }
	cases := []struct {
		name string
		data ProbeData
		want Probe
		ok   bool
	}{
		{"none", ProbeData{}, Probe{}, false},
		{"the latest succeeded", ProbeData{Success: []Point{{at(1), 0}, {at(2), 1}}, Latency: []Point{{at(1), 5000}, {at(2), 42}},
			Failures: map[string][]Point{"timeout": {{at(1), 1}}}},
			Probe{Time: at(2), Success: true, LatencyMs: 42, HasLatency: true}, true},
		{"the latest failed", ProbeData{Success: []Point{{at(2), 0}, {at(1), 1}}, Latency: []Point{{at(2), 120}},
			Failures: map[string][]Point{"forbidden": {{at(2), 1}}, "timeout": {{at(0), 1}}}},
			Probe{Time: at(2), LatencyMs: 120, HasLatency: true, Kinds: []string{"forbidden"}}, true},
		{"only a Failure datapoint for the latest", ProbeData{Success: []Point{{at(1), 1}},
			Failures: map[string][]Point{"dns": {{at(3), 1}}}},
			Probe{Time: at(3), Kinds: []string{"dns"}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.data.Latest()
			if ok != tc.ok || !cmp.Equal(got, tc.want) {
				t.Errorf("Latest: %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// steps are the names of the steps that passed, in order.
func steps(out string) []string {
	var names []string
	for _, s := range regexp.MustCompile(`(?m)^ok   (.*) \(\d`).FindAllStringSubmatch(out, -1) {
		names = append(names, s[1])
	}
	return names
}

func TestRunProvesACopyAndLeavesNothing(t *testing.T) {
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cloud.probeDelay, cloud.alarmDelay = 3, 2
	cdk := &fakeCDK{cloud: cloud}
	p := plan(t)
	var out bytes.Buffer
	if err := Run(context.Background(), p, cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	want := []string{"credentials", "every Region bootstrapped", "no stack of this name exists", "API Gateway's CloudWatch role",
		"deploy", "read outputs", "invoke the client in us-west-2",
		"first probe of the client in us-west-2", "probe alarm of the client in us-west-2 is OK",
		"a call from outside the endpoint is refused",
		"update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16", "read outputs after the update", "invoke the client in us-west-2 after the update",
		"the client in us-west-2 peers with the new API VPC", "destroy", "nothing left"}
	if diff := cmp.Diff(want, steps(out.String())); diff != "" {
		t.Errorf("steps (-want +got):\n%s\n%s", diff, out.String())
	}
	// The waits poll every 20 s, print what they see when it changes, and
	// the step's duration is the wait's.
	for _, want := range []string{
		"==> first probe of the client in us-west-2\n    0s: no datapoint yet\n    1m0s: latest probe: ok in 42 ms at 2026-05-04T11:59:00Z (2m0s ago)\nok   first probe of the client in us-west-2 (1m0s)\n",
		"==> probe alarm of the client in us-west-2 is OK\n    alarm " + p.Config.AppName + "-probe in us-west-2\n    0s: INSUFFICIENT_DATA\n    40s: OK\nok   probe alarm of the client in us-west-2 is OK (40s)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks\n%s\ngot:\n%s", want, out.String())
		}
	}
	if cdk.deployed["probeIntervalMinutes"] != "1" {
		t.Errorf("deployed with probeIntervalMinutes=%q, want 1", cdk.deployed["probeIntervalMinutes"])
	}
	if cdk.deployed["apiGatewayCloudWatchRole"] != config.CloudWatchRoleCreate {
		t.Errorf("account without a role: deployed with %v, want create", cdk.deployed)
	}
	if cdk.deploys != 2 || cdk.deployed["apiVpcCidr"] != "10.200.0.0/16" || cdk.destroyed["apiVpcCidr"] != "10.200.0.0/16" {
		t.Errorf("%d deploys, the last with apiVpcCidr %s, destroyed with %s: want 2, the update's range for both",
			cdk.deploys, cdk.deployed["apiVpcCidr"], cdk.destroyed["apiVpcCidr"])
	}
	if !strings.Contains(out.String(), "pcx-us-west-2-vpc-102000016: vpc-102000016, active (was pcx-us-west-2-vpc-1000016)") {
		t.Errorf("the peering check does not show the new and the old connection:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "kept by design: API Gateway's CloudWatch role arn:aws:iam::123456789012:role/"+p.Config.AppName) {
		t.Errorf("the kept role is not named:\n%s", out.String())
	}
	fn := "Invoke us-west-2 " + p.Config.AppName + "-Client-Function-XYZ"
	wantCalls := []string{"Account", fn, "SignedGet us-east-1 https://a1b2c3.execute-api.us-east-1.amazonaws.com/v1/hello",
		fn, "PeeringConnection us-west-2 pcx-us-west-2-vpc-102000016"}
	if diff := cmp.Diff(wantCalls, cloud.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// With clients, the run proves every spoke: one invocation per client
// Region, leftovers looked for in every Region.
func TestRunProvesEverySpoke(t *testing.T) {
	base := config.Defaults()
	base.Clients = []config.Client{{Region: "us-west-2", Cidr: "192.168.0.0/16"}, {Region: "eu-west-1", Cidr: "172.20.0.0/16"}}
	p, err := NewPlan(base)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Context["clients"]; got != `[{"cidr":"192.168.0.0/16","region":"us-west-2"},{"cidr":"172.20.0.0/16","region":"eu-west-1"}]` {
		t.Errorf("-c clients=%s", got)
	}
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cdk := &fakeCDK{cloud: cloud}
	var out bytes.Buffer
	if err := Run(context.Background(), p, cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	app := p.Config.AppName
	var invoked []string
	for _, c := range cloud.calls {
		if strings.HasPrefix(c, "Invoke ") {
			invoked = append(invoked, c)
		}
	}
	once := []string{"Invoke us-west-2 " + app + "-Client-us-west-2-Function-XYZ", "Invoke eu-west-1 " + app + "-Client-eu-west-1-Function-XYZ"}
	want := append(once, once...) // after the first deploy, and after the update
	if diff := cmp.Diff(want, invoked); diff != "" {
		t.Errorf("invocations (-want +got):\n%s", diff)
	}
	for _, region := range []string{"us-west-2", "eu-west-1"} {
		if !slices.Contains(cloud.calls, "PeeringConnection "+region+" pcx-"+region+"-vpc-102000016") {
			t.Errorf("the peering connection in %s is not checked against the new API VPC: %v", region, cloud.calls)
		}
	}
	if len(cloud.stacks) != 0 {
		t.Errorf("stacks left: %v", cloud.stacks)
	}
	base.Clients[1].Account = "222222222222"
	base.Account = "111111111111"
	if _, err := NewPlan(base); err == nil || !strings.Contains(err.Error(), "222222222222") {
		t.Errorf("a client in another account: got %v, want an error naming it", err)
	}
}

func TestRunUsesTheAccountsRoleWhenItHasOne(t *testing.T) {
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cloud.roleArn = "arn:aws:iam::123456789012:role/TeamApiGatewayLogs"
	cdk := &fakeCDK{cloud: cloud}
	var out bytes.Buffer
	if err := Run(context.Background(), plan(t), cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if cdk.deployed["apiGatewayCloudWatchRole"] != config.CloudWatchRoleExisting {
		t.Errorf("deployed with %v, want apiGatewayCloudWatchRole=existing", cdk.deployed)
	}
	if strings.Contains(out.String(), "kept by design") {
		t.Errorf("reports a kept role it did not create:\n%s", out.String())
	}
}

// Before it deploys, the run stops on anything that would make it fail
// later or touch what is not its own, and then it destroys nothing.
func TestRunStopsBeforeDeploying(t *testing.T) {
	p := plan(t)
	cases := []struct {
		name  string
		setup func(*fakeCloud)
		want  string
	}{
		{"no credentials", func(f *fakeCloud) { f.noCredentials = true }, "no usable AWS credentials"},
		{"a Region not bootstrapped", func(f *fakeCloud) { f.notBootstrapped = "us-west-2" }, "npx cdk bootstrap aws://123456789012/us-west-2"},
		{"a stack of the name exists", func(f *fakeCloud) { f.stacks["us-west-2/"+p.Config.AppName+"-Client"] = map[string]string{} }, "already exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newFakeCloud()
			tc.setup(cloud)
			cdk := &fakeCDK{cloud: cloud}
			var out bytes.Buffer
			err := Run(context.Background(), p, cloud, cdk, &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
			if cdk.deployed != nil || cdk.destroyed != nil {
				t.Errorf("deployed %v, destroyed %v: want neither", cdk.deployed, cdk.destroyed)
			}
		})
	}
}

// Once it has deployed anything, the run destroys it whatever failed, and
// still checks what is left.
func TestRunAlwaysDestroys(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*fakeCloud, *fakeCDK)
		want  []string
	}{
		{"deploy fails half-way", func(_ *fakeCloud, d *fakeCDK) { d.deployErr = errors.New("CREATE_FAILED") }, []string{"deploy: CREATE_FAILED"}},
		{"the function fails", func(f *fakeCloud, _ *fakeCDK) {
			f.invokeError = "Unhandled"
			f.invokePayload = `{"errorMessage":"GET https://x/v1/hello failed after 1 attempt: HTTP 403 (forbidden)","errorType":"errorString"}`
		}, []string{"invoke the client in us-west-2: the client function failed: GET https://x/v1/hello failed after 1 attempt: HTTP 403"}},
		{"the API answers from another Region", func(f *fakeCloud, _ *fakeCDK) {
			f.invokePayload = strings.Replace(goodPayload, `\"region\": \"us-east-1\"`, `\"region\": \"eu-west-1\"`, 1)
		}, []string{"does not name its Region us-east-1"}},
		{"the API answers outside the endpoint", func(f *fakeCloud, _ *fakeCDK) {
			f.invokePayload = goodPayload
			f.outsideStatus = 200
		}, []string{"from outside the VPCs answered 200, want 403"}},
		{"the update fails", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.updateErr = errors.New("UPDATE_ROLLBACK_COMPLETE")
		}, []string{"update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16: UPDATE_ROLLBACK_COMPLETE"}},
		{"the update leaves a client peered with the old VPC", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.keepPeering = true
		}, []string{"the client in us-west-2 peers with the new API VPC: peering connection pcx-us-west-2-vpc-1000016: accepter VPC vpc-1000016 (active), want vpc-102000016"}},
		{"the update keeps the API VPC", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.keepVpc = true
		}, []string{"read outputs after the update: the update kept the API's VPC vpc-1000016"}},
		{"the update leaves the old API VPC behind", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.keepOldVpc = true
		}, []string{"nothing left: left behind: vpc vpc-1000016 (us-east-1)"}},
		{"destroy leaves a log group", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.destroyLeaks = []string{"API-Gateway-Execution-Logs_a1b2c3/v1"}
		}, []string{"nothing left: left behind: log group API-Gateway-Execution-Logs_a1b2c3/v1 (us-east-1)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newFakeCloud()
			cdk := &fakeCDK{cloud: cloud}
			tc.setup(cloud, cdk)
			var out bytes.Buffer
			err := Run(context.Background(), plan(t), cloud, cdk, &out)
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, want an error with %q", err, want)
				}
			}
			if cdk.destroyed == nil {
				t.Error("the copy was not destroyed")
			}
			if !strings.Contains(out.String(), "==> nothing left") {
				t.Errorf("no leftovers check:\n%s", out.String())
			}
		})
	}
}

func TestLeftoversLooksEverywhere(t *testing.T) {
	p := plan(t)
	app := p.Config.AppName
	cloud := newFakeCloud()
	cloud.stacks["us-east-1/"+app+"-PeeringRoute"] = map[string]string{}
	cloud.logGroups["us-west-2"] = []string{"/aws/lambda/" + app + "-Client-CustomVpcRestrictDefaultSG-1", "OtherApp-Client-Logs"}
	cloud.logGroups["us-east-1"] = []string{"API-Gateway-Execution-Logs_a1b2c3/v1", "API-Gateway-Execution-Logs_zzz/v1"}
	cloud.params["us-east-1"] = []string{"/" + app + "/api/route-table-0", "/" + app + "x/other"}
	cloud.vpcs["vpc-old"] = true
	got, err := leftovers(context.Background(), cloud, p, inventory{apiIDs: []string{"a1b2c3"}, vpcIDs: []string{"vpc-old", "vpc-gone"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"log group /aws/lambda/" + app + "-Client-CustomVpcRestrictDefaultSG-1 (us-west-2)",
		"log group API-Gateway-Execution-Logs_a1b2c3/v1 (us-east-1)",
		"parameter /" + app + "/api/route-table-0 (us-east-1)",
		"stack " + app + "-PeeringRoute (us-east-1)",
		"vpc vpc-old (us-east-1)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leftovers (-want +got):\n%s", diff)
	}
}

func TestArgs(t *testing.T) {
	got := Args("deploy", map[string]string{"b": "2", "a": "1"})
	want := []string{"deploy", "--all", "--require-approval", "never", "--concurrency", "3", "-c", "a=1", "-c", "b=2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deploy args (-want +got):\n%s", diff)
	}
	if got := fmt.Sprint(Args("destroy", nil)); got != "[destroy --all --force]" {
		t.Errorf("destroy args: %s", got)
	}
}

func TestClientsFor(t *testing.T) {
	got := ClientsFor([]string{"us-west-2", "eu-west-1"})
	want := `[{"cidr":"10.101.0.0/16","region":"us-west-2"},{"cidr":"10.102.0.0/16","region":"eu-west-1"}]`
	if got != want {
		t.Errorf("ClientsFor: got %s, want %s", got, want)
	}
	c, _, err := config.FromContext(map[string]any{"clients": got}, config.Sources{})
	if err != nil || len(c.ClientList()) != 2 {
		t.Errorf("the clients do not pass validation: %v", err)
	}
}

// privateLinkPlan is a plan over PrivateLink with clients, whose ranges
// overlap the API's and each other's, as PrivateLink allows.
func privateLinkPlan(t *testing.T, clients ...config.Client) Plan {
	t.Helper()
	base := config.Defaults()
	base.Transport = config.TransportPrivateLink
	base.Clients = clients
	p, err := NewPlan(base)
	if err != nil {
		t.Fatal(err)
	}
	withFakeClock(&p)
	return p
}

// The plan deploys the transport of the configuration, and expects the
// stacks of that transport: no return-route stacks over PrivateLink.
func TestPlanDeploysItsTransport(t *testing.T) {
	if got := plan(t).Context["transport"]; got != config.TransportPeering {
		t.Errorf("the default: -c transport=%s, want %s", got, config.TransportPeering)
	}
	p := privateLinkPlan(t)
	if got := p.Context["transport"]; got != config.TransportPrivateLink {
		t.Errorf("-c transport=%s, want %s", got, config.TransportPrivateLink)
	}
	app := p.Config.AppName
	if diff := cmp.Diff([]stack{{app + "-Api", "us-east-1"}, {app + "-Client", "us-west-2"}}, p.stacks(), cmp.AllowUnexported(stack{})); diff != "" {
		t.Errorf("one client over PrivateLink: stacks (-want +got):\n%s", diff)
	}
	p = privateLinkPlan(t, config.Client{Region: "us-west-2", Cidr: "10.0.0.0/16"}, config.Client{Region: "eu-west-1", Cidr: "10.0.0.0/16"})
	app = p.Config.AppName
	want := []stack{{app + "-Api", "us-east-1"}, {app + "-Client-us-west-2", "us-west-2"}, {app + "-Client-eu-west-1", "eu-west-1"}}
	if diff := cmp.Diff(want, p.stacks(), cmp.AllowUnexported(stack{})); diff != "" {
		t.Errorf("two clients over PrivateLink: stacks (-want +got):\n%s", diff)
	}
	if p.NextApiVpcCidr != "10.200.0.0/16" {
		t.Errorf("the update's range %s, want 10.200.0.0/16", p.NextApiVpcCidr)
	}
}

// The settings given in E2E_ARGS that the plan does not decide reach every
// deploy and destroy as written; the plan's own keys, the account and the
// clients stay the plan's.
func TestPlanForwardsTheOtherSettings(t *testing.T) {
	p := plan(t)
	app := p.Context["appName"]
	p.Forward(map[string]any{
		"logEncryption": "kms", "logRetentionDays": "365", "appName": "Mine", "account": "123456789012",
		"clients": `[{"region":"eu-west-1","cidr":"10.9.0.0/16"}]`, "probeIntervalMinutes": "30",
	})
	for key, want := range map[string]string{"logEncryption": "kms", "logRetentionDays": "365", "appName": app, "probeIntervalMinutes": "1"} {
		if got := p.Context[key]; got != want {
			t.Errorf("-c %s=%s, want %s", key, got, want)
		}
	}
	for _, key := range []string{"account", "clients"} {
		if v, ok := p.Context[key]; ok {
			t.Errorf("-c %s=%s forwarded: the copy deploys into the credentials' account, with the plan's clients", key, v)
		}
	}
}

// The drill breaks a return route, which PrivateLink does not have: the run
// refuses it before it touches anything.
func TestRunRefusesTheDrillOverPrivateLink(t *testing.T) {
	p := privateLinkPlan(t)
	p.Drill = true
	cloud := newFakeCloud()
	cdk := &fakeCDK{cloud: cloud}
	var out bytes.Buffer
	err := Run(context.Background(), p, cloud, cdk, &out)
	if err == nil || !strings.Contains(err.Error(), "the drill (E2E_DRILL=1) deletes a client's return route, which transport privatelink does not have") {
		t.Errorf("got %v, want the drill refused", err)
	}
	if len(cloud.calls) != 0 || cdk.deployed != nil || cdk.destroyed != nil {
		t.Errorf("calls %v, deployed %v, destroyed %v: want none", cloud.calls, cdk.deployed, cdk.destroyed)
	}
}
