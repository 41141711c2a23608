package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
)

// The fake account's ids, in the order a two-client PrivateLink run hands
// them out: the first deploy's load balancer, service and endpoints, then
// the update's.
const (
	oldLB  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/api-vpc-1000016/0e2e1"
	oldSvc = "vpce-svc-0e2e0000000000002"
	newLB  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/api-vpc-102000016/0e2e5"
	newSvc = "vpce-svc-0e2e0000000000006"
)

func serviceName(id string) string { return "com.amazonaws.vpce.us-east-1." + id }

// twoClients is a PrivateLink plan with clients in us-west-2 and eu-west-1,
// whose ranges overlap the API's and each other's, as PrivateLink allows.
func twoClients(t *testing.T) Plan {
	return privateLinkPlan(t, config.Client{Region: "us-west-2", Cidr: "10.0.0.0/16"}, config.Client{Region: "eu-west-1", Cidr: "10.0.0.0/16"})
}

// privateLinkRun runs p against a fresh fake account and a fake CDK set up
// by setup.
func privateLinkRun(t *testing.T, p Plan, setup func(*fakeCDK)) (*fakeCloud, *fakeCDK, string, error) {
	t.Helper()
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cdk := &fakeCDK{cloud: cloud}
	if setup != nil {
		setup(cdk)
	}
	var out bytes.Buffer
	err := Run(context.Background(), p, cloud, cdk, &out)
	return cloud, cdk, out.String(), err
}

