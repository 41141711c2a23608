package main

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
)

// The two-Region configurations, each the same clients as a one-Region
// configuration the tests synthesize anyway, with secondaryApiRegion: over
// peering, invariants_test.go's five clients in two accounts (without an
// organization); over PrivateLink, privatelink_test.go's three overlapping
// clients in two accounts of one organization, with the secondary API in
// us-west-1, whose zones over PrivateLink are pinned IDs.
var (
	twoRegionsPeering = struct {
		name, oneRegion string
		context         map[string]any
	}{"two API Regions over peering, five clients in two accounts", "five clients in two accounts", withSecondary(fiveClients, "us-east-2")}
	twoRegionsLink = struct {
		name    string
		context map[string]any
	}{"two API Regions over PrivateLink, overlapping clients in two accounts of one organization", map[string]any{
		"account": "111111111111", "transport": "privatelink", "apiVpcCidr": "10.0.0.0/16", "organizationId": "o-exampleorg1",
		"clients": []any{linkWest, linkIreland, linkOther}, "secondaryApiRegion": "us-west-1",
	}}
)

// withSecondary is context with secondaryApiRegion set to region.
func withSecondary(context map[string]any, region string) map[string]any {
	out := maps.Clone(context)
	out["secondaryApiRegion"] = region
	return out
}

// twoRegionCase is one two-Region configuration as the tests read it.
type twoRegionCase struct {
	name string
	s    configSynthesis
}

func twoRegionCases(t *testing.T) []twoRegionCase {
	t.Helper()
	return []twoRegionCase{
		{twoRegionsPeering.name, synthesizedConfig(t, twoRegionsPeering.name, twoRegionsPeering.context)},
		{twoRegionsLink.name, synthesizedConfig(t, twoRegionsLink.name, twoRegionsLink.context)},
	}
}

// With secondaryApiRegion the app adds the secondary API's stack, in its
// Region and the API's account, and over peering a return-route stack per
// client in that Region; every client stack depends on both API stacks, and
// each return route on its API's stack and its client's, so the longest
// chain stays API, client, return route.
func TestTwoRegionStacks(t *testing.T) {
	for _, tc := range twoRegionCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg, d := tc.s.cfg, tc.s.deployed
			stacks := assembly(t, tc.s.outdir)
			apis := []string{cfg.ApiStackName(cfg.ApiRegion), cfg.ApiStackName(cfg.SecondaryApiRegion)}
			if want := "CrossRegionApi-Api-" + cfg.SecondaryApiRegion; apis[1] != want {
				t.Errorf("secondary API stack %s, want %s", apis[1], want)
			}
			want := map[string]assemblyStack{}
			for _, api := range apis {
				want[api] = assemblyStack{Environment: "aws://111111111111/" + map[string]string{apis[0]: cfg.ApiRegion, apis[1]: cfg.SecondaryApiRegion}[api]}
			}
			for _, cl := range cfg.ClientList() {
				client := cfg.ClientStackName(config.RoleClient, cl)
				account := cl.Account
				if account == "" {
					account = "111111111111"
				}
				want[client] = assemblyStack{Environment: "aws://" + account + "/" + cl.Region, Dependencies: slices.Sorted(slices.Values(apis))}
				if !cfg.UsesPeering() {
					continue
				}
				for i, region := range cfg.ApiRegions() {
					want[cfg.ReturnRouteStackName(cl, region)] = assemblyStack{Environment: "aws://111111111111/" + region,
						Dependencies: slices.Sorted(slices.Values([]string{apis[i], client}))}
				}
			}
			if diff := cmp.Diff(want, stacks); diff != "" {
				t.Errorf("stacks (-want +got):\n%s", diff)
			}
			if got := longestChain(stacks); got != 2 && !cfg.UsesPeering() || got != 3 && cfg.UsesPeering() {
				t.Errorf("longest chain %d stacks", got)
			}
			if _, ok := d.templates["CrossRegionApi-PeeringRoute-us-west-2-222222222222-us-east-2"]; cfg.UsesPeering() && !ok {
				t.Error("no return route of the other account's client in us-east-2 named CrossRegionApi-PeeringRoute-us-west-2-222222222222-us-east-2")
			}
		})
	}
}

