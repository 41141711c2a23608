package config

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// secondaryApiRegion is refused, naming it, when it is not a Region, is
// apiRegion, is in another partition or is a client's Region;
// secondaryApiVpcCidr, over peering only, when it overlaps the API's range
// or a client's; and without secondaryApiRegion the range is checked on its
// own and nothing else.
func TestSecondaryApiRules(t *testing.T) {
	clients := func(entries ...map[string]any) []any {
		var out []any
		for _, e := range entries {
			out = append(out, e)
		}
		return out
	}
	cl := func(region, cidr string) map[string]any { return map[string]any{"region": region, "cidr": cidr} }
	cases := []struct {
		name string
		ctx  map[string]any
		want []string // "key: message fragment", in report order
	}{
		{"unset", nil, nil},
		{"another Region of the partition", map[string]any{"secondaryApiRegion": "us-east-2"}, nil},
		{"not a Region", map[string]any{"secondaryApiRegion": "us-east-7"},
			[]string{`secondaryApiRegion: is not a Region known to the AWS CDK; did you mean "us-east-2"?`}},
		{"an Availability Zone", map[string]any{"secondaryApiRegion": "us-east-2a"},
			[]string{`secondaryApiRegion: is an Availability Zone, not a Region; did you mean "us-east-2"?`}},
		{"apiRegion", map[string]any{"secondaryApiRegion": "us-east-1"},
			[]string{`secondaryApiRegion: is apiRegion too; the secondary API is a copy in another Region, so that it answers when apiRegion's does not, so give another Region, e.g. "eu-west-1"`}},
		{"another partition", map[string]any{"secondaryApiRegion": "cn-north-1"},
			[]string{`secondaryApiRegion: is in partition aws-cn but apiRegion = "us-east-1" is in aws; every client reaches both APIs, and VPC peering cannot cross partitions, so give a Region of aws, e.g. "eu-west-1"`}},
		{"another partition over PrivateLink", map[string]any{"secondaryApiRegion": "us-gov-west-1", "transport": "privatelink"},
			[]string{`secondaryApiRegion: is in partition aws-us-gov but apiRegion = "us-east-1" is in aws; every client reaches both APIs, and cross-Region PrivateLink cannot cross partitions`}},
		{"the client's Region", map[string]any{"secondaryApiRegion": "us-west-2"},
			[]string{`secondaryApiRegion: is the Region of clientRegion too; every client reaches both APIs from another Region, so give a Region without a client, e.g. "eu-west-1"`}},
		{"a Region of clients", map[string]any{"secondaryApiRegion": "eu-west-1", "clients": clients(cl("us-west-2", "10.1.0.0/16"), cl("eu-west-1", "10.2.0.0/16"))},
			[]string{`secondaryApiRegion: is the Region of clients[1].region too; every client reaches both APIs from another Region, so give a Region without a client, e.g. "ap-southeast-2"`}},
		{"blank", map[string]any{"secondaryApiRegion": " "},
			[]string{`secondaryApiRegion: is blank: it has a leading space and nothing else; remove the key for one API Region, or give a Region such as "eu-west-1"`}},
		{"overlapping apiVpcCidr", map[string]any{"secondaryApiRegion": "us-east-2", "secondaryApiVpcCidr": "10.0.128.0/17"},
			[]string{`secondaryApiVpcCidr: overlaps apiVpcCidr = "10.0.0.0/16"; over VPC peering every client routes to both API VPCs, so the ranges of the two APIs and of every client must be disjoint; choose a secondaryApiVpcCidr outside 10.0.0.0/16, e.g. "10.100.0.0/16"; or set transport to "privatelink", which allows overlapping ranges`}},
		{"overlapping clientVpcCidr", map[string]any{"secondaryApiRegion": "us-east-2", "secondaryApiVpcCidr": "192.168.0.0/16"},
			[]string{`secondaryApiVpcCidr: overlaps clientVpcCidr = "192.168.0.0/16"`}},
		{"the default overlapping a client of clients", map[string]any{"secondaryApiRegion": "us-east-2", "clients": clients(cl("us-west-2", "10.1.0.0/16"), cl("eu-west-1", "10.100.0.0/24"))},
			[]string{`secondaryApiVpcCidr: overlaps clients[1].cidr = "10.100.0.0/24"; over VPC peering every client routes to both API VPCs, so the ranges of the two APIs and of every client must be disjoint; choose a secondaryApiVpcCidr outside 10.100.0.0/24, e.g. "192.168.0.0/16"`}},
		{"overlapping over PrivateLink", map[string]any{"secondaryApiRegion": "us-east-2", "secondaryApiVpcCidr": "10.0.0.0/16", "transport": "privatelink"}, nil},
		{"a client's range already refused is not compared again", map[string]any{"secondaryApiRegion": "us-east-2", "apiVpcCidr": "10.0.0.0/17", "secondaryApiVpcCidr": "10.0.128.0/17", "clientVpcCidr": "10.0.0.0/16"},
			[]string{`clientVpcCidr: overlaps apiVpcCidr`}},
		{"a bad range without secondaryApiRegion", map[string]any{"secondaryApiVpcCidr": "10.100.0.0/33"},
			[]string{`secondaryApiVpcCidr: has an impossible prefix length /33`}},
		{"an overlapping range without secondaryApiRegion", map[string]any{"secondaryApiVpcCidr": "10.0.0.0/16"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FromContext(tc.ctx, Sources{})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no problem", err)
				}
				return
			}
			var got []string
			for _, p := range problems(t, err) {
				got = append(got, p.Key+": "+p.Message)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for i, want := range tc.want {
				g := got[i]
				key, msg, _ := strings.Cut(want, ": ")
				if !strings.HasPrefix(g, key+": ") || !strings.Contains(g, msg) {
					t.Errorf("problem %d: got %q, want %q", i, g, want)
				}
			}
		})
	}
}

