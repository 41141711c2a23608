package apiendpointservice_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/constructs/apiendpointservice"
	"crossregionapi/constructs/privateapivpc"
	"crossregionapi/internal/cdktest"
)

// synth builds the service on a PrivateApiVpc in region, admitting
// accounts from regions.
func synth(t *testing.T, region string, accounts, regions []string) (map[string]any, apiendpointservice.ApiEndpointService) {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Api"), &awscdk.StackProps{Env: &awscdk.Environment{
		Account: jsii.String("111111111111"), Region: jsii.String(region)}})
	api := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{Cidr: jsii.String("10.0.0.0/16")})
	s := apiendpointservice.NewApiEndpointService(stack, "Service", &apiendpointservice.ApiEndpointServiceProps{
		Api:              api,
		AllowedAccounts:  jsii.Strings(accounts...),
		SupportedRegions: jsii.Strings(regions...),
		Code:             cdktest.FakeCode(t),
	})
	return cdktest.Template(t, stack), s
}

// one returns the only resource of typ, with its logical id.
func one(t *testing.T, tmpl map[string]any, typ string) (string, map[string]any) {
	t.Helper()
	all := cdktest.Resources(tmpl, typ)
	if len(all) != 1 {
		t.Fatalf("%s: got %d, want 1", typ, len(all))
	}
	for id, r := range all {
		return id, r["Properties"].(map[string]any)
	}
	return "", nil
}

func getAtt(id, attr string) string { return `{"Fn::GetAtt":["` + id + `","` + attr + `"]}` }

