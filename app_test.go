package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
	"crossregionapi/stacks"
)

// TestMain lets the test binary stand in for the app process (so the exit
// status and stderr of a bad configuration can be checked exactly as the
// CDK CLI sees them) and closes the jsii runtime once all tests are done.
func TestMain(m *testing.M) {
	if os.Getenv("CROSSREGIONAPI_RUN_APP") == "1" {
		os.Exit(run(strings.Fields(os.Getenv("CROSSREGIONAPI_APP_ARGS")), os.Getenv, os.Stderr))
	}
	code := m.Run()
	jsii.Close()
	for _, s := range allShared {
		if s.res != nil {
			os.RemoveAll(s.res.outdir)
		}
	}
	os.Exit(code)
}

// synthResult is one synthesis of the app, shared by every test of this
// binary: synthesizing costs seconds, reading its result costs nothing.
type synthResult struct {
	app       *stacks.App
	outdir    string
	api       assertions.Template
	client    assertions.Template
	route     assertions.Template
	templates map[string]map[string]any // by stack role, parsed JSON
}

// shared is one synthesis of the app that every test of this binary may
// read: synthesizing costs seconds, reading its result costs nothing.
type shared struct {
	once sync.Once
	res  *synthResult
	err  error
}

// the syntheses the tests share; TestMain removes their output.
var (
	defaultShared, nonDefaultShared, hubShared shared
	allShared                                  = []*shared{&defaultShared, &nonDefaultShared, &hubShared}
)

// get synthesizes the app with context the first time it is called.
func (s *shared) get(t *testing.T, what string, context map[string]any) *synthResult {
	t.Helper()
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", "cdk.out-test-")
		if err != nil {
			s.err = err
			return
		}
		s.res, s.err = synthesize(context, dir)
	})
	if s.err != nil {
		t.Fatalf("synthesizing %s: %v", what, s.err)
	}
	return s.res
}

// cdkJSONContext returns the "context" of cdk.json, so the tests
// synthesize the defaults users get, not a copy of them.
func cdkJSONContext(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("cdk.json")
	if err != nil {
		t.Fatalf("reading cdk.json: %v", err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parsing cdk.json: %v", err)
	}
	return doc.Context
}

// synthesize builds and synthesizes the app with the given context.
func synthesize(context map[string]any, outdir string) (res *synthResult, err error) {
	return synthesizeChanged(context, outdir, nil)
}

// synthesizeChanged builds the app, lets change alter it (as a code change
// would), then synthesizes it.
func synthesizeChanged(context map[string]any, outdir string, change func(*stacks.App)) (res *synthResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis panicked: %v", r)
		}
	}()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &context, Outdir: jsii.String(outdir)})
	cfg, _, err := loadConfig(app, config.Sources{}, nil)
	if err != nil {
		return nil, err
	}
	built, err := build(app, cfg)
	if err != nil {
		return nil, err
	}
	if change != nil {
		change(built)
	}
	app.Synth(nil)
	res = &synthResult{
		app:       built,
		outdir:    outdir,
		api:       assertions.Template_FromStack(built.Api.Stack, nil),
		client:    assertions.Template_FromStack(built.Client.Stack, nil),
		templates: map[string]map[string]any{},
	}
	roles := map[string]awscdk.Stack{config.RoleApi: built.Api.Stack, config.RoleClient: built.Client.Stack}
	// Over PrivateLink there is no return route.
	if built.PeeringRoute != nil {
		res.route = assertions.Template_FromStack(built.PeeringRoute, nil)
		roles[config.RolePeeringRoute] = built.PeeringRoute
	}
	for role, stack := range roles {
		raw, err := os.ReadFile(filepath.Join(outdir, *stack.TemplateFile()))
		if err != nil {
			return nil, err
		}
		var tmpl map[string]any
		if err := json.Unmarshal(raw, &tmpl); err != nil {
			return nil, err
		}
		res.templates[role] = tmpl
	}
	return res, nil
}

// defaultApp is the app synthesized once from cdk.json's context.
func defaultApp(t *testing.T) *synthResult {
	t.Helper()
	return defaultShared.get(t, "the default app", cdkJSONContext(t))
}

// check runs one assertions-package check and turns its panic (how jsii
// reports a failed match) into a test error with the matcher's message.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

