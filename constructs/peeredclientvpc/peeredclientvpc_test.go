package peeredclientvpc_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/constructs/peeredclientvpc"
	"crossregionapi/functions/apiclient/handler"
	"crossregionapi/internal/cdktest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// The construct stands alone with literal peer values, as a user would
// wire it to an API deployed by other means.
func TestStandalone(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Client"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}})
	c := peeredclientvpc.NewPeeredClientVpc(stack, "Client", &peeredclientvpc.PeeredClientVpcProps{
		Cidr:                 jsii.String("192.168.10.0/24"),
		PeerVpcId:            jsii.String("vpc-0123456789abcdef0"),
		PeerRegion:           jsii.String("us-east-2"),
		PeerCidr:             jsii.String("10.20.0.0/16"),
		ApiId:                jsii.String("a1b2c3d4e5"),
		EndpointDnsName:      jsii.String("vpce-0abc-xyz.execute-api.us-east-2.vpce.amazonaws.com"),
		EndpointHostedZoneId: jsii.String("ZC8PG0KIFKBRI"),
		Code:                 cdktest.FakeCode(t),
		FunctionTimeout:      awscdk.Duration_Seconds(jsii.Number(9)),
		LogRetention:         awslogs.RetentionDays_ONE_WEEK,
	})
	tmpl := cdktest.Template(t, stack)

	if got, want := *c.ApiUrl(), "https://a1b2c3d4e5.execute-api.us-east-2.amazonaws.com/v1"; got != want {
		t.Errorf("ApiUrl: got %s, want %s", got, want)
	}
	zone := cdktest.Props(tmpl, "AWS::Route53::HostedZone")[0]
	if got, want := zone["Name"], "a1b2c3d4e5.execute-api.us-east-2.amazonaws.com."; got != want {
		t.Errorf("zone: got %v, want %v", got, want)
	}
	record := cdktest.Props(tmpl, "AWS::Route53::RecordSetGroup")[0]["RecordSets"].([]any)[0].(map[string]any)
	if record["Name"] != "a1b2c3d4e5.execute-api.us-east-2.amazonaws.com." || record["Type"] != "A" {
		t.Errorf("record %s, want the API's hostname, A", cdktest.JSON(record))
	}
	wantAlias := map[string]any{"DNSName": "vpce-0abc-xyz.execute-api.us-east-2.vpce.amazonaws.com", "HostedZoneId": "ZC8PG0KIFKBRI"}
	if diff := cmp.Diff(wantAlias, record["AliasTarget"]); diff != "" {
		t.Errorf("alias target (-want +got):\n%s", diff)
	}
	peering := cdktest.Props(tmpl, "AWS::EC2::VPCPeeringConnection")[0]
	if peering["PeerVpcId"] != "vpc-0123456789abcdef0" || peering["PeerRegion"] != "us-east-2" {
		t.Errorf("peering: got %s", cdktest.JSON(peering))
	}
	routes := cdktest.Props(tmpl, "AWS::EC2::Route")
	if len(routes) != 2 {
		t.Fatalf("routes: got %d, want one per route table (2)", len(routes))
	}
	for _, r := range routes {
		if r["DestinationCidrBlock"] != "10.20.0.0/16" {
			t.Errorf("route destination: got %v, want 10.20.0.0/16", r["DestinationCidrBlock"])
		}
	}
	var fn map[string]any
	for _, p := range cdktest.Props(tmpl, "AWS::Lambda::Function") {
		if p["Runtime"] == "provided.al2023" {
			fn = p
		}
	}
	if fn == nil {
		t.Fatal("no provided.al2023 function")
	}
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	want := map[string]any{
		"API_URL": "https://a1b2c3d4e5.execute-api.us-east-2.amazonaws.com/v1", "API_REGION": "us-east-2",
		"API_RESOURCE": "hello", "ATTEMPT_TIMEOUT_MS": "3000",
	}
	if diff := cmp.Diff(want, env, cmpIgnoreExtraKeys(want)); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	// Peering is the function's default: no variable names it, so the
	// environment of a peered client is what it was before PrivateLink.
	if v, ok := env[handler.EnvAPITransport]; ok {
		t.Errorf("environment %s: got %v, want it absent", handler.EnvAPITransport, v)
	}
	if fn["Timeout"] != float64(9) {
		t.Errorf("timeout: got %v, want 9", fn["Timeout"])
	}
	groups := cdktest.Props(tmpl, "AWS::Logs::LogGroup")
	if len(groups) != 2 { // function and flow logs (no feature flag here, so no provider)
		t.Errorf("log groups: got %d, want 2", len(groups))
	}
	for _, g := range groups {
		if g["RetentionInDays"] != float64(7) {
			t.Errorf("log group retention: got %v, want 7 for every group", g["RetentionInDays"])
		}
	}
	sg := cdktest.JSON(cdktest.Props(tmpl, "AWS::EC2::SecurityGroup"))
	if strings.Contains(sg, "SecurityGroupIngress") || !strings.Contains(sg, `"CidrIp":"10.20.0.0/16"`) {
		t.Errorf("function security group: got %s, want no ingress and egress to 10.20.0.0/16", sg)
	}
}

// cmpIgnoreExtraKeys compares only the keys present in want, so later
// settings added to the environment do not break this test.
func cmpIgnoreExtraKeys(want map[string]any) cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		if mi, ok := p.Last().(cmp.MapIndex); ok {
			_, known := want[mi.Key().String()]
			return !known
		}
		return false
	}, cmp.Ignore())
}

