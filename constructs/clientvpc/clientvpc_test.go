package clientvpc_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/constructs/clientvpc"
	"crossregionapi/constructs/peeringpath"
	"crossregionapi/constructs/privatelinkpath"
	"crossregionapi/internal/cdktest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// api is one API Region's literal values, as a user would wire a client to
// APIs deployed by other means.
type api struct {
	region, id, account, cidr, service string
}

var (
	primary   = api{"us-east-1", "aaaaaaaaaa", "111111111111", "10.0.0.0/16", "com.amazonaws.vpce.us-east-1.vpce-svc-0aaaaaaaaaaaaaaaa"}
	secondary = api{"us-east-2", "bbbbbbbbbb", "111111111111", "10.100.0.0/16", "com.amazonaws.vpce.us-east-2.vpce-svc-0bbbbbbbbbbbbbbbb"}
)

func (a api) peering() *peeringpath.PeeringPathProps {
	return &peeringpath.PeeringPathProps{
		PeerVpcId: jsii.String("vpc-" + a.id), PeerRegion: jsii.String(a.region), PeerAccount: jsii.String(a.account),
		PeerRoleArn: jsii.String("arn:aws:iam::" + a.account + ":role/accepter-" + a.region), PeerCidr: jsii.String(a.cidr),
		ApiId: jsii.String(a.id), EndpointDnsName: jsii.String("vpce-" + a.id + ".execute-api." + a.region + ".vpce.amazonaws.com"),
		EndpointHostedZoneId: jsii.String("Z" + a.id),
	}
}

func (a api) privateLink() *privatelinkpath.PrivateLinkPathProps {
	return &privatelinkpath.PrivateLinkPathProps{
		ServiceName: jsii.String(a.service), ApiRegion: jsii.String(a.region), ApiAccount: jsii.String(a.account), ApiId: jsii.String(a.id),
	}
}

func (a api) host() string { return a.id + ".execute-api." + a.region + ".amazonaws.com" }

// synth builds a ClientVpc in eu-west-1 of account 222222222222 with paths.
func synth(t *testing.T, paths ...clientvpc.BuildPath) (clientvpc.ClientVpc, map[string]any) {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Client"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}})
	c := clientvpc.NewClientVpc(stack, "Client", &clientvpc.ClientVpcProps{
		Cidr: jsii.String("192.168.0.0/16"), Paths: paths, Code: cdktest.FakeCode(t),
	})
	return c, cdktest.Template(t, stack)
}

// clientFunction is the provided.al2023 function's properties, and its
// resource's DependsOn.
func clientFunction(t *testing.T, tmpl map[string]any) (map[string]any, []any) {
	t.Helper()
	for _, r := range cdktest.Resources(tmpl, "AWS::Lambda::Function") {
		if p := r["Properties"].(map[string]any); p["Runtime"] == "provided.al2023" {
			deps, _ := r["DependsOn"].([]any)
			return p, deps
		}
	}
	t.Fatal("no provided.al2023 function")
	return nil, nil
}

