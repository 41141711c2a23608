package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
)

// Three clients over PrivateLink whose ranges all overlap the API's and
// each other's (10.0.0.0/16, as every team's VPC), in the API's account and
// another.
var (
	linkWest    = map[string]any{"region": "us-west-2", "cidr": "10.0.0.0/16"}
	linkIreland = map[string]any{"region": "eu-west-1", "cidr": "10.0.0.0/16"}
	linkOther   = map[string]any{"region": "us-west-2", "cidr": "10.0.0.0/16", "account": "222222222222"}
	linkSydney  = map[string]any{"region": "ap-southeast-2", "cidr": "10.0.0.0/16", "account": "333333333333"}
	// linkIrelandOther is the other account's client in Ireland.
	linkIrelandOther = map[string]any{"region": "eu-west-1", "cidr": "10.0.0.0/16", "account": "222222222222"}
)

// linkContext is hubContext over PrivateLink, with the API's range
// overlapping every client's.
func linkContext(t *testing.T, extra map[string]any, clients ...map[string]any) map[string]any {
	t.Helper()
	ctx := hubContext(t, clients...)
	ctx["transport"] = config.TransportPrivateLink
	ctx["apiVpcCidr"] = "10.0.0.0/16"
	maps.Copy(ctx, extra)
	return ctx
}

var linkShared shared

// privateLinkTradeOffs are the Control Tower controls the governed
// settings fail over PrivateLink, as the README lists them.
var privateLinkTradeOffs = []string{"CT.ELASTICLOADBALANCING.PR.5", "CT.ELASTICLOADBALANCING.PR.6", "CT.LAMBDA.PR.3"}

// linkOrg puts the clients in one organization: the API's policies then
// stay the same as clients come and go.
var linkOrg = map[string]any{"organizationId": "o-exampleorg1"}

// linkApp is the three overlapping clients' app, synthesized once.
func linkApp(t *testing.T) *synthResult {
	t.Helper()
	return linkShared.get(t, "three overlapping clients over PrivateLink", linkContext(t, linkOrg, linkWest, linkIreland, linkOther))
}

func init() { allShared = append(allShared, &linkShared) }

