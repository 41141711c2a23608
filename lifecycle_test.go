package main

import (
	"maps"
	"os"
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

// fingerprintParams are the SSM parameters crossref.Tracker adds to each
// consuming stack, by stack role.
var fingerprintParams = map[string]string{
	config.RoleClient:       "/CrossRegionApi/client/api-fingerprint",
	config.RolePeeringRoute: "/CrossRegionApi/peering-route/client-fingerprint",
}

// withoutFingerprint returns tmpl without its fingerprint parameter, so that
// two templates can be compared on everything else.
func withoutFingerprint(t *testing.T, role string, tmpl map[string]any) map[string]any {
	t.Helper()
	out := maps.Clone(tmpl)
	resources := maps.Clone(tmpl["Resources"].(map[string]any))
	var found bool
	for id, r := range cdktest.Resources(tmpl, "AWS::SSM::Parameter") {
		if r["Properties"].(map[string]any)["Name"] == fingerprintParams[role] {
			delete(resources, id)
			found = true
		}
	}
	if !found && fingerprintParams[role] != "" {
		t.Fatalf("%s has no fingerprint parameter %s", role, fingerprintParams[role])
	}
	out["Resources"] = resources
	return out
}

// TestChangesReachEveryStack is the lifecycle of a deployed app: for each
// change a user makes, the app is synthesized before and after, and every
// stack that reads a value the change replaces must get a different
// template. The CDK CLI deploys a stack only when its template changed (or it
// reads SSM-typed parameters), and CloudFormation re-reads Fn::GetStackOutput
// only when it updates the stack; a consumer whose template stayed the same
// would keep a deleted VPC, endpoint, API or peering connection.
func TestChangesReachEveryStack(t *testing.T) {
	before := defaultApp(t)
	roles := []string{config.RoleApi, config.RoleClient, config.RolePeeringRoute}
	cases := []struct {
		name    string
		context map[string]any
		change  func(*stacks.App)
		// changed lists the roles whose template must change; the others
		// must stay byte for byte the same.
		changed []string
		// viaFingerprintOnly lists roles whose template must change only in
		// the fingerprint parameter: nothing else would make them deploy.
		viaFingerprintOnly []string
	}{
		{
			name:    "a. apiVpcCidr: the API's VPC, endpoint and route tables are replaced",
			context: map[string]any{"apiVpcCidr": "10.1.0.0/16"},
			changed: roles,
		},
		{
			name: "b. the endpoint replaced by a property that forces replacement",
			change: func(a *stacks.App) {
				ep := a.Api.Network.Endpoint().Node().DefaultChild().(awsec2.CfnVPCEndpoint)
				ep.SetServiceName(jsii.String("com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"))
			},
			changed:            roles,
			viaFingerprintOnly: []string{config.RoleClient, config.RolePeeringRoute},
		},
		{
			name: "b. the API replaced (its construct renamed)",
			change: func(a *stacks.App) {
				api := a.Api.Network.Api().Node().DefaultChild().(awsapigateway.CfnRestApi)
				api.OverrideLogicalId(jsii.String("RenamedApi"))
			},
			changed: roles,
		},
		{
			name: "no replacement: a rule added to the endpoint's security group, a policy changed",
			change: func(a *stacks.App) {
				a.Api.Network.Api().AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Effect: awsiam.Effect_DENY, Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
					Actions: jsii.Strings("execute-api:Invoke"), Resources: jsii.Strings("execute-api:/*/DELETE/*"),
				}))
				sg := (*a.Api.Network.Endpoint().Connections().SecurityGroups())[0]
				sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String("10.77.0.0/16")), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("another client"), nil)
			},
			changed: []string{config.RoleApi},
		},
		{
			name:    "c. clientVpcCidr: the client VPC and the peering connection are replaced",
			context: map[string]any{"clientVpcCidr": "172.20.0.0/16"},
			changed: roles,
		},
		{
			name:    "d. clientRegion: a new client stack in the new Region",
			context: map[string]any{"clientRegion": "eu-west-1"},
			changed: []string{config.RoleClient, config.RolePeeringRoute},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := cdkJSONContext(t)
			maps.Copy(ctx, tc.context)
			dir := t.TempDir()
			after, err := synthesizeChanged(ctx, dir, tc.change)
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			for _, role := range roles {
				b, a := before.templates[role], after.templates[role]
				same := cdktest.JSON(b) == cdktest.JSON(a)
				if want := slices.Contains(tc.changed, role); same == want {
					t.Errorf("%s template changed: %v, want %v", role, !same, want)
				}
				if slices.Contains(tc.viaFingerprintOnly, role) {
					if diff := cmp.Diff(withoutFingerprint(t, role, b), withoutFingerprint(t, role, a)); diff != "" {
						t.Errorf("%s changed beyond its fingerprint (-before +after):\n%s", role, diff)
					}
				}
			}
		})
	}
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
