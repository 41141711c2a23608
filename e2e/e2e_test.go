package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/probe"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // config's Region check starts the jsii runtime
	os.Exit(code)
}

// fakeCloud is an account in memory. The fake CDK below deploys into it.
type fakeCloud struct {
	noCredentials   bool
	notBootstrapped string
	stacks          map[string]map[string]string // "region/name" -> outputs
	logGroups       map[string][]string          // region -> names
	params          map[string][]string          // region -> names
	roleArn         string
	invokePayload   string
	invokeError     string
	outsideStatus   int
	vpcs            map[string]bool   // API VPC ids that exist
	peerings        map[string]string // peering connection id -> accepter VPC
	// routes are the API VPCs' routes to the clients.
	routes []vpcRoute
	// alarms are the probe alarms: "region/name" -> the client's range.
	// An alarm is INSUFFICIENT_DATA for its first alarmDelay looks, then
	// ALARM while a route to its client's range is missing and OK
	// otherwise, unless alarmStuck holds a state it keeps.
	alarms     map[string]string
	alarmDelay int
	alarmLooks map[string]int
	alarmStuck string
	// probeDelay is how many looks find no probe datapoint of a client;
	// noProbe, that none ever comes.
	probeDelay int
	noProbe    bool
	probeLooks map[string]int
	tableVpc   map[string]string // route table -> its VPC
	// onDelete runs before each DeleteRoute; restoredRoutes are the routes
	// after the last CreateRoute.
	onDelete       func()
	restoredRoutes []vpcRoute
	calls          []string
	// Over PrivateLink: the clients' interface endpoints ("region/id"),
	// the endpoint services ("region/name") and the load balancers (ARN ->
	// VPC). An alarm of alarmEndpoints (alarm "region/name" -> endpoint
	// "region/id") is OK while that endpoint is available and connects to a
	// service that exists, and ALARM otherwise.
	endpoints      map[string]Endpoint
	services       map[string]EndpointService
	loadBalancers  map[string]string
	alarmEndpoints map[string]string
}

// vpcRoute is a route of a route table of a VPC.
type vpcRoute struct {
	vpc string
	Route
}

func newFakeCloud() *fakeCloud {
	return &fakeCloud{
		stacks: map[string]map[string]string{}, logGroups: map[string][]string{}, params: map[string][]string{},
		outsideStatus: 403, vpcs: map[string]bool{}, peerings: map[string]string{},
		alarms: map[string]string{}, alarmLooks: map[string]int{}, probeLooks: map[string]int{}, tableVpc: map[string]string{},
		endpoints: map[string]Endpoint{}, services: map[string]EndpointService{}, loadBalancers: map[string]string{}, alarmEndpoints: map[string]string{},
	}
}

// fakeClock is a clock whose sleeps take no time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return nil
}

func (f *fakeCloud) AlarmState(_ context.Context, region, name string) (string, bool, error) {
	cidr, ok := f.alarms[region+"/"+name]
	if !ok {
		return "", false, nil
	}
	f.alarmLooks[region+"/"+name]++
	switch {
	case f.alarmStuck != "":
		return f.alarmStuck, true, nil
	case f.alarmLooks[region+"/"+name] <= f.alarmDelay:
		return "INSUFFICIENT_DATA", true, nil
	}
	if key, ok := f.alarmEndpoints[region+"/"+name]; ok {
		e, exists := f.endpoints[key]
		if _, served := f.services[e.ServiceRegion+"/"+e.ServiceName]; exists && served && e.State == "available" {
			return "OK", true, nil
		}
		return "ALARM", true, nil
	}
	for _, r := range f.routes {
		if r.DestinationCidr == cidr {
			return "OK", true, nil
		}
	}
	return "ALARM", true, nil
}

func (f *fakeCloud) ProbeData(_ context.Context, region string, key ProbeKey, start, end time.Time) (ProbeData, error) {
	f.probeLooks[region]++
	if f.noProbe || f.probeLooks[region] <= f.probeDelay || key.ClientRegion != region || key.ClientAccount != "123456789012" {
		return ProbeData{}, nil
	}
	t := end.Add(-90 * time.Second).Truncate(time.Minute)
	return ProbeData{Success: []Point{{t, 1}}, Latency: []Point{{t, 42}}}, nil
}