// stackRead names the stacks whose outputs v reads, sorted.
func stackRead(v any) []string {
	var out []string
	for _, m := range getStackOutput.FindAllString(cdktest.JSON(v), -1) {
		i := strings.Index(m, `"StackName":"`) + len(`"StackName":"`)
		out = append(out, m[i:i+strings.Index(m[i:], `"`)])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Every client has a path to each API: over peering, a peering connection
// to each API's VPC (in its Region, from its stack, through its accepter
// role for a client of another account) with a route to its range from
// every subnet, and in each API's Region a return route to the client
// through that connection; over PrivateLink, an interface endpoint to each
// API's service in its Region. A zone for each API's hostname; the function
// calls the primary API and fails over to the secondary (API_URL/
// API_REGION, FAILOVER_API_URL/FAILOVER_API_REGION), may invoke the demo
// method of both in the API's account, and may open HTTPS through its two
// paths only.
func TestTwoRegionPaths(t *testing.T) {
	for _, tc := range twoRegionCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg, d := tc.s.cfg, tc.s.deployed
			regions := cfg.ApiRegions()
			apis := []string{cfg.ApiStackName(regions[0]), cfg.ApiStackName(regions[1])}
			// Each API's VPC has its own Region's range: the clients' routes
			// to the two must not meet.
			for i, region := range regions {
				vpcs := cdktest.Props(d.templates[apis[i]], "AWS::EC2::VPC")
				if len(vpcs) != 1 || vpcs[0]["CidrBlock"] != cfg.ApiVpcCidrOf(region) {
					t.Errorf("%s: VPC %s, want one with %s", apis[i], cdktest.JSON(vpcs), cfg.ApiVpcCidrOf(region))
				}
			}
			if cfg.ApiVpcCidrOf(regions[0]) == cfg.ApiVpcCidrOf(regions[1]) && cfg.UsesPeering() {
				t.Errorf("the two API VPCs share %s over peering", cfg.ApiVpcCidrOf(regions[0]))
			}
			for _, cl := range cfg.ClientList() {
				name := cfg.ClientStackName(config.RoleClient, cl)
				tmpl := d.templates[name]
				other := cl.Account != "" && cl.Account != cfg.Account

				pathType := "AWS::EC2::VPCEndpoint"
				if cfg.UsesPeering() {
					pathType = "AWS::EC2::VPCPeeringConnection"
				}
				paths := cdktest.Props(tmpl, pathType)
				var got []string
				for _, p := range paths {
					region, _ := p["PeerRegion"].(string)
					if !cfg.UsesPeering() {
						region, _ = p["ServiceRegion"].(string)
					}
					reads := stackRead(p)
					got = append(got, region+" "+strings.Join(reads, ","))
					if cfg.UsesPeering() && other {
						if p["PeerOwnerId"] != "111111111111" || !strings.Contains(cdktest.JSON(p["PeerRoleArn"]), "accepterrole") {
							t.Errorf("%s: peering to %s %s, want the API's account and its accepter role there", name, region, cdktest.JSON(p))
						}
					}
				}
				slices.Sort(got)
				if diff := cmp.Diff([]string{regions[0] + " " + apis[0], regions[1] + " " + apis[1]}, got); diff != "" {
					t.Errorf("%s: %s to each API Region, reading its stack (-want +got):\n%s", name, pathType, diff)
				}

				if cfg.UsesPeering() {
					dests := map[string]int{}
					for _, r := range cdktest.Props(tmpl, "AWS::EC2::Route") {
						dests[r["DestinationCidrBlock"].(string)]++
					}
					if diff := cmp.Diff(map[string]int{cfg.ApiVpcCidr: 2, cfg.SecondaryApiVpcCidr: 2}, dests); diff != "" {
						t.Errorf("%s: routes by destination, one per subnet to each API's range (-want +got):\n%s", name, diff)
					}
					for _, region := range regions {
						route := d.templates[cfg.ReturnRouteStackName(cl, region)]
						rs := cdktest.Props(route, "AWS::EC2::Route")
						if len(rs) != 2 || rs[0]["DestinationCidrBlock"] != cl.Cidr || !slices.Equal(stackRead(rs[0]), []string{name}) {
							t.Errorf("%s: return routes %s, want two to %s through the client's peering", cfg.ReturnRouteStackName(cl, region), cdktest.JSON(rs), cl.Cidr)
						}
					}
				}

				zones := map[string]bool{}
				for _, z := range cdktest.Props(tmpl, "AWS::Route53::HostedZone") {
					zones[cdktest.JSON(z["Name"])] = true
				}
				for _, region := range regions {
					if !strings.Contains(strings.Join(slices.Collect(maps.Keys(zones)), " "), ".execute-api."+region+".amazonaws.com.") {
						t.Errorf("%s: zones %v, none for the API's hostname in %s", name, slices.Collect(maps.Keys(zones)), region)
					}
				}
				if len(zones) != 2 {
					t.Errorf("%s: %d zones, want one per API", name, len(zones))
				}

				var fn map[string]any
				for _, p := range cdktest.Props(tmpl, "AWS::Lambda::Function") {
					if p["Runtime"] == "provided.al2023" {
						fn = p
					}
				}
				env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
				if env["API_REGION"] != regions[0] || env["FAILOVER_API_REGION"] != regions[1] ||
					!slices.Equal(stackRead(env["API_URL"]), apis[:1]) || !slices.Equal(stackRead(env["FAILOVER_API_URL"]), apis[1:]) ||
					!strings.HasSuffix(cdktest.JSON(env["FAILOVER_API_URL"]), `".execute-api.`+regions[1]+`.amazonaws.com/v1"]]}`) {
					t.Errorf("%s: environment %s, want the primary API first and the secondary's URL and Region to fail over to", name, cdktest.JSON(env))
				}

				var invoke []string
				for _, p := range cdktest.Props(tmpl, "AWS::IAM::Policy") {
					for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
						if s := cdktest.JSON(st); strings.Contains(s, "execute-api:Invoke") {
							invoke = append(invoke, s)
						}
					}
				}
				if len(invoke) != 1 {
					t.Fatalf("%s: execute-api statements %v, want one", name, invoke)
				}
				for _, region := range regions {
					if !strings.Contains(invoke[0], ":execute-api:"+region+":111111111111:") {
						t.Errorf("%s: %s does not grant the method of the API in %s", name, invoke[0], region)
					}
				}
				if strings.Count(invoke[0], "/v1/GET/hello") != 2 {
					t.Errorf("%s: %s, want the demo method of each API and nothing else", name, invoke[0])
				}

				var egress []string
				for _, sg := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroup") {
					if strings.HasPrefix(sg["GroupDescription"].(string), "API client") {
						if sg["SecurityGroupIngress"] != nil {
							t.Errorf("%s: the function's group admits %s", name, cdktest.JSON(sg["SecurityGroupIngress"]))
						}
						inline, _ := sg["SecurityGroupEgress"].([]any)
						for _, e := range inline {
							egress = append(egress, cdktest.JSON(e))
						}
					}
				}
				for _, e := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroupEgress") {
					egress = append(egress, cdktest.JSON(e))
				}
				if len(egress) != 2 {
					t.Errorf("%s: function egress %v, want one rule per path", name, egress)
				}
				for _, e := range egress {
					if !strings.Contains(e, `"FromPort":443`) || !strings.Contains(e, `"ToPort":443`) {
						t.Errorf("%s: function egress %s, want HTTPS only", name, e)
					}
				}
			}
		})
	}
}

