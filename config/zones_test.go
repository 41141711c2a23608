package config

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Over privatelink, every VPC in a Region that has zones without
// cross-Region PrivateLink, the API's and each client's, gets that Region's
// default zone IDs unless its zones are pinned; VPCs in other Regions, and
// every VPC over peering, keep what the user gave (nil: CloudFormation
// picks).
func TestPrivateLinkDefaultZones(t *testing.T) {
	var (
		use1  = []string{"use1-az1", "use1-az2"}
		usw1  = []string{"usw1-az1", "usw1-az3"}
		apne1 = []string{"apne1-az1", "apne1-az2"}
		apne2 = []string{"apne2-az1", "apne2-az3"}
	)
	entry := func(region, cidr, account string) map[string]any {
		e := map[string]any{"region": region, "cidr": cidr}
		if account != "" {
			e["account"] = account
		}
		return e
	}
	// Disjoint ranges, so that each context also holds with peering.
	fourClients := clientsCtx(
		entry("us-east-1", "10.1.0.0/16", ""),
		entry("ap-northeast-2", "10.2.0.0/16", ""),
		entry("eu-central-1", "10.3.0.0/16", ""),
		entry("ap-northeast-1", "10.4.0.0/16", "222222222222"),
	)
	fourClients["apiRegion"] = "us-west-1"
	cases := []struct {
		name        string
		ctx         map[string]any
		api         []string
		clients     map[string][]string // by client Region and account
		peeringApi  []string            // with peering: what the user pinned
		peeringZone map[string][]string
	}{
		{"the default Regions", nil, use1, map[string][]string{"us-west-2": nil}, nil, map[string][]string{"us-west-2": nil}},
		{"the API and the client in listed Regions", map[string]any{"apiRegion": "ap-northeast-1", "clientRegion": "ap-northeast-2"},
			apne1, map[string][]string{"ap-northeast-2": apne2}, nil, map[string][]string{"ap-northeast-2": nil}},
		{"a client in us-west-1", map[string]any{"apiRegion": "eu-west-1", "clientRegion": "us-west-1"},
			nil, map[string][]string{"us-west-1": usw1}, nil, map[string][]string{"us-west-1": nil}},
		{"neither in a listed Region", map[string]any{"apiRegion": "eu-west-1", "clientRegion": "eu-central-1"},
			nil, map[string][]string{"eu-central-1": nil}, nil, map[string][]string{"eu-central-1": nil}},
		{"clients, one in another account, one in a Region without listed zones", fourClients,
			usw1, map[string][]string{"us-east-1": use1, "ap-northeast-2": apne2, "eu-central-1": nil, "ap-northeast-1/222222222222": apne1},
			nil, map[string][]string{"us-east-1": nil, "ap-northeast-2": nil, "eu-central-1": nil, "ap-northeast-1/222222222222": nil}},
		// Pinned zones, IDs or names, are the user's, whatever the
		// transport.
		{"pinned zone IDs", map[string]any{"apiAvailabilityZones": "use1-az4,use1-az6", "clientRegion": "us-west-1", "clientAvailabilityZones": "usw1-az3,usw1-az1"},
			[]string{"use1-az4", "use1-az6"}, map[string][]string{"us-west-1": {"usw1-az3", "usw1-az1"}},
			[]string{"use1-az4", "use1-az6"}, map[string][]string{"us-west-1": {"usw1-az3", "usw1-az1"}}},
		{"pinned zone names", map[string]any{"apiAvailabilityZones": "us-east-1c,us-east-1d"},
			[]string{"us-east-1c", "us-east-1d"}, map[string][]string{"us-west-2": nil},
			[]string{"us-east-1c", "us-east-1d"}, map[string][]string{"us-west-2": nil}},
		{"the client pinned, the API not", map[string]any{"clientRegion": "ap-northeast-1", "clientAvailabilityZones": "apne1-az4,apne1-az1"},
			use1, map[string][]string{"ap-northeast-1": {"apne1-az4", "apne1-az1"}},
			nil, map[string][]string{"ap-northeast-1": {"apne1-az4", "apne1-az1"}}},
	}
	for _, tc := range cases {
		for _, tr := range []struct {
			transport string
			api       []string
			clients   map[string][]string
		}{{"privatelink", tc.api, tc.clients}, {"peering", tc.peeringApi, tc.peeringZone}, {"", tc.peeringApi, tc.peeringZone}} {
			t.Run(tc.name+"/"+tr.transport, func(t *testing.T) {
				ctx := with(tc.ctx, tr.transport)
				if tr.transport != "privatelink" && ctx["clientRegion"] == nil && ctx["clients"] == nil {
					ctx["clientVpcCidr"] = "192.168.0.0/16"
				}
				c, _, err := FromContext(ctx, Sources{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tr.api, c.ApiZones()); diff != "" {
					t.Errorf("ApiZones (-want +got):\n%s", diff)
				}
				got := map[string][]string{}
				for _, cl := range c.ClientList() {
					id := cl.Region
					if cl.Account != "" {
						id += "/" + cl.Account
					}
					got[id] = c.ClientZones(cl)
				}
				if diff := cmp.Diff(tr.clients, got); diff != "" {
					t.Errorf("ClientZones by client (-want +got):\n%s", diff)
				}
			})
		}
	}
	// The defaults are the Config's, not shared: a caller that changes
	// them changes nothing else.
	c, err := Load(context(map[string]any{"transport": "privatelink"}))
	if err != nil {
		t.Fatal(err)
	}
	c.ApiZones()[0] = "changed"
	if got := c.ApiZones(); !slices.Equal(got, use1) {
		t.Errorf("after a caller changed its copy, ApiZones = %v, want %v", got, use1)
	}
}

// For every Region of the table: two distinct zone IDs of that Region,
// neither listed by AWS as without cross-Region PrivateLink, that pass
// every check as pinned zones over privatelink without a warning; and the
// table has exactly the Regions that have such listed zones.
func TestPrivateLinkZonesTable(t *testing.T) {
	for region, z := range privateLinkZones {
		t.Run(region, func(t *testing.T) {
			a, b := z.ids[0], z.ids[1]
			if a == b {
				t.Errorf("both default zones are %s", a)
			}
			for _, id := range z.ids {
				if slices.Contains(noCrossRegionZones, id) {
					t.Errorf("default zone %s is one AWS lists without cross-Region PrivateLink", id)
				}
				if m := zoneIDRe.FindStringSubmatch(id); m == nil || m[1] != zoneIDPrefix(region) {
					t.Errorf("default zone %s is not a zone ID of %s", id, region)
				}
			}
			other := "eu-west-1"
			for _, key := range []string{keyApiAvailabilityZones, keyClientAvailabilityZones} {
				ctx := map[string]any{"transport": "privatelink", "apiRegion": region, "clientRegion": other, key: a + "," + b}
				if key == keyClientAvailabilityZones {
					ctx["apiRegion"], ctx["clientRegion"] = other, region
				}
				_, warnings, err := FromContext(ctx, Sources{})
				if err != nil {
					t.Errorf("pinned as %s: %v", key, err)
				}
				for _, w := range warnings {
					if strings.HasPrefix(w, key) {
						t.Errorf("pinned as %s: warning %s", key, w)
					}
				}
			}
		})
	}
	// Every listed zone's Region, and only those, is in the table.
	listedIn := map[string]bool{}
	for _, region := range cdkRegions().names {
		for _, z := range noCrossRegionZones {
			if prefix := zoneIDPrefix(region); prefix != "" && strings.HasPrefix(z, prefix+"-az") {
				listedIn[region] = true
			}
		}
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(listedIn)), slices.Sorted(maps.Keys(privateLinkZones))); diff != "" {
		t.Errorf("Regions with listed zones (-) and Regions of the table (+):\n%s", diff)
	}
}