// props returns the Properties of the only resource of a type.
func onlyProps(t *testing.T, tmpl map[string]any, typ string) (string, map[string]any) {
	t.Helper()
	rs := cdktest.Resources(tmpl, typ)
	if len(rs) != 1 {
		t.Fatalf("%s: got %d resources, want 1", typ, len(rs))
	}
	for id, r := range rs {
		p, _ := r["Properties"].(map[string]any)
		return id, p
	}
	return "", nil
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

func TestStacksRegionsAndDependencies(t *testing.T) {
	res := defaultApp(t)
	cases := []struct {
		stack     awscdk.Stack
		name      string
		region    string
		dependsOn []string
	}{
		{res.app.Api.Stack, "CrossRegionApi-Api", "us-east-1", nil},
		{res.app.Client.Stack, "CrossRegionApi-Client", "us-west-2", []string{"CrossRegionApi-Api"}},
		{res.app.PeeringRoute, "CrossRegionApi-PeeringRoute", "us-east-1", []string{"CrossRegionApi-Api", "CrossRegionApi-Client"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := *tc.stack.StackName(); got != tc.name {
				t.Errorf("stack name: got %q, want %q", got, tc.name)
			}
			if got := *tc.stack.Region(); got != tc.region {
				t.Errorf("region: got %q, want %q", got, tc.region)
			}
			var deps []string
			for _, d := range *tc.stack.Dependencies() {
				deps = append(deps, *d.StackName())
			}
			if diff := cmp.Diff(tc.dependsOn, deps, sortStrings); diff != "" {
				t.Errorf("dependencies (-want +got):\n%s", diff)
			}
		})
	}
}

// sortStrings compares string slices as sets.
var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	return slices.Sorted(slices.Values(in))
})

// Neither VPC has a way to the Internet: that is the point of the pattern,
// and the original's client VPC carried a useless Internet gateway.
func TestVpcsAreIsolated(t *testing.T) {
	res := defaultApp(t)
	for name, tc := range map[string]struct {
		tmpl assertions.Template
		cidr string
	}{"api": {res.api, "10.0.0.0/16"}, "client": {res.client, "192.168.0.0/16"}} {
		t.Run(name, func(t *testing.T) {
			for typ, want := range map[string]float64{
				"AWS::EC2::VPC": 1, "AWS::EC2::Subnet": 2, "AWS::EC2::InternetGateway": 0,
				"AWS::EC2::NatGateway": 0, "AWS::EC2::EIP": 0, "AWS::EC2::VPCGatewayAttachment": 0,
				"AWS::EC2::EgressOnlyInternetGateway": 0,
			} {
				check(t, typ, func() { tc.tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(want)) })
			}
			check(t, "VPC", func() {
				tc.tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), map[string]any{
					"CidrBlock": tc.cidr, "EnableDnsHostnames": true, "EnableDnsSupport": true,
				})
			})
			check(t, "subnets", func() {
				tc.tmpl.AllResourcesProperties(jsii.String("AWS::EC2::Subnet"), map[string]any{"MapPublicIpOnLaunch": false})
			})
		})
	}
	// Two distinct AZs, resolved by CloudFormation (no lookup at synth).
	for _, role := range []string{config.RoleApi, config.RoleClient} {
		var azs []string
		for _, s := range cdktest.Resources(res.templates[role], "AWS::EC2::Subnet") {
			azs = append(azs, cdktest.JSON(s["Properties"].(map[string]any)["AvailabilityZone"]))
		}
		want := []string{
			`{"Fn::Select":[0,{"Fn::GetAZs":"` + map[string]string{config.RoleApi: "us-east-1", config.RoleClient: "us-west-2"}[role] + `"}]}`,
			`{"Fn::Select":[1,{"Fn::GetAZs":"` + map[string]string{config.RoleApi: "us-east-1", config.RoleClient: "us-west-2"}[role] + `"}]}`,
		}
		if diff := cmp.Diff(want, azs, sortStrings); diff != "" {
			t.Errorf("%s subnet AZs (-want +got):\n%s", role, diff)
		}
	}
}

func TestEndpoint(t *testing.T) {
	res := defaultApp(t)
	tmpl := res.templates[config.RoleApi]
	_, ep := onlyProps(t, tmpl, "AWS::EC2::VPCEndpoint")
	if got, want := cdktest.JSON(ep["ServiceName"]), `"com.amazonaws.us-east-1.execute-api"`; got != want {
		t.Errorf("ServiceName: got %s, want %s", got, want)
	}
	if ep["VpcEndpointType"] != "Interface" || ep["PrivateDnsEnabled"] != true {
		t.Errorf("endpoint: got type %v private DNS %v, want Interface with private DNS", ep["VpcEndpointType"], ep["PrivateDnsEnabled"])
	}
	subnets := cdktest.Resources(tmpl, "AWS::EC2::Subnet")
	var got []string
	for _, s := range ep["SubnetIds"].([]any) {
		got = append(got, s.(map[string]any)["Ref"].(string))
	}
	if len(got) != 2 || subnets[got[0]] == nil || subnets[got[1]] == nil || got[0] == got[1] {
		t.Errorf("endpoint subnets: got %v, want both isolated subnets of the VPC", got)
	}
}