// The service admits exactly the named accounts, by partition-aware root
// ARNs and never "*", from exactly the given Regions, and accepts their
// connections without a manual step. Its name carries the service's own
// Region (and China's prefix there), not the reader's AWS::Region.
func TestServiceAdmitsNamedAccountsFromGivenRegions(t *testing.T) {
	for _, tc := range []struct {
		region, prefix string
		accounts       []string
		regions        []string
	}{
		{"us-east-1", "com.amazonaws.vpce.us-east-1", []string{"111111111111", "222222222222", "333333333333"}, []string{"eu-west-1", "us-west-2"}},
		{"cn-north-1", "cn.com.amazonaws.vpce.cn-north-1", []string{"111111111111"}, []string{"cn-northwest-1"}},
	} {
		t.Run(tc.region, func(t *testing.T) {
			tmpl, s := synth(t, tc.region, tc.accounts, tc.regions)
			serviceID, service := one(t, tmpl, "AWS::EC2::VPCEndpointService")
			if service["AcceptanceRequired"] != false {
				t.Errorf("AcceptanceRequired: got %v, want false", service["AcceptanceRequired"])
			}
			if diff := cmp.Diff(cdktest.JSON(tc.regions), cdktest.JSON(service["SupportedRegions"])); diff != "" {
				t.Errorf("SupportedRegions (-want +got):\n%s", diff)
			}
			lbID, lb := one(t, tmpl, "AWS::ElasticLoadBalancingV2::LoadBalancer")
			if got := cdktest.JSON(service["NetworkLoadBalancerArns"]); got != `[{"Ref":"`+lbID+`"}]` {
				t.Errorf("service load balancers %s, want %s", got, lbID)
			}
			_, perms := one(t, tmpl, "AWS::EC2::VPCEndpointServicePermissions")
			var want []any
			for _, a := range tc.accounts {
				want = append(want, map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::" + a + ":root"}}})
			}
			if diff := cmp.Diff(want, perms["AllowedPrincipals"]); diff != "" {
				t.Errorf("allowed principals (-want +got):\n%s", diff)
			}
			if got := cdktest.JSON(perms["ServiceId"]); got != `{"Ref":"`+serviceID+`"}` {
				t.Errorf("permissions of %s, want %s", got, serviceID)
			}
			if strings.Contains(cdktest.JSON(perms), `"*"`) {
				t.Errorf("permissions admit everyone: %s", cdktest.JSON(perms))
			}
			name := cdktest.JSON(awscdk.Stack_Of(s.Service()).Resolve(s.ServiceName()))
			if wantName := `{"Fn::Join":[".",["` + tc.prefix + `",{"Ref":"` + serviceID + `"}]]}`; name != wantName {
				t.Errorf("ServiceName %s, want %s", name, wantName)
			}
			if lb["Scheme"] != "internal" || lb["Type"] != "network" {
				t.Errorf("load balancer %s, want an internal network load balancer", cdktest.JSON(lb))
			}
		})
	}
}

// The load balancer passes TCP 443 through to the execute-api endpoint's
// addresses, one per subnet, as the lookup reads them; it admits nothing
// from the VPC, skips its inbound rules for PrivateLink traffic, and may
// only send HTTPS to the endpoint's group, which admits it.
func TestLoadBalancerForwardsToTheEndpoint(t *testing.T) {
	tmpl, s := synth(t, "us-east-1", []string{"111111111111"}, []string{"eu-west-1"})
	lbID, lb := one(t, tmpl, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	if lb["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] != "off" {
		t.Errorf("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: got %v, want off", lb["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"])
	}
	if !strings.Contains(cdktest.JSON(lb["LoadBalancerAttributes"]), `{"Key":"load_balancing.cross_zone.enabled","Value":"true"}`) {
		t.Errorf("attributes %s, want cross-zone load balancing", cdktest.JSON(lb["LoadBalancerAttributes"]))
	}
	// Named after its VPC, so a new VPC gives a new balancer (Name is
	// create-only) instead of an update that cannot move it.
	vpcID, _ := one(t, tmpl, "AWS::EC2::VPC")
	if name := cdktest.JSON(lb["Name"]); !strings.Contains(name, `{"Fn::Split":["-",{"Ref":"`+vpcID+`"}]}`) {
		t.Errorf("load balancer name %s does not follow the VPC's id", name)
	}
	_, listener := one(t, tmpl, "AWS::ElasticLoadBalancingV2::Listener")
	tgID, tg := one(t, tmpl, "AWS::ElasticLoadBalancingV2::TargetGroup")
	if listener["Port"] != 443.0 || listener["Protocol"] != "TCP" || cdktest.JSON(listener["LoadBalancerArn"]) != `{"Ref":"`+lbID+`"}` ||
		cdktest.JSON(listener["DefaultActions"]) != `[{"TargetGroupArn":{"Ref":"`+tgID+`"},"Type":"forward"}]` {
		t.Errorf("listener %s, want TCP 443 forwarding to %s", cdktest.JSON(listener), tgID)
	}
	if tg["TargetType"] != "ip" || tg["Protocol"] != "TCP" || tg["Port"] != 443.0 || tg["HealthCheckProtocol"] != "TCP" || tg["HealthCheckPort"] != "443" ||
		!strings.Contains(cdktest.JSON(tg["TargetGroupAttributes"]), `{"Key":"preserve_client_ip.enabled","Value":"false"}`) {
		t.Errorf("target group %s, want TCP 443 to IP targets, health-checked on 443, without client IP preservation", cdktest.JSON(tg))
	}
	lookupID, _ := one(t, tmpl, "Custom::EndpointAddresses")
	var want []string
	for i := range 2 {
		want = append(want, `{"Id":`+getAtt(lookupID, fmt.Sprintf("Address%d", i))+`,"Port":443}`)
	}
	var got []string
	for _, target := range tg["Targets"].([]any) {
		got = append(got, cdktest.JSON(target))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if n := len(*s.EndpointAddresses()); n != 2 {
		t.Errorf("EndpointAddresses: got %d, want one per subnet (2)", n)
	}

	// Security groups: the balancer's has no ingress and one egress rule,
	// HTTPS to the endpoint's group, which has the matching ingress.
	groups := cdktest.Resources(tmpl, "AWS::EC2::SecurityGroup")
	var lbSG, endpointSG string
	for id, g := range groups {
		switch d := g["Properties"].(map[string]any)["GroupDescription"].(string); {
		case strings.HasPrefix(d, "PrivateLink front"):
			lbSG = id
		case strings.HasPrefix(d, "execute-api endpoint"):
			endpointSG = id
		}
	}
	if cdktest.JSON(lb["SecurityGroups"]) != `[`+getAtt(lbSG, "GroupId")+`]` {
		t.Errorf("load balancer groups %s, want %s", cdktest.JSON(lb["SecurityGroups"]), lbSG)
	}
	if p := groups[lbSG]["Properties"].(map[string]any); p["SecurityGroupIngress"] != nil || p["SecurityGroupEgress"] != nil {
		t.Errorf("load balancer group %s: want no inline rules", cdktest.JSON(p))
	}
	rule := func(typ, group, peerKey, peer string) bool {
		for _, r := range cdktest.Props(tmpl, typ) {
			if cdktest.JSON(r["GroupId"]) == getAtt(group, "GroupId") && cdktest.JSON(r[peerKey]) == getAtt(peer, "GroupId") &&
				r["FromPort"] == 443.0 && r["ToPort"] == 443.0 && r["IpProtocol"] == "tcp" {
				return true
			}
		}
		return false
	}
	if !rule("AWS::EC2::SecurityGroupEgress", lbSG, "DestinationSecurityGroupId", endpointSG) {
		t.Error("no egress rule HTTPS from the balancer's group to the endpoint's")
	}
	if !rule("AWS::EC2::SecurityGroupIngress", endpointSG, "SourceSecurityGroupId", lbSG) {
		t.Error("no ingress rule HTTPS to the endpoint's group from the balancer's")
	}
	for _, r := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroupIngress") {
		if cdktest.JSON(r["GroupId"]) == getAtt(lbSG, "GroupId") {
			t.Errorf("balancer group ingress %s", cdktest.JSON(r))
		}
	}
	var egress []string
	for _, r := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroupEgress") {
		if cdktest.JSON(r["GroupId"]) == getAtt(lbSG, "GroupId") {
			egress = append(egress, cdktest.JSON(r))
		}
	}
	if len(egress) != 1 {
		t.Errorf("balancer group egress %v, want one rule", egress)
	}
}

// The lookup reads the endpoint's own interfaces, and is named after the
// endpoint.
func TestLookupReadsTheEndpointsInterfaces(t *testing.T) {
	tmpl, _ := synth(t, "us-east-1", []string{"111111111111"}, []string{"eu-west-1"})
	endpointID, _ := one(t, tmpl, "AWS::EC2::VPCEndpoint")
	_, lookup := one(t, tmpl, "Custom::EndpointAddresses")
	if got := cdktest.JSON(lookup["NetworkInterfaceIds"]); got != getAtt(endpointID, "NetworkInterfaceIds") {
		t.Errorf("NetworkInterfaceIds %s, want the endpoint's", got)
	}
	if got := cdktest.JSON(lookup["EndpointId"]); got != `{"Ref":"`+endpointID+`"}` {
		t.Errorf("EndpointId %s, want the endpoint's", got)
	}
}

// Before CloudFormation deletes the service, it deletes the resource that
// rejects the service's connections: its ServiceId refers to the service.
func TestConnectionsResourceRefersToTheService(t *testing.T) {
	tmpl, _ := synth(t, "us-east-1", []string{"111111111111"}, []string{"eu-west-1"})
	serviceID, _ := one(t, tmpl, "AWS::EC2::VPCEndpointService")
	_, conns := one(t, tmpl, "Custom::EndpointServiceConnections")
	if got := cdktest.JSON(conns["ServiceId"]); got != `{"Ref":"`+serviceID+`"}` {
		t.Errorf("ServiceId %s, want a Ref of %s", got, serviceID)
	}
}

// statements returns a role's statements, as "action resource", and the
// functions that use it.
func statements(t *testing.T, tmpl map[string]any, role string) (out []string) {
	t.Helper()
	for _, p := range cdktest.Props(tmpl, "AWS::IAM::Policy") {
		if cdktest.JSON(p["Roles"]) != `[{"Ref":"`+role+`"}]` {
			continue
		}
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Effect"] != "Allow" || st["Condition"] != nil {
				t.Errorf("statement %s", cdktest.JSON(st))
			}
			var actions []any
			switch a := st["Action"].(type) {
			case string:
				actions = []any{a}
			case []any:
				actions = a
			}
			for _, a := range actions {
				out = append(out, a.(string)+" "+cdktest.JSON(st["Resource"]))
			}
		}
	}
	slices.Sort(out)
	return out
}