// Over PrivateLink the run proves, after the first deploy, the API's
// endpoint service (Available, its load balancer in the API VPC) and every
// client's endpoint (available, to that service in the API's Region, and
// listed by the service), before any call. After the update it proves a new
// service in the new VPC, the old service and balancer gone, and a new
// endpoint for every client; after the destroy it looks for both
// generations. With the design's deploy the fake account ends empty.
func TestRunProvesPrivateLink(t *testing.T) {
	p := twoClients(t)
	cloud, cdk, out, err := privateLinkRun(t, p, func(d *fakeCDK) { d.cloud.probeDelay, d.cloud.alarmDelay = 1, 1 })
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	want := []string{"credentials", "every Region bootstrapped", "no stack of this name exists", "API Gateway's CloudWatch role",
		"deploy", "read outputs",
		"the API's endpoint service is Available, its load balancer in the API VPC",
		"the client in us-west-2 connects to the API's endpoint service", "the client in eu-west-1 connects to the API's endpoint service",
		"invoke the client in us-west-2", "invoke the client in eu-west-1",
		"first probe of the client in us-west-2", "probe alarm of the client in us-west-2 is OK",
		"first probe of the client in eu-west-1", "probe alarm of the client in eu-west-1 is OK",
		"a call from outside the endpoint is refused",
		"update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16", "read outputs after the update",
		"the API's endpoint service is new and Available, its load balancer in the new API VPC",
		"the endpoint service and load balancer from before the update are gone",
		"the client in us-west-2 has a new endpoint to the new endpoint service",
		"the client in eu-west-1 has a new endpoint to the new endpoint service",
		"invoke the client in us-west-2 after the update", "invoke the client in eu-west-1 after the update",
		"destroy", "nothing left"}
	if diff := cmp.Diff(want, steps(out)); diff != "" {
		t.Errorf("steps (-want +got):\n%s\n%s", diff, out)
	}
	if n, m := strings.Count(out, "\n==> "), len(regexp.MustCompile(`(?m)^ok   .* \(\d[^)]*\)$`).FindAllString(out, -1)); n+1 != m {
		t.Errorf("%d steps started, %d ended with a duration:\n%s", n+1, m, out)
	}
	for _, want := range []string{
		"    " + serviceName(oldSvc) + " (" + oldSvc + ", Available): " + oldLB + " in vpc-1000016\n",
		"    vpce-us-west-2-3: available, " + serviceName(oldSvc) + " in us-east-1\n",
		"    " + serviceName(newSvc) + " (" + newSvc + ", Available): " + newLB + " in vpc-102000016 (was " + serviceName(oldSvc) + " on " + oldLB + ")\n",
		": " + serviceName(oldSvc) + " and " + oldLB + " gone\n",
		"    vpce-us-west-2-7: available, " + serviceName(newSvc) + " in us-east-1 (was vpce-us-west-2-3 to " + serviceName(oldSvc) + ")\n",
		"    vpce-eu-west-1-8: available, " + serviceName(newSvc) + " in us-east-1 (was vpce-eu-west-1-4 to " + serviceName(oldSvc) + ")\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The leftovers check looks for both generations.
	var left []string
	for _, c := range cloud.calls[slices.Index(cloud.calls, "Invoke eu-west-1 "+p.Config.AppName+"-Client-eu-west-1-Function-XYZ")+1:] {
		if !strings.HasPrefix(c, "Invoke ") && !strings.HasPrefix(c, "SignedGet ") {
			left = append(left, c)
		}
	}
	tail := left[len(left)-8:]
	wantTail := []string{
		"EndpointService us-east-1 " + serviceName(oldSvc), "EndpointService us-east-1 " + serviceName(newSvc),
		"LoadBalancerVpc us-east-1 " + oldLB, "LoadBalancerVpc us-east-1 " + newLB,
		"VpcEndpoint us-west-2 vpce-us-west-2-3", "VpcEndpoint eu-west-1 vpce-eu-west-1-4",
		"VpcEndpoint us-west-2 vpce-us-west-2-7", "VpcEndpoint eu-west-1 vpce-eu-west-1-8",
	}
	if diff := cmp.Diff(wantTail, tail); diff != "" {
		t.Errorf("the leftovers check's calls (-want +got):\n%s", diff)
	}
	if cdk.deploys != 2 || cdk.deployed["transport"] != config.TransportPrivateLink || cdk.destroyed["transport"] != config.TransportPrivateLink {
		t.Errorf("%d deploys, deployed with %v, destroyed with %v: want 2, both with transport=privatelink", cdk.deploys, cdk.deployed, cdk.destroyed)
	}
	if len(cdk.cleanupFailures) != 0 {
		t.Errorf("the update's cleanup skipped deletions: %v", cdk.cleanupFailures)
	}
	if len(cloud.stacks) != 0 || len(cloud.services) != 0 || len(cloud.loadBalancers) != 0 || len(cloud.endpoints) != 0 || len(cloud.vpcs) != 0 {
		t.Errorf("left: stacks %v, services %v, load balancers %v, endpoints %v, VPCs %v", cloud.stacks, cloud.services, cloud.loadBalancers, cloud.endpoints, cloud.vpcs)
	}
}

// The old design, the endpoint service updated in place to move to the new
// VPC's load balancer, fails as AWS fails it: the update is refused with
// ExistingVpcEndpointConnections (every client's endpoint is connected) and
// rolls back; the copy is still destroyed and nothing is left.
func TestRunPrivateLinkOldDesignIsRefused(t *testing.T) {
	p := twoClients(t)
	cloud, cdk, out, err := privateLinkRun(t, p, func(d *fakeCDK) { d.oldDesign = true })
	want := "update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16: " + p.Config.AppName + "-Api: UPDATE_ROLLBACK_COMPLETE: ModifyVpcEndpointServiceConfiguration: ExistingVpcEndpointConnections: " +
		"You can't disassociate a load balancer if there are endpoints connected to your endpoint service (" + oldSvc + ": vpce-eu-west-1-4, vpce-us-west-2-3)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error with %q\n%s", err, want, out)
	}
	if strings.Contains(out, "==> read outputs after the update") || cdk.destroyed == nil || strings.Contains(err.Error(), "left behind") {
		t.Errorf("want the run stopped at the update, the copy destroyed and nothing left:\n%s", out)
	}
	if len(cloud.vpcs) != 0 || len(cloud.loadBalancers) != 0 || len(cloud.services) != 0 {
		t.Errorf("left: VPCs %v, load balancers %v, services %v", cloud.vpcs, cloud.loadBalancers, cloud.services)
	}
}

