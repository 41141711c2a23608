package crossref

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/internal/cdktest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func TestReferences(t *testing.T) {
	v := map[string]any{
		"A": map[string]any{"Ref": "Vpc"},
		"B": map[string]any{"Ref": "AWS::Region"},
		"C": map[string]any{"Fn::GetAtt": []any{"Endpoint", "DnsEntries"}},
		"D": map[string]any{"Fn::GetAtt": "Api.RootResourceId"},
		"E": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:x:${Role.Arn}:${Table}"},
		"F": map[string]any{"Fn::Sub": []any{"${Queue}", map[string]any{"Other": map[string]any{"Ref": "Topic"}}}},
		"G": []any{map[string]any{"Ref": "Vpc"}, "plain"},
		"H": map[string]any{"Fn::Select": []any{float64(0), map[string]any{"Fn::GetAtt": []any{"Endpoint", "DnsEntries"}}}},
		"I": map[string]any{"Fn::Select": []any{float64(1), []any{map[string]any{"Ref": "Subnet"}, "x"}}},
	}
	want := []string{"Api.RootResourceId", "Endpoint.DnsEntries", "Endpoint.DnsEntries[0]", "Queue", "Role.Arn", "Subnet", "Table", "Topic", "Vpc"}
	if diff := cmp.Diff(want, References(v)); diff != "" {
		t.Errorf("References (-want +got):\n%s", diff)
	}
}