// The warnings of the secondary API's keys: a range set without
// secondaryApiRegion is ignored, and a range in a troubled block is warned
// about only when it is used.
func TestSecondaryApiWarnings(t *testing.T) {
	cases := []struct {
		name string
		ctx  map[string]any
		want []string
	}{
		{"the default without secondaryApiRegion", nil, nil},
		{"a range without secondaryApiRegion", map[string]any{"secondaryApiVpcCidr": "10.7.0.0/16"},
			[]string{`secondaryApiVpcCidr = "10.7.0.0/16": is ignored: it is the range of the secondary API's VPC, and secondaryApiRegion is not set; set secondaryApiRegion, or remove secondaryApiVpcCidr`}},
		{"a troubled range used", map[string]any{"secondaryApiRegion": "us-east-2", "secondaryApiVpcCidr": "100.64.0.0/16"},
			[]string{`secondaryApiVpcCidr = "100.64.0.0/16": lies in 100.64.0.0/10, the shared address space of carrier-grade NAT (RFC 6598)`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := FromContext(tc.ctx, Sources{})
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != len(tc.want) {
				t.Fatalf("warnings %q, want %d like %q", warnings, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(warnings[i], w) {
					t.Errorf("warning %d: got %q, want it to begin %q", i, warnings[i], w)
				}
			}
		})
	}
}

// The names and values of each API Region: without secondaryApiRegion,
// exactly those of one Region as before; with it, the primary's unchanged
// and the secondary's named by its Region.
func TestApiRegions(t *testing.T) {
	c := Defaults()
	if diff := cmp.Diff([]string{"us-east-1"}, c.ApiRegions()); diff != "" {
		t.Errorf("one Region (-want +got):\n%s", diff)
	}
	c.SecondaryApiRegion = "us-east-2"
	c.Transport = TransportPrivateLink
	cl := c.ClientList()[0]
	type view struct {
		Stack, Route, Cidr string
		Zones              []string
	}
	var got []view
	for _, r := range c.ApiRegions() {
		got = append(got, view{c.ApiStackName(r), c.ReturnRouteStackName(cl, r), c.ApiVpcCidrOf(r), c.ApiZonesOf(r)})
	}
	want := []view{
		{"CrossRegionApi-Api", "CrossRegionApi-PeeringRoute", "10.0.0.0/16", []string{"use1-az1", "use1-az2"}},
		{"CrossRegionApi-Api-us-east-2", "CrossRegionApi-PeeringRoute-us-east-2", "10.100.0.0/16", nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	c.SecondaryApiRegion, c.ApiAvailabilityZones = "us-west-1", []string{"use1-az4", "use1-az6"}
	if diff := cmp.Diff([]string{"usw1-az1", "usw1-az3"}, c.ApiZonesOf("us-west-1")); diff != "" {
		t.Errorf("the secondary's zones over PrivateLink follow its Region, not apiAvailabilityZones (-want +got):\n%s", diff)
	}
	c.Clients = []Client{{Region: "eu-west-1", Cidr: "10.1.0.0/16", Account: "222222222222"}}
	if got, want := c.ReturnRouteStackName(c.Clients[0], "us-west-1"), "CrossRegionApi-PeeringRoute-eu-west-1-222222222222-us-west-1"; got != want {
		t.Errorf("a client's secondary return route: got %s, want %s", got, want)
	}
}

// The quotas of clients are checked for both API Regions: the messages
// name both VPCs and endpoints, at the same boundaries, and the dashboard,
// with a row per path, holds fewer clients.
func TestSecondaryApiQuotas(t *testing.T) {
	many := func(n int, extra map[string]any) map[string]any {
		var list []any
		for i := range n {
			list = append(list, map[string]any{"region": []string{"eu-west-1", "eu-central-1", "us-west-2", "ap-southeast-2"}[i%4],
				"cidr": fmt.Sprintf("10.%d.%d.0/24", 100+i/200, i%200), "account": fmt.Sprintf("2%011d", i)})
		}
		ctx := map[string]any{"account": "111111111111", "clients": list, "secondaryApiRegion": "us-east-2", "secondaryApiVpcCidr": "10.0.0.0/16"}
		// Over peering the default range and the API's collide.
		ctx["apiVpcCidr"] = "10.1.0.0/16"
		maps.Copy(ctx, extra)
		return ctx
	}
	report := func(ctx map[string]any) string {
		_, _, err := FromContext(ctx, Sources{})
		return fmt.Sprint(err)
	}
	org := map[string]any{"organizationId": "o-abcdefghij"}
	linkOrg := map[string]any{"transport": "privatelink", "organizationId": "o-abcdefghij"}
	cases := []struct {
		name       string
		ctx        map[string]any
		has, lacks []string
	}{
		{"50 clients", many(50, org), nil, []string{"peer with each"}},
		{"51 clients", many(51, org), []string{"clients: lists 51 clients, and each API's VPC (apiRegion's and secondaryApiRegion's) would peer with each: over Amazon VPC's quota \"Active VPC peering connections per VPC\""}, nil},
		{"60 clients", many(60, map[string]any{"organizationId": "o-abcdefghij", "peeringConnectionsQuota": 125}), []string{"clients: lists 60 clients, and each API endpoint's security group would need 61 inbound rules"}, nil},
		{"55 clients over PrivateLink with probes", many(55, linkOrg), nil, []string{"widgets"}},
		{"56 clients over PrivateLink with probes", many(56, linkOrg), []string{"clients: lists 56 clients, and the probe dashboard would hold 504 widgets (9 per client), over CloudWatch's 500 widgets per dashboard"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := report(tc.ctx)
			for _, s := range tc.has {
				if !strings.Contains(msg, s) {
					t.Errorf("the report lacks %q:\n%s", s, msg)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(msg, s) {
					t.Errorf("the report has %q:\n%s", s, msg)
				}
			}
		})
	}
}
