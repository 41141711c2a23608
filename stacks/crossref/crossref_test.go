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
