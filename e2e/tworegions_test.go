package e2e

import (
	"bytes"
	"context"
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
