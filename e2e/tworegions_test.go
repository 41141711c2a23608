package e2e

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
)

// secondaryPayload is the client's answer from the API in us-east-2.
const secondaryPayload = `{"statusCode":200,"body":"{\"message\": \"hello from the private API\", \"region\": \"us-east-2\"}","attempts":1,"latencyMs":55,"url":"https://d4e5f6.execute-api.us-east-2.amazonaws.com/v1/hello","apiRegion":"us-east-2"}`

// twoRegionPlan is the default configuration with a secondary API in
// us-east-2 and the drill.
func twoRegionPlan(t *testing.T) Plan {
	t.Helper()
	base := config.Defaults()
	base.SecondaryApiRegion = "us-east-2"
	p, err := NewPlan(base)
	if err != nil {
		t.Fatal(err)
	}
	p.Drill = true
	withFakeClock(&p)
	return p
}

// With a secondary API Region the copy deploys it with a return route per
// client, and the run proves each path's first probe and alarm and the
// composite alarm; the drill breaks the primary path of the first client
// alone, and proves the call still answered (200, from the secondary), the
// primary path's alarm firing while the composite alarm stays OK, then
// restores the path and sees its alarm clear; nothing is left afterwards,
// in either API Region.
func TestRunDrillWithASecondaryRegion(t *testing.T) {
	p := twoRegionPlan(t)
	if p.Context["secondaryApiRegion"] != "us-east-2" || p.Context["secondaryApiVpcCidr"] != "10.100.0.0/16" {
		t.Fatalf("the plan's -c values %v do not deploy the secondary API", p.Context)
	}
	cloud := newFakeCloud()
	cdk := &fakeCDK{cloud: cloud}
	// The client answers from the primary while its return route is there,
	// and fails over to the secondary otherwise, as the function does.
	cloud.answer = func(region, function string) string {
		for _, r := range cloud.routes {
			if cdk.api != nil && r.vpc == cdk.api.vpc && r.DestinationCidr == "192.168.0.0/16" {
				return goodPayload
			}
		}
		return secondaryPayload
	}
	var out bytes.Buffer
	if err := Run(context.Background(), p, cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	want := []string{"credentials", "every Region bootstrapped", "no stack of this name exists", "API Gateway's CloudWatch role",
		"deploy", "read outputs", "invoke the client in us-west-2",
		"first probe of the client in us-west-2 to the API in us-east-1", "probe alarm of the client in us-west-2 to the API in us-east-1 is OK",
		"first probe of the client in us-west-2 to the API in us-east-2", "probe alarm of the client in us-west-2 to the API in us-east-2 is OK",
		"composite probe alarm of the client in us-west-2 is OK",
		"drill: delete the return route to the client in us-west-2",
		"drill: the client in us-west-2 still answers, from us-east-2",
		"drill: probe alarm of the client in us-west-2 to the API in us-east-1 is ALARM",
		"drill: composite probe alarm of the client in us-west-2 stays OK",
		"drill: restore the return route to the client in us-west-2",
		"drill: probe alarm of the client in us-west-2 to the API in us-east-1 is OK",
		"a call from outside the endpoint is refused",
		"update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16", "read outputs after the update", "invoke the client in us-west-2 after the update",
		"the client in us-west-2 peers with the new API VPC", "destroy", "nothing left"}
	if diff := cmp.Diff(want, steps(out.String())); diff != "" {
		t.Errorf("steps (-want +got):\n%s\n%s", diff, out.String())
	}
	for _, s := range []string{
		"    HTTP 200 after 1 attempt(s), 55 ms, from https://d4e5f6.execute-api.us-east-2.amazonaws.com/v1/hello",
		"    alarm " + p.Config.AppName + "-probe-all-regions in us-west-2: OK\n",
		"    alarm " + p.Config.AppName + "-probe-us-east-1 in us-west-2\n",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	// Only the primary path's routes were touched.
	for _, c := range routeCalls(cloud.calls) {
		if !strings.Contains(c, " us-east-1 rtb-1000016-") {
			t.Errorf("route call %s, want the primary API's route tables only", c)
		}
	}
}

// The drill fails, and says why, when the composite alarm fires with one
// path broken, and the route is put back all the same.
func TestRunDrillCompositeMustStayOK(t *testing.T) {
	p := twoRegionPlan(t)
	cloud := newFakeCloud()
	cdk := &fakeCDK{cloud: cloud}
	cloud.answer = func(string, string) string {
		if slices.ContainsFunc(cloud.routes, func(r vpcRoute) bool { return r.vpc == cdk.api.vpc }) {
			return goodPayload
		}
		return secondaryPayload
	}
	// Both paths break together: the secondary's routes go with the
	// primary's.
	cloud.onDelete = func() {
		cloud.routes = slices.DeleteFunc(cloud.routes, func(r vpcRoute) bool { return r.vpc == cdk.secondary.vpc })
	}
	var out bytes.Buffer
	err := Run(context.Background(), p, cloud, cdk, &out)
	if err == nil || !strings.Contains(err.Error(), "composite alarm "+p.Config.AppName+"-probe-all-regions in us-west-2 is \"ALARM\"") {
		t.Fatalf("got %v, want the composite alarm's state refused\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "ok   drill: restore the return route to the client in us-west-2") {
		t.Errorf("the route was not put back:\n%s", out.String())
	}
}

// The copy's stacks, the Regions it must find bootstrapped and look for
// leftovers in, include the secondary API's.
func TestPlanWithASecondaryRegion(t *testing.T) {
	p := twoRegionPlan(t)
	app := p.Config.AppName
	want := []stack{{app + "-Api", "us-east-1"}, {app + "-Api-us-east-2", "us-east-2"}, {app + "-Client", "us-west-2"},
		{app + "-PeeringRoute", "us-east-1"}, {app + "-PeeringRoute-us-east-2", "us-east-2"}}
	if diff := cmp.Diff(want, p.stacks(), cmp.AllowUnexported(stack{})); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"us-east-1", "us-east-2", "us-west-2"}, regions(p.Config)); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	cloud := newFakeCloud()
	cloud.vpcs["vpc-sec1"] = true
	left, err := leftovers(context.Background(), cloud, p, inventory{secondary: []regional{{"us-east-2", "vpc-sec1"}}})
	if err != nil || !slices.Contains(left, "vpc vpc-sec1 (us-east-2)") {
		t.Errorf("leftovers %v, %v; want the secondary API's VPC", left, err)
	}
}

// The secondary API's front in the fake account, in the order a
// two-client PrivateLink run with a secondary Region hands out ids: the
// primary's balancer and service, the secondary's, then each client's
// endpoint to the primary and its failover endpoint.
const (
	secLB  = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/net/api-vpc-sec101000016/0e2e3"
	secSvc = "vpce-svc-0e2e0000000000004"
	secVpc = "vpc-sec101000016"
)

// twoRegionsPrivateLink is twoClients with a secondary API in us-east-2.
func twoRegionsPrivateLink(t *testing.T) Plan {
	t.Helper()
	base := config.Defaults()
	base.Transport = config.TransportPrivateLink
	base.Clients = []config.Client{{Region: "us-west-2", Cidr: "10.0.0.0/16"}, {Region: "eu-west-1", Cidr: "10.0.0.0/16"}}
	base.SecondaryApiRegion = "us-east-2"
	p, err := NewPlan(base)
	if err != nil {
		t.Fatal(err)
	}
	withFakeClock(&p)
	return p
}

// Over PrivateLink with a secondary Region, the run proves the secondary's
// front as it proves the primary's, after the first deploy and after the
// update: its service Available with its balancer in its VPC, and each
// client's failover endpoint available, to that service in its Region, and
// listed by it, all before any call. The leftovers check looks for the
// secondary's service and balancer in its Region, and the fake account
// ends empty.
func TestRunProvesPrivateLinkWithASecondaryRegion(t *testing.T) {
	p := twoRegionsPrivateLink(t)
	cloud, _, out, err := privateLinkRun(t, p, nil)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	const secondary = "the endpoint service of the API in us-east-2"
	var want []string
	for _, phase := range []string{"", " after the update"} {
		want = append(want, secondary+" is Available, its load balancer in the VPC of the API in us-east-2"+phase,
			"the client in us-west-2 connects to "+secondary+phase, "the client in eu-west-1 connects to "+secondary+phase,
			"invoke the client in us-west-2"+phase)
	}
	got := steps(out)
	var seen []string
	for _, s := range got {
		if strings.Contains(s, secondary) || strings.HasPrefix(s, "invoke the client in us-west-2") {
			seen = append(seen, s)
		}
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("the secondary's steps, each before the invocations (-want +got):\n%s\n%s", diff, out)
	}
	if n := slices.Index(got, "the client in eu-west-1 has a new endpoint to the new endpoint service"); n < 0 || got[n+1] != want[4] {
		t.Errorf("want the secondary checked after the primary's new front:\n%s", out)
	}
	for _, line := range []string{
		"    " + serviceNameIn("us-east-2", secSvc) + " (" + secSvc + ", Available): " + secLB + " in " + secVpc + "\n",
		"    vpce-us-west-2-6: available, " + serviceNameIn("us-east-2", secSvc) + " in us-east-2\n",
		"    vpce-eu-west-1-8: available, " + serviceNameIn("us-east-2", secSvc) + " in us-east-2\n",
	} {
		if n := strings.Count(out, line); n != 2 {
			t.Errorf("output has %q %d times, want after each deploy:\n%s", line, n, out)
		}
	}
	// Each check asked the secondary's Region, after each deploy, and the
	// leftovers check looked for its service and balancer there.
	for call, n := range map[string]int{
		"EndpointService us-east-2 " + serviceNameIn("us-east-2", secSvc): 3,
		"LoadBalancerVpc us-east-2 " + secLB:                              3,
		"EndpointConnections us-east-2 " + secSvc:                         4,
		"VpcEndpoint us-west-2 vpce-us-west-2-6":                          3,
		"VpcEndpoint eu-west-1 vpce-eu-west-1-8":                          3,
	} {
		if got := countOf(cloud.calls, call); got != n {
			t.Errorf("%d calls %q, want %d", got, call, n)
		}
	}
	if len(cloud.stacks) != 0 || len(cloud.services) != 0 || len(cloud.loadBalancers) != 0 || len(cloud.endpoints) != 0 || len(cloud.vpcs) != 0 {
		t.Errorf("left: stacks %v, services %v, load balancers %v, endpoints %v, VPCs %v", cloud.stacks, cloud.services, cloud.loadBalancers, cloud.endpoints, cloud.vpcs)
	}
}

func serviceNameIn(region, id string) string { return "com.amazonaws.vpce." + region + "." + id }

func countOf(calls []string, call string) int {
	n := 0
	for _, c := range calls {
		if c == call {
			n++
		}
	}
	return n
}

// Each check of the secondary's front fails, after either deploy, when its
// condition is broken, with what is wrong, before the clients are invoked
// (again); the copy is destroyed and the leftovers looked for.
func TestRunPrivateLinkSecondaryChecks(t *testing.T) {
	// want are parts of the error's text, with the steps' phase for
	// {phase} and the copy's appName for {app}.
	cases := []struct {
		name   string
		change func(f *fakeCloud)
		want   []string
	}{
		{"the secondary's service is still Pending", func(f *fakeCloud) { f.services[secSvc].state = "Pending" }, []string{
			"the endpoint service of the API in us-east-2 is Available, its load balancer in the VPC of the API in us-east-2{phase}: endpoint service " +
				serviceNameIn("us-east-2", secSvc) + " (" + secSvc + ") is Pending, want Available"}},
		{"a client's failover endpoint names the primary's service", func(f *fakeCloud) {
			for _, svc := range f.services {
				if svc.region == "us-east-1" {
					*f.endpoints["us-west-2/vpce-us-west-2-6"] = fakeEndpoint{serviceID: svc.id, serviceName: svc.name, serviceRegion: svc.region, state: "available"}
				}
			}
		}, []string{"the client in us-west-2 connects to the endpoint service of the API in us-east-2{phase}: interface endpoint vpce-us-west-2-6 in us-west-2: it connects to com.amazonaws.vpce.us-east-1.vpce-svc-",
			"want the API stack's endpoint service " + serviceNameIn("us-east-2", secSvc) + ` (output EndpointServiceName of {app}-Api-us-east-2); service Region "us-east-1", want the API's Region us-east-2`}},
		{"the secondary's balancer is in another VPC", func(f *fakeCloud) { f.loadBalancers[secLB] = "vpc-other" }, []string{
			"load balancer " + secLB + " of endpoint service " + serviceNameIn("us-east-2", secSvc) + " is in VPC vpc-other, want the VPC of the API in us-east-2 " + secVpc +
				" (output VpcId of {app}-Api-us-east-2)"}},
	}
	for _, tc := range cases {
		for deploy := 1; deploy <= 2; deploy++ {
			phase := ""
			if deploy == 2 {
				phase = " after the update"
			}
			t.Run(fmt.Sprintf("%s, deploy %d", tc.name, deploy), func(t *testing.T) {
				p := twoRegionsPrivateLink(t)
				cloud, cdk, out, err := privateLinkRun(t, p, func(d *fakeCDK) {
					d.afterDeploy = func(f *fakeCloud, n int) {
						if n == deploy {
							tc.change(f)
						}
					}
				})
				for _, want := range tc.want {
					want = strings.NewReplacer("{phase}", phase, "{app}", p.Config.AppName).Replace(want)
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("got %v, want an error with %q", err, want)
					}
				}
				if invoked := countOf(cloud.calls, "Invoke us-west-2 "+p.Config.AppName+"-Client-us-west-2-Function-XYZ"); invoked != deploy-1 {
					t.Errorf("the client in us-west-2 was invoked %d times, want %d: none after the failed check", invoked, deploy-1)
				}
				if cdk.destroyed == nil || !strings.Contains(out, "==> nothing left") {
					t.Errorf("want the copy destroyed and the leftovers looked for:\n%s", out)
				}
			})
		}
	}
}