// Each check after the update fails when its condition is broken, with
// what is wrong, before the clients are invoked again; the copy is
// destroyed and the leftovers looked for.
func TestRunPrivateLinkUpdateChecks(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*fakeCDK)
		want  []string
	}{
		{"the update keeps the API VPC", func(d *fakeCDK) { d.keepVpc = true },
			[]string{"read outputs after the update: the update kept the API's VPC vpc-1000016 (output VpcId of E2e", "): a new apiVpcCidr (10.200.0.0/16) must replace it"}},
		{"the new service is still Pending", func(d *fakeCDK) {
			d.afterDeploy = func(f *fakeCloud, n int) {
				if n == 2 {
					f.services[newSvc].state = "Pending"
				}
			}
		}, []string{"the API's endpoint service is new and Available, its load balancer in the new API VPC: endpoint service " + serviceName(newSvc) + " (" + newSvc + ") is Pending, want Available"}},
		{"the API stack names the old service", func(d *fakeCDK) {
			d.afterDeploy = func(f *fakeCloud, n int) {
				if n == 2 {
					for _, out := range f.stacks {
						if out["EndpointServiceName"] != "" {
							out["EndpointServiceName"] = serviceName(oldSvc)
						}
					}
				}
			}
		}, []string{"-Api is still " + serviceName(oldSvc) + " after the update: a new API VPC needs a new load balancer and a new endpoint service"}},
		{"the new service's balancer is in the old VPC", func(d *fakeCDK) {
			d.afterDeploy = func(f *fakeCloud, n int) {
				if n == 2 {
					f.loadBalancers[newLB] = "vpc-1000016"
				}
			}
		}, []string{"load balancer " + newLB + " of endpoint service " + serviceName(newSvc) + " is in VPC vpc-1000016, want the new API VPC vpc-102000016; the old API VPC was vpc-1000016"}},
		// Without the connections resource (an app deployed before it) the
		// cleanup cannot delete the old service, so neither its balancer nor
		// the old VPC; CloudFormation skips them and the update completes.
		{"the old service is left behind", func(d *fakeCDK) { d.noConnectionsResource = true },
			[]string{"the endpoint service and load balancer from before the update are gone: after 5m0s, still there: endpoint service " + serviceName(oldSvc) + " (" + oldSvc + ", Available), load balancer " + oldLB + ": the update's cleanup did not delete them",
				"left behind: endpoint service " + serviceName(oldSvc) + " (us-east-1), load balancer " + oldLB + " (us-east-1), vpc vpc-1000016 (us-east-1)"}},
		// Clients that keep their endpoints: the old service's connections
		// are rejected, the service deleted, and the endpoints left on it.
		{"an endpoint is still on the old service", func(d *fakeCDK) { d.keepEndpoints = true },
			[]string{"the client in us-west-2 has a new endpoint to the new endpoint service: interface endpoint vpce-us-west-2-3 in us-west-2: it is the endpoint from before the update (output EndpointId of E2e",
				"state rejected, want available; it still connects to " + serviceName(oldSvc) + ", the endpoint service from before the update, want the new " + serviceName(newSvc)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, cdk, out, err := privateLinkRun(t, twoClients(t), tc.setup)
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, want an error with %q", err, want)
				}
			}
			if strings.Contains(out, "==> invoke the client in us-west-2 after the update") {
				t.Errorf("invoked a client after the failed check:\n%s", out)
			}
			if cdk.destroyed == nil || !strings.Contains(out, "==> nothing left") {
				t.Errorf("want the copy destroyed and the leftovers looked for:\n%s", out)
			}
		})
	}
}

// Without the connections resource, the update's cleanup is refused where
// AWS refuses it, in order: the old service (its endpoints are connected),
// then its load balancer (the service still uses it), then the old VPC (the
// balancer's interfaces are in it).
func TestFakeCDKCleanupWithoutTheConnectionsResource(t *testing.T) {
	_, cdk, _, _ := privateLinkRun(t, twoClients(t), func(d *fakeCDK) { d.noConnectionsResource = true })
	var codes []string
	for _, err := range cdk.cleanupFailures {
		var aerr *awsError
		if !errors.As(err, &aerr) {
			t.Fatalf("cleanup failure %v is not AWS's", err)
		}
		codes = append(codes, aerr.op+" "+aerr.code)
	}
	want := []string{"DeleteVpcEndpointServiceConfigurations ExistingVpcEndpointConnections", "DeleteLoadBalancer ResourceInUse", "DeleteVpc DependencyViolation"}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("cleanup failures (-want +got):\n%s", diff)
	}
}