// stack is a small API side: a VPC, a subnet, an endpoint in it with its
// security group, the endpoint's Regional name published in a parameter,
// and an API.
func stack() map[string]Resource {
	ref := func(id string) map[string]any { return map[string]any{"Ref": id} }
	att := func(id, a string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, a}} }
	return map[string]Resource{
		"Vpc":    {Type: "AWS::EC2::VPC", Properties: map[string]any{"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true}},
		"Subnet": {Type: "AWS::EC2::Subnet", Properties: map[string]any{"VpcId": ref("Vpc"), "AvailabilityZone": "us-east-1a", "CidrBlock": "10.0.0.0/24"}},
		"Sg":     {Type: "AWS::EC2::SecurityGroup", Properties: map[string]any{"GroupDescription": "d", "VpcId": ref("Vpc"), "SecurityGroupIngress": []any{"a"}}},
		"Endpoint": {Type: "AWS::EC2::VPCEndpoint", Properties: map[string]any{
			"ServiceName": "s", "VpcId": ref("Vpc"), "SubnetIds": []any{ref("Subnet")},
			"SecurityGroupIds": []any{att("Sg", "GroupId")}, "PolicyDocument": "p",
		}},
		"DnsName": {Type: "AWS::SSM::Parameter", Properties: map[string]any{"Name": "/n", "Description": "x",
			"Value": map[string]any{"Fn::Select": []any{float64(1), map[string]any{"Fn::Split": []any{":", map[string]any{"Fn::Select": []any{float64(0), att("Endpoint", "DnsEntries")}}}}}}}},
		"Zonal":  {Type: "AWS::SSM::Parameter", Properties: map[string]any{"Name": "/z", "Value": map[string]any{"Fn::Join": []any{",", att("Endpoint", "DnsEntries")}}}},
		"Api":    {Type: "AWS::ApiGateway::RestApi", Properties: map[string]any{"Policy": "one account", "EndpointConfiguration": map[string]any{"VpcEndpointIds": []any{ref("Endpoint")}}}},
		"Custom": {Type: "Custom::Thing", Properties: map[string]any{"ServiceToken": "t", "Input": ref("Vpc"), "Mutable": "m"}},
	}
}

// ValueHash changes exactly when what a value may resolve to changes: each
// case says, for every value another stack might read, whether its
// fingerprint must change.
func TestValueHash(t *testing.T) {
	values := map[string]any{
		"vpc id":           map[string]any{"Ref": "Vpc"},
		"api id":           map[string]any{"Ref": "Api"},
		"endpoint id":      map[string]any{"Ref": "Endpoint"},
		"regional dns":     map[string]any{"Fn::GetAtt": []any{"DnsName", "Value"}},
		"zonal dns":        map[string]any{"Fn::GetAtt": []any{"Zonal", "Value"}},
		"sg id":            map[string]any{"Fn::GetAtt": []any{"Sg", "GroupId"}},
		"custom attribute": map[string]any{"Fn::GetAtt": []any{"Custom", "Out"}},
		"literal":          "v1",
	}
	before := map[string]string{}
	for name, v := range values {
		before[name] = ValueHash(stack(), v)
	}
	props := func(r map[string]Resource, id string) map[string]any { return r[id].Properties.(map[string]any) }
	cases := []struct {
		name    string
		change  func(map[string]Resource)
		changed []string // the values whose fingerprint must change; all others stay
	}{
		{"nothing", func(map[string]Resource) {}, nil},
		{"a create-only property of the VPC", func(r map[string]Resource) { props(r, "Vpc")["CidrBlock"] = "10.1.0.0/16" },
			[]string{"vpc id", "endpoint id", "regional dns", "zonal dns", "sg id", "custom attribute"}},
		{"a conditional create-only property of the VPC (tenancy)", func(r map[string]Resource) { props(r, "Vpc")["InstanceTenancy"] = "dedicated" },
			[]string{"vpc id", "endpoint id", "regional dns", "zonal dns", "sg id", "custom attribute"}},
		{"a mutable property of the VPC", func(r map[string]Resource) { props(r, "Vpc")["EnableDnsSupport"] = false }, nil},
		{"the subnet's zone: a subnet replaced, the endpoint updated in place", func(r map[string]Resource) { props(r, "Subnet")["AvailabilityZone"] = "us-east-1c" },
			[]string{"zonal dns"}},
		{"a create-only property of the endpoint", func(r map[string]Resource) { props(r, "Endpoint")["ServiceName"] = "t" },
			[]string{"endpoint id", "regional dns", "zonal dns"}},
		{"the endpoint's policy", func(r map[string]Resource) { props(r, "Endpoint")["PolicyDocument"] = "q" }, nil},
		{"a rule of the endpoint's security group", func(r map[string]Resource) { props(r, "Sg")["SecurityGroupIngress"] = []any{"a", "b"} }, nil},
		{"the API's policy", func(r map[string]Resource) { props(r, "Api")["Policy"] = "two accounts" }, nil},
		{"the regional name's parameter described anew", func(r map[string]Resource) { props(r, "DnsName")["Description"] = "y" }, nil},
		{"the regional name's parameter holding another entry", func(r map[string]Resource) {
			props(r, "DnsName")["Value"] = map[string]any{"Fn::Select": []any{float64(1), map[string]any{"Fn::GetAtt": []any{"Endpoint", "DnsEntries"}}}}
		}, []string{"regional dns"}},
		{"a mutable property of a custom resource", func(r map[string]Resource) { props(r, "Custom")["Mutable"] = "n" }, []string{"custom attribute"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := stack()
			tc.change(r)
			var changed []string
			for name, v := range values {
				if ValueHash(r, v) != before[name] {
					changed = append(changed, name)
				}
			}
			if diff := cmp.Diff(sorted(tc.changed), sorted(changed)); diff != "" {
				t.Errorf("values whose fingerprint changed (-want +got):\n%s", diff)
			}
		})
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestWithFingerprint(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	if got := withFingerprint("PublishOutputRefVpc12345678", hash); got != "PublishOutputRefVpc12345678"+hash[:FingerprintLength] {
		t.Errorf("short id: %s", got)
	}
	long := strings.Repeat("x", 250) + "HASH1234"
	got := withFingerprint(long, hash)
	if len(got) != maxLogicalId || !strings.HasSuffix(got, "HASH1234"+hash[:FingerprintLength]) {
		t.Errorf("long id: %d characters, ending %q", len(got), got[len(got)-20:])
	}
}

// producerAndReader synthesizes a VPC's stack in one account and a stack of
// another account that peers with it, and returns both templates.
func producerAndReader(t *testing.T, vpc *awsec2.CfnVPCProps) (producer, reader map[string]any) {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	p := awscdk.NewStack(app, jsii.String("Producer"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-east-1")}})
	published := NewPublisher(p)
	awscdk.CrossStackReferences_Of(p).Consume(awscdk.ReferenceStrength_WEAK)
	v := awsec2.NewCfnVPC(p, jsii.String("Vpc"), vpc)
	c := awscdk.NewStack(app, jsii.String("Reader"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("us-west-2")}})
	awscdk.CrossStackReferences_Of(c).Consume(awscdk.ReferenceStrength_WEAK)
	awsec2.NewCfnVPCPeeringConnection(c, jsii.String("Peering"), &awsec2.CfnVPCPeeringConnectionProps{
		VpcId: jsii.String("vpc-0123456789abcdef0"), PeerVpcId: v.AttrVpcId(), PeerRegion: jsii.String("us-east-1"), PeerOwnerId: jsii.String("111111111111"),
	})
	published.TrustReader(c)
	return cdktest.Template(t, p), cdktest.Template(t, c)
}

// The Publisher names the output another stack reads by a fingerprint of
// its value, and lets the reader's account read it through a role trusted
// by that account for its CloudFormation execution role only.
func TestPublisher(t *testing.T) {
	base := &awsec2.CfnVPCProps{CidrBlock: jsii.String("10.0.0.0/16"), EnableDnsSupport: jsii.Bool(true)}
	producer, reader := producerAndReader(t, base)
	var outputs []string
	for name := range producer["Outputs"].(map[string]any) {
		outputs = append(outputs, name)
	}
	if len(outputs) != 1 || !regexp.MustCompile(`^PublishOutput\w+[0-9A-F]{8}[0-9a-f]{10}$`).MatchString(outputs[0]) {
		t.Fatalf("outputs %v, want one PublishOutput… ending in CDK's hash and 10 hex digits of fingerprint", outputs)
	}
	roles := cdktest.Props(producer, "AWS::IAM::Role")
	if len(roles) != 1 {
		t.Fatalf("roles %s, want one", cdktest.JSON(roles))
	}
	peering := cdktest.Props(reader, "AWS::EC2::VPCPeeringConnection")[0]
	read := peering["PeerVpcId"].(map[string]any)["Fn::GetStackOutput"].(map[string]any)
	if read["OutputName"] != outputs[0] || !strings.HasSuffix(cdktest.JSON(read["RoleArn"]), `:iam::111111111111:role/`+roles[0]["RoleName"].(string)+`"]]}`) {
		t.Errorf("the reader reads %v, want output %s through the producer's role %s", read, outputs[0], roles[0]["RoleName"])
	}
	want := `{"Statement":[{"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":[{"Fn::Sub":"arn:${AWS::Partition}:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-west-2"}]}},` +
		`"Effect":"Allow","Principal":{"AWS":[{"Fn::Sub":"arn:${AWS::Partition}:iam::222222222222:root"}]}}],"Version":"2012-10-17"}`
	if cdktest.JSON(roles[0]["AssumeRolePolicyDocument"]) != want {
		t.Errorf("roles %s, want one trusted by %s", cdktest.JSON(roles), want)
	}
	if n := len(cdktest.Props(producer, "AWS::IAM::Policy")); n != 1 {
		t.Errorf("%d policies, want CDK's one read policy on the role", n)
	}

	for _, tc := range []struct {
		name    string
		vpc     *awsec2.CfnVPCProps
		renamed bool
	}{
		{"a create-only property", &awsec2.CfnVPCProps{CidrBlock: jsii.String("10.1.0.0/16"), EnableDnsSupport: jsii.Bool(true)}, true},
		{"a property updated in place", &awsec2.CfnVPCProps{CidrBlock: jsii.String("10.0.0.0/16"), EnableDnsSupport: jsii.Bool(false)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, r := producerAndReader(t, tc.vpc)
			_, same := p["Outputs"].(map[string]any)[outputs[0]]
			if same == tc.renamed {
				t.Errorf("output renamed: %v, want %v (%s)", !same, tc.renamed, cdktest.JSON(p["Outputs"]))
			}
			if readerSame := cdktest.JSON(r) == cdktest.JSON(reader); readerSame == tc.renamed {
				t.Errorf("reader's template changed: %v, want %v", !readerSame, tc.renamed)
			}
		})
	}
}
