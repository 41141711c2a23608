package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
	"crossregionapi/stacks"
)

// changedResources returns, by logical id, the type of each resource whose
// text differs between two templates of one stack, added or removed ones
// included.
func changedResources(before, after map[string]any) map[string]string {
	out := map[string]string{}
	b, _ := before["Resources"].(map[string]any)
	a, _ := after["Resources"].(map[string]any)
	for _, side := range []map[string]any{b, a} {
		for id, r := range side {
			if cdktest.JSON(b[id]) != cdktest.JSON(a[id]) {
				out[id] = r.(map[string]any)["Type"].(string)
			}
		}
	}
	return out
}

// TestChangesReachEveryStack is the lifecycle of a deployed app: for each
// change a user makes, the app is synthesized before and after. CloudFormation
// resolves a consumer's Fn::GetStackOutput only for the resources in the
// change set of an update (see stacks/crossref), so every consumer resource
// that carries a value the change may replace must change text itself, and
// when nothing read may change, every consumer stays byte for byte the same:
// a needless change to a create-only property would replace a peering
// connection or a hosted zone.
func TestChangesReachEveryStack(t *testing.T) {
	const (
		peering = "AWS::EC2::VPCPeeringConnection"
		alias   = "AWS::Route53::RecordSetGroup"
		zone    = "AWS::Route53::HostedZone"
		route   = "AWS::EC2::Route"
		sg      = "AWS::EC2::SecurityGroup"
		fn      = "AWS::Lambda::Function"
		policy  = "AWS::IAM::Policy"
		vpc     = "AWS::EC2::VPC"
		subnet  = "AWS::EC2::Subnet"
	)
	pinnedZones := map[string]any{"apiAvailabilityZones": "us-east-1a,us-east-1b"}
	cases := []struct {
		name string
		// before is context for the app before the change, on top of
		// cdk.json's; context is the change, on top of that.
		before, context map[string]any
		change          func(*stacks.App)
		// changes lists, by consumer role, the types of exactly the
		// resources whose text must change; a role not listed must stay
		// byte for byte the same.
		changes map[string][]string
	}{
		{
			name:    "apiVpcCidr: the API's VPC and endpoint are replaced",
			context: map[string]any{"apiVpcCidr": "10.1.0.0/16"},
			changes: map[string][]string{
				// the peering connection and the alias record read the
				// replaced VPC and endpoint; routes and egress name the range
				config.RoleClient:       {alias, peering, route, sg},
				config.RolePeeringRoute: {route},
			},
		},
		{
			// A new front: a new load balancer and endpoint service; the
			// service's name is a new value, so each client's endpoint
			// (ServiceName is create-only) is replaced, and nothing else.
			name:    "apiVpcCidr over PrivateLink: a new endpoint service, each client's endpoint replaced",
			before:  map[string]any{"transport": config.TransportPrivateLink},
			context: map[string]any{"apiVpcCidr": "10.1.0.0/16"},
			changes: map[string][]string{config.RoleClient: {"AWS::EC2::VPCEndpoint"}},
		},
		{
			name:    "clientVpcCidr: the client VPC and its peering connection are replaced",
			context: map[string]any{"clientVpcCidr": "172.20.0.0/16"},
			changes: map[string][]string{
				// the peering connection's text stays: CloudFormation replaces
				// it with the VPC it refers to, in the same stack
				config.RoleClient:       {subnet, vpc},
				config.RolePeeringRoute: {route},
			},
		},
		{
			name: "the endpoint replaced by a property that forces replacement",
			change: func(a *stacks.App) {
				ep := a.Api.Network.Endpoint().Node().DefaultChild().(awsec2.CfnVPCEndpoint)
				ep.SetServiceName(jsii.String("com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"))
			},
			changes: map[string][]string{config.RoleClient: {alias}},
		},
		{
			name: "the API replaced (its construct renamed)",
			change: func(a *stacks.App) {
				api := a.Api.Network.Api().Node().DefaultChild().(awsapigateway.CfnRestApi)
				api.OverrideLogicalId(jsii.String("RenamedApi"))
			},
			// the zone's name and the function's URL and grant hold the API's id
			changes: map[string][]string{config.RoleClient: {zone, alias, fn, policy}},
		},
		{
			name: "the API's VPC replaced by dedicated tenancy (a conditional create-only property)",
			change: func(a *stacks.App) {
				v := a.Api.Network.Vpc().Node().DefaultChild().(awsec2.CfnVPC)
				v.SetInstanceTenancy(jsii.String("dedicated"))
			},
			changes: map[string][]string{
				config.RoleClient:       {alias, peering},
				config.RolePeeringRoute: {route},
			},
		},
		// The fingerprints only: EC2 refuses the replaced subnet's range while
		// the old subnet holds it (docs/architecture.md, the table of changes),
		// so a deploy changes zones together with the VPC's range.
		{
			name:    "no replacement read: apiAvailabilityZones a,b -> a,c replaces a subnet, updates the endpoint in place",
			before:  pinnedZones,
			context: map[string]any{"apiAvailabilityZones": "us-east-1a,us-east-1c"},
		},
		{
			name: "no replacement: a rule added to the endpoint's security group",
			change: func(a *stacks.App) {
				sg := (*a.Api.Network.Endpoint().Connections().SecurityGroups())[0]
				sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String("10.77.0.0/16")), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("another client"), nil)
			},
		},
		{
			name: "no replacement: a principal added to the resource policy",
			change: func(a *stacks.App) {
				a.Api.Network.Api().AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Effect: awsiam.Effect_ALLOW, Principals: &[]awsiam.IPrincipal{awsiam.NewAccountPrincipal(jsii.String("333333333333"))},
					Actions: jsii.Strings("execute-api:Invoke"), Resources: jsii.Strings("execute-api:/*"),
				}))
			},
		},
		{
			name:    "clientRegion: a new client stack in the new Region",
			context: map[string]any{"clientRegion": "eu-west-1"},
			changes: map[string][]string{config.RolePeeringRoute: {route}},
		},
	}
	consumers := []string{config.RoleClient, config.RolePeeringRoute}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before *synthResult
			if tc.before == nil {
				before = defaultApp(t)
			} else {
				before = synthesizeIn(t, tc.before, nil)
			}
			after := synthesizeIn(t, merged(tc.before, tc.context), tc.change)
			if cdktest.JSON(before.templates) == cdktest.JSON(after.templates) {
				t.Fatalf("the change left every template alone: the case tests nothing")
			}
			for _, role := range consumers {
				b, a := before.templates[role], after.templates[role]
				if *before.app.Client.Stack.Region() != *after.app.Client.Stack.Region() && role == config.RoleClient {
					continue // a new stack in another Region
				}
				changed := changedResources(b, a)
				var types []string
				for _, typ := range changed {
					types = append(types, typ)
				}
				slices.Sort(types)
				types = slices.Compact(types)
				want := slices.Sorted(slices.Values(tc.changes[role]))
				if diff := cmp.Diff(want, types); diff != "" {
					t.Errorf("%s: types of the resources that changed text (-want +got):\n%s\nchanged: %v", role, diff, changed)
				}
				if len(want) == 0 && cdktest.JSON(b) != cdktest.JSON(a) {
					t.Errorf("%s template changed, want it byte for byte the same", role)
				}
				t.Logf("%s: %d resources changed text: %v", role, len(changed), changed)
			}
		})
	}
}

