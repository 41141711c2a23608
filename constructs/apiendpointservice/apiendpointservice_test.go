package apiendpointservice_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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
	if tg["TargetType"] != "ip" || tg["Protocol"] != "TCP" || tg["Port"] != 443.0 || tg["HealthCheckProtocol"] != "TCP" ||
		!strings.Contains(cdktest.JSON(tg["TargetGroupAttributes"]), `{"Key":"preserve_client_ip.enabled","Value":"false"}`) {
		t.Errorf("target group %s, want TCP 443 to IP targets without client IP preservation", cdktest.JSON(tg))
	}
	lookupID, _ := one(t, tmpl, "Custom::AWS")
	var want []string
	for i := range 2 {
		want = append(want, `{"Id":`+getAtt(lookupID, fmt.Sprintf("NetworkInterfaces.%d.PrivateIpAddress", i))+`,"Port":443}`)
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

// The lookup reads the endpoint's own interfaces, one per subnet, and may
// describe network interfaces and nothing else; its function logs to a
// group of its own, with a role of its own.
func TestLookupReadsTheEndpointsInterfaces(t *testing.T) {
	tmpl, _ := synth(t, "us-east-1", []string{"111111111111"}, []string{"eu-west-1"})
	endpointID, _ := one(t, tmpl, "AWS::EC2::VPCEndpoint")
	_, lookup := one(t, tmpl, "Custom::AWS")
	for _, key := range []string{"Create", "Update"} {
		call := cdktest.JSON(lookup[key])
		for i := range 2 {
			sel := fmt.Sprintf(`{"Fn::Select":[%d,%s]}`, i, getAtt(endpointID, "NetworkInterfaceIds"))
			if !strings.Contains(call, sel) {
				t.Errorf("%s %s does not read interface %d of the endpoint", key, call, i)
			}
		}
		if !strings.Contains(call, `describeNetworkInterfaces`) || !strings.Contains(call, `"service\":\"EC2\"`) {
			t.Errorf("%s %s, want EC2 describeNetworkInterfaces", key, call)
		}
	}
	var role string
	for id, r := range cdktest.Resources(tmpl, "AWS::IAM::Role") {
		if d, _ := r["Properties"].(map[string]any)["Description"].(string); strings.HasPrefix(d, "Reads the private addresses") {
			role = id
		}
	}
	var actions []string
	for _, p := range cdktest.Props(tmpl, "AWS::IAM::Policy") {
		if cdktest.JSON(p["Roles"]) != `[{"Ref":"`+role+`"}]` {
			continue
		}
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			switch a := st.(map[string]any)["Action"].(type) {
			case string:
				actions = append(actions, a)
			case []any:
				for _, x := range a {
					actions = append(actions, x.(string))
				}
			}
		}
	}
	slices.Sort(actions)
	if diff := cmp.Diff([]string{"ec2:DescribeNetworkInterfaces", "logs:CreateLogStream", "logs:PutLogEvents"}, actions); diff != "" {
		t.Errorf("actions of the lookup role %q (-want +got):\n%s", role, diff)
	}
	var functions int
	groups := cdktest.Resources(tmpl, "AWS::Logs::LogGroup")
	for id, fn := range cdktest.Resources(tmpl, "AWS::Lambda::Function") {
		p := fn["Properties"].(map[string]any)
		if cdktest.JSON(p["Role"]) != getAtt(role, "Arn") {
			continue
		}
		functions++
		lc, _ := p["LoggingConfig"].(map[string]any)
		ref, _ := lc["LogGroup"].(map[string]any)
		name, _ := ref["Ref"].(string)
		if g, ok := groups[name]; !ok || g["DeletionPolicy"] != "Delete" {
			t.Errorf("lookup function %s logs to %v, not to a group of its own deleted with the stack", id, cdktest.JSON(lc))
		}
	}
	if functions != 1 {
		t.Errorf("functions with the lookup role: got %d, want 1", functions)
	}
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
	apiendpointservice.NewApiEndpointService(stack, "Service", &apiendpointservice.ApiEndpointServiceProps{Api: api})
}