// Over PrivateLink the app is 1 + N stacks: the API and one stack per
// client, each depending on the API's only. The API side fronts its
// endpoint with an internal load balancer and an endpoint service that
// admits exactly the clients' accounts from exactly their Regions; each
// client has an interface endpoint to it and nothing that peers or routes.
func TestPrivateLinkStacks(t *testing.T) {
	res := linkApp(t)
	stacks := assembly(t, res.outdir)
	var names []string
	for name, st := range stacks {
		names = append(names, name+" "+st.Environment)
		if name != "CrossRegionApi-Api" && !cmp.Equal(st.Dependencies, []string{"CrossRegionApi-Api"}) {
			t.Errorf("%s depends on %v, want the API stack only", name, st.Dependencies)
		}
	}
	slices.Sort(names)
	t.Logf("stacks:\n  %s", strings.Join(names, "\n  "))
	want := []string{
		"CrossRegionApi-Api aws://111111111111/us-east-1",
		"CrossRegionApi-Client-eu-west-1 aws://111111111111/eu-west-1",
		"CrossRegionApi-Client-us-west-2 aws://111111111111/us-west-2",
		"CrossRegionApi-Client-us-west-2-222222222222 aws://222222222222/us-west-2",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}

	api := template(t, res.outdir, "CrossRegionApi-Api")
	var apiSide []string
	for id, r := range api["Resources"].(map[string]any) {
		typ := r.(map[string]any)["Type"].(string)
		if strings.Contains(typ, "ElasticLoadBalancingV2") || strings.Contains(typ, "VPCEndpointService") || typ == "Custom::AWS" {
			apiSide = append(apiSide, typ+" "+id)
		}
	}
	slices.Sort(apiSide)
	t.Logf("the API side's PrivateLink resources:\n  %s", strings.Join(apiSide, "\n  "))
	_, service := onlyProps(t, api, "AWS::EC2::VPCEndpointService")
	if got := cdktest.JSON(service["SupportedRegions"]); got != `["eu-west-1","us-west-2"]` {
		t.Errorf("SupportedRegions %s, want the clients' Regions", got)
	}
	_, perms := onlyProps(t, api, "AWS::EC2::VPCEndpointServicePermissions")
	if got := cdktest.JSON(perms["AllowedPrincipals"]); got != `["arn:aws:iam::111111111111:root","arn:aws:iam::222222222222:root"]` {
		t.Errorf("allowed principals %s, want the API's account and the client's", got)
	}
	for _, typ := range []string{"AWS::EC2::VPCPeeringConnection", "AWS::EC2::Route", "AWS::IAM::Role"} {
		for id, r := range cdktest.Resources(api, typ) {
			if typ != "AWS::IAM::Role" || strings.Contains(id, "Accepter") || strings.Contains(cdktest.JSON(r), "AcceptVpcPeeringConnection") {
				t.Errorf("API stack has %s %s over PrivateLink", typ, id)
			}
		}
	}
	// The execute-api endpoint admits its own VPC and the load balancer,
	// and no client range (here the same as the VPC's).
	ingress, _ := securityGroupRules(api)
	if got := ingress[endpointSecurityGroup(t, res)]; !cmp.Equal(got, []string{`tcp 443-443 "10.0.0.0/16"`, `tcp 443-443 null`}) {
		t.Errorf("endpoint ingress %v, want its VPC's range and one group (the load balancer's)", got)
	}

	for _, name := range []string{"CrossRegionApi-Client-us-west-2", "CrossRegionApi-Client-eu-west-1", "CrossRegionApi-Client-us-west-2-222222222222"} {
		client := template(t, res.outdir, name)
		for _, typ := range []string{"AWS::EC2::VPCPeeringConnection", "AWS::EC2::Route"} {
			if n := len(cdktest.Resources(client, typ)); n != 0 {
				t.Errorf("%s has %d %s over PrivateLink", name, n, typ)
			}
		}
		_, endpoint := onlyProps(t, client, "AWS::EC2::VPCEndpoint")
		serviceName := cdktest.JSON(endpoint["ServiceName"])
		if endpoint["ServiceRegion"] != "us-east-1" || !strings.Contains(serviceName, `"com.amazonaws.vpce.us-east-1"`) ||
			!strings.Contains(serviceName, `"Region":"us-east-1"`) || !strings.Contains(serviceName, `"StackName":"CrossRegionApi-Api"`) {
			t.Errorf("%s endpoint: ServiceRegion %v, ServiceName %s; want the API stack's service in us-east-1", name, endpoint["ServiceRegion"], serviceName)
		}
		if got := cdktest.JSON(onlyOf(t, client, "AWS::EC2::VPC")["CidrBlock"]); got != `"10.0.0.0/16"` {
			t.Errorf("%s VPC range %s, want the overlapping 10.0.0.0/16", name, got)
		}
	}
}

// onlyOf returns the properties of the only resource of typ.
func onlyOf(t *testing.T, tmpl map[string]any, typ string) map[string]any {
	t.Helper()
	_, p := onlyProps(t, tmpl, typ)
	return p
}

