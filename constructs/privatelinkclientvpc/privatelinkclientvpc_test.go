package privatelinkclientvpc_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/constructs/privatelinkclientvpc"
	"crossregionapi/functions/apiclient/handler"
	"crossregionapi/internal/cdktest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

const (
	serviceName = "com.amazonaws.vpce.us-east-2.vpce-svc-0123456789abcdef0"
	apiID       = "a1b2c3d4e5"
)

// synth builds the construct alone, with literal API values, as a user
// would wire it to a service deployed by other means: the client in
// eu-west-1 of account 222222222222, the API in us-east-2 of apiAccount.
func synth(t *testing.T, apiAccount *string, cidr string) (map[string]any, privatelinkclientvpc.PrivateLinkClientVpc) {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Client"), &awscdk.StackProps{Env: &awscdk.Environment{
		Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}})
	c := privatelinkclientvpc.NewPrivateLinkClientVpc(stack, "Client", &privatelinkclientvpc.PrivateLinkClientVpcProps{
		Cidr:         jsii.String(cidr),
		ServiceName:  jsii.String(serviceName),
		ApiRegion:    jsii.String("us-east-2"),
		ApiAccount:   apiAccount,
		ApiId:        jsii.String(apiID),
		StageName:    jsii.String("prod"),
		ResourcePath: jsii.String("ping"),
		Code:         cdktest.FakeCode(t),
	})
	return cdktest.Template(t, stack), c
}

// The endpoint names the service in the API's Region, without private
// DNS; the zone answers for the API's hostname with the local endpoint;
// nothing peers or routes anywhere, so any range will do.
func TestEndpointAndDns(t *testing.T) {
	tmpl, c := synth(t, nil, "10.0.0.0/16")
	if got, want := *c.ApiUrl(), "https://"+apiID+".execute-api.us-east-2.amazonaws.com/prod"; got != want {
		t.Errorf("ApiUrl: got %s, want %s", got, want)
	}
	endpoints := cdktest.Resources(tmpl, "AWS::EC2::VPCEndpoint")
	if len(endpoints) != 1 {
		t.Fatalf("endpoints: got %d, want 1", len(endpoints))
	}
	var endpointID string
	for id, e := range endpoints {
		endpointID = id
		p := e["Properties"].(map[string]any)
		want := map[string]any{"ServiceName": serviceName, "ServiceRegion": "us-east-2", "PrivateDnsEnabled": false, "VpcEndpointType": "Interface"}
		for k, v := range want {
			if !cmp.Equal(p[k], v) {
				t.Errorf("endpoint %s: got %v, want %v", k, p[k], v)
			}
		}
		if n := len(p["SubnetIds"].([]any)); n != 2 {
			t.Errorf("endpoint subnets: got %d, want one per zone (2)", n)
		}
	}
	zone := cdktest.Props(tmpl, "AWS::Route53::HostedZone")[0]
	if got, want := zone["Name"], apiID+".execute-api.us-east-2.amazonaws.com."; got != want {
		t.Errorf("zone: got %v, want %v", got, want)
	}
	// The endpoint's first DNS entry, its Regional name, is
	// "{hosted zone id}:{DNS name}".
	alias := cdktest.JSON(cdktest.Props(tmpl, "AWS::Route53::RecordSetGroup")[0]["RecordSets"].([]any)[0].(map[string]any)["AliasTarget"])
	part := func(i int) string {
		return `{"Fn::Select":[` + fmt.Sprint(i) + `,{"Fn::Split":[":",{"Fn::Select":[0,{"Fn::GetAtt":["` + endpointID + `","DnsEntries"]}]}]}]}`
	}
	if want := `{"DNSName":` + part(1) + `,"HostedZoneId":` + part(0) + `}`; alias != want {
		t.Errorf("alias target %s, want the name and zone of the local endpoint's Regional DNS entry, %s", alias, want)
	}
	for _, typ := range []string{"AWS::EC2::VPCPeeringConnection", "AWS::EC2::Route", "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway"} {
		if n := len(cdktest.Resources(tmpl, typ)); n != 0 {
			t.Errorf("%s: got %d, want none", typ, n)
		}
	}
	fn := clientFunction(t, tmpl)
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["API_URL"] != *c.ApiUrl() || env["API_REGION"] != "us-east-2" || env["API_RESOURCE"] != "ping" {
		t.Errorf("environment: got %v", cdktest.JSON(env))
	}
	// The function's failure hints name the PrivateLink path, not peering.
	if env[handler.EnvAPITransport] != handler.TransportPrivateLink {
		t.Errorf("environment %s: got %v, want %q", handler.EnvAPITransport, env[handler.EnvAPITransport], handler.TransportPrivateLink)
	}
	if !strings.Contains(fn["Description"].(string), "PrivateLink") {
		t.Errorf("description %q does not say how the function reaches the API", fn["Description"])
	}
}