// Each custom resource's function has a role of its own that may do what
// its resource needs and nothing else: the lookup describes network
// interfaces; the connections resource describes connections and rejects
// them at its own service only. Each writes to a log group of its own,
// deleted with the stack, runs the given code on provided.al2023 and
// arm64, and has time for the handler's bounds.
func TestHandlerFunctionsHaveLeastPrivilege(t *testing.T) {
	tmpl, _ := synth(t, "us-east-1", []string{"111111111111"}, []string{"eu-west-1"})
	serviceID, _ := one(t, tmpl, "AWS::EC2::VPCEndpointService")
	groups := cdktest.Resources(tmpl, "AWS::Logs::LogGroup")
	functions := cdktest.Resources(tmpl, "AWS::Lambda::Function")
	for _, tc := range []struct {
		typ     string
		want    func(group string) []string
		minutes float64
	}{
		{"Custom::EndpointAddresses", func(group string) []string {
			return []string{`ec2:DescribeNetworkInterfaces "*"`, "logs:CreateLogStream " + getAtt(group, "Arn"), "logs:PutLogEvents " + getAtt(group, "Arn")}
		}, 2},
		{"Custom::EndpointServiceConnections", func(group string) []string {
			return []string{`ec2:DescribeVpcEndpointConnections "*"`,
				`ec2:RejectVpcEndpointConnections {"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":ec2:us-east-1:111111111111:vpc-endpoint-service/",{"Ref":"` + serviceID + `"}]]}`,
				"logs:CreateLogStream " + getAtt(group, "Arn"), "logs:PutLogEvents " + getAtt(group, "Arn")}
		}, 7},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			_, r := one(t, tmpl, tc.typ)
			token, _ := r["ServiceToken"].(map[string]any)["Fn::GetAtt"].([]any)
			fnID := token[0].(string)
			fn := functions[fnID]["Properties"].(map[string]any)
			role := fn["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
			group := fn["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
			if g, ok := groups[group]; !ok || g["DeletionPolicy"] != "Delete" {
				t.Errorf("%s logs to %s, not to a group of its own deleted with the stack", fnID, group)
			}
			if diff := cmp.Diff(tc.want(group), statements(t, tmpl, role)); diff != "" {
				t.Errorf("statements of %s (-want +got):\n%s", role, diff)
			}
			if fn["Runtime"] != "provided.al2023" || cdktest.JSON(fn["Architectures"]) != `["arm64"]` || fn["Handler"] != "bootstrap" {
				t.Errorf("%s: %v %v %v", fnID, fn["Runtime"], fn["Architectures"], fn["Handler"])
			}
			// The handler's own bounds, plus time to answer.
			if timeout := fn["Timeout"].(float64); timeout < tc.minutes*60+30 || timeout > 900 {
				t.Errorf("%s: Timeout %v s, want more than %v minutes", fnID, timeout, tc.minutes)
			}
			var users int
			for _, other := range functions {
				if cdktest.JSON(other["Properties"].(map[string]any)["Role"]) == getAtt(role, "Arn") {
					users++
				}
			}
			if users != 1 {
				t.Errorf("%d functions use %s, want 1", users, role)
			}
		})
	}
}

