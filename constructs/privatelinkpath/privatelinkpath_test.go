package privatelinkpath_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/privatelinkpath"
	"crossregionapi/internal/cdktest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func isolatedVpc(stack awscdk.Stack) awsec2.Vpc {
	return awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses: awsec2.IpAddresses_Cidr(jsii.String("192.168.0.0/16")), MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}},
	})
}

// The path stands alone on a VPC of the user's: an interface endpoint to
// the service in the API's Region (ServiceRegion only when that is not the
// stack's), without private DNS, whose group admits HTTPS from the VPC's
// range alone (VpcCidr, else the VPC's own block), a zone for the API's
// hostname aliased to the endpoint, and, for the function's group, HTTPS
// to the endpoint's group alone.
func TestStandalone(t *testing.T) {
	for _, tc := range []struct {
		name, apiRegion string
		cidr            *string
		wantRegion      any
		wantIngress     string
	}{
		{"another Region, the VPC's own block", "us-east-2", nil, "us-east-2", `{"Fn::GetAtt":["Vpc8378EB38","CidrBlock"]}`},
		{"the stack's Region, a range given", "eu-west-1", jsii.String("192.168.0.0/16"), nil, `"192.168.0.0/16"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := awscdk.NewApp(nil)
			stack := awscdk.NewStack(app, jsii.String("Client"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1"), Account: jsii.String("222222222222")}})
			vpc := isolatedVpc(stack)
			path := privatelinkpath.NewPrivateLinkPath(stack, "ToUsEast2", &privatelinkpath.PrivateLinkPathProps{
				Vpc: vpc, VpcCidr: tc.cidr, ServiceName: jsii.String("com.amazonaws.vpce." + tc.apiRegion + ".vpce-svc-0bbbbbbbbbbbbbbbb"),
				ApiRegion: jsii.String(tc.apiRegion), ApiId: jsii.String("b1b2c3d4e5"),
			})
			caller := awsec2.NewSecurityGroup(stack, jsii.String("Caller"), &awsec2.SecurityGroupProps{Vpc: vpc, AllowAllOutbound: jsii.Bool(false)})
			path.AllowFrom(caller)
			tmpl := cdktest.Template(t, stack)

			ep := cdktest.Props(tmpl, "AWS::EC2::VPCEndpoint")
			if len(ep) != 1 || ep[0]["PrivateDnsEnabled"] != false || ep[0]["ServiceRegion"] != tc.wantRegion {
				t.Fatalf("endpoints %s, want one without private DNS, ServiceRegion %v", cdktest.JSON(ep), tc.wantRegion)
			}
			var endpointSG map[string]any
			for _, sg := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroup") {
				if strings.HasPrefix(sg["GroupDescription"].(string), "PrivateLink endpoint") {
					endpointSG = sg
				}
			}
			if got := cdktest.JSON(endpointSG["SecurityGroupIngress"]); !strings.Contains(got, `"CidrIp":`+tc.wantIngress) || strings.Count(got, "CidrIp") != 1 {
				t.Errorf("endpoint ingress %s, want HTTPS from %s alone", got, tc.wantIngress)
			}
			egress := cdktest.Props(tmpl, "AWS::EC2::SecurityGroupEgress")
			if len(egress) != 1 || egress[0]["FromPort"] != float64(443) || !strings.Contains(cdktest.JSON(egress[0]["DestinationSecurityGroupId"]), "ToUsEast2EndpointSecurityGroup") {
				t.Errorf("caller egress %s, want HTTPS to the endpoint's group alone", cdktest.JSON(egress))
			}
			zone := cdktest.Props(tmpl, "AWS::Route53::HostedZone")
			if len(zone) != 1 || zone[0]["Name"] != "b1b2c3d4e5.execute-api."+tc.apiRegion+".amazonaws.com." {
				t.Errorf("zones %s", cdktest.JSON(zone))
			}
			alias := cdktest.JSON(cdktest.Props(tmpl, "AWS::Route53::RecordSetGroup")[0]["RecordSets"])
			if !strings.Contains(alias, "ToUsEast2ApiEndpoint") || !strings.Contains(alias, "DnsEntries") {
				t.Errorf("records %s, want an alias of the endpoint's DNS entry", alias)
			}
		})
	}
}

// A missing prop is refused at synth time, naming it.
func TestRequiredProps(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Client"), nil)
	defer func() {
		if r, _ := recover().(string); !strings.Contains(r, `PrivateLinkPath "P": ServiceName is required`) {
			t.Errorf("got %q, want a panic naming ServiceName", r)
		}
	}()
	privatelinkpath.NewPrivateLinkPath(stack, "P", &privatelinkpath.PrivateLinkPathProps{Vpc: isolatedVpc(stack), ApiRegion: jsii.String("us-east-2"), ApiId: jsii.String("x")})
}
