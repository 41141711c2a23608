package peeringpath_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/peeringpath"
	"crossregionapi/internal/cdktest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// isolatedVpc is a VPC of three isolated subnets, as a user's own VPC
// might be.
func isolatedVpc(stack awscdk.Stack) awsec2.Vpc {
	return awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses: awsec2.IpAddresses_Cidr(jsii.String("192.168.0.0/16")), MaxAzs: jsii.Number(3), NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}},
	})
}

func props(vpc awsec2.IVpc) *peeringpath.PeeringPathProps {
	return &peeringpath.PeeringPathProps{
		Vpc: vpc, PeerVpcId: jsii.String("vpc-0123456789abcdef0"), PeerRegion: jsii.String("us-east-2"), PeerCidr: jsii.String("10.100.0.0/16"),
		ApiId: jsii.String("b1b2c3d4e5"), EndpointDnsName: jsii.String("vpce-0abc-xyz.execute-api.us-east-2.vpce.amazonaws.com"),
		EndpointHostedZoneId: jsii.String("ZC8PG0KIFKBRI"),
	}
}

// The path stands alone on a VPC of the user's: a peering connection from
// that VPC, a route to the API's range through it from every subnet, a
// zone for the API's hostname in the API Region's suffix, and, for the
// function's group, HTTPS to the API's range alone.
func TestStandalone(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Client"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1"), Account: jsii.String("222222222222")}})
	vpc := isolatedVpc(stack)
	path := peeringpath.NewPeeringPath(stack, "ToUsEast2", props(vpc))
	sg := awsec2.NewSecurityGroup(stack, jsii.String("Caller"), &awsec2.SecurityGroupProps{Vpc: vpc, AllowAllOutbound: jsii.Bool(false)})
	path.AllowFrom(sg)
	tmpl := cdktest.Template(t, stack)

	peerings := cdktest.Resources(tmpl, "AWS::EC2::VPCPeeringConnection")
	if len(peerings) != 1 {
		t.Fatalf("%d peering connections, want 1", len(peerings))
	}
	var peeringID string
	for id, r := range peerings {
		peeringID = id
		if p := r["Properties"].(map[string]any); cdktest.JSON(p["VpcId"]) != `{"Ref":"Vpc8378EB38"}` || p["PeerRegion"] != "us-east-2" {
			t.Errorf("peering %s, want from the VPC to us-east-2", cdktest.JSON(p))
		}
	}
	routes := cdktest.Props(tmpl, "AWS::EC2::Route")
	if len(routes) != 3 {
		t.Errorf("%d routes, want one per subnet (3)", len(routes))
	}
	for _, r := range routes {
		if r["DestinationCidrBlock"] != "10.100.0.0/16" || cdktest.JSON(r["VpcPeeringConnectionId"]) != `{"Fn::GetAtt":["`+peeringID+`","Id"]}` {
			t.Errorf("route %s, want 10.100.0.0/16 through %s", cdktest.JSON(r), peeringID)
		}
	}
	if got := cdktest.Props(tmpl, "AWS::Route53::HostedZone")[0]["Name"]; got != "b1b2c3d4e5.execute-api.us-east-2.amazonaws.com." {
		t.Errorf("zone %v", got)
	}
	if got := *path.Api().Url(); got != "https://b1b2c3d4e5.execute-api.us-east-2.amazonaws.com/v1" {
		t.Errorf("Api().Url() %s", got)
	}
	for _, sg := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroup") {
		if got := cdktest.JSON(sg["SecurityGroupEgress"]); got != `[{"CidrIp":"10.100.0.0/16","Description":"HTTPS to the private API endpoint","FromPort":443,"IpProtocol":"tcp","ToPort":443}]` {
			t.Errorf("caller egress %s, want HTTPS to 10.100.0.0/16 only", got)
		}
	}
	if len(path.Ready()) != 2 || path.Transport() != "peering" {
		t.Errorf("Ready %d, Transport %s; want the zone and its records, peering", len(path.Ready()), path.Transport())
	}
}

// A missing prop is refused at synth time, naming it.
func TestRequiredProps(t *testing.T) {
	for name, change := range map[string]func(p *peeringpath.PeeringPathProps){
		"Vpc is required":                          func(p *peeringpath.PeeringPathProps) { p.Vpc = nil },
		"PeerCidr is required":                     func(p *peeringpath.PeeringPathProps) { p.PeerCidr = nil },
		"PeerRoleArn is required with PeerAccount": func(p *peeringpath.PeeringPathProps) { p.PeerAccount = jsii.String("111111111111") },
	} {
		t.Run(name, func(t *testing.T) {
			app := awscdk.NewApp(nil)
			stack := awscdk.NewStack(app, jsii.String("Client"), nil)
			p := props(isolatedVpc(stack))
			change(p)
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, `PeeringPath "P": `+name) {
					t.Errorf("got %q, want a panic naming %s", r, name)
				}
			}()
			peeringpath.NewPeeringPath(stack, "P", p)
		})
	}
}