// frontTypes are the resources that must be new with a new API VPC.
var frontTypes = []string{
	"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::TargetGroup",
	"AWS::EC2::VPCEndpointService", "AWS::EC2::VPCEndpointServicePermissions", "Custom::EndpointServiceConnections",
}

// front returns the logical ids of the front's resources: those of
// frontTypes, the balancer's security group and the connections function.
func front(t *testing.T, tmpl map[string]any) []string {
	t.Helper()
	var ids []string
	for _, typ := range frontTypes {
		id, _ := one(t, tmpl, typ)
		ids = append(ids, id)
	}
	_, lb := one(t, tmpl, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	ids = append(ids, lb["SecurityGroups"].([]any)[0].(map[string]any)["Fn::GetAtt"].([]any)[0].(string))
	_, conns := one(t, tmpl, "Custom::EndpointServiceConnections")
	ids = append(ids, conns["ServiceToken"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string))
	return ids
}

// The front (balancer, its group, listener and targets, the service and
// its connections resource) changes every logical id when the API's VPC
// would be replaced (a new range, a new tenancy), so CloudFormation
// creates a new balancer and a new service instead of updating the
// service in place; it keeps every id for any other change (a new
// account, a new Region). The balancer's name follows its VPC's id.
func TestFrontFollowsTheVpc(t *testing.T) {
	type variant struct {
		name              string
		cidr, tenancy     string
		accounts, regions []string
		replaced          bool
	}
	build := func(t *testing.T, v variant) map[string]any {
		app := awscdk.NewApp(nil)
		stack := awscdk.NewStack(app, jsii.String("Api"), &awscdk.StackProps{Env: &awscdk.Environment{
			Account: jsii.String("111111111111"), Region: jsii.String("us-east-1")}})
		api := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{Cidr: jsii.String(v.cidr)})
		if v.tenancy != "" {
			api.Vpc().Node().DefaultChild().(awsec2.CfnVPC).SetInstanceTenancy(jsii.String(v.tenancy))
		}
		apiendpointservice.NewApiEndpointService(stack, "Service", &apiendpointservice.ApiEndpointServiceProps{
			Api: api, AllowedAccounts: jsii.Strings(v.accounts...), SupportedRegions: jsii.Strings(v.regions...), Code: cdktest.FakeCode(t),
		})
		return cdktest.Template(t, stack)
	}
	base := variant{cidr: "10.0.0.0/16", accounts: []string{"111111111111"}, regions: []string{"eu-west-1"}}
	baseTmpl := build(t, base)
	baseFront := front(t, baseTmpl)
	_, baseLB := one(t, baseTmpl, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	for _, v := range []variant{
		{name: "a new range", cidr: "10.1.0.0/16", accounts: base.accounts, regions: base.regions, replaced: true},
		{name: "dedicated tenancy", cidr: base.cidr, tenancy: "dedicated", accounts: base.accounts, regions: base.regions, replaced: true},
		{name: "a new account", cidr: base.cidr, accounts: []string{"111111111111", "222222222222"}, regions: base.regions},
		{name: "a new Region", cidr: base.cidr, accounts: base.accounts, regions: []string{"eu-west-1", "us-west-2"}},
	} {
		t.Run(v.name, func(t *testing.T) {
			tmpl := build(t, v)
			got := front(t, tmpl)
			for i, id := range got {
				if same := id == baseFront[i]; same == v.replaced {
					t.Errorf("%s: %s before, %s after; want a new id: %v", frontTypesOr(i), baseFront[i], id, v.replaced)
				}
			}
			_, lb := one(t, tmpl, "AWS::ElasticLoadBalancingV2::LoadBalancer")
			vpcID, _ := one(t, tmpl, "AWS::EC2::VPC")
			if name := cdktest.JSON(lb["Name"]); !strings.Contains(name, `{"Fn::Split":["-",{"Ref":"`+vpcID+`"}]}`) {
				t.Errorf("load balancer name %s does not follow the VPC's id", name)
			}
			if sameName := cdktest.JSON(lb["Name"]) == cdktest.JSON(baseLB["Name"]); sameName == v.replaced {
				t.Errorf("load balancer name %s, before %s", cdktest.JSON(lb["Name"]), cdktest.JSON(baseLB["Name"]))
			}
		})
	}
}

func frontTypesOr(i int) string {
	if i < len(frontTypes) {
		return frontTypes[i]
	}
	return [...]string{"the balancer's security group", "the connections function"}[i-len(frontTypes)]
}

func TestRequiresNamedAccounts(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Api"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("us-east-1")}})
	api := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{Cidr: jsii.String("10.0.0.0/16")})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "AllowedAccounts is required") {
			t.Errorf("got %v, want a panic naming AllowedAccounts", r)
		}
	}()
	apiendpointservice.NewApiEndpointService(stack, "Service", &apiendpointservice.ApiEndpointServiceProps{Api: api, Code: cdktest.FakeCode(t)})
}