// The secondary API is the primary's construct in another Region: the same
// resources under the same logical ids, the same resource policy (the
// clients' accounts, or the organization), and over peering the same client
// ranges and accepter role's trust, over PrivateLink the same accounts and
// Regions admitted to its own endpoint service.
func TestSecondaryApiIsThePrimarysCopy(t *testing.T) {
	for _, tc := range twoRegionCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg, d := tc.s.cfg, tc.s.deployed
			primary, secondary := d.templates[cfg.ApiStackName(cfg.ApiRegion)], d.templates[cfg.ApiStackName(cfg.SecondaryApiRegion)]
			// The resources by logical id, without what follows the VPC
			// or the Region: the hash of CDK's unique ids, the PrivateLink
			// front's fingerprint of its VPC, a deployment's fingerprint of
			// its API (whose mock answer names the Region), and in the ids
			// of security group rules between two groups, the other
			// group's, which holds the stack's name. The dashboard of every
			// client is the primary's alone.
			deployment := regexp.MustCompile(`[0-9a-f]{32}$`)
			hash := regexp.MustCompile(`[0-9A-F]{8}$`)
			front := regexp.MustCompile(`Front[0-9a-f]{8}`)
			rule := regexp.MustCompile(`SecurityGroup(from|to)CrossRegionApi.*$`)
			ids := func(tmpl map[string]any) map[string]string {
				out := map[string]string{}
				for id, r := range tmpl["Resources"].(map[string]any) {
					if strings.HasPrefix(id, "ProbeDashboard") {
						continue
					}
					id = rule.ReplaceAllString(hash.ReplaceAllString(deployment.ReplaceAllString(id, ""), ""), "SecurityGroup$1")
					out[front.ReplaceAllString(id, "Front")] = r.(map[string]any)["Type"].(string)
				}
				return out
			}
			if diff := cmp.Diff(ids(primary), ids(secondary)); diff != "" || len(ids(primary)) < 30 {
				t.Errorf("resources (-primary +secondary):\n%s", diff)
			}
			same := func(what, typ, property string) {
				t.Helper()
				a, b := cdktest.Props(primary, typ), cdktest.Props(secondary, typ)
				if len(a) == 0 {
					t.Errorf("%s: no %s", what, typ)
				}
				// A VPC's own range is its own.
				own := regexp.MustCompile(`\{"CidrIp":"[0-9./]+","Description":"HTTPS from this VPC"[^{}]*\},?`)
				var pa, pb []string
				for i := range a {
					pa = append(pa, own.ReplaceAllString(cdktest.JSON(a[i][property]), ""))
				}
				for i := range b {
					pb = append(pb, own.ReplaceAllString(cdktest.JSON(b[i][property]), ""))
				}
				slices.Sort(pa)
				slices.Sort(pb)
				if diff := cmp.Diff(pa, pb); diff != "" {
					t.Errorf("%s (-primary +secondary):\n%s", what, diff)
				}
			}
			policy := func(tmpl map[string]any) string {
				p := cdktest.Props(tmpl, "AWS::ApiGateway::RestApi")[0]["Policy"]
				return cdktest.JSON(p)
			}
			// The Deny names the stack's own endpoint, by reference.
			if policy(primary) != policy(secondary) {
				t.Errorf("resource policies differ:\n%s\n%s", policy(primary), policy(secondary))
			}
			if !strings.Contains(policy(secondary), `"aws:SourceVpce"`) {
				t.Errorf("secondary resource policy %s does not deny calls outside its endpoint", policy(secondary))
			}
			if cfg.UsesPeering() {
				same("the endpoint's security group", "AWS::EC2::SecurityGroup", "SecurityGroupIngress")
				same("the accepter role's trust", "AWS::IAM::Role", "AssumeRolePolicyDocument")
				return
			}
			same("the endpoint service's Regions", "AWS::EC2::VPCEndpointService", "SupportedRegions")
			same("the endpoint service's principals", "AWS::EC2::VPCEndpointServicePermissions", "AllowedPrincipals")
			subnets := cdktest.JSON(cdktest.Props(secondary, "AWS::EC2::Subnet"))
			if !strings.Contains(subnets, `"AvailabilityZoneId":"usw1-az1"`) || !strings.Contains(subnets, `"AvailabilityZoneId":"usw1-az3"`) {
				t.Errorf("secondary API's subnets in us-west-1 %s, want the zone IDs with cross-Region PrivateLink (usw1-az1, usw1-az3)", subnets)
			}
		})
	}
}