// Growth over PrivateLink: a client in an account and Region already
// admitted, or in a new account of the organization, leaves every other
// client's stack byte for byte the same and the API's resource and endpoint
// policies unchanged; a client in a new Region changes, of the endpoint
// service, only its Regions.
func TestPrivateLinkGrowth(t *testing.T) {
	base := linkApp(t).outdir
	policies := func(dir string) string {
		api := template(t, dir, "CrossRegionApi-Api")
		return cdktest.JSON(onlyOf(t, api, "AWS::ApiGateway::RestApi")["Policy"]) + cdktest.JSON(onlyOf(t, api, "AWS::EC2::VPCEndpoint")["PolicyDocument"])
	}
	for _, tc := range []struct {
		name       string
		added      map[string]any
		regions    string
		principals int
	}{
		{"in an admitted account and Region", linkIrelandOther, `["eu-west-1","us-west-2"]`, 2},
		{"in a new account and a new Region", linkSydney, `["ap-southeast-2","eu-west-1","us-west-2"]`, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := synthesize(linkContext(t, linkOrg, linkWest, linkIreland, linkOther, tc.added), dir); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"CrossRegionApi-Client-us-west-2", "CrossRegionApi-Client-us-west-2-222222222222", "CrossRegionApi-Client-eu-west-1"} {
				if diff := cmp.Diff(template(t, base, name), template(t, dir, name)); diff != "" {
					t.Errorf("%s changed (-before +after):\n%s", name, diff)
				}
			}
			if before, after := policies(base), policies(dir); before != after {
				t.Errorf("the API's policies changed:\nbefore %s\nafter  %s", before, after)
			}
			b, a := onlyOf(t, template(t, base, "CrossRegionApi-Api"), "AWS::EC2::VPCEndpointService"), onlyOf(t, template(t, dir, "CrossRegionApi-Api"), "AWS::EC2::VPCEndpointService")
			if got := cdktest.JSON(a["SupportedRegions"]); got != tc.regions {
				t.Errorf("SupportedRegions %s, want %s", got, tc.regions)
			}
			delete(a, "SupportedRegions")
			delete(b, "SupportedRegions")
			if diff := cmp.Diff(b, a); diff != "" {
				t.Errorf("the endpoint service changed beyond its Regions (-before +after):\n%s", diff)
			}
			perms := onlyOf(t, template(t, dir, "CrossRegionApi-Api"), "AWS::EC2::VPCEndpointServicePermissions")
			if n := len(perms["AllowedPrincipals"].([]any)); n != tc.principals {
				t.Errorf("allowed principals: %d, want %d", n, tc.principals)
			}
		})
	}
}