// A client's endpoint that is not available, that connects to another
// service or to a service of another Region, or that its service does not
// list, fails the run at the endpoint's check after the first deploy, with
// what is wrong, before any invocation; the copy is destroyed.
func TestRunPrivateLinkEndpointNotConnectedToTheService(t *testing.T) {
	first := func(change func(*fakeEndpoint)) func(*fakeCDK) {
		return func(d *fakeCDK) {
			d.afterDeploy = func(f *fakeCloud, n int) {
				if n == 1 {
					change(f.endpoints["us-west-2/vpce-us-west-2-3"])
				}
			}
		}
	}
	const prefix = "the client in us-west-2 connects to the API's endpoint service: interface endpoint vpce-us-west-2-3 in us-west-2: "
	cases := []struct {
		name  string
		setup func(*fakeCDK)
		want  string
	}{
		{"pending acceptance", first(func(e *fakeEndpoint) { e.state = "pendingAcceptance" }),
			prefix + "state pendingAcceptance, want available (the endpoint service waits for someone to accept the connection; it must accept its clients without a manual step)"},
		{"another service", first(func(e *fakeEndpoint) { e.serviceName = serviceName("vpce-svc-0other") }),
			prefix + "it connects to " + serviceName("vpce-svc-0other") + ", want the API stack's endpoint service " + serviceName(oldSvc) + " (output EndpointServiceName of "},
		{"rejected, to another service", first(func(e *fakeEndpoint) {
			e.state = "rejected"
			e.serviceName = serviceName("vpce-svc-0other")
		}), prefix + "state rejected, want available; it connects to " + serviceName("vpce-svc-0other")},
		{"another Region", first(func(e *fakeEndpoint) { e.serviceRegion = "us-east-2" }),
			prefix + `service Region "us-east-2", want the API's Region us-east-1`},
		{"not listed by the service", first(func(e *fakeEndpoint) { e.serviceID = "" }),
			prefix + "endpoint service " + oldSvc + " lists no connection from it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cloud, cdk, out, err := privateLinkRun(t, twoClients(t), tc.setup)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
			if slices.ContainsFunc(cloud.calls, func(c string) bool { return strings.HasPrefix(c, "Invoke ") }) {
				t.Errorf("invoked a client after the failed check: %v", cloud.calls)
			}
			if cdk.destroyed == nil || !strings.Contains(out, "==> nothing left") {
				t.Errorf("want the copy destroyed and the leftovers looked for:\n%s", out)
			}
		})
	}
}