// synthesizeIn synthesizes the app with cdk.json's context and extra on
// top, after change.
func synthesizeIn(t *testing.T, extra map[string]any, change func(*stacks.App)) *synthResult {
	t.Helper()
	ctx := cdkJSONContext(t)
	maps.Copy(ctx, extra)
	res, err := synthesizeChanged(ctx, t.TempDir(), change)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func merged(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, b)
	return out
}

// The stacks read each other weakly whatever cdk.json's
// @aws-cdk/core:defaultCrossStackReferences says: the fingerprint mechanism
// is built on Fn::GetStackOutput, and strong cross-Region references would
// bring back CDK's export writer, which never rewrites a changed value.
func TestReferencesAreWeakWhateverCdkJSONSays(t *testing.T) {
	ctx := cdkJSONContext(t)
	ctx["@aws-cdk/core:defaultCrossStackReferences"] = "strong"
	dir := t.TempDir()
	res, err := synthesize(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for role, tmpl := range res.templates {
		for id, r := range tmpl["Resources"].(map[string]any) {
			if typ := r.(map[string]any)["Type"].(string); strings.HasPrefix(typ, "Custom::CrossRegion") || typ == "AWS::Lambda::Function" && !strings.Contains(id, "Function") && !strings.Contains(id, "RestrictDefaultSG") {
				t.Errorf("%s has %s (%s)", role, id, typ)
			}
		}
	}
	for _, role := range []string{config.RoleClient, config.RolePeeringRoute} {
		if !strings.Contains(cdktest.JSON(res.templates[role]), `"Fn::GetStackOutput"`) {
			t.Errorf("%s reads nothing through Fn::GetStackOutput", role)
		}
	}
}