func TestMissingRequiredPropPanicsWithName(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Client"), nil)
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "PeerCidr is required") {
			t.Errorf("got %v, want a panic naming PeerCidr", r)
		}
	}()
	peeredclientvpc.NewPeeredClientVpc(stack, "Client", &peeredclientvpc.PeeredClientVpcProps{
		Cidr: jsii.String("192.168.0.0/16"), PeerVpcId: jsii.String("vpc-1"), PeerRegion: jsii.String("us-east-1"),
		ApiId: jsii.String("x"), EndpointDnsName: jsii.String("d"), EndpointHostedZoneId: jsii.String("z"),
		Code: awslambda.Code_FromInline(jsii.String("x")),
	})
}

// The construct's own security properties. Peering with an API of another
// account names that account and its accepter role, and the function may
// invoke the demo method of that account's API only; in its own account the
// request names neither. Either way the function has no ingress, egress to
// the API's range on 443 only, and runs in the VPC's subnets.
func TestSecurityProperties(t *testing.T) {
	for _, tc := range []struct {
		name          string
		account, role *string
		// stage and path are the API's; nil for the defaults, v1 and hello.
		stage, path *string
	}{
		{"the API in another account", jsii.String("111111111111"), jsii.String("arn:aws:iam::111111111111:role/accepter"), nil, nil},
		{"the API in this account", nil, nil, nil, nil},
		{"another stage and resource", jsii.String("111111111111"), jsii.String("arn:aws:iam::111111111111:role/accepter"), jsii.String("prod"), jsii.String("ping")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := awscdk.NewApp(nil)
			stack := awscdk.NewStack(app, jsii.String("Client"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}})
			peeredclientvpc.NewPeeredClientVpc(stack, "Client", &peeredclientvpc.PeeredClientVpcProps{
				Cidr: jsii.String("192.168.10.0/24"), PeerVpcId: jsii.String("vpc-0123456789abcdef0"), PeerRegion: jsii.String("us-east-2"),
				PeerAccount: tc.account, PeerRoleArn: tc.role, PeerCidr: jsii.String("10.20.0.0/16"), ApiId: jsii.String("a1b2c3d4e5"),
				EndpointDnsName: jsii.String("vpce-0abc-xyz.execute-api.us-east-2.vpce.amazonaws.com"), EndpointHostedZoneId: jsii.String("ZC8PG0KIFKBRI"),
				StageName: tc.stage, ResourcePath: tc.path, Code: cdktest.FakeCode(t),
			})
			tmpl := cdktest.Template(t, stack)
			stage, path := "v1", "hello"
			if tc.stage != nil {
				stage, path = *tc.stage, *tc.path
			}
			// The function calls the API's URL, signed for the API's Region.
			var fn map[string]any
			for _, p := range cdktest.Props(tmpl, "AWS::Lambda::Function") {
				if p["Runtime"] == "provided.al2023" {
					fn = p
				}
			}
			env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
			if env["API_URL"] != "https://a1b2c3d4e5.execute-api.us-east-2.amazonaws.com/"+stage || env["API_REGION"] != "us-east-2" || env["API_RESOURCE"] != path {
				t.Errorf("environment %s, want the API's URL (stage %s), Region us-east-2 and resource %s", cdktest.JSON(env), stage, path)
			}
			peering := cdktest.Props(tmpl, "AWS::EC2::VPCPeeringConnection")[0]
			if tc.account != nil && (peering["PeerOwnerId"] != *tc.account || peering["PeerRoleArn"] != *tc.role) {
				t.Errorf("peering %s, want PeerOwnerId %s and PeerRoleArn %s", cdktest.JSON(peering), *tc.account, *tc.role)
			}
			if _, owner := peering["PeerOwnerId"]; tc.account == nil && owner {
				t.Errorf("peering %s names an owner within one account", cdktest.JSON(peering))
			}
			if _, role := peering["PeerRoleArn"]; tc.account == nil && role {
				t.Errorf("peering %s names a role within one account", cdktest.JSON(peering))
			}
			apiAccount := "222222222222"
			if tc.account != nil {
				apiAccount = *tc.account
			}
			var invoke []string
			for _, p := range cdktest.Props(tmpl, "AWS::IAM::Policy") {
				for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					if s := cdktest.JSON(st); strings.Contains(s, "execute-api") {
						invoke = append(invoke, s)
					}
				}
			}
			want := `{"Action":"execute-api:Invoke","Effect":"Allow","Resource":{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":execute-api:us-east-2:` + apiAccount + `:a1b2c3d4e5/` + stage + `/GET/` + path + `"]]}}`
			if len(invoke) != 1 || invoke[0] != want {
				t.Errorf("execute-api statements %v, want only %s", invoke, want)
			}
			var fnSG map[string]any
			for _, sg := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroup") {
				if strings.HasPrefix(sg["GroupDescription"].(string), "API client") {
					fnSG = sg
				}
			}
			if fnSG == nil || fnSG["SecurityGroupIngress"] != nil ||
				cdktest.JSON(fnSG["SecurityGroupEgress"]) != `[{"CidrIp":"10.20.0.0/16","Description":"HTTPS to the private API endpoint","FromPort":443,"IpProtocol":"tcp","ToPort":443}]` {
				t.Errorf("function security group %s, want no ingress and HTTPS to 10.20.0.0/16 only", cdktest.JSON(fnSG))
			}
		})
	}
}