func (f *fakeCloud) ReturnRoutes(_ context.Context, region, vpc, cidr string) ([]Route, error) {
	var out []Route
	for _, r := range f.routes {
		if r.vpc == vpc && r.DestinationCidr == cidr {
			out = append(out, r.Route)
		}
	}
	return out, nil
}

func (f *fakeCloud) DeleteRoute(_ context.Context, region string, r Route) error {
	f.calls = append(f.calls, "DeleteRoute "+region+" "+r.RouteTableID+" "+r.DestinationCidr)
	if f.onDelete != nil {
		f.onDelete()
	}
	f.routes = slices.DeleteFunc(f.routes, func(v vpcRoute) bool {
		return v.RouteTableID == r.RouteTableID && v.DestinationCidr == r.DestinationCidr
	})
	return nil
}

func (f *fakeCloud) CreateRoute(_ context.Context, region string, r Route) error {
	f.calls = append(f.calls, "CreateRoute "+region+" "+r.RouteTableID+" "+r.DestinationCidr+" "+r.PeeringConnectionID)
	f.routes = append(f.routes, vpcRoute{f.tableVpc[r.RouteTableID], r})
	f.restoredRoutes = slices.Clone(f.routes)
	return nil
}

func (f *fakeCloud) PeeringConnection(_ context.Context, region, id string) (string, string, error) {
	f.calls = append(f.calls, "PeeringConnection "+region+" "+id)
	accepter, ok := f.peerings[id]
	if !ok {
		return "", "", fmt.Errorf("InvalidVpcPeeringConnectionID.NotFound: %s", id)
	}
	return accepter, "active", nil
}

func (f *fakeCloud) VpcExists(_ context.Context, _, id string) (bool, error) { return f.vpcs[id], nil }

func (f *fakeCloud) VpcEndpoint(_ context.Context, region, id string) (Endpoint, bool, error) {
	f.calls = append(f.calls, "VpcEndpoint "+region+" "+id)
	e, ok := f.endpoints[region+"/"+id]
	return e, ok, nil
}

func (f *fakeCloud) EndpointService(_ context.Context, region, name string) (EndpointService, bool, error) {
	f.calls = append(f.calls, "EndpointService "+region+" "+name)
	s, ok := f.services[region+"/"+name]
	return s, ok, nil
}

func (f *fakeCloud) LoadBalancerVpc(_ context.Context, region, arn string) (string, bool, error) {
	f.calls = append(f.calls, "LoadBalancerVpc "+region+" "+arn)
	if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:"+region+":") {
		return "", false, nil
	}
	vpc, ok := f.loadBalancers[arn]
	return vpc, ok, nil
}

func (f *fakeCloud) Account(context.Context) (string, error) {
	f.calls = append(f.calls, "Account")
	if f.noCredentials {
		return "", errors.New("no EC2 IMDS role found")
	}
	return "123456789012", nil
}

func (f *fakeCloud) BootstrapVersion(_ context.Context, region string) (string, error) {
	if region == f.notBootstrapped {
		return "", nil
	}
	return "30", nil
}

func (f *fakeCloud) StackOutputs(_ context.Context, region, stack string) (map[string]string, bool, error) {
	out, ok := f.stacks[region+"/"+stack]
	return out, ok, nil
}

func (f *fakeCloud) Invoke(_ context.Context, region, function string) ([]byte, string, error) {
	f.calls = append(f.calls, "Invoke "+region+" "+function)
	return []byte(f.invokePayload), f.invokeError, nil
}

func (f *fakeCloud) SignedGet(_ context.Context, region, url string) (int, error) {
	f.calls = append(f.calls, "SignedGet "+region+" "+url)
	return f.outsideStatus, nil
}

