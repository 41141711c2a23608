package apiendpointservice

// The address lookup, run offline: CDK's AwsCustomResource handler, as
// synthesized into the cloud assembly, is run with node for the events
// CloudFormation would send, against a stand-in EC2 client
// (testdata/lookup/client-ec2.js) and a local HTTPS server that takes its
// answer to CloudFormation (testdata/lookup/run.js). The events are built
// from the synthesized template, with made-up values for the endpoint's id
// and interface ids, and the answer is read with the attribute names the
// target group's targets ask for.

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/constructs/privateapivpc"
)

// lookupSingletonPrefix starts the logical id of the function behind every
// AwsCustomResource of a stack.
const lookupSingletonPrefix = "AWS679f53fac002430cb0da5b7982bd2287"

// Made-up deploy-time values: the endpoint, its interfaces before and after
// a change of subnets, and their addresses.
const (
	lookupEndpointID = "vpce-0123456789abcdef0"
	lookupStackID    = "arn:aws:cloudformation:us-east-1:111111111111:stack/Lookup/5b0c3c70-0000-11ef-8f5a-0e1f2b3c4d5e"
	// lookupResponseURL is a presigned S3 URL, as CloudFormation gives,
	// around the resource's logical id.
	lookupResponseURL = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/" +
		"arn%3Aaws%3Acloudformation%3Aus-east-1%3A111111111111%3Astack/Lookup/5b0c3c70/" +
		"{id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z&X-Amz-Expires=7200&X-Amz-Signature=0f1e2d"
)

var (
	lookupCreateInterfaces = map[string]string{"eni-0aaaaaaaaaaaaaaaa": "10.0.1.10", "eni-0bbbbbbbbbbbbbbbb": "10.0.2.20"}
	lookupCreateIDs        = []string{"eni-0aaaaaaaaaaaaaaaa", "eni-0bbbbbbbbbbbbbbbb"}
	lookupUpdateInterfaces = map[string]string{"eni-0cccccccccccccccc": "10.0.1.30", "eni-0dddddddddddddddd": "10.0.2.40"}
	lookupUpdateIDs        = []string{"eni-0cccccccccccccccc", "eni-0dddddddddddddddd"}
)

// lookupAssembly is what the test reads from one synthesis.
type lookupAssembly struct {
	resources map[string]lookupResource
	// handlerDir is the asset directory of the singleton function, with
	// the stub @aws-sdk/client-ec2 added to its node_modules.
	handlerDir string
	// lookupID is the Custom::AWS resource the target group's targets
	// read; functionID is its function; endpointID is the execute-api
	// endpoint.
	lookupID, functionID, endpointID string
	// attributes are the names the targets read with Fn::GetAtt, in
	// target order.
	attributes []string
}

type lookupResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

var (
	lookupOnce   sync.Once
	lookupSynth  *lookupAssembly
	lookupErr    error
	lookupOutdir string
)

// lookupSynthesize synthesizes the app once per test binary. Its directory
// is the first caller's t.TempDir, so callers must run within that test.
func lookupSynthesize(t *testing.T) *lookupAssembly {
	t.Helper()
	lookupOnce.Do(func() {
		lookupOutdir = t.TempDir()
		lookupSynth, lookupErr = lookupBuild(lookupOutdir)
	})
	if lookupErr != nil {
		t.Fatal(lookupErr)
	}
	return lookupSynth
}