// With the governed settings, PrivateLink fails exactly the AWS Control
// Tower controls the README lists as its trade-offs, all on the API side:
// CT.LAMBDA.PR.3 (the functions behind the front's two custom resources
// run outside the VPC), CT.ELASTICLOADBALANCING.PR.5 (deletion protection would
// make `cdk destroy` fail) and CT.ELASTICLOADBALANCING.PR.6 (a TCP listener
// writes no access logs). cdk-nag finds nothing open, and every other
// function runs in a VPC.
func TestPrivateLinkGovernedTradeOff(t *testing.T) {
	ctx := cdkJSONContext(t)
	maps.Copy(ctx, governed)
	ctx["transport"] = config.TransportPrivateLink
	res, err := synthesize(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	report := failingControls(t, res)
	want := map[string][]string{"CrossRegionApi-Api.template.json": privateLinkTradeOffs}
	if diff := cmp.Diff(want, report); diff != "" {
		t.Errorf("failing controls (-want +got):\n%s", diff)
	}
	if open := nonCompliant(nagReport(t, res)); len(open) > 0 {
		t.Errorf("open cdk-nag findings: %v", open)
	}
	// Beyond the default app's suppressions, exactly the two the README
	// lists for this transport.
	var extra []string
	for key := range nagSuppressions(t, res) {
		if strings.Contains(key, "EndpointService") {
			extra = append(extra, key)
		}
	}
	slices.Sort(extra)
	wantExtra := []string{
		`Api EndpointServiceEndpointAddressesRoleDefaultPolicyEBDF833D: AwsSolutions-IAM5 ["Resource::*"]`,
		`Api EndpointServiceFront5b33bd17ConnectionsRoleDefaultPolicyA6A234F9: AwsSolutions-IAM5 ["Resource::*"]`,
		`Api EndpointServiceFront5b33bd17LoadBalancer643F6CFD: AwsSolutions-ELB2 null`,
	}
	if diff := cmp.Diff(wantExtra, extra); diff != "" {
		t.Errorf("PrivateLink's cdk-nag suppressions (-want +got):\n%s", diff)
	}
	var outside []string
	for role, tmpl := range res.templates {
		for id, fn := range cdktest.Resources(tmpl, "AWS::Lambda::Function") {
			if fn["Properties"].(map[string]any)["VpcConfig"] == nil {
				outside = append(outside, role+"/"+id)
			}
		}
	}
	slices.Sort(outside)
	if len(outside) != 2 || !strings.HasPrefix(outside[0], config.RoleApi+"/EndpointServiceEndpointAddressesFunction") ||
		!strings.HasPrefix(outside[1], config.RoleApi+"/EndpointServiceFront") || !strings.Contains(outside[1], "ConnectionsFunction") {
		t.Errorf("functions outside a VPC: %v, want only the API stack's two custom-resource functions", outside)
	}
}

// A new API VPC (apiVpcCidr changed) over PrivateLink gives a new front:
// the API stack has a new endpoint service (a new logical id, so
// CloudFormation creates it beside the old one, which cannot be moved to
// the new VPC's load balancer while endpoints are connected to it), and
// publishes its name. Each client stack changes exactly one resource, its
// interface endpoint, and in it only ServiceName, a create-only property:
// CloudFormation replaces the endpoint with one connected to the new
// service. Nothing else of the clients changes.
func TestPrivateLinkNewApiVpcReplacesServiceAndEndpoints(t *testing.T) {
	base := linkApp(t)
	dir := t.TempDir()
	ctx := linkContext(t, map[string]any{"apiVpcCidr": "10.200.0.0/16", "organizationId": linkOrg["organizationId"]}, linkWest, linkIreland, linkOther)
	if _, err := synthesize(ctx, dir); err != nil {
		t.Fatal(err)
	}
	beforeAPI, afterAPI := template(t, base.outdir, "CrossRegionApi-Api"), template(t, dir, "CrossRegionApi-Api")
	if got := cdktest.JSON(onlyOf(t, afterAPI, "AWS::EC2::VPC")["CidrBlock"]); got != `"10.200.0.0/16"` {
		t.Errorf("API VPC range %s, want the new one", got)
	}
	oldService, _ := onlyProps(t, beforeAPI, "AWS::EC2::VPCEndpointService")
	newService, _ := onlyProps(t, afterAPI, "AWS::EC2::VPCEndpointService")
	if oldService == newService {
		t.Errorf("the endpoint service keeps its logical id %s: CloudFormation would update it in place", oldService)
	}
	name := cdktest.JSON(afterAPI["Outputs"].(map[string]any)["EndpointServiceName"].(map[string]any)["Value"])
	if !strings.Contains(name, `{"Ref":"`+newService+`"}`) {
		t.Errorf("output EndpointServiceName %s, want the new service's name", name)
	}
	for name := range assembly(t, dir) {
		if name == "CrossRegionApi-Api" {
			continue
		}
		before, after := template(t, base.outdir, name), template(t, dir, name)
		changed := changedResources(before, after)
		if len(changed) != 1 {
			t.Errorf("%s: changed %v, want its interface endpoint alone", name, changed)
			continue
		}
		for id, typ := range changed {
			if typ != "AWS::EC2::VPCEndpoint" {
				t.Errorf("%s: changed %s %s, want its interface endpoint", name, typ, id)
				continue
			}
			b := before["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)
			a := after["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)
			if cdktest.JSON(b["ServiceName"]) == cdktest.JSON(a["ServiceName"]) {
				t.Errorf("%s: the endpoint's ServiceName did not change", name)
			}
			delete(a, "ServiceName")
			delete(b, "ServiceName")
			if diff := cmp.Diff(b, a); diff != "" {
				t.Errorf("%s: the endpoint changed beyond its ServiceName (-before +after):\n%s", name, diff)
			}
		}
		before["Resources"], after["Resources"] = nil, nil
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("%s changed outside its resources (-before +after):\n%s", name, diff)
		}
	}
}

// Synthesized again with nothing changed, the PrivateLink app writes every
// template byte for byte the same: the front's fingerprint and the
// handler's asset are stable, so a deploy without a change changes
// nothing.
func TestPrivateLinkNoChangeNoDiff(t *testing.T) {
	base := linkApp(t)
	dir := t.TempDir()
	if _, err := synthesize(linkContext(t, linkOrg, linkWest, linkIreland, linkOther), dir); err != nil {
		t.Fatal(err)
	}
	for name := range assembly(t, base.outdir) {
		before, err := os.ReadFile(filepath.Join(base.outdir, name+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		after, err := os.ReadFile(filepath.Join(dir, name+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Errorf("%s.template.json differs", name)
		}
	}
}

// defaultLinkShared is the default app (no account set) over PrivateLink.
var defaultLinkShared shared

func init() { allShared = append(allShared, &defaultLinkShared) }

// defaultLinkApp is cdk.json's context with transport=privatelink,
// synthesized once.
func defaultLinkApp(t *testing.T) *synthResult {
	t.Helper()
	ctx := cdkJSONContext(t)
	ctx["transport"] = config.TransportPrivateLink
	return defaultLinkShared.get(t, "the default app over PrivateLink", ctx)
}

var rootPrincipalRe = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::\d{12}:root$`)

// The endpoint service admits accounts, each a root principal of a real
// account, the API's own among them, whether or not the configuration
// names an account: with none (the default), the API's account is the one
// it is deployed to, never an empty one (arn:aws:iam:::root is no account
// at all, and CloudFormation rejects it).
func TestPrivateLinkAdmitsRealAccounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  func(*testing.T) *synthResult
	}{{"the default app", defaultLinkApp}, {"three clients in two accounts", linkApp}} {
		t.Run(tc.name, func(t *testing.T) {
			d := deployedFrom(t, tc.res(t).outdir)
			for name, tmpl := range d.templates {
				if !strings.HasSuffix(name, "-"+config.RoleApi) {
					continue
				}
				pseudo := pseudoOf(d, name)
				_, perms := onlyProps(t, tmpl, "AWS::EC2::VPCEndpointServicePermissions")
				principals, _ := cdktest.Resolve(perms["AllowedPrincipals"], pseudo).([]any)
				if len(principals) == 0 {
					t.Fatalf("allowed principals %s, want the API's account and the clients'", cdktest.JSON(perms["AllowedPrincipals"]))
				}
				var own bool
				for _, p := range principals {
					s, _ := p.(string)
					if !rootPrincipalRe.MatchString(s) {
						t.Errorf("allowed principal %s is not the root of an account (arn:aws:iam::<12 digits>:root)", cdktest.JSON(p))
					}
					own = own || s == "arn:aws:iam::"+pseudo["AWS::AccountId"]+":root"
				}
				if !own {
					t.Errorf("allowed principals %s do not admit the API's own account %s", cdktest.JSON(principals), pseudo["AWS::AccountId"])
				}
			}
		})
	}
}

// Every PrivateLink client's function may invoke the API's method in the
// API's account and Region, from whichever account and Region the client
// runs in: an ARN of the client's own account names an API that is not
// there, and every call is refused (403).
func TestPrivateLinkClientInvokesTheApisAccount(t *testing.T) {
	for _, tc := range []struct {
		name       string
		res        func(*testing.T) *synthResult
		apiAccount string
	}{{"the default app", defaultLinkApp, unknownAccount}, {"three clients in two accounts", linkApp, "111111111111"}} {
		t.Run(tc.name, func(t *testing.T) {
			d := deployedFrom(t, tc.res(t).outdir)
			var clients int
			for name, tmpl := range d.templates {
				if !strings.Contains(name, "-"+config.RoleClient) {
					continue
				}
				clients++
				var resources []string
				for _, p := range cdktest.Props(tmpl, "AWS::IAM::Policy") {
					doc := cdktest.Resolve(p["PolicyDocument"], pseudoOf(d, name)).(map[string]any)
					for _, st := range asList(doc["Statement"]) {
						st := st.(map[string]any)
						if st["Action"] == "execute-api:Invoke" || slices.Contains(asList(st["Action"]), any("execute-api:Invoke")) {
							rs := asList(st["Resource"])
							if rs == nil {
								rs = []any{st["Resource"]}
							}
							for _, r := range rs {
								// The API's id is another stack's output:
								// joined renders it as JSON in the text.
								resources = append(resources, joined(r))
							}
						}
					}
				}
				want := regexp.MustCompile(`^arn:aws:execute-api:us-east-1:` + tc.apiAccount + `:\{.*"StackName":"CrossRegionApi-Api".*\}/v1/GET/hello$`)
				if len(resources) != 1 || !want.MatchString(resources[0]) {
					t.Errorf("%s (account %s): execute-api:Invoke on %q, want only the demo method of the API in us-east-1 of %s", name, d.account[name], resources, tc.apiAccount)
				}
			}
			if clients == 0 {
				t.Fatal("no client stack")
			}
		})
	}
}
