package crossref

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReferences(t *testing.T) {
	v := map[string]any{
		"A": map[string]any{"Ref": "Vpc"},
		"B": map[string]any{"Ref": "AWS::Region"},
		"C": map[string]any{"Fn::GetAtt": []any{"Endpoint", "DnsEntries"}},
		"D": map[string]any{"Fn::GetAtt": "Api.RootResourceId"},
		"E": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:x:${Role.Arn}:${Table}"},
		"F": map[string]any{"Fn::Sub": []any{"${Queue}", map[string]any{"Other": map[string]any{"Ref": "Topic"}}}},
		"G": []any{map[string]any{"Ref": "Vpc"}, "plain"},
	}
	want := []string{"Api", "Endpoint", "Queue", "Role", "Table", "Topic", "Vpc"}
	if diff := cmp.Diff(want, References(v)); diff != "" {
		t.Errorf("References (-want +got):\n%s", diff)
	}
}

func TestClosure(t *testing.T) {
	resources := map[string]Resource{
		"Vpc":      {Type: "AWS::EC2::VPC"},
		"Subnet":   {Type: "AWS::EC2::Subnet", Properties: map[string]any{"VpcId": map[string]any{"Ref": "Vpc"}}},
		"Endpoint": {Type: "AWS::EC2::VPCEndpoint", Properties: map[string]any{"SubnetIds": []any{map[string]any{"Ref": "Subnet"}}, "P": map[string]any{"Ref": "Param"}}},
		"Stage":    {Type: "AWS::ApiGateway::Stage", Properties: map[string]any{"RestApiId": map[string]any{"Ref": "Api"}}},
		"Api":      {Type: "AWS::ApiGateway::RestApi"},
	}
	// Param is a template parameter, not a resource; Stage refers to Api
	// but nothing in the closure refers to Stage.
	got := Closure(resources, []string{"Endpoint", "Missing"})
	if diff := cmp.Diff([]string{"Endpoint", "Subnet", "Vpc"}, got); diff != "" {
		t.Errorf("Closure (-want +got):\n%s", diff)
	}
}

// Hash counts what could change a value that is read: create-only
// properties of the resources behind a Ref, every property of a resource
// read with Fn::GetAtt, and the create-only properties of what they refer to.
func TestHash(t *testing.T) {
	base := func() map[string]Resource {
		return map[string]Resource{
			"Vpc":      {Type: "AWS::EC2::VPC", Properties: map[string]any{"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true}},
			"Sg":       {Type: "AWS::EC2::SecurityGroup", Properties: map[string]any{"GroupDescription": "d", "VpcId": map[string]any{"Ref": "Vpc"}, "SecurityGroupIngress": []any{"a"}}},
			"Endpoint": {Type: "AWS::EC2::VPCEndpoint", Properties: map[string]any{"ServiceName": "s", "VpcId": map[string]any{"Ref": "Vpc"}, "SecurityGroupIds": []any{map[string]any{"Fn::GetAtt": []any{"Sg", "GroupId"}}}, "PolicyDocument": "p"}},
			"Param":    {Type: "AWS::SSM::Parameter", Properties: map[string]any{"Name": "/n", "Value": map[string]any{"Fn::GetAtt": []any{"Endpoint", "DnsEntries"}}, "Description": "x"}},
			"Api":      {Type: "AWS::ApiGateway::RestApi", Properties: map[string]any{"Policy": "one account"}},
		}
	}
	values := []any{map[string]any{"Ref": "Api"}, map[string]any{"Ref": "Vpc"}, map[string]any{"Fn::GetAtt": []any{"Param", "Value"}}}
	want := Hash(base(), values)
	cases := []struct {
		name    string
		change  func(map[string]Resource)
		changed bool
	}{
		{"nothing", func(map[string]Resource) {}, false},
		{"a create-only property of a resource read by Ref", func(r map[string]Resource) { r["Vpc"].Properties.(map[string]any)["CidrBlock"] = "10.1.0.0/16" }, true},
		{"a mutable property of a resource read by Ref", func(r map[string]Resource) { r["Api"].Properties.(map[string]any)["Policy"] = "two accounts" }, false},
		{"any property of a resource read by Fn::GetAtt", func(r map[string]Resource) { r["Param"].Properties.(map[string]any)["Description"] = "y" }, true},
		{"a create-only property of a resource behind one read", func(r map[string]Resource) { r["Endpoint"].Properties.(map[string]any)["ServiceName"] = "t" }, true},
		{"a mutable property of a resource behind one read", func(r map[string]Resource) { r["Endpoint"].Properties.(map[string]any)["PolicyDocument"] = "q" }, false},
		{"a rule of a security group two steps behind", func(r map[string]Resource) {
			r["Sg"].Properties.(map[string]any)["SecurityGroupIngress"] = []any{"a", "b"}
		}, false},
		{"a renamed resource", func(r map[string]Resource) { r["Api2"] = r["Api"]; delete(r, "Api") }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.change(r)
			vals := values
			if _, ok := r["Api2"]; ok {
				vals = append([]any{map[string]any{"Ref": "Api2"}}, values[1:]...)
			}
			if got := Hash(r, vals) != want; got != tc.changed {
				t.Errorf("hash changed: %v, want %v", got, tc.changed)
			}
		})
	}
}
