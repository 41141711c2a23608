package apiendpointservice

// The custom resources as synthesized, answered by the project's handler:
// their properties are read from the template, with made-up values for
// what CloudFormation would put in (the endpoint's id and interface ids,
// the service's id), and the handler (functions/endpointservice) runs on
// them against a local fake EC2. The lookup's answer is read with the
// attribute names the target group's targets ask for; the connections
// resource's delete leaves a service EC2 then deletes.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/constructs/privateapivpc"
	"crossregionapi/functions/endpointservice/ec2fake"
	"crossregionapi/functions/endpointservice/handler"
	"crossregionapi/internal/cdktest"
)

// Made-up deploy-time values.
const (
	lookupEndpointID = "vpce-0123456789abcdef0"
	lookupServiceID  = "vpce-svc-0123456789abcdef0"
)

var lookupInterfaces = map[string]string{"eni-0aaaaaaaaaaaaaaaa": "10.0.1.10", "eni-0bbbbbbbbbbbbbbbb": "10.0.2.20"}

type lookupResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// lookupTemplate synthesizes the service in a stack of its own.
func lookupTemplate(t *testing.T) map[string]lookupResource {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Lookup"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-east-1")},
	})
	api := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{Cidr: jsii.String("10.0.0.0/16")})
	NewApiEndpointService(stack, "Service", &ApiEndpointServiceProps{
		Api:              api,
		AllowedAccounts:  jsii.Strings("111111111111"),
		SupportedRegions: jsii.Strings("us-west-2"),
		Code:             cdktest.FakeCode(t),
	})
	raw, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var template struct {
		Resources map[string]lookupResource `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &template); err != nil {
		t.Fatal(err)
	}
	return template.Resources
}

// lookupOnly returns the logical id of the only resource of typ.
func lookupOnly(t *testing.T, resources map[string]lookupResource, typ string) string {
	t.Helper()
	ids := lookupOfType(resources, typ)
	if len(ids) != 1 {
		t.Fatalf("%s: %v, want one", typ, ids)
	}
	return ids[0]
}

// lookupEvent is what CloudFormation would send for the resource id, its
// properties resolved with fakes and turned into strings.
func lookupEvent(t *testing.T, resources map[string]lookupResource, id string, request cfn.RequestType, fakes lookupFakes) cfn.Event {
	t.Helper()
	resolved, err := fakes.resolve(resources[id].Properties)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return cfn.Event{
		RequestType:        request,
		RequestID:          "c1a9e3b2-4f6e-9d1c-000000000001",
		ResourceType:       resources[id].Type,
		LogicalResourceID:  id,
		StackID:            "arn:aws:cloudformation:us-east-1:111111111111:stack/Lookup/5b0c3c70",
		ResourceProperties: lookupStrings(resolved).(map[string]any),
	}
}

func TestCustomResourcesAnsweredByTheHandler(t *testing.T) {
	resources := lookupTemplate(t)
	endpoint := ""
	for _, id := range lookupOfType(resources, "AWS::EC2::VPCEndpoint") {
		if name, _ := resources[id].Properties["ServiceName"].(string); strings.HasSuffix(name, ".execute-api") {
			endpoint = id
		}
	}
	service := lookupOnly(t, resources, "AWS::EC2::VPCEndpointService")
	fakes := lookupFakes{
		getAtt: map[string]any{endpoint + ".NetworkInterfaceIds": []any{"eni-0aaaaaaaaaaaaaaaa", "eni-0bbbbbbbbbbbbbbbb"}},
		ref:    map[string]any{endpoint: lookupEndpointID, service: lookupServiceID},
	}
	for _, fn := range lookupOfType(resources, "AWS::Lambda::Function") {
		fakes.getAtt[fn+".Arn"] = "arn:aws:lambda:us-east-1:111111111111:function:" + fn
	}
	fake := &ec2fake.EC2{
		Interfaces: lookupInterfaces,
		Services: map[string][]*ec2fake.Connection{lookupServiceID: {
			{Endpoint: "vpce-0client1", Owner: "222222222222", State: ec2fake.Available},
			{Endpoint: "vpce-0client2", Owner: "333333333333", State: ec2fake.PendingAcceptance},
		}},
		RefuseFirst: 1,
	}
	fake.Start(t)
	h := handler.New(fake.Client(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.Sleep = func(context.Context, time.Duration) error { return nil }

	t.Run("addresses", func(t *testing.T) {
		// The targets read their addresses from one lookup.
		tg := resources[lookupOnly(t, resources, "AWS::ElasticLoadBalancingV2::TargetGroup")]
		var lookup string
		var attributes []string
		for _, target := range tg.Properties["Targets"].([]any) {
			id, _ := target.(map[string]any)["Id"].(map[string]any)
			resource, attribute, ok := lookupGetAtt(id)
			if !ok || (lookup != "" && resource != lookup) {
				t.Fatalf("target %v does not read one lookup", target)
			}
			lookup = resource
			attributes = append(attributes, attribute)
		}
		physical, data, err := h.Handle(context.Background(), lookupEvent(t, resources, lookup, cfn.RequestCreate, fakes))
		if err != nil {
			t.Fatal(err)
		}
		if physical != lookupEndpointID {
			t.Errorf("physical id %q, want the endpoint's", physical)
		}
		var got []string
		for _, a := range attributes {
			got = append(got, fmt.Sprint(data[a]))
		}
		if diff := cmp.Diff([]string{"10.0.1.10", "10.0.2.20"}, got); diff != "" {
			t.Errorf("the addresses the targets read (-want +got):\n%s", diff)
		}
	})

	t.Run("connections", func(t *testing.T) {
		conns := lookupOnly(t, resources, "Custom::EndpointServiceConnections")
		if _, _, err := h.Handle(context.Background(), lookupEvent(t, resources, conns, cfn.RequestDelete, fakes)); err != nil {
			t.Fatal(err)
		}
		if code, err := fake.DeleteService(context.Background(), lookupServiceID); err != nil || code != "" {
			t.Errorf("deleting the service after the connections resource: %q %v", code, err)
		}
	})
}

func lookupOfType(resources map[string]lookupResource, typ string) []string {
	var ids []string
	for id, r := range resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// lookupGetAtt reads {"Fn::GetAtt": [resource, attribute]}.
func lookupGetAtt(v map[string]any) (resource, attribute string, ok bool) {
	args, _ := v["Fn::GetAtt"].([]any)
	if len(v) != 1 || len(args) != 2 {
		return "", "", false
	}
	resource, ok1 := args[0].(string)
	attribute, ok2 := args[1].(string)
	return resource, attribute, ok1 && ok2
}

// lookupFakes are the values CloudFormation would put in for the
// references a template makes: Fn::GetAtt by "resource.attribute", Ref by
// logical id.
type lookupFakes struct {
	getAtt map[string]any
	ref    map[string]any
}

// resolve evaluates the intrinsics in v: Fn::Join, Fn::Select, and the
// Fn::GetAtt and Ref that fakes has values for. Anything else is an error.
func (f lookupFakes) resolve(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := f.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for key, args := range v {
				if key == "Ref" || strings.HasPrefix(key, "Fn::") || key == "Condition" {
					return f.intrinsic(key, args)
				}
			}
		}
		out := make(map[string]any, len(v))
		for key, e := range v {
			r, err := f.resolve(e)
			if err != nil {
				return nil, err
			}
			out[key] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

func (f lookupFakes) intrinsic(name string, args any) (any, error) {
	switch name {
	case "Ref":
		id, _ := args.(string)
		if value, ok := f.ref[id]; ok {
			return value, nil
		}
		return nil, fmt.Errorf("Ref %v: no value for it", args)
	case "Fn::GetAtt":
		resource, attribute, ok := lookupGetAtt(map[string]any{name: args})
		if !ok {
			return nil, fmt.Errorf("Fn::GetAtt %v: want [resource, attribute]", args)
		}
		if value, ok := f.getAtt[resource+"."+attribute]; ok {
			return value, nil
		}
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no value for it", resource, attribute)
	case "Fn::Select":
		list, _ := args.([]any)
		if len(list) != 2 {
			return nil, fmt.Errorf("Fn::Select %v: want [index, list]", args)
		}
		index, err := f.resolve(list[0])
		if err != nil {
			return nil, err
		}
		var i int
		switch n := index.(type) {
		case float64:
			i = int(n)
			if float64(i) != n {
				return nil, fmt.Errorf("Fn::Select index %v", n)
			}
		case string:
			if i, err = strconv.Atoi(n); err != nil {
				return nil, fmt.Errorf("Fn::Select index %q", n)
			}
		default:
			return nil, fmt.Errorf("Fn::Select index %v", index)
		}
		from, err := f.resolve(list[1])
		if err != nil {
			return nil, err
		}
		items, ok := from.([]any)
		if !ok || i < 0 || i >= len(items) {
			return nil, fmt.Errorf("Fn::Select %d of %v", i, from)
		}
		return items[i], nil
	case "Fn::Join":
		list, _ := args.([]any)
		if len(list) != 2 {
			return nil, fmt.Errorf("Fn::Join %v: want [delimiter, list]", args)
		}
		delimiter, ok := list[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Join delimiter %v", list[0])
		}
		parts, err := f.resolve(list[1])
		if err != nil {
			return nil, err
		}
		items, ok := parts.([]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Join of %v, not a list", parts)
		}
		strs := make([]string, len(items))
		for i, item := range items {
			if strs[i], ok = item.(string); !ok {
				return nil, fmt.Errorf("Fn::Join of %v, not a string", item)
			}
		}
		return strings.Join(strs, delimiter), nil
	default:
		return nil, fmt.Errorf("%s: the test resolves no such intrinsic", name)
	}
}

// lookupStrings turns numbers and booleans into strings, as CloudFormation
// does with a custom resource's properties.
func lookupStrings(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = lookupStrings(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for key, e := range v {
			out[key] = lookupStrings(e)
		}
		return out
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	default:
		return v
	}
}
