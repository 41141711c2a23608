package peeringroute_test

import (
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/constructs/peeringroute"
	"crossregionapi/internal/cdktest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func TestRoutesFromParameters(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Routes"), nil)
	r := peeringroute.NewPeeringRoute(stack, "Back", &peeringroute.PeeringRouteProps{
		PeeringConnectionId:      jsii.String("pcx-0123456789abcdef0"),
		DestinationCidr:          jsii.String("192.168.0.0/16"),
		RouteTableParameterNames: jsii.Strings("/app/rt-a", "/app/rt-b", "/app/rt-c"),
	})
	if n := len(*r.Routes()); n != 3 {
		t.Errorf("Routes: got %d, want 3", n)
	}
	tmpl := cdktest.Template(t, stack)
	params := tmpl["Parameters"].(map[string]any)
	var got []string
	for _, route := range cdktest.Props(tmpl, "AWS::EC2::Route") {
		if route["DestinationCidrBlock"] != "192.168.0.0/16" || route["VpcPeeringConnectionId"] != "pcx-0123456789abcdef0" {
			t.Errorf("route: got %s", cdktest.JSON(route))
		}
		p := params[route["RouteTableId"].(map[string]any)["Ref"].(string)].(map[string]any)
		if p["Type"] != "AWS::SSM::Parameter::Value<String>" {
			t.Errorf("route table id comes from a %v parameter, want an SSM parameter value", p["Type"])
		}
		got = append(got, p["Default"].(string))
	}
	want := []string{"/app/rt-a", "/app/rt-b", "/app/rt-c"}
	if diff := cmp.Diff(want, got, cmp.Transformer("sort", sortStrings)); diff != "" {
		t.Errorf("parameters read (-want +got):\n%s", diff)
	}
}

func sortStrings(in []string) []string { return slices.Sorted(slices.Values(in)) }