// The construct's security properties: the endpoint admits HTTPS from the
// client VPC only; the function has no ingress and sends HTTPS to the
// endpoint only; it may invoke one method of the API, in the API's account.
func TestSecurityProperties(t *testing.T) {
	for _, tc := range []struct {
		name       string
		apiAccount *string
		want       string
	}{
		{"the API in another account", jsii.String("111111111111"), "111111111111"},
		{"the API in this account", nil, "222222222222"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, _ := synth(t, tc.apiAccount, "172.16.0.0/20")
			groups := cdktest.Resources(tmpl, "AWS::EC2::SecurityGroup")
			var endpointSG, fnSG string
			for id, g := range groups {
				switch d := g["Properties"].(map[string]any)["GroupDescription"].(string); {
				case strings.HasPrefix(d, "PrivateLink endpoint"):
					endpointSG = id
				case strings.HasPrefix(d, "API client"):
					fnSG = id
				}
			}
			if endpointSG == "" || fnSG == "" {
				t.Fatalf("security groups %v: want the endpoint's and the function's", cdktest.JSON(groups))
			}
			ep := groups[endpointSG]["Properties"].(map[string]any)
			if got := cdktest.JSON(ep["SecurityGroupIngress"]); got != `[{"CidrIp":"172.16.0.0/20","Description":"HTTPS from this VPC","FromPort":443,"IpProtocol":"tcp","ToPort":443}]` {
				t.Errorf("endpoint ingress %s, want HTTPS from the client VPC only", got)
			}
			fp := groups[fnSG]["Properties"].(map[string]any)
			if fp["SecurityGroupIngress"] != nil || fp["SecurityGroupEgress"] != nil {
				t.Errorf("function group %s: want no inline rules", cdktest.JSON(fp))
			}
			var egress []string
			for _, r := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroupEgress") {
				if cdktest.JSON(r["GroupId"]) == `{"Fn::GetAtt":["`+fnSG+`","GroupId"]}` {
					egress = append(egress, cdktest.JSON(map[string]any{"to": r["DestinationSecurityGroupId"], "port": r["FromPort"], "toPort": r["ToPort"], "proto": r["IpProtocol"]}))
				}
			}
			want := `{"port":443,"proto":"tcp","to":{"Fn::GetAtt":["` + endpointSG + `","GroupId"]},"toPort":443}`
			if len(egress) != 1 || egress[0] != want {
				t.Errorf("function egress %v, want only %s", egress, want)
			}
			for _, r := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroupIngress") {
				if cdktest.JSON(r["GroupId"]) == `{"Fn::GetAtt":["`+fnSG+`","GroupId"]}` {
					t.Errorf("function group has ingress %s", cdktest.JSON(r))
				}
			}
			var invoke []string
			for _, p := range cdktest.Props(tmpl, "AWS::IAM::Policy") {
				for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					if s := cdktest.JSON(st); strings.Contains(s, "execute-api") {
						invoke = append(invoke, s)
					}
				}
			}
			wantInvoke := `{"Action":"execute-api:Invoke","Effect":"Allow","Resource":{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":execute-api:us-east-2:` + tc.want + `:` + apiID + `/prod/GET/ping"]]}}`
			if len(invoke) != 1 || invoke[0] != wantInvoke {
				t.Errorf("execute-api statements %v, want only %s", invoke, wantInvoke)
			}
			if vpc := clientFunction(t, tmpl)["VpcConfig"]; vpc == nil {
				t.Error("the function runs outside the VPC")
			}
		})
	}
}

func TestMissingRequiredPropPanicsWithName(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Client"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "ServiceName is required") {
			t.Errorf("got %v, want a panic naming ServiceName", r)
		}
	}()
	privatelinkclientvpc.NewPrivateLinkClientVpc(stack, "Client", &privatelinkclientvpc.PrivateLinkClientVpcProps{
		Cidr: jsii.String("10.0.0.0/16"), ApiRegion: jsii.String("us-east-1"), ApiId: jsii.String("x"),
		Code: awslambda.Code_FromInline(jsii.String("x")),
	})
}

func clientFunction(t *testing.T, tmpl map[string]any) map[string]any {
	t.Helper()
	for _, p := range cdktest.Props(tmpl, "AWS::Lambda::Function") {
		if p["Runtime"] == "provided.al2023" {
			return p
		}
	}
	t.Fatal("no provided.al2023 function")
	return nil
}