// A client with a path to each of two API Regions, over either transport:
// the function calls the first path's API and fails over to the second's
// (API_URL and API_REGION, FAILOVER_API_URL and FAILOVER_API_REGION), may
// invoke the one method of each API and nothing else, may open HTTPS
// through each path only, and waits for the DNS of both; each path has its
// own hosted zone for its API's hostname; the second path's resources are
// in a construct of their own.
func TestTwoPaths(t *testing.T) {
	cases := []struct {
		name   string
		paths  []clientvpc.BuildPath
		egress []string // what the function's group may reach, as JSON fragments
		// owned are resource types each path has one of.
		owned string
	}{
		{"peering", []clientvpc.BuildPath{peeringpath.Build("ToUsEast1", primary.peering()), peeringpath.Build("ToUsEast2", secondary.peering())},
			[]string{`"CidrIp":"10.0.0.0/16"`, `"CidrIp":"10.100.0.0/16"`}, "AWS::EC2::VPCPeeringConnection"},
		{"PrivateLink", []clientvpc.BuildPath{privatelinkpath.Build("ToUsEast1", primary.privateLink()), privatelinkpath.Build("ToUsEast2", secondary.privateLink())},
			[]string{`"DestinationSecurityGroupId":{"Fn::GetAtt":["ClientToUsEast1EndpointSecurityGroup`, `"DestinationSecurityGroupId":{"Fn::GetAtt":["ClientToUsEast2EndpointSecurityGroup`}, "AWS::EC2::VPCEndpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, tmpl := synth(t, tc.paths...)
			fn, deps := clientFunction(t, tmpl)
			env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
			want := map[string]any{
				"API_URL": "https://" + primary.host() + "/v1", "API_REGION": "us-east-1",
				"FAILOVER_API_URL": "https://" + secondary.host() + "/v1", "FAILOVER_API_REGION": "us-east-2",
			}
			for k, v := range want {
				if env[k] != v {
					t.Errorf("environment %s = %v, want %v", k, env[k], v)
				}
			}
			if got := *c.ApiUrl(); got != want["API_URL"] {
				t.Errorf("ApiUrl %s, want the first path's %s", got, want["API_URL"])
			}

			var invoke []string
			for _, p := range cdktest.Props(tmpl, "AWS::IAM::Policy") {
				for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					if s := cdktest.JSON(st); strings.Contains(s, "execute-api") {
						invoke = append(invoke, s)
					}
				}
			}
			wantInvoke := `{"Action":"execute-api:Invoke","Effect":"Allow","Resource":[` +
				`{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":execute-api:us-east-1:111111111111:aaaaaaaaaa/v1/GET/hello"]]},` +
				`{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":execute-api:us-east-2:111111111111:bbbbbbbbbb/v1/GET/hello"]]}]}`
			if diff := cmp.Diff([]string{wantInvoke}, invoke); diff != "" {
				t.Errorf("execute-api statements (-want +got):\n%s", diff)
			}

			var fnSG map[string]any
			for _, sg := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroup") {
				if strings.HasPrefix(sg["GroupDescription"].(string), "API client") {
					fnSG = sg
				}
			}
			// Inline rules, or rules of their own towards another group.
			egress := cdktest.JSON(fnSG["SecurityGroupEgress"]) + cdktest.JSON(cdktest.Props(tmpl, "AWS::EC2::SecurityGroupEgress"))
			if fnSG["SecurityGroupIngress"] != nil || strings.Count(egress, `"FromPort":443`) != 2 || strings.Count(egress, `"ToPort":443`) != 2 {
				t.Errorf("function security group %s, want no ingress and two HTTPS egress rules", cdktest.JSON(fnSG))
			}
			for _, e := range tc.egress {
				if !strings.Contains(egress, e) {
					t.Errorf("function egress %s lacks %s", egress, e)
				}
			}

			zones := map[string]bool{}
			for _, z := range cdktest.Props(tmpl, "AWS::Route53::HostedZone") {
				zones[z["Name"].(string)] = true
			}
			if diff := cmp.Diff(map[string]bool{primary.host() + ".": true, secondary.host() + ".": true}, zones); diff != "" {
				t.Errorf("hosted zones (-want +got):\n%s", diff)
			}
			var ready []string
			for id := range cdktest.Resources(tmpl, "AWS::Route53::HostedZone") {
				ready = append(ready, id)
			}
			for id := range cdktest.Resources(tmpl, "AWS::Route53::RecordSetGroup") {
				ready = append(ready, id)
			}
			for _, id := range ready {
				if !slices.Contains(deps, any(id)) {
					t.Errorf("the function does not wait for %s (DependsOn %v)", id, deps)
				}
			}

			owned := cdktest.Resources(tmpl, tc.owned)
			if len(owned) != 2 {
				t.Fatalf("%d %s, want one per path", len(owned), tc.owned)
			}
			for _, p := range c.Paths() {
				id := *p.(constructs.IConstruct).Node().Id()
				if !strings.HasPrefix(id, "ToUsEast") {
					t.Errorf("path construct %s, want a construct of its own", id)
				}
			}
		})
	}
}

// A client with one path fails over nowhere: no FAILOVER_ variable, and the
// function's descriptions are those of one API Region.
func TestOnePath(t *testing.T) {
	_, tmpl := synth(t, peeringpath.BuildInClient(primary.peering()))
	fn, _ := clientFunction(t, tmpl)
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	for _, k := range []string{"FAILOVER_API_URL", "FAILOVER_API_REGION"} {
		if v, ok := env[k]; ok {
			t.Errorf("environment %s = %v, want it absent with one path", k, v)
		}
	}
	if got, want := fn["Description"], "Calls the private API in us-east-1 across VPC peering"; got != want {
		t.Errorf("description %q, want %q", got, want)
	}
	// Built in the client construct itself: the ids a client of one path
	// always had.
	if _, ok := cdktest.Resources(tmpl, "AWS::EC2::VPCPeeringConnection")["ClientPeering17E995E6"]; !ok {
		t.Errorf("peering ids %v, want ClientPeering17E995E6", cdktest.Resources(tmpl, "AWS::EC2::VPCPeeringConnection"))
	}
}

// Bad paths are refused at synth time, naming the construct: none, more
// than two, and two transports, whose failure hints the function cannot
// name at once.
func TestPathsRefused(t *testing.T) {
	cases := []struct {
		name  string
		paths []clientvpc.BuildPath
		want  string
	}{
		{"none", nil, `ClientVpc "Client": got 0 paths`},
		{"three", []clientvpc.BuildPath{peeringpath.Build("A", primary.peering()), peeringpath.Build("B", secondary.peering()), peeringpath.Build("C", secondary.peering())},
			`ClientVpc "Client": got 3 paths`},
		{"two transports", []clientvpc.BuildPath{peeringpath.Build("A", primary.peering()), privatelinkpath.Build("B", secondary.privateLink())},
			`ClientVpc "Client": paths over peering and privatelink`},
		{"a path without its API", []clientvpc.BuildPath{peeringpath.Build("A", &peeringpath.PeeringPathProps{})}, `PeeringPath "A": `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Errorf("got %v, want a panic with %q", r, tc.want)
				}
			}()
			synth(t, tc.paths...)
		})
	}
}