func (f *fakeCloud) LogGroups(_ context.Context, region, prefix string) ([]string, error) {
	var out []string
	for _, g := range f.logGroups[region] {
		if strings.HasPrefix(g, prefix) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (f *fakeCloud) Parameters(_ context.Context, region, path string) ([]string, error) {
	var out []string
	for _, p := range f.params[region] {
		if strings.HasPrefix(p, path+"/") {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeCloud) CloudWatchRoleArn(context.Context, string) (string, error) { return f.roleArn, nil }

// fakeCDK deploys the copy's three stacks, its log groups and parameters
// into the fake account, and destroys them.
type fakeCDK struct {
	cloud        *fakeCloud
	deployErr    error
	updateErr    error    // the second deploy's error
	keepPeering  bool     // the update leaves the clients' peering connections alone
	keepOldVpc   bool     // the update's cleanup fails to delete the old API VPC
	destroyLeaks []string // log groups the destroy leaves
	deploys      int
	deployed     map[string]string
	destroyed    map[string]string

	// Over PrivateLink: the state of the clients' endpoints ("" for
	// available), the service they name ("" for the API's), and whether
	// the update leaves the endpoint service on the old VPC's load
	// balancer (which then keeps the old VPC from being deleted).
	endpointState    string
	endpointService  string
	keepLoadBalancer bool
}

func (d *fakeCDK) Deploy(_ context.Context, c map[string]string) error {
	d.deployed = maps.Clone(c)
	d.deploys++
	if c["transport"] == config.TransportPrivateLink {
		return d.deployPrivateLink(c)
	}
	app, api, client := c["appName"], c["apiRegion"], c["clientRegion"]
	f := d.cloud
	// The API's VPC id follows its range, as a replacement would.
	vpc := "vpc-" + strings.NewReplacer(".", "", "/", "").Replace(c["apiVpcCidr"])
	old := f.stacks[api+"/"+app+"-Api"]["VpcId"]
	f.vpcs[vpc] = true
	if old != "" && old != vpc && !d.keepOldVpc {
		delete(f.vpcs, old)
	}
	f.stacks[api+"/"+app+"-Api"] = map[string]string{"ApiId": "a1b2c3", "ApiUrl": "https://a1b2c3.execute-api." + api + ".amazonaws.com/v1/", "VpcId": vpc}
	if d.deployErr != nil {
		return d.deployErr
	}
	if d.deploys > 1 && d.updateErr != nil {
		return d.updateErr
	}
	type spoke struct{ region, suffix, cidr, id string }
	spokes := []spoke{{client, "", c["clientVpcCidr"], ""}}
	if c["clients"] != "" {
		var list []map[string]string
		if err := json.Unmarshal([]byte(c["clients"]), &list); err != nil {
			return err
		}
		spokes = nil
		for _, cl := range list {
			spokes = append(spokes, spoke{cl["region"], "-" + cl["region"], cl["cidr"], cl["region"]})
		}
	}
	f.routes = slices.DeleteFunc(f.routes, func(r vpcRoute) bool { return r.vpc == old && !d.keepOldVpc })
	for _, sp := range spokes {
		if c["probeIntervalMinutes"] != "" && c["probeIntervalMinutes"] != "0" {
			f.alarms[sp.region+"/"+probe.AlarmName(app, sp.id)] = sp.cidr
		}
		// The API's VPC has two route tables, each with a route back to
		// every client.
		for _, rt := range []string{"rtb-" + strings.TrimPrefix(vpc, "vpc-") + "-a", "rtb-" + strings.TrimPrefix(vpc, "vpc-") + "-b"} {
			f.routes = append(f.routes, vpcRoute{vpc, Route{rt, sp.cidr, "pcx-" + sp.region + "-" + vpc}})
			f.tableVpc[rt] = vpc
		}
	}
	f.logGroups[api] = append(f.logGroups[api], "API-Gateway-Execution-Logs_a1b2c3/v1", app+"-Api-PrivateApiAccessLogs-1")
	f.params[api] = append(f.params[api], "/"+app+"/api/route-table-0")
	for _, sp := range spokes {
		key := sp.region + "/" + app + "-Client" + sp.suffix
		peering := "pcx-" + sp.region + "-" + vpc
		if prev := f.stacks[key]["PeeringConnectionId"]; prev != "" && d.keepPeering {
			peering = prev
		} else {
			f.peerings[peering] = vpc
		}
		f.stacks[key] = map[string]string{"FunctionName": app + "-Client" + sp.suffix + "-Function-XYZ", "PeeringConnectionId": peering}
		f.stacks[api+"/"+app+"-PeeringRoute"+sp.suffix] = map[string]string{}
		f.logGroups[sp.region] = append(f.logGroups[sp.region], app+"-Client"+sp.suffix+"-ClientFunctionLogs-1")
	}
	if c["apiGatewayCloudWatchRole"] == config.CloudWatchRoleCreate {
		f.roleArn = "arn:aws:iam::123456789012:role/" + app + "-Api-PrivateApiCloudWatchRole-1"
	}
	return nil
}

// fakeServiceID is the id of the API's endpoint service in the fake
// account.
const fakeServiceID = "vpce-svc-0e2e0e2e0e2e0e2e0"

// deployPrivateLink deploys the copy's 1 + N stacks over PrivateLink as
// AWS would: the API stack with its VPC and an endpoint service whose load
// balancer is named after the VPC, so a new VPC replaces the balancer and
// the service, updated in place, keeps its name and moves to the new one
// (the update's cleanup deletes the old balancer, then the old VPC); each
// client stack with an interface endpoint to the service, which accepts it
// at once. The client stacks do not change with the API's VPC, so their
// endpoints keep their ids.
func (d *fakeCDK) deployPrivateLink(c map[string]string) error {
	app, api := c["appName"], c["apiRegion"]
	f := d.cloud
	vpc := "vpc-" + strings.NewReplacer(".", "", "/", "").Replace(c["apiVpcCidr"])
	apiStack := api + "/" + app + "-Api"
	old := f.stacks[apiStack]["VpcId"]
	service := "com.amazonaws.vpce." + api + "." + fakeServiceID
	lb := "arn:aws:elasticloadbalancing:" + api + ":123456789012:loadbalancer/net/api-" + vpc + "/0e2e"
	f.vpcs[vpc] = true
	if _, ok := f.services[api+"/"+service]; !ok || !d.keepLoadBalancer {
		for _, arn := range f.services[api+"/"+service].LoadBalancers {
			delete(f.loadBalancers, arn)
		}
		f.loadBalancers[lb] = vpc
		f.services[api+"/"+service] = EndpointService{ID: fakeServiceID, State: "Available", LoadBalancers: []string{lb}}
		if old != "" && old != vpc && !d.keepOldVpc {
			delete(f.vpcs, old)
		}
	}
	f.stacks[apiStack] = map[string]string{"ApiId": "a1b2c3", "ApiUrl": "https://a1b2c3.execute-api." + api + ".amazonaws.com/v1/", "VpcId": vpc,
		"EndpointServiceName": service}
	if d.deployErr != nil {
		return d.deployErr
	}
	if d.deploys > 1 && d.updateErr != nil {
		return d.updateErr
	}
	type spoke struct{ region, suffix, cidr, id string }
	spokes := []spoke{{c["clientRegion"], "", c["clientVpcCidr"], ""}}
	if c["clients"] != "" {
		var list []map[string]string
		if err := json.Unmarshal([]byte(c["clients"]), &list); err != nil {
			return err
		}
		spokes = nil
		for _, cl := range list {
			spokes = append(spokes, spoke{cl["region"], "-" + cl["region"], cl["cidr"], cl["region"]})
		}
	}
	f.logGroups[api] = append(f.logGroups[api], "API-Gateway-Execution-Logs_a1b2c3/v1", app+"-Api-PrivateApiAccessLogs-1",
		app+"-Api-EndpointServiceEndpointAddressesLogs-1")
	f.params[api] = append(f.params[api], "/"+app+"/api/endpoint-dns-name")
	for _, sp := range spokes {
		id := "vpce-" + sp.region
		e := Endpoint{ServiceName: service, ServiceRegion: api, State: "available"}
		if d.endpointState != "" {
			e.State = d.endpointState
		}
		if d.endpointService != "" {
			e.ServiceName = d.endpointService
		}
		f.endpoints[sp.region+"/"+id] = e
		if c["probeIntervalMinutes"] != "" && c["probeIntervalMinutes"] != "0" {
			alarm := sp.region + "/" + probe.AlarmName(app, sp.id)
			f.alarms[alarm] = sp.cidr
			f.alarmEndpoints[alarm] = sp.region + "/" + id
		}
		f.stacks[sp.region+"/"+app+"-Client"+sp.suffix] = map[string]string{"FunctionName": app + "-Client" + sp.suffix + "-Function-XYZ", "EndpointId": id}
		f.logGroups[sp.region] = append(f.logGroups[sp.region], app+"-Client"+sp.suffix+"-ClientFunctionLogs-1")
	}
	if c["apiGatewayCloudWatchRole"] == config.CloudWatchRoleCreate {
		f.roleArn = "arn:aws:iam::123456789012:role/" + app + "-Api-PrivateApiCloudWatchRole-1"
	}
	return nil
}

func (d *fakeCDK) Destroy(_ context.Context, c map[string]string) error {
	d.destroyed = c
	f := d.cloud
	app := c["appName"]
	delete(f.vpcs, f.stacks[c["apiRegion"]+"/"+app+"-Api"]["VpcId"])
	for key, svc := range f.services {
		for _, arn := range svc.LoadBalancers {
			delete(f.loadBalancers, arn)
		}
		delete(f.services, key)
	}
	clear(f.endpoints)
	clear(f.alarmEndpoints)
	f.routes = nil
	clear(f.alarms)
	for k := range f.stacks {
		if strings.Contains(k, "/"+app+"-") {
			delete(f.stacks, k)
		}
	}
	for region := range f.logGroups {
		f.logGroups[region] = nil
	}
	for region := range f.params {
		f.params[region] = nil
	}
	f.logGroups[c["apiRegion"]] = append(f.logGroups[c["apiRegion"]], d.destroyLeaks...)
	return nil
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

// Over PrivateLink the run proves, after the first deploy and after the
// update, every client's interface endpoint (available, to the API stack's
// service, in the API's Region) and the service's load balancer in the API's
// VPC, then every client's call; after the destroy, it looks for the
// service, both load balancers and the endpoints. Nothing peers, no
// return-route stack exists.
func TestRunProvesPrivateLink(t *testing.T) {
	p := privateLinkPlan(t, config.Client{Region: "us-west-2", Cidr: "10.0.0.0/16"}, config.Client{Region: "eu-west-1", Cidr: "10.0.0.0/16"})
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cloud.probeDelay, cloud.alarmDelay = 1, 1
	cdk := &fakeCDK{cloud: cloud}
	var out bytes.Buffer
	if err := Run(context.Background(), p, cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	want := []string{"credentials", "every Region bootstrapped", "no stack of this name exists", "API Gateway's CloudWatch role",
		"deploy", "read outputs",
		"the client in us-west-2 connects to the API's endpoint service", "the client in eu-west-1 connects to the API's endpoint service",
		"the endpoint service's load balancer is in the API VPC",
		"invoke the client in us-west-2", "invoke the client in eu-west-1",
		"first probe of the client in us-west-2", "probe alarm of the client in us-west-2 is OK",
		"first probe of the client in eu-west-1", "probe alarm of the client in eu-west-1 is OK",
		"a call from outside the endpoint is refused",
		"update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16", "read outputs after the update",
		"the client in us-west-2 connects to the API's endpoint service after the update",
		"the client in eu-west-1 connects to the API's endpoint service after the update",
		"the endpoint service's load balancer is in the new API VPC",
		"invoke the client in us-west-2 after the update", "invoke the client in eu-west-1 after the update",
		"destroy", "nothing left"}
	if diff := cmp.Diff(want, steps(out.String())); diff != "" {
		t.Errorf("steps (-want +got):\n%s\n%s", diff, out.String())
	}
	// Every step still prints its duration.
	if n, m := strings.Count(out.String(), "\n==> "), len(regexp.MustCompile(`(?m)^ok   .* \(\d[^)]*\)$`).FindAllString(out.String(), -1)); n+1 != m {
		t.Errorf("%d steps started, %d ended with a duration:\n%s", n+1, m, out.String())
	}
	if cdk.deploys != 2 || cdk.deployed["transport"] != config.TransportPrivateLink || cdk.destroyed["transport"] != config.TransportPrivateLink {
		t.Errorf("%d deploys, deployed with %v, destroyed with %v: want 2, both with transport=privatelink", cdk.deploys, cdk.deployed, cdk.destroyed)
	}
	app := p.Config.AppName
	service := "com.amazonaws.vpce.us-east-1." + fakeServiceID
	oldLB := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/api-vpc-1000016/0e2e"
	newLB := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/api-vpc-102000016/0e2e"
	for _, want := range []string{
		"    vpce-us-west-2: available, " + service + " in us-east-1\n",
		"    vpce-eu-west-1: available, " + service + " in us-east-1\n",
		"==> the endpoint service's load balancer is in the API VPC\n    " + oldLB + ": vpc-1000016\nok ",
		"==> the endpoint service's load balancer is in the new API VPC\n    " + newLB + ": vpc-102000016 (was " + oldLB + ")\nok ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	fn := func(region string) string {
		return "Invoke " + region + " " + app + "-Client-" + region + "-Function-XYZ"
	}
	checks := []string{
		"VpcEndpoint us-west-2 vpce-us-west-2", "VpcEndpoint eu-west-1 vpce-eu-west-1",
		"EndpointService us-east-1 " + service,
	}
	wantCalls := slices.Concat([]string{"Account"}, checks, []string{"LoadBalancerVpc us-east-1 " + oldLB, fn("us-west-2"), fn("eu-west-1"),
		"SignedGet us-east-1 https://a1b2c3.execute-api.us-east-1.amazonaws.com/v1/hello"},
		checks, []string{"LoadBalancerVpc us-east-1 " + newLB, fn("us-west-2"), fn("eu-west-1"),
			// the leftovers check
			"EndpointService us-east-1 " + service, "LoadBalancerVpc us-east-1 " + oldLB, "LoadBalancerVpc us-east-1 " + newLB,
			"VpcEndpoint us-west-2 vpce-us-west-2", "VpcEndpoint eu-west-1 vpce-eu-west-1"})
	if diff := cmp.Diff(wantCalls, cloud.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if len(cloud.stacks) != 0 || len(cloud.services) != 0 || len(cloud.loadBalancers) != 0 || len(cloud.endpoints) != 0 {
		t.Errorf("left: stacks %v, services %v, load balancers %v, endpoints %v", cloud.stacks, cloud.services, cloud.loadBalancers, cloud.endpoints)
	}
}

// A client's endpoint that is not available, that connects to another
// service or to a service of another Region fails the run at the endpoint's
// check, with what is wrong, before any invocation; the copy is destroyed.
func TestRunPrivateLinkEndpointNotConnectedToTheService(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*fakeCDK)
		want  string
	}{
		{"pending acceptance", func(d *fakeCDK) { d.endpointState = "pendingAcceptance" },
			"the client in us-west-2 connects to the API's endpoint service: interface endpoint vpce-us-west-2 in us-west-2: state pendingAcceptance, want available " +
				"(the endpoint service waits for someone to accept the connection; it must accept its clients without a manual step)"},
		{"another service", func(d *fakeCDK) { d.endpointService = "com.amazonaws.vpce.us-east-1.vpce-svc-0other" },
			"the client in us-west-2 connects to the API's endpoint service: interface endpoint vpce-us-west-2 in us-west-2: it connects to com.amazonaws.vpce.us-east-1.vpce-svc-0other, " +
				"want the API stack's endpoint service com.amazonaws.vpce.us-east-1." + fakeServiceID + " (output EndpointServiceName of "},
		{"rejected, to another service", func(d *fakeCDK) {
			d.endpointState = "rejected"
			d.endpointService = "com.amazonaws.vpce.us-east-1.vpce-svc-0other"
		},
			"interface endpoint vpce-us-west-2 in us-west-2: state rejected, want available; it connects to com.amazonaws.vpce.us-east-1.vpce-svc-0other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := privateLinkPlan(t)
			cloud := newFakeCloud()
			cloud.invokePayload = goodPayload
			cdk := &fakeCDK{cloud: cloud}
			tc.setup(cdk)
			var out bytes.Buffer
			err := Run(context.Background(), p, cloud, cdk, &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
			if slices.ContainsFunc(cloud.calls, func(c string) bool { return strings.HasPrefix(c, "Invoke ") }) {
				t.Errorf("invoked a client after the failed check: %v", cloud.calls)
			}
			if cdk.destroyed == nil || !strings.Contains(out.String(), "==> nothing left") {
				t.Errorf("want the copy destroyed and the leftovers looked for:\n%s", out.String())
			}
		})
	}
	// An endpoint of the API's service in another Region.
	p := privateLinkPlan(t)
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cdk := &fakeCDK{cloud: cloud}
	if err := cdk.Deploy(context.Background(), p.Context); err != nil {
		t.Fatal(err)
	}
	e := cloud.endpoints["us-west-2/vpce-us-west-2"]
	e.ServiceRegion = "us-east-2"
	cloud.endpoints["us-west-2/vpce-us-west-2"] = e
	var out bytes.Buffer
	r := &runner{out: &out, now: p.now, sleep: p.sleep}
	_, err := r.prove(context.Background(), p, cloud, &inventory{}, nil)
	want := `interface endpoint vpce-us-west-2 in us-west-2: service Region "us-east-2", want the API's Region us-east-1`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error with %q", err, want)
	}
}

// An update after which the endpoint service's load balancer is still in
// the old API VPC fails the run, naming the balancer, its VPC and both API
// VPCs, before the clients are invoked again; the copy is destroyed.
func TestRunPrivateLinkLoadBalancerLeftInTheOldVpc(t *testing.T) {
	p := privateLinkPlan(t)
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cdk := &fakeCDK{cloud: cloud, keepLoadBalancer: true}
	var out bytes.Buffer
	err := Run(context.Background(), p, cloud, cdk, &out)
	oldLB := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/api-vpc-1000016/0e2e"
	want := "the endpoint service's load balancer is in the new API VPC: load balancer " + oldLB + " of endpoint service com.amazonaws.vpce.us-east-1." + fakeServiceID +
		" is in VPC vpc-1000016, want the new API VPC vpc-102000016; the old API VPC was vpc-1000016"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error with %q", err, want)
	}
	if strings.Contains(out.String(), "==> invoke the client in us-west-2 after the update") {
		t.Errorf("invoked the client after the failed check:\n%s", out.String())
	}
	// The old VPC, which still held the balancer when the update's cleanup
	// ran, is left behind, and the run says so.
	if err == nil || !strings.Contains(err.Error(), "nothing left: left behind: vpc vpc-1000016 (us-east-1)") || cdk.destroyed == nil {
		t.Errorf("got %v, want the copy destroyed and the old VPC reported", err)
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

// Over PrivateLink the leftovers are the stacks of the transport (no
// return-route stack), the endpoint service, every load balancer it had and
// the clients' endpoints.
func TestLeftoversLooksForThePrivateLinkResources(t *testing.T) {
	p := privateLinkPlan(t, config.Client{Region: "us-west-2", Cidr: "10.0.0.0/16"}, config.Client{Region: "eu-west-1", Cidr: "10.0.0.0/16"})
	app := p.Config.AppName
	cloud := newFakeCloud()
	cloud.stacks["eu-west-1/"+app+"-Client-eu-west-1"] = map[string]string{}
	service := "com.amazonaws.vpce.us-east-1." + fakeServiceID
	oldLB := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/api-vpc-old/1"
	newLB := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/api-vpc-new/2"
	cloud.services["us-east-1/"+service] = EndpointService{ID: fakeServiceID, State: "Deleting"}
	cloud.loadBalancers[oldLB] = "vpc-old"
	cloud.endpoints["eu-west-1/vpce-eu-west-1"] = Endpoint{ServiceName: service, ServiceRegion: "us-east-1", State: "available"}
	s := inventory{apiIDs: []string{"a1b2c3"}, services: []string{service}, loadBalancers: []string{oldLB, newLB},
		endpoints: []regional{{"us-west-2", "vpce-us-west-2"}, {"eu-west-1", "vpce-eu-west-1"}}}
	got, err := leftovers(context.Background(), cloud, p, s)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"endpoint service " + service + " (us-east-1)",
		"load balancer " + oldLB + " (us-east-1)",
		"stack " + app + "-Client-eu-west-1 (eu-west-1)",
		"vpc endpoint vpce-eu-west-1 (eu-west-1)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leftovers (-want +got):\n%s", diff)
	}
}