// The fake account refuses what AWS documents as refused, with AWS's error
// code, and allows the same operation once the refusal's cause is gone.
func TestFakeCloudRefusesWhatAWSRefuses(t *testing.T) {
	setup := func() (*fakeCloud, string, string, string) {
		f := newFakeCloud()
		f.createVpc("vpc-1")
		f.createRouteTable("rtb-1", "vpc-1")
		lb := f.createLoadBalancer("us-east-1", "vpc-1")
		svc := f.createService("us-east-1", lb, "")
		id, err := f.createEndpoint("us-west-2", svc.name, "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		return f, lb, svc.id, id
	}
	cases := []struct {
		name, code string
		op         func(f *fakeCloud, lb, svc, endpoint string) error
		mend       func(f *fakeCloud, lb, svc, endpoint string)
	}{
		{"disassociate a load balancer from a service with connected endpoints", "ExistingVpcEndpointConnections",
			func(f *fakeCloud, lb, svc, _ string) error {
				return f.moveService(svc, f.createLoadBalancer("us-east-1", "vpc-1"), lb)
			},
			func(f *fakeCloud, _, svc, e string) { f.rejectConnections(svc, []string{e}) }},
		{"delete a service with an available connection", "ExistingVpcEndpointConnections",
			func(f *fakeCloud, _, svc, _ string) error { return f.deleteService(svc) },
			func(f *fakeCloud, _, svc, e string) { f.rejectConnections(svc, []string{e}) }},
		{"delete a service with a connection pending acceptance", "ExistingVpcEndpointConnections",
			func(f *fakeCloud, _, svc, e string) error {
				if ep, ok := f.endpoints["us-west-2/"+e]; ok {
					ep.state = "pendingAcceptance"
				}
				return f.deleteService(svc)
			},
			func(f *fakeCloud, _, _, e string) { f.deleteEndpoint("us-west-2", e) }},
		{"delete a load balancer a service uses", "ResourceInUse",
			func(f *fakeCloud, lb, _, _ string) error { return f.deleteLoadBalancer(lb) },
			func(f *fakeCloud, _, svc, e string) { f.deleteEndpoint("us-west-2", e); _ = f.deleteService(svc) }},
		{"delete a VPC with a load balancer and a route table", "DependencyViolation",
			func(f *fakeCloud, _, _, _ string) error { return f.deleteVpc("vpc-1") },
			func(f *fakeCloud, lb, svc, e string) {
				f.deleteEndpoint("us-west-2", e)
				_ = f.deleteService(svc)
				_ = f.deleteLoadBalancer(lb)
				f.deleteRouteTable("rtb-1")
			}},
		{"create an endpoint to a service that is gone", "InvalidServiceName",
			func(f *fakeCloud, _, svc, e string) error {
				f.deleteEndpoint("us-west-2", e)
				_ = f.deleteService(svc)
				_, err := f.createEndpoint("us-west-2", serviceName(svc), "us-east-1")
				return err
			},
			nil},
		{"route through a peering connection that does not exist", "InvalidVpcPeeringConnectionID.NotFound",
			func(f *fakeCloud, _, _, _ string) error { return f.createRoute(Route{"rtb-1", "10.9.0.0/16", "pcx-1"}) },
			func(f *fakeCloud, _, _, _ string) { f.createPeering("pcx-1", "vpc-1") }},
		{"a second route to the same range", "RouteAlreadyExists",
			func(f *fakeCloud, _, _, _ string) error {
				f.createPeering("pcx-1", "vpc-1")
				if err := f.createRoute(Route{"rtb-1", "10.9.0.0/16", "pcx-1"}); err != nil {
					return fmt.Errorf("the first route: %w", err)
				}
				return f.createRoute(Route{"rtb-1", "10.9.0.0/16", "pcx-1"})
			},
			nil},
		{"delete a route that is not there", "InvalidRoute.NotFound",
			func(f *fakeCloud, _, _, _ string) error { return f.deleteRoute(Route{"rtb-1", "10.9.0.0/16", "pcx-1"}) },
			nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, lb, svc, e := setup()
			err := tc.op(f, lb, svc, e)
			var aerr *awsError
			if !errors.As(err, &aerr) || aerr.code != tc.code {
				t.Fatalf("got %v, want AWS's %s", err, tc.code)
			}
			if tc.mend == nil {
				return
			}
			tc.mend(f, lb, svc, e)
			if err := tc.op(f, lb, svc, e); err != nil {
				t.Errorf("once mended: %v", err)
			}
		})
	}
}

// Over PrivateLink the leftovers are the stacks of the transport (no
// return-route stack), and the endpoint services, load balancers and
// client endpoints of both deploys.
func TestLeftoversLooksForThePrivateLinkResources(t *testing.T) {
	p := twoClients(t)
	app := p.Config.AppName
	cloud := newFakeCloud()
	cloud.stacks["eu-west-1/"+app+"-Client-eu-west-1"] = map[string]string{}
	cloud.services[oldSvc] = &fakeService{id: oldSvc, name: serviceName(oldSvc), region: "us-east-1", state: "Deleting"}
	cloud.loadBalancers[oldLB] = "vpc-1000016"
	cloud.endpoints["eu-west-1/vpce-eu-west-1-8"] = &fakeEndpoint{serviceID: newSvc, serviceName: serviceName(newSvc), serviceRegion: "us-east-1", state: "available"}
	s := inventory{apiIDs: []string{"a1b2c3"}, services: []string{serviceName(oldSvc), serviceName(newSvc)}, loadBalancers: []string{oldLB, newLB},
		endpoints: []regional{{"us-west-2", "vpce-us-west-2-3"}, {"eu-west-1", "vpce-eu-west-1-4"}, {"us-west-2", "vpce-us-west-2-7"}, {"eu-west-1", "vpce-eu-west-1-8"}}}
	got, err := leftovers(context.Background(), cloud, p, s)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"endpoint service " + serviceName(oldSvc) + " (us-east-1)",
		"load balancer " + oldLB + " (us-east-1)",
		"stack " + app + "-Client-eu-west-1 (eu-west-1)",
		"vpc endpoint vpce-eu-west-1-8 (eu-west-1)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leftovers (-want +got):\n%s", diff)
	}
}