// Adding secondaryApiRegion to a deployed app changes nothing of the
// primary API's side but the dashboard's rows (its API stack and return
// routes are otherwise the same) and, in each client stack, replaces
// nothing but the probe's alarm: every other resource keeps its logical id
// and type, and those of the VPC and of the path to the primary API keep
// every property. The alarm gives way to an alarm per path and the
// composite alarm, named otherwise, so CloudFormation creates them before
// it deletes it.
func TestAddingASecondRegionReplacesNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		one, two deployed
	}{
		{"peering", synthesizedConfig(t, twoRegionsPeering.oneRegion, fiveClients).deployed,
			synthesizedConfig(t, twoRegionsPeering.name, twoRegionsPeering.context).deployed},
		{"PrivateLink", deployedFrom(t, linkApp(t).outdir), synthesizedConfig(t, twoRegionsLink.name, twoRegionsLink.context).deployed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, one := range tc.one.templates {
				two, ok := tc.two.templates[name]
				if !ok {
					t.Errorf("%s is gone", name)
					continue
				}
				if !strings.Contains(name, "-"+config.RoleClient) {
					one, two := withoutDashboard(one), withoutDashboard(two)
					if diff := cmp.Diff(one, two); diff != "" {
						t.Errorf("%s changed (-one Region +two):\n%s", name, diff)
					}
					continue
				}
				resources := two["Resources"].(map[string]any)
				for id, r := range one["Resources"].(map[string]any) {
					r2, ok := resources[id].(map[string]any)
					switch {
					case r.(map[string]any)["Type"] == "AWS::CloudWatch::Alarm":
						if ok {
							t.Errorf("%s: the one API's alarm %s stays beside the alarms of each path", name, id)
						}
					case !ok:
						t.Errorf("%s: %s is gone", name, id)
					case r2["Type"] != r.(map[string]any)["Type"]:
						t.Errorf("%s: %s is a %v, was a %v", name, id, r2["Type"], r.(map[string]any)["Type"])
					case strings.HasPrefix(id, "ClientVpc") || strings.HasPrefix(id, "ClientPeer") || strings.HasPrefix(id, "ClientApi") || strings.HasPrefix(id, "ClientEndpoint"):
						if diff := cmp.Diff(r, r2); diff != "" {
							t.Errorf("%s: %s changed (-one Region +two):\n%s", name, id, diff)
						}
					}
				}
			}
		})
	}
}

// withoutDashboard is tmpl without its probe dashboard.
func withoutDashboard(tmpl map[string]any) map[string]any {
	out := maps.Clone(tmpl)
	resources := maps.Clone(tmpl["Resources"].(map[string]any))
	maps.DeleteFunc(resources, func(id string, _ any) bool { return strings.HasPrefix(id, "ProbeDashboard") })
	out["Resources"] = resources
	return out
}