func lookupBuild(outdir string) (*lookupAssembly, error) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	stack := awscdk.NewStack(app, jsii.String("Lookup"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-east-1")},
	})
	api := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{Cidr: jsii.String("10.0.0.0/16")})
	NewApiEndpointService(stack, "Service", &ApiEndpointServiceProps{
		Api:              api,
		AllowedAccounts:  jsii.Strings("111111111111"),
		SupportedRegions: jsii.Strings("us-west-2"),
	})
	app.Synth(nil)

	raw, err := os.ReadFile(filepath.Join(outdir, "Lookup.template.json"))
	if err != nil {
		return nil, err
	}
	var template struct {
		Resources map[string]lookupResource `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &template); err != nil {
		return nil, err
	}
	a := &lookupAssembly{resources: template.Resources}

	// The targets, and the lookup they read.
	groups := lookupOfType(a.resources, "AWS::ElasticLoadBalancingV2::TargetGroup")
	if len(groups) != 1 {
		return nil, fmt.Errorf("want one target group, found %v", groups)
	}
	targets, _ := a.resources[groups[0]].Properties["Targets"].([]any)
	if len(targets) == 0 {
		return nil, fmt.Errorf("target group %s has no Targets", groups[0])
	}
	for _, target := range targets {
		id, _ := target.(map[string]any)["Id"].(map[string]any)
		resource, attribute, ok := lookupGetAtt(id)
		if !ok {
			return nil, fmt.Errorf("target %v: Id is not an Fn::GetAtt", target)
		}
		if a.lookupID == "" {
			a.lookupID = resource
		} else if resource != a.lookupID {
			return nil, fmt.Errorf("targets read %s and %s", a.lookupID, resource)
		}
		a.attributes = append(a.attributes, attribute)
	}
	lookup := a.resources[a.lookupID]
	if lookup.Type != "Custom::AWS" {
		return nil, fmt.Errorf("targets read %s, a %s, not a Custom::AWS", a.lookupID, lookup.Type)
	}

	// The function that answers for it, and its code.
	token, _ := lookup.Properties["ServiceToken"].(map[string]any)
	function, attribute, ok := lookupGetAtt(token)
	if !ok || attribute != "Arn" || !strings.HasPrefix(function, lookupSingletonPrefix) {
		return nil, fmt.Errorf("%s: ServiceToken %v is not the Arn of CDK's AwsCustomResource function", a.lookupID, token)
	}
	a.functionID = function
	fn := a.resources[function]
	if fn.Type != "AWS::Lambda::Function" || fn.Properties["Handler"] != "index.handler" {
		return nil, fmt.Errorf("%s: a %s with handler %v, want an AWS::Lambda::Function with index.handler", function, fn.Type, fn.Properties["Handler"])
	}
	code, _ := fn.Properties["Code"].(map[string]any)
	key, _ := code["S3Key"].(string)
	hash, ok := strings.CutSuffix(key, ".zip")
	if !ok {
		return nil, fmt.Errorf("%s: Code.S3Key %q is not <hash>.zip", function, key)
	}
	a.handlerDir = filepath.Join(outdir, "asset."+hash)
	if _, err := os.Stat(filepath.Join(a.handlerDir, "index.js")); err != nil {
		return nil, fmt.Errorf("%s: handler code: %w", function, err)
	}
	stub, err := os.ReadFile(filepath.Join("testdata", "lookup", "client-ec2.js"))
	if err != nil {
		return nil, err
	}
	stubDir := filepath.Join(a.handlerDir, "node_modules", "@aws-sdk", "client-ec2")
	if err := os.MkdirAll(stubDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(stubDir, "index.js"), stub, 0o644); err != nil {
		return nil, err
	}

	// The endpoint whose interfaces are looked up.
	var endpoints []string
	for _, id := range lookupOfType(a.resources, "AWS::EC2::VPCEndpoint") {
		if name, _ := a.resources[id].Properties["ServiceName"].(string); strings.HasSuffix(name, ".execute-api") {
			endpoints = append(endpoints, id)
		}
	}
	if len(endpoints) != 1 {
		return nil, fmt.Errorf("want one execute-api endpoint, found %v", endpoints)
	}
	a.endpointID = endpoints[0]
	return a, nil
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

// properties are the lookup's ResourceProperties as CloudFormation would
// send them, for an endpoint with the given interface ids.
func (a *lookupAssembly) properties(t *testing.T, interfaceIDs []string) map[string]any {
	t.Helper()
	ids := make([]any, len(interfaceIDs))
	for i, id := range interfaceIDs {
		ids[i] = id
	}
	fakes := lookupFakes{
		getAtt: map[string]any{
			a.endpointID + ".NetworkInterfaceIds": ids,
			a.functionID + ".Arn":                 "arn:aws:lambda:us-east-1:111111111111:function:Lookup-" + a.functionID[:40],
		},
		ref: map[string]any{a.endpointID: lookupEndpointID},
	}
	resolved, err := fakes.resolve(a.resources[a.lookupID].Properties)
	if err != nil {
		t.Fatalf("%s: %v", a.lookupID, err)
	}
	props := lookupStrings(resolved).(map[string]any)
	// With "true", the handler would npm install the newest SDK first.
	if props["InstallLatestAwsSdk"] != "false" {
		t.Fatalf("%s: InstallLatestAwsSdk is %v, want false", a.lookupID, props["InstallLatestAwsSdk"])
	}
	return props
}

// event is what CloudFormation sends the function; old is the previous
// properties of an Update.
func (a *lookupAssembly) event(requestType string, props, old map[string]any) map[string]any {
	e := map[string]any{
		"RequestType":        requestType,
		"ServiceToken":       props["ServiceToken"],
		"ResponseURL":        strings.Replace(lookupResponseURL, "{id}", a.lookupID, 1),
		"StackId":            lookupStackID,
		"RequestId":          "c1a9e3b2-" + strings.ToLower(requestType) + "-4f6e-9d1c-000000000001",
		"LogicalResourceId":  a.lookupID,
		"ResourceType":       a.resources[a.lookupID].Type,
		"ResourceProperties": props,
	}
	if requestType != "Create" {
		e["PhysicalResourceId"] = lookupEndpointID
	}
	if old != nil {
		e["OldResourceProperties"] = old
	}
	return e
}

// lookupCall is one line of the stub client's record.
type lookupCall struct {
	Event   string         `json:"event"`
	Command string         `json:"command"`
	Input   map[string]any `json:"input"`
}

// lookupPut is a request the response server took.
type lookupPut struct {
	method, host, uri string
	body              []byte
}

// lookupAnswer is the body of the handler's answer to CloudFormation.
type lookupAnswer struct {
	Status             string
	Reason             string
	PhysicalResourceId string
	StackId            string
	RequestId          string
	LogicalResourceId  string
	Data               map[string]any
}

// invoke runs the handler once for event, with an EC2 that knows
// interfaces, and returns what it asked the client and the answer it PUT.
func (a *lookupAssembly) invoke(t *testing.T, node string, event map[string]any, interfaces map[string]string) ([]lookupCall, lookupAnswer) {
	t.Helper()
	var (
		mu   sync.Mutex
		puts []lookupPut
	)
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		puts = append(puts, lookupPut{r.Method, r.Host, r.RequestURI, body})
		mu.Unlock()
	}))
	defer server.Close()

	dir := t.TempDir()
	eventFile := filepath.Join(dir, "event.json")
	recordFile := filepath.Join(dir, "ec2.jsonl")
	caFile := filepath.Join(dir, "ca.pem")
	raw, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	known, err := json.Marshal(interfaces)
	if err != nil {
		t.Fatal(err)
	}
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})
	for file, content := range map[string][]byte{eventFile: raw, caFile: ca} {
		if err := os.WriteFile(file, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	runner, err := filepath.Abs(filepath.Join("testdata", "lookup", "run.js"))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, runner, a.handlerDir, eventFile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"AWS_REGION=us-east-1",
		"LOOKUP_EC2_RECORD="+recordFile,
		"LOOKUP_EC2_INTERFACES="+string(known),
		"LOOKUP_RESPONSE_PORT="+strconv.Itoa(server.Listener.Addr().(*net.TCPAddr).Port),
		"LOOKUP_RESPONSE_CA="+caFile,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", runner, err, out)
	}

	var calls []lookupCall
	record, err := os.ReadFile(recordFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for line := range bytes.Lines(record) {
		var c lookupCall
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		calls = append(calls, c)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(puts) != 1 {
		t.Fatalf("the handler answered CloudFormation %d times, want once\nhandler output:\n%s", len(puts), out)
	}
	put := puts[0]
	want, _ := url.Parse(event["ResponseURL"].(string))
	if put.method != http.MethodPut || put.host != want.Host || put.uri != want.RequestURI() {
		t.Errorf("answer: %s https://%s%s, want PUT to the ResponseURL %s", put.method, put.host, put.uri, want)
	}
	// "The total combined size of the response body can't exceed 4096
	// bytes" (CloudFormation, custom resource responses).
	if len(put.body) > 4096 {
		t.Errorf("answer is %d bytes, over CloudFormation's 4096", len(put.body))
	}
	var answer lookupAnswer
	if err := json.Unmarshal(put.body, &answer); err != nil {
		t.Fatalf("answer %s: %v", put.body, err)
	}
	if answer.StackId != event["StackId"] || answer.RequestId != event["RequestId"] || answer.LogicalResourceId != event["LogicalResourceId"] {
		t.Errorf("answer %s does not echo the event's StackId, RequestId and LogicalResourceId", put.body)
	}
	if t.Failed() || answer.Status != "SUCCESS" {
		t.Logf("handler output:\n%s", out)
	}
	return calls, answer
}

func TestLookupEndpointAddresses(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: cannot run the AwsCustomResource handler")
	}
	a := lookupSynthesize(t)
	if len(a.attributes) != len(lookupCreateIDs) {
		t.Fatalf("the targets read %v from %s: want one address per interface, %d", a.attributes, a.lookupID, len(lookupCreateIDs))
	}
	created := a.properties(t, lookupCreateIDs)

	t.Run("Create", func(t *testing.T) {
		calls, answer := a.invoke(t, node, a.event("Create", created, nil), lookupCreateInterfaces)
		lookupCheckCall(t, calls, lookupCreateIDs)
		lookupCheckAnswer(t, answer, a.attributes, lookupCreateInterfaces)
	})

	// The endpoint's subnets change, and with them its interfaces: the
	// lookup asks EC2 about the new ones, the old ones being gone.
	t.Run("Update", func(t *testing.T) {
		updated := a.properties(t, lookupUpdateIDs)
		calls, answer := a.invoke(t, node, a.event("Update", updated, created), lookupUpdateInterfaces)
		lookupCheckCall(t, calls, lookupUpdateIDs)
		lookupCheckAnswer(t, answer, a.attributes, lookupUpdateInterfaces)
	})

	t.Run("Delete", func(t *testing.T) {
		calls, answer := a.invoke(t, node, a.event("Delete", created, nil), lookupCreateInterfaces)
		if len(calls) != 0 {
			t.Errorf("Delete used the EC2 client: %+v", calls)
		}
		if answer.Status != "SUCCESS" || answer.PhysicalResourceId != lookupEndpointID {
			t.Errorf("Delete answered %s (%s) for %q, want SUCCESS for %q", answer.Status, answer.Reason, answer.PhysicalResourceId, lookupEndpointID)
		}
	})
}

// lookupCheckCall checks that the handler made one EC2 call,
// DescribeNetworkInterfaces of exactly ids, in order.
func lookupCheckCall(t *testing.T, calls []lookupCall, ids []string) {
	t.Helper()
	var sends []lookupCall
	for _, c := range calls {
		if c.Event == "send" {
			sends = append(sends, c)
		}
	}
	want := []lookupCall{{
		Event:   "send",
		Command: "DescribeNetworkInterfacesCommand",
		Input:   map[string]any{"NetworkInterfaceIds": lookupAnys(ids)},
	}}
	if diff := cmp.Diff(want, sends); diff != "" {
		t.Errorf("EC2 calls (-want +got):\n%s", diff)
	}
}

// lookupCheckAnswer checks that the handler answered SUCCESS for the
// endpoint, and that the attributes the targets read hold the addresses of
// its interfaces, one each. The handler keeps every response field that
// starts with an output path, so Data may hold more (the same address in
// NetworkInterfaces.N.PrivateIpAddresses), but nothing else.
func lookupCheckAnswer(t *testing.T, answer lookupAnswer, attributes []string, interfaces map[string]string) {
	t.Helper()
	if answer.Status != "SUCCESS" {
		t.Fatalf("the handler answered %s: %s", answer.Status, answer.Reason)
	}
	if answer.PhysicalResourceId != lookupEndpointID {
		t.Errorf("PhysicalResourceId %q, want the endpoint's id %q", answer.PhysicalResourceId, lookupEndpointID)
	}
	var got, want []string
	for _, attribute := range attributes {
		value, ok := answer.Data[attribute].(string)
		if !ok {
			t.Errorf("Data has no string %q, which a target reads: %v", attribute, answer.Data)
		}
		got = append(got, value)
	}
	for _, address := range interfaces {
		want = append(want, address)
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("addresses the targets read (-want +got):\n%s", diff)
	}
	for key := range answer.Data {
		if !slices.ContainsFunc(attributes, func(a string) bool { return strings.HasPrefix(key, a) }) {
			t.Errorf("Data has %q, which no target reads", key)
		}
	}
}

func lookupAnys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