// securityGroups returns every security group of a template with its
// ingress and egress rules, inline or separate, as JSON strings.
func securityGroupRules(tmpl map[string]any) (ingress, egress map[string][]string) {
	ingress, egress = map[string][]string{}, map[string][]string{}
	for id, sg := range cdktest.Resources(tmpl, "AWS::EC2::SecurityGroup") {
		p := sg["Properties"].(map[string]any)
		for _, r := range asSlice(p["SecurityGroupIngress"]) {
			ingress[id] = append(ingress[id], ruleString(r.(map[string]any)))
		}
		for _, r := range asSlice(p["SecurityGroupEgress"]) {
			egress[id] = append(egress[id], ruleString(r.(map[string]any)))
		}
		if _, ok := ingress[id]; !ok {
			ingress[id] = nil
		}
	}
	for _, r := range cdktest.Resources(tmpl, "AWS::EC2::SecurityGroupIngress") {
		p := r["Properties"].(map[string]any)
		id := p["GroupId"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		ingress[id] = append(ingress[id], ruleString(p))
	}
	for _, r := range cdktest.Resources(tmpl, "AWS::EC2::SecurityGroupEgress") {
		p := r["Properties"].(map[string]any)
		id := p["GroupId"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		egress[id] = append(egress[id], ruleString(p))
	}
	return ingress, egress
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// ruleString keeps what matters of a rule: protocol, ports and peer.
func ruleString(r map[string]any) string {
	return fmt.Sprintf("%v %v-%v %s", r["IpProtocol"], r["FromPort"], r["ToPort"], cdktest.JSON(r["CidrIp"]))
}

func TestSecurityGroups(t *testing.T) {
	res := defaultApp(t)
	t.Run("endpoint", func(t *testing.T) {
		ingress, egress := securityGroupRules(res.templates[config.RoleApi])
		sgID := endpointSecurityGroup(t, res)
		want := []string{`tcp 443-443 "10.0.0.0/16"`, `tcp 443-443 "192.168.0.0/16"`}
		if diff := cmp.Diff(want, ingress[sgID], sortStrings); diff != "" {
			t.Errorf("endpoint ingress (-want +got):\n%s", diff)
		}
		// CDK's placeholder for "no egress": an ICMP rule to a host that cannot exist.
		if diff := cmp.Diff([]string{`icmp 252-86 "255.255.255.255/32"`}, egress[sgID]); diff != "" {
			t.Errorf("endpoint egress (-want +got):\n%s", diff)
		}
	})
	t.Run("function", func(t *testing.T) {
		ingress, egress := securityGroupRules(res.templates[config.RoleClient])
		_, fn := clientFunction(t, res)
		sgID := fn["VpcConfig"].(map[string]any)["SecurityGroupIds"].([]any)[0].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		if len(ingress[sgID]) != 0 {
			t.Errorf("function ingress: got %v, want none", ingress[sgID])
		}
		if diff := cmp.Diff([]string{`tcp 443-443 "10.0.0.0/16"`}, egress[sgID]); diff != "" {
			t.Errorf("function egress (-want +got):\n%s", diff)
		}
	})
	t.Run("nothing open to the world", func(t *testing.T) {
		for role, tmpl := range res.templates {
			raw := cdktest.JSON(tmpl)
			for _, open := range []string{"0.0.0.0/0", "::/0"} {
				if strings.Contains(raw, open) {
					t.Errorf("%s template mentions %s", role, open)
				}
			}
		}
	})
}

func endpointSecurityGroup(t *testing.T, res *synthResult) string {
	t.Helper()
	_, ep := onlyProps(t, res.templates[config.RoleApi], "AWS::EC2::VPCEndpoint")
	sgs := asSlice(ep["SecurityGroupIds"])
	if len(sgs) != 1 {
		t.Fatalf("endpoint security groups: got %d, want 1", len(sgs))
	}
	return sgs[0].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
}

func clientFunction(t *testing.T, res *synthResult) (string, map[string]any) {
	t.Helper()
	for id, r := range cdktest.Resources(res.templates[config.RoleClient], "AWS::Lambda::Function") {
		p := r["Properties"].(map[string]any)
		if p["Runtime"] == "provided.al2023" {
			return id, p
		}
	}
	t.Fatal("no provided.al2023 function in the client stack")
	return "", nil
}

func TestPrivateApi(t *testing.T) {
	res := defaultApp(t)
	tmpl := res.templates[config.RoleApi]
	epID, _ := onlyProps(t, tmpl, "AWS::EC2::VPCEndpoint")
	_, api := onlyProps(t, tmpl, "AWS::ApiGateway::RestApi")
	wantEndpointConfig := map[string]any{"Types": []any{"PRIVATE"}, "VpcEndpointIds": []any{ref(epID)}}
	if diff := cmp.Diff(wantEndpointConfig, api["EndpointConfiguration"]); diff != "" {
		t.Errorf("EndpointConfiguration (-want +got):\n%s", diff)
	}
	// The Deny is what keeps the API private: any call not through our
	// endpoint is refused whatever else the policy allows.
	wantDeny := map[string]any{
		"Sid": "DenyOutsideEndpoint", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"},
		"Action": "execute-api:Invoke", "Resource": "execute-api:/*",
		"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:SourceVpce": ref(epID)}},
	}
	var found bool
	for _, s := range asSlice(api["Policy"].(map[string]any)["Statement"]) {
		st := s.(map[string]any)
		if st["Effect"] == "Deny" {
			found = true
			if diff := cmp.Diff(wantDeny, st); diff != "" {
				t.Errorf("Deny statement (-want +got):\n%s", diff)
			}
		}
	}
	if !found {
		t.Error("resource policy has no Deny statement")
	}

	_, stage := onlyProps(t, tmpl, "AWS::ApiGateway::Stage")
	if stage["StageName"] != "v1" {
		t.Errorf("stage: got %v, want v1", stage["StageName"])
	}
	resID, resource := onlyProps(t, tmpl, "AWS::ApiGateway::Resource")
	if resource["PathPart"] != "hello" {
		t.Errorf("resource path: got %v, want hello", resource["PathPart"])
	}
	_, method := onlyProps(t, tmpl, "AWS::ApiGateway::Method")
	integ := method["Integration"].(map[string]any)
	if method["HttpMethod"] != "GET" || cdktest.JSON(method["ResourceId"]) != cdktest.JSON(ref(resID)) || integ["Type"] != "MOCK" {
		t.Errorf("method: got %s %s %v, want GET on %s with a MOCK integration", method["HttpMethod"], cdktest.JSON(method["ResourceId"]), integ["Type"], resID)
	}
	body := cdktest.JSON(integ["IntegrationResponses"])
	for _, want := range []string{`\"message\"`, `\"region\": \"us-east-1\"`, `"StatusCode":"200"`} {
		if !strings.Contains(body, want) {
			t.Errorf("integration response %s lacks %s", body, want)
		}
	}
}

func TestRouteTableParameters(t *testing.T) {
	res := defaultApp(t)
	tmpl := res.templates[config.RoleApi]
	tables := cdktest.Resources(tmpl, "AWS::EC2::RouteTable")
	if len(tables) != 2 {
		t.Fatalf("route tables: got %d, want 2", len(tables))
	}
	got := map[string]string{}
	for _, p := range cdktest.Resources(tmpl, "AWS::SSM::Parameter") {
		props := p["Properties"].(map[string]any)
		name := props["Name"].(string)
		if strings.Contains(name, "route-table") {
			got[name] = props["Value"].(map[string]any)["Ref"].(string)
		}
	}
	if len(got) != 2 {
		t.Fatalf("route table parameters: got %v, want 2", got)
	}
	seen := map[string]bool{}
	for _, name := range []string{"/CrossRegionApi/api/route-table-0", "/CrossRegionApi/api/route-table-1"} {
		table, ok := got[name]
		if !ok || tables[table] == nil {
			t.Errorf("parameter %s: got value %q, want the id of one of the VPC's route tables", name, table)
		}
		seen[table] = true
	}
	if len(seen) != 2 {
		t.Errorf("parameters point at %d distinct route tables, want 2", len(seen))
	}
	names := *res.app.Api.Network.RouteTableParameterNames()
	if len(names) != 2 || *names[0] != "/CrossRegionApi/api/route-table-0" {
		t.Errorf("RouteTableParameterNames: got %v, want /CrossRegionApi/api/route-table-0 first of 2", cdktest.JSON(names))
	}
}

// crossRegionImport is what a value from another stack looks like in the
// consuming template: Fn::GetStackOutput of the output CDK publishes for it
// in the producing stack, whose name holds producerFragment.
func crossRegionImport(t *testing.T, res *synthResult, producerRole, producerFragment string) map[string]any {
	t.Helper()
	stack := map[string]awscdk.Stack{
		config.RoleApi: res.app.Api.Stack, config.RoleClient: res.app.Client.Stack, config.RolePeeringRoute: res.app.PeeringRoute,
	}[producerRole]
	var hits []string
	for name := range publishedOutputs(res.templates[producerRole]) {
		if strings.Contains(name, producerFragment) {
			hits = append(hits, name)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("published outputs of %s matching %q: got %v, want exactly one", producerRole, producerFragment, hits)
	}
	return map[string]any{"Fn::GetStackOutput": map[string]any{
		"StackName": *stack.StackName(), "Region": *stack.Region(), "OutputName": hits[0],
	}}
}

// publishedOutputs returns the outputs CDK adds to a producing stack for
// the weak references of other stacks: output name -> value.
func publishedOutputs(tmpl map[string]any) map[string]any {
	out := map[string]any{}
	outputs, _ := tmpl["Outputs"].(map[string]any)
	for name, o := range outputs {
		if strings.HasPrefix(name, "PublishOutput") {
			out[name] = o.(map[string]any)["Value"]
		}
	}
	return out
}

func TestCrossRegionWiring(t *testing.T) {
	res := defaultApp(t)
	api, client, route := res.templates[config.RoleApi], res.templates[config.RoleClient], res.templates[config.RolePeeringRoute]
	vpcID, _ := onlyProps(t, api, "AWS::EC2::VPC")
	apiID, _ := onlyProps(t, api, "AWS::ApiGateway::RestApi")

	t.Run("published values are strings", func(t *testing.T) {
		// A list attribute (an endpoint's DnsEntries) would cross as a
		// joined string split again by the consumer; the endpoint's DNS
		// values cross as two plain strings instead.
		for role, tmpl := range res.templates {
			for name, v := range publishedOutputs(tmpl) {
				s := cdktest.JSON(v)
				if strings.Contains(s, "DnsEntries") || strings.Contains(s, "NetworkInterfaceIds") || strings.Contains(s, "Fn::Join") {
					t.Errorf("%s publishes list-valued %s = %s", role, name, s)
				}
			}
		}
		for _, role := range []string{config.RoleClient, config.RolePeeringRoute} {
			if strings.Contains(cdktest.JSON(res.templates[role]), "Fn::Split") {
				t.Errorf("%s splits a value it reads", role)
			}
		}
		want := map[string]string{ // fragment of the export name -> producer value
			"Vpc":                   cdktest.JSON(ref(vpcID)),
			"RefPrivateApi9":        cdktest.JSON(ref(apiID)),
			"EndpointDnsDnsName":    "",
			"EndpointDnsHostedZone": "",
		}
		exports := publishedOutputs(api)
		if len(exports) != len(want) {
			t.Errorf("API stack publishes %d values, want %d: %v", len(exports), len(want), exports)
		}
		for frag, value := range want {
			var hit bool
			for name, v := range exports {
				if strings.Contains(name, frag) && (value == "" || cdktest.JSON(v) == value) {
					hit = true
				}
			}
			if !hit {
				t.Errorf("API stack exports nothing matching %s (%s): %v", frag, value, exports)
			}
		}
	})

	t.Run("peering", func(t *testing.T) {
		_, peering := onlyProps(t, client, "AWS::EC2::VPCPeeringConnection")
		clientVpc, _ := onlyProps(t, client, "AWS::EC2::VPC")
		want := map[string]any{
			"PeerRegion": "us-east-1",
			"PeerVpcId":  crossRegionImport(t, res, config.RoleApi, "RefPrivateApiVpc"),
			"VpcId":      ref(clientVpc),
		}
		if diff := cmp.Diff(want, peering); diff != "" {
			t.Errorf("peering (-want +got):\n%s", diff)
		}
	})

	t.Run("client routes", func(t *testing.T) {
		peeringID, _ := onlyProps(t, client, "AWS::EC2::VPCPeeringConnection")
		tables := cdktest.Resources(client, "AWS::EC2::RouteTable")
		covered := map[string]bool{}
		for _, r := range cdktest.Resources(client, "AWS::EC2::Route") {
			p := r["Properties"].(map[string]any)
			if p["DestinationCidrBlock"] != "10.0.0.0/16" || cdktest.JSON(p["VpcPeeringConnectionId"]) != cdktest.JSON(getAtt(peeringID, "Id")) {
				t.Errorf("route %s, want 10.0.0.0/16 through %s", cdktest.JSON(p), peeringID)
			}
			covered[p["RouteTableId"].(map[string]any)["Ref"].(string)] = true
		}
		for id := range tables {
			if !covered[id] {
				t.Errorf("route table %s has no route to the API's VPC", id)
			}
		}
	})

	t.Run("return routes", func(t *testing.T) {
		routes := cdktest.Resources(route, "AWS::EC2::Route")
		if len(routes) != 2 {
			t.Fatalf("return routes: got %d, want 2", len(routes))
		}
		params := route["Parameters"].(map[string]any)
		var names []string
		for _, r := range routes {
			p := r["Properties"].(map[string]any)
			if p["DestinationCidrBlock"] != "192.168.0.0/16" {
				t.Errorf("return route destination: got %v, want 192.168.0.0/16", p["DestinationCidrBlock"])
			}
			if diff := cmp.Diff(crossRegionImport(t, res, config.RoleClient, "ClientPeering"), p["VpcPeeringConnectionId"]); diff != "" {
				t.Errorf("return route peering (-want +got):\n%s", diff)
			}
			param := params[p["RouteTableId"].(map[string]any)["Ref"].(string)].(map[string]any)
			if param["Type"] != "AWS::SSM::Parameter::Value<String>" {
				t.Errorf("route table id parameter type: got %v", param["Type"])
			}
			names = append(names, param["Default"].(string))
		}
		if diff := cmp.Diff([]string{"/CrossRegionApi/api/route-table-0", "/CrossRegionApi/api/route-table-1"}, names, sortStrings); diff != "" {
			t.Errorf("route tables read from (-want +got):\n%s", diff)
		}
	})
}

func TestHostedZone(t *testing.T) {
	res := defaultApp(t)
	client := res.templates[config.RoleClient]
	zoneID, zone := onlyProps(t, client, "AWS::Route53::HostedZone")
	clientVpc, _ := onlyProps(t, client, "AWS::EC2::VPC")
	apiID := crossRegionImport(t, res, config.RoleApi, "RefPrivateApi9")
	// Only the API's own hostname, not all of execute-api.us-east-1.amazonaws.com.
	wantName := map[string]any{"Fn::Join": []any{"", []any{apiID, ".execute-api.us-east-1.amazonaws.com."}}}
	if diff := cmp.Diff(wantName, zone["Name"]); diff != "" {
		t.Errorf("zone name (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{map[string]any{"VPCId": ref(clientVpc), "VPCRegion": "us-west-2"}}, zone["VPCs"]); diff != "" {
		t.Errorf("zone VPCs (-want +got):\n%s", diff)
	}
	_, group := onlyProps(t, client, "AWS::Route53::RecordSetGroup")
	record := map[string]any{"HostedZoneId": group["HostedZoneId"], "RecordSets": group["RecordSets"]}
	want := map[string]any{
		"HostedZoneId": ref(zoneID),
		"RecordSets": []any{map[string]any{
			"Type": "A", "Name": wantName,
			"AliasTarget": map[string]any{
				"DNSName":      crossRegionImport(t, res, config.RoleApi, "EndpointDnsDnsName"),
				"HostedZoneId": crossRegionImport(t, res, config.RoleApi, "EndpointDnsHostedZoneId"),
			},
		}},
	}
	if diff := cmp.Diff(want, record); diff != "" {
		t.Errorf("alias record (-want +got):\n%s", diff)
	}
	// The producer side: the two strings come from the endpoint's first DNS entry.
	api := res.templates[config.RoleApi]
	epID, _ := onlyProps(t, api, "AWS::EC2::VPCEndpoint")
	for _, p := range cdktest.Resources(api, "AWS::SSM::Parameter") {
		props := p["Properties"].(map[string]any)
		name := props["Name"].(string)
		if !strings.Contains(name, "endpoint-") {
			continue
		}
		index := map[string]int{"/CrossRegionApi/api/endpoint-hosted-zone-id": 0, "/CrossRegionApi/api/endpoint-dns-name": 1}[name]
		wantValue := fmt.Sprintf(`{"Fn::Select":[%d,{"Fn::Split":[":",{"Fn::Select":[0,{"Fn::GetAtt":["%s","DnsEntries"]}]}]}]}`, index, epID)
		if got := cdktest.JSON(props["Value"]); got != wantValue {
			t.Errorf("%s: got %s, want %s", name, got, wantValue)
		}
	}
}

func TestClientFunction(t *testing.T) {
	res := defaultApp(t)
	client := res.templates[config.RoleClient]
	_, fn := clientFunction(t, res)
	for key, want := range map[string]string{
		"Runtime": `"provided.al2023"`, "Architectures": `["arm64"]`, "Handler": `"bootstrap"`,
		"Timeout": `15`, "MemorySize": `128`,
	} {
		if got := cdktest.JSON(fn[key]); got != want {
			t.Errorf("%s: got %s, want %s", key, got, want)
		}
	}
	if _, ok := fn["FunctionName"]; ok {
		t.Error("FunctionName is set: a physical name allows one copy per account and Region")
	}
	subnets := asSlice(fn["VpcConfig"].(map[string]any)["SubnetIds"])
	all := cdktest.Resources(client, "AWS::EC2::Subnet")
	if len(subnets) != 2 || all[subnets[0].(map[string]any)["Ref"].(string)] == nil || all[subnets[1].(map[string]any)["Ref"].(string)] == nil {
		t.Errorf("function subnets: got %v, want the two isolated subnets", subnets)
	}
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	wantURL := map[string]any{"Fn::Join": []any{"", []any{"https://", crossRegionImport(t, res, config.RoleApi, "RefPrivateApi9"), ".execute-api.us-east-1.amazonaws.com/v1"}}}
	if diff := cmp.Diff(wantURL, env["API_URL"]); diff != "" {
		t.Errorf("API_URL (-want +got):\n%s", diff)
	}
	if env["API_REGION"] != "us-east-1" || env["API_RESOURCE"] != "hello" {
		t.Errorf("API_REGION, API_RESOURCE: got %v, %v, want us-east-1, hello", env["API_REGION"], env["API_RESOURCE"])
	}
	// The per-attempt timeout is a third of the function's, at most 5 s, as
	// config's retry-budget warning assumes.
	want := min(config.ClientFunctionTimeoutSeconds*1000/3, 5000)
	if fn["Timeout"] != float64(config.ClientFunctionTimeoutSeconds) || env["ATTEMPT_TIMEOUT_MS"] != fmt.Sprint(want) {
		t.Errorf("Timeout, ATTEMPT_TIMEOUT_MS: got %v, %v, want %d, %d as config.retryBudget assumes", fn["Timeout"], env["ATTEMPT_TIMEOUT_MS"], config.ClientFunctionTimeoutSeconds, want)
	}

	logID := fn["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
	logGroup := cdktest.Resources(client, "AWS::Logs::LogGroup")[logID]
	if logGroup == nil || logGroup["Properties"].(map[string]any)["RetentionInDays"] != float64(30) || logGroup["DeletionPolicy"] != "Delete" {
		t.Errorf("function log group %s: got %s, want 30 days' retention, removed with the stack", logID, cdktest.JSON(logGroup))
	}
	wantLogging := map[string]any{
		"LogGroup": ref(logID), "LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO",
	}
	if diff := cmp.Diff(wantLogging, fn["LoggingConfig"]); diff != "" {
		t.Errorf("LoggingConfig (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"Mode": "Active"}, fn["TracingConfig"]); diff != "" {
		t.Errorf("TracingConfig (-want +got):\n%s", diff)
	}
	for key, want := range map[string]any{"MAX_ATTEMPTS": "3", "BACKOFF_BASE_MS": "100", "BACKOFF_MAX_MS": "2000"} {
		if env[key] != want {
			t.Errorf("%s: got %v, want %v", key, env[key], want)
		}
	}
}

func TestOutputs(t *testing.T) {
	res := defaultApp(t)
	for role, want := range map[string][]string{
		config.RoleApi:    {"ApiId", "ApiUrl", "EndpointDnsName", "VpcId"},
		config.RoleClient: {"PeeringConnectionId", "FunctionName", "ApiUrl"},
	} {
		outputs, _ := res.templates[role]["Outputs"].(map[string]any)
		for _, name := range want {
			if _, ok := outputs[name]; !ok {
				t.Errorf("%s stack: no output %s (have %v)", role, name, keys(outputs))
			}
		}
	}
}

// keys returns the keys of m, sorted.
func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Renaming a construct id replaces its resource. These are the stateful or
// expensive-to-replace resources; a change here must be deliberate (the
// API's id and the endpoint's DNS name change on replacement and every
// client must follow).
func TestStatefulLogicalIdsArePinned(t *testing.T) {
	res := defaultApp(t)
	cases := []struct {
		role, typ string
		want      []string
	}{
		{config.RoleApi, "AWS::EC2::VPC", []string{"PrivateApiVpc57F1B7F3"}},
		{config.RoleApi, "AWS::EC2::VPCEndpoint", []string{"PrivateApiExecuteApiEndpoint800C5743"}},
		{config.RoleApi, "AWS::ApiGateway::RestApi", []string{"PrivateApi9D541FF3"}},
		{config.RoleClient, "AWS::EC2::VPC", []string{"ClientVpc2DE12A6C"}},
		{config.RoleClient, "AWS::EC2::VPCPeeringConnection", []string{"ClientPeering17E995E6"}},
		{config.RoleClient, "AWS::Route53::HostedZone", []string{"ClientApiZone64858F6C"}},
		{config.RoleClient, "AWS::Logs::LogGroup", []string{"ClientFunctionLogs76E45F1E", "ClientVpcFlowLogsD99727E5", "VpcRestrictDefaultSGProviderLogsFBA37BDB"}},
		{config.RoleApi, "AWS::Logs::LogGroup", []string{"PrivateApiAccessLogs91F4282E", "PrivateApiExecutionLogs765DEF3B", "PrivateApiVpcFlowLogs4DED3BF0", "VpcRestrictDefaultSGProviderLogsFBA37BDB"}},
		{config.RoleApi, "AWS::IAM::Role", []string{"CustomVpcRestrictDefaultSGCustomResourceProviderRole26592FE0", "PrivateApiCloudWatchRole42B1ADDC", "PrivateApiVpcFlowLogIAMRole3D7AA5D8"}},
	}
	for _, tc := range cases {
		got := keys(cdktest.Resources(res.templates[tc.role], tc.typ))
		if diff := cmp.Diff(tc.want, got, sortStrings); diff != "" {
			t.Errorf("%s %s logical ids (-want +got):\n%s", tc.role, tc.typ, diff)
		}
	}
}

// The asset the client function deploys is a Linux arm64 executable named
// bootstrap, as provided.al2023 on Graviton expects.
func TestClientAssetIsArm64Bootstrap(t *testing.T) {
	res := defaultApp(t)
	_, fn := clientFunction(t, res)
	key := fn["Code"].(map[string]any)["S3Key"].(string)
	hash := strings.TrimSuffix(key, ".zip")
	path := filepath.Join(res.outdir, "asset."+hash, "bootstrap")
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap: got %v %v %v, want a 64-bit aarch64 executable", f.Class, f.Machine, f.Type)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode()&0o111 == 0 {
		t.Errorf("bootstrap is not executable: %v %v", info.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("asset holds %d files, want only bootstrap", len(entries))
	}
}

// A bad configuration stops the app before any construct exists: exit
// status 1, one line per problem, no Go panic trace.
func TestBadConfigurationExits(t *testing.T) {
	ctx := map[string]any{
		"apiVpcCidr":    "10.0.0.0/33",
		"clientVpcCidr": "10.0.0.0/16",
		"clientRegion":  "us-east-1",
		"stageName":     "bad stage!",
		"account":       "1234",
		"stagename":     "v2",
	}
	raw, _ := json.Marshal(ctx)
	outdir := t.TempDir()
	cmd := testBinary(t)
	cmd.Env = append(os.Environ(), "CROSSREGIONAPI_RUN_APP=1", "CDK_CONTEXT_JSON="+string(raw), "CDK_OUTDIR="+outdir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit status: got %d (%v), want 1; stderr:\n%s", code, err, stderr.String())
	}
	out := stderr.String()
	for _, bad := range []string{"panic", "goroutine", ".go:"} {
		if strings.Contains(out, bad) {
			t.Errorf("stderr contains %q:\n%s", bad, out)
		}
	}
	for _, key := range []string{"apiVpcCidr", "clientRegion", "stageName", "account", "stagename"} {
		if !strings.Contains(out, key) {
			t.Errorf("stderr does not name %s:\n%s", key, out)
		}
	}
	if entries, _ := os.ReadDir(outdir); len(entries) != 0 {
		t.Errorf("a bad configuration wrote %d files to the cloud assembly", len(entries))
	}
}

// cdk.json shows every setting with its default, so a user reads and
// changes them in one place, and holds no key the app does not read.
func TestCdkJSONListsEveryKeyWithItsDefault(t *testing.T) {
	ctx := cdkJSONContext(t)
	var plain []string
	for k := range ctx {
		if !strings.Contains(k, ":") {
			plain = append(plain, k)
		}
	}
	optional := map[string]bool{"account": true, "apiAvailabilityZones": true, "clientAvailabilityZones": true, "clients": true, "alarmEmail": true, "organizationId": true, "secondaryApiRegion": true}
	var want []string
	for _, k := range config.Keys() {
		if !optional[k] {
			want = append(want, k)
		}
	}
	if diff := cmp.Diff(want, plain, sortStrings); diff != "" {
		t.Errorf("cdk.json configuration keys (-want +got):\n%s", diff)
	}
	cfg, _, err := config.FromContext(ctx, config.Sources{})
	if err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	if diff := cmp.Diff(config.Defaults(), cfg); diff != "" {
		t.Errorf("cdk.json values differ from config.Defaults (-defaults +cdk.json):\n%s", diff)
	}
	if ctx["@aws-cdk/core:defaultCrossStackReferences"] != "weak" {
		t.Errorf("@aws-cdk/core:defaultCrossStackReferences: got %v, want weak (Fn::GetStackOutput, as the stacks themselves set)", ctx["@aws-cdk/core:defaultCrossStackReferences"])
	}
}

// The app tells the project's keys from those of files it does not own:
// cdk acknowledge and cdk cli-telemetry write into cdk.context.json, and
// ~/.cdk.json holds a user's defaults for every CDK app. Only a key of the
// project's cdk.json, or one given with -c, stops synthesis.
func TestContextKeysByWhereTheyComeFrom(t *testing.T) {
	t.Parallel() // the app runs in a process of its own
	dir, home := t.TempDir(), t.TempDir()
	write := func(path string, v any) {
		raw, _ := json.Marshal(v)
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "cdk.json"), map[string]any{"app": "go run .", "context": map[string]any{"stagename": "v2"}})
	write(filepath.Join(dir, "cdk.context.json"), map[string]any{"acknowledged-issue-numbers": []any{34892}, "cli-telemetry": false})
	write(filepath.Join(home, ".cdk.json"), map[string]any{"context": map[string]any{"myTeamFlag": true, "stageNme": "x"}})
	ctx := map[string]any{ // what the CLI merges from all of them, and -c
		"stagename": "v2", "acknowledged-issue-numbers": []any{34892}, "cli-telemetry": false,
		"myTeamFlag": true, "stageNme": "x", "colour": "blue",
	}
	raw, _ := json.Marshal(ctx)
	cmd := testBinary(t)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CROSSREGIONAPI_RUN_APP=1", "CDK_CONTEXT_JSON="+string(raw), "CDK_OUTDIR="+t.TempDir(), "HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit status: got %d, want 1; stderr:\n%s", code, stderr.String())
	}
	out := stderr.String()
	for _, want := range []string{
		`stagename = "v2": is not a configuration key (in cdk.json); did you mean stageName?`,
		`colour = "blue": is not a configuration key (given with -c)`,
		`warning: stageNme = "x" in ~/.cdk.json is not a configuration key and is ignored; did you mean stageName?`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	for _, notOurs := range []string{"acknowledged-issue-numbers", "cli-telemetry", "myTeamFlag"} {
		if strings.Contains(out, notOurs) {
			t.Errorf("stderr reports %s, a key the project does not own:\n%s", notOurs, out)
		}
	}
}

// Run on its own (go run .), the app applies cdk.json and takes -c values
// as the CDK CLI would, so a bad value stops it; it refuses arguments it
// would otherwise ignore, and under the CLI it takes none.
func TestRunOutsideTheCLI(t *testing.T) {
	cases := []struct {
		name     string
		args     string
		underCLI bool
		wantCode int
		want     string
	}{
		{"a bad -c value", "-c apiRegion=mars-1", false, 1, `apiRegion = "mars-1": is not a Region known to the AWS CDK`},
		{"a bad value in cdk.json's place", "-c stageName=bad!", false, 1, `stageName = "bad!"`},
		{"an argument it does not take", "--all", false, 2, `unexpected argument "--all": only -c key=value is accepted`},
		{"arguments under the CLI", "-c apiRegion=eu-west-1", true, 2, "the CDK CLI passes its -c values in the environment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := testBinary(t)
			env := []string{"CROSSREGIONAPI_RUN_APP=1", "CROSSREGIONAPI_APP_ARGS=" + tc.args}
			for _, e := range os.Environ() {
				if !strings.HasPrefix(e, "CDK_") {
					env = append(env, e)
				}
			}
			if tc.underCLI {
				env = append(env, "CDK_OUTDIR="+t.TempDir(), "CDK_CONTEXT_JSON={}")
			}
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tc.wantCode || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", code, tc.wantCode, tc.want, stderr.String())
			}
		})
	}
}