// Zone names pinned over privatelink in a Region with listed zones draw a
// warning under their key: only a zone ID says which zone a name is, so
// the names cannot be checked. It names the value, the listed zones of the
// Region and the zone IDs to give instead. IDs, names in other Regions,
// peering, and lists already refused draw none.
func TestPrivateLinkZoneNamesWarning(t *testing.T) {
	const list = "(AWS lists use1-az3, usw1-az2, apne1-az3, apne2-az2 and apne2-az4 as such zones)"
	cases := []struct {
		name string
		ctx  map[string]any
		want string // the whole warning about zones, "" for none
	}{
		{"names in us-east-1", map[string]any{"apiAvailabilityZones": "us-east-1a,us-east-1b"},
			`apiAvailabilityZones = ["us-east-1a","us-east-1b"]: zone names map to different zones in each account (created before November 2025), so one of them may be "use1-az3", where cross-Region PrivateLink is not supported and transport = "privatelink" needs it ` + list + `; give zone IDs outside that list instead, such as "use1-az1,use1-az2", which the VPC gets when apiAvailabilityZones is unset (aws ec2 describe-availability-zones --region us-east-1 shows each zone's ID)`},
		{"the client's names in us-west-1", map[string]any{"clientRegion": "us-west-1", "clientAvailabilityZones": []any{"us-west-1b", "us-west-1c"}},
			`clientAvailabilityZones = ["us-west-1b","us-west-1c"]: zone names map to different zones in each account (created before November 2025), so one of them may be "usw1-az2", where cross-Region PrivateLink is not supported and transport = "privatelink" needs it ` + list + `; give zone IDs outside that list instead, such as "usw1-az1,usw1-az3", which the VPC gets when clientAvailabilityZones is unset (aws ec2 describe-availability-zones --region us-west-1 shows each zone's ID)`},
		{"names in Seoul, mapped alike in every account", map[string]any{"apiRegion": "ap-northeast-2", "apiAvailabilityZones": "ap-northeast-2a,ap-northeast-2c"},
			`apiAvailabilityZones = ["ap-northeast-2a","ap-northeast-2c"]: a zone name does not show which zone ID it is, so one of them may be "apne2-az2" or "apne2-az4", where cross-Region PrivateLink is not supported and transport = "privatelink" needs it ` + list + `; give zone IDs outside that list instead, such as "apne2-az1,apne2-az3", which the VPC gets when apiAvailabilityZones is unset (aws ec2 describe-availability-zones --region ap-northeast-2 shows each zone's ID)`},
		{"names in Tokyo", map[string]any{"clientRegion": "ap-northeast-1", "clientAvailabilityZones": "ap-northeast-1a,ap-northeast-1c"},
			`clientAvailabilityZones = ["ap-northeast-1a","ap-northeast-1c"]: zone names map to different zones in each account (created before November 2025), so one of them may be "apne1-az3"`},
		{"zone IDs", map[string]any{"apiAvailabilityZones": "use1-az1,use1-az4"}, ""},
		{"names in a Region without listed zones", map[string]any{"apiAvailabilityZones": "us-east-2a,us-east-2b", "apiRegion": "us-east-2"}, ""},
		{"the default Regions, unpinned", nil, ""},
	}
	for _, tc := range cases {
		for _, transport := range []string{"privatelink", "peering", ""} {
			t.Run(tc.name+"/"+transport, func(t *testing.T) {
				_, warnings, err := FromContext(with(tc.ctx, transport), Sources{})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, w := range warnings {
					if strings.Contains(w, "AvailabilityZones") {
						got = append(got, w)
					}
				}
				want := tc.want
				if transport != "privatelink" {
					want = ""
				}
				switch {
				case want == "" && len(got) > 0:
					t.Errorf("warnings %q, want none about zones", got)
				case want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], want)):
					t.Errorf("warnings about zones:\n%s\nwant one starting:\n%s", strings.Join(got, "\n"), want)
				}
			})
		}
	}
	// A list refused for what it is gets the problem, not the warning too.
	for zones, problem := range map[string]string{
		"us-east-1a,eu-west-3b":            `"eu-west-3b" is not a zone of apiRegion`,
		"us-east-1a,us-east-1b,us-east-1c": "lists 3 zones",
	} {
		_, warnings, err := FromContext(map[string]any{"transport": "privatelink", "apiAvailabilityZones": zones}, Sources{})
		if err == nil || !strings.Contains(err.Error(), problem) {
			t.Errorf("zones %s: error = %v, want one with %q", zones, err, problem)
		}
		for _, w := range warnings {
			if strings.HasPrefix(w, keyApiAvailabilityZones) {
				t.Errorf("zones %s: warning beside the problem: %s", zones, w)
			}
		}
	}
}

// Messages about a zone key offer, over privatelink in a Region with
// listed zones, the default zone IDs rather than names that would draw the
// warning, and say that an unset key means those IDs.
func TestPrivateLinkZoneMessages(t *testing.T) {
	cases := []struct {
		ctx  map[string]any
		want string
	}{
		{map[string]any{"transport": "privatelink", "apiAvailabilityZones": "use1-az1,use1-az2,use1-az4"},
			`apiAvailabilityZones = ["use1-az1","use1-az2","use1-az4"]: lists 3 zones; give exactly 2 (one subnet in each), e.g. "use1-az1,use1-az2", or leave it unset to use the zone IDs "use1-az1,use1-az2", the default with transport = "privatelink" in us-east-1`},
		{map[string]any{"transport": "privatelink", "clientRegion": "ap-northeast-1", "clientAvailabilityZones": nil},
			`clientAvailabilityZones = null: has no value; remove the key to use the zone IDs "apne1-az1,apne1-az2", the default with transport = "privatelink" in ap-northeast-1, or give two zones such as "apne1-az1,apne1-az2"`},
		// Elsewhere, and with peering, the messages are as they were.
		{map[string]any{"transport": "peering", "apiAvailabilityZones": "us-east-1a,us-east-1b,us-east-1c"},
			`apiAvailabilityZones = ["us-east-1a","us-east-1b","us-east-1c"]: lists 3 zones; give exactly 2 (one subnet in each), e.g. "us-east-1a,us-east-1b", or leave it unset to let CloudFormation pick`},
		{map[string]any{"transport": "privatelink", "clientRegion": "eu-west-1", "clientAvailabilityZones": nil},
			`clientAvailabilityZones = null: has no value; remove the key to let CloudFormation choose the zones, or give two zones such as "eu-west-1a,eu-west-1b"`},
	}
	for _, tc := range cases {
		_, _, err := FromContext(tc.ctx, Sources{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("context %v:\ngot  %v\nwant %s", tc.ctx, err, tc.want)
		}
	}
}
