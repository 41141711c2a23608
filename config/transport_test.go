package config

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The key transport: peering unless set, and one of its two values.
func TestTransportDefault(t *testing.T) {
	if got := Defaults().Transport; got != TransportPeering {
		t.Errorf("Defaults().Transport = %q, want %q", got, TransportPeering)
	}
	c, err := Load(context(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Transport != TransportPeering || !c.UsesPeering() {
		t.Errorf("unset transport: Transport = %q, UsesPeering = %v, want peering", c.Transport, c.UsesPeering())
	}
	for _, tc := range []struct {
		value any
		want  string
	}{{"peering", TransportPeering}, {"privatelink", TransportPrivateLink}} {
		c, err := Load(context(map[string]any{"transport": tc.value, "clientVpcCidr": "172.20.0.0/16"}))
		if err != nil {
			t.Fatalf("transport = %v: %v", tc.value, err)
		}
		if c.Transport != tc.want || c.UsesPeering() != (tc.want == TransportPeering) {
			t.Errorf("transport = %v: Transport = %q, UsesPeering = %v", tc.value, c.Transport, c.UsesPeering())
		}
	}
	if (Config{}).UsesPeering() != true {
		t.Error("an unset Transport does not use peering, the default")
	}
}

// A bad transport is one problem under transport, with the value and the
// allowed values, and a did-you-mean for a near miss that would itself be
// valid. It stops the checks that depend on the transport, so nothing is
// judged by a transport the user did not mean.
func TestTransportValues(t *testing.T) {
	const allowed = `is not one of "peering", "privatelink"`
	cases := []struct {
		name  string
		ctx   map[string]any
		value string
		has   []string
		lacks []string
	}{
		{"another case", map[string]any{"transport": "PrivateLink"}, `"PrivateLink"`, []string{allowed, `did you mean "privatelink"?`}, nil},
		{"an underscore", map[string]any{"transport": "private_link"}, `"private_link"`, []string{`did you mean "privatelink"?`}, nil},
		{"a space", map[string]any{"transport": "Private Link"}, `"Private Link"`, []string{`did you mean "privatelink"?`}, nil},
		{"a typo", map[string]any{"transport": "privatelnk"}, `"privatelnk"`, []string{`did you mean "privatelink"?`}, nil},
		{"AWS's own name", map[string]any{"transport": "AWS PrivateLink"}, `"AWS PrivateLink"`, []string{`did you mean "privatelink"?`}, nil},
		{"vpc-peering", map[string]any{"transport": "vpc-peering"}, `"vpc-peering"`, []string{`did you mean "peering"?`}, nil},
		{"Peering", map[string]any{"transport": "Peering"}, `"Peering"`, []string{`did you mean "peering"?`}, nil},
		{"nothing near", map[string]any{"transport": "tgw"}, `"tgw"`,
			[]string{`transport = "tgw": ` + allowed + `; "peering" peers the API's VPC with each client's, so their address ranges must be disjoint; "privatelink" reaches the API through a VPC endpoint service from each client's Region (cross-Region PrivateLink), so the ranges may overlap`},
			[]string{"did you mean"}},
		{"empty", map[string]any{"transport": ""}, `""`, []string{allowed}, []string{"did you mean"}},
		{"a number", map[string]any{"transport": float64(1)}, `1`, []string{"must be a string, not a number", `such as "peering"`}, nil},
		{"null", map[string]any{"transport": nil}, `null`, []string{`has no value; remove the key to use the default "peering"`}, nil},
		{"a trailing space", map[string]any{"transport": "privatelink "}, `"privatelink "`, []string{`has a trailing space; remove it: did you mean "privatelink"?`}, nil},
		// The near miss leads to another problem: not offered, and the
		// overlap it would cause is not reported either.
		{"a typo of peering, ranges overlapping", map[string]any{"transport": "peerng", "clientVpcCidr": "10.0.0.0/16"}, `"peerng"`, []string{allowed}, []string{"did you mean", "overlaps"}},
		{"a near miss of privatelink, zones it cannot use", map[string]any{"transport": "PrivateLink", "apiAvailabilityZones": "use1-az3,use1-az4"}, `"PrivateLink"`,
			[]string{allowed}, []string{"did you mean", "cross-Region PrivateLink is not supported"}},
		// 55 clients: over the peerings, within the inbound rules.
		{"a near miss of peering, more clients than peerings", func() map[string]any {
			ctx := groupedClients(55, "10.%d.0.0/16", nil)
			ctx["transport"] = "Peering"
			return ctx
		}(), `"Peering"`, []string{allowed}, []string{"did you mean", "Active VPC peering connections per VPC"}},
		// 60 clients: within the peerings raised, over the inbound rules.
		{"a near miss of peering, more clients than inbound rules", func() map[string]any {
			ctx := groupedClients(60, "10.%d.0.0/16", map[string]any{"peeringConnectionsQuota": 125})
			ctx["transport"] = "Peering"
			return ctx
		}(), `"Peering"`, []string{allowed}, []string{"did you mean", "Inbound rules per security group"}},
		{"a near miss of peering, clients within the quota", func() map[string]any {
			ctx := groupedClients(50, "10.%d.0.0/16", nil)
			ctx["transport"] = "Peering"
			return ctx
		}(), `"Peering"`, []string{`did you mean "peering"?`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FromContext(tc.ctx, Sources{})
			ps := problems(t, err)
			if diff := cmp.Diff([]string{"transport"}, keysOf(ps)); diff != "" {
				t.Fatalf("problem keys (-want +got):\n%s\n%v", diff, err)
			}
			if ps[0].Value != tc.value {
				t.Errorf("Value = %s, want %s", ps[0].Value, tc.value)
			}
			for _, s := range tc.has {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the report lacks %q:\n%v", s, err)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the report has %q:\n%v", s, err)
				}
			}
		})
	}
}

// manyClients is a context of n clients, each in an account of its own
// (so each its own Region and account), in Regions of the aws partition
// other than the API's; cidr is a format for the client's index, or a
// range without a verb for every client alike.
func manyClients(n int, cidr string, extra map[string]any) map[string]any {
	regions := []string{"eu-west-1", "eu-central-1", "us-west-2", "ap-southeast-2", "ca-central-1"}
	var list []any
	for i := range n {
		c := cidr
		if strings.Contains(cidr, "%") {
			c = fmt.Sprintf(cidr, 100+i)
		}
		list = append(list, map[string]any{"region": regions[i%len(regions)], "cidr": c, "account": fmt.Sprintf("2%011d", i)})
	}
	ctx := map[string]any{"account": "111111111111", "clients": list}
	maps.Copy(ctx, extra)
	return ctx
}

// groupedClients is a `clients` value of n clients, five to an account
// (one per Region of manyClients), in an organization: few accounts, so
// that no role trust policy that names them bounds n.
func groupedClients(n int, cidr string, extra map[string]any) map[string]any {
	ctx := manyClients(n, cidr, extra)
	for i, e := range ctx["clients"].([]any) {
		e.(map[string]any)["account"] = fmt.Sprintf("2%011d", i/5)
	}
	ctx["organizationId"] = "o-abcdefghij"
	return ctx
}

// with returns ctx with transport set, or ctx as it is for "".
func with(ctx map[string]any, transport string) map[string]any {
	out := maps.Clone(ctx)
	if out == nil {
		out = map[string]any{}
	}
	if transport != "" {
		out["transport"] = transport
	}
	return out
}

// What each transport refuses, for the same configurations: every overlap
// of ranges with peering, none with privatelink; every other rule on
// ranges and Regions with both, in the words of the transport. Peering's
// messages are those of the app before transport existed, plus the hint
// that privatelink allows overlapping ranges.
func TestTransportRules(t *testing.T) {
	entry := func(region, cidr string) map[string]any { return map[string]any{"region": region, "cidr": cidr} }
	const hint = `; or set transport to "privatelink", which allows overlapping ranges`
	cases := []struct {
		name        string
		ctx         map[string]any
		peering     []string // "key: message fragment" per problem, in report order; "key: message$" for the whole message
		privatelink []string
	}{
		{"a client range inside the API's", map[string]any{"clientVpcCidr": "10.0.128.0/17"},
			[]string{`clientVpcCidr: overlaps apiVpcCidr = "10.0.0.0/16"; peered VPCs need disjoint address ranges, so choose a clientVpcCidr outside 10.0.0.0/16, e.g. "192.168.0.0/16"` + hint + "$"},
			nil},
		{"the same range twice", map[string]any{"apiVpcCidr": "10.0.0.0/16", "clientVpcCidr": "10.0.0.0/16"},
			[]string{`clientVpcCidr: overlaps apiVpcCidr = "10.0.0.0/16"` + "; peered VPCs need disjoint address ranges"},
			nil},
		{"clients overlapping the API", clientsCtx(entry("eu-west-1", "10.0.0.0/16")),
			[]string{`clients[0].cidr: overlaps apiVpcCidr = "10.0.0.0/16"; the API's VPC peers with every client, so all their ranges must be disjoint` + hint + "$"},
			nil},
		{"clients overlapping each other", clientsCtx(entry("eu-west-1", "172.20.0.0/16"), entry("eu-central-1", "172.20.128.0/17")),
			[]string{`clients[1].cidr: overlaps clients[0].cidr = "172.20.0.0/16"; the API's VPC peers with every client, so all their ranges must be disjoint` + hint + "$"},
			nil},
		{"clients overlapping each other and the API", clientsCtx(entry("eu-west-1", "10.0.0.0/16"), entry("eu-central-1", "10.0.0.0/16")),
			[]string{`clients[0].cidr: overlaps apiVpcCidr`, `clients[1].cidr: overlaps apiVpcCidr`},
			nil},
		// Every other rule on ranges stands.
		{"a range larger than a VPC", map[string]any{"clientVpcCidr": "10.0.0.0/8"},
			[]string{"clientVpcCidr: is /8, larger than a VPC can be"},
			[]string{"clientVpcCidr: is /8, larger than a VPC can be"}},
		{"a loopback range", clientsCtx(entry("eu-west-1", "127.0.0.0/16")),
			[]string{"clients[0].cidr: lies in 127.0.0.0/8 (loopback)"},
			[]string{"clients[0].cidr: lies in 127.0.0.0/8 (loopback)"}},
		{"host bits", map[string]any{"clientVpcCidr": "10.0.0.1/16"},
			[]string{"clientVpcCidr: has host bits set"},
			[]string{`clientVpcCidr: has host bits set, so it is not a network address; did you mean "10.0.0.0/16"?`}},
		// A correction may overlap the other range only with privatelink.
		{"host bits whose fix is the other range", map[string]any{"apiVpcCidr": "192.168.0.1/16"},
			[]string{`apiVpcCidr: has host bits set, so it is not a network address; every bit after the first 16 of the address must be 0$`},
			[]string{`apiVpcCidr: has host bits set, so it is not a network address; did you mean "192.168.0.0/16"?$`}},
		// And every rule on Regions, in the transport's words.
		{"the API's Region", map[string]any{"clientRegion": "us-east-1"},
			[]string{`clientRegion: apiRegion and clientRegion are both us-east-1; cross-region peering needs two Regions, so set clientRegion to another Region, e.g. "us-west-2"$`},
			[]string{`clientRegion: apiRegion and clientRegion are both us-east-1; the app reaches the API over cross-Region PrivateLink, which needs two Regions, so set clientRegion to another Region, e.g. "us-west-2"$`}},
		{"another partition", map[string]any{"clientRegion": "cn-north-1"},
			[]string{`clientRegion: is in partition aws-cn but apiRegion = "us-east-1" is in aws; VPC peering cannot cross partitions, so pick two Regions of one partition, e.g. "us-west-2"$`},
			[]string{`clientRegion: is in partition aws-cn but apiRegion = "us-east-1" is in aws; cross-Region PrivateLink cannot cross partitions, so pick two Regions of one partition, e.g. "us-west-2"$`}},
		{"a client in the API's Region", clientsCtx(entry("us-east-1", "172.20.0.0/16")),
			[]string{"clients[0].region: is apiRegion too; a client peers with the API's VPC from another Region, so give it a Region other than us-east-1$"},
			[]string{"clients[0].region: is apiRegion too; a client reaches the API over cross-Region PrivateLink from another Region, so give it a Region other than us-east-1$"}},
		{"a client in another partition", clientsCtx(entry("cn-north-1", "172.20.0.0/16")),
			[]string{`clients[0].region: is in partition aws-cn but apiRegion = "us-east-1" is in aws; VPC peering cannot cross partitions$`},
			[]string{`clients[0].region: is in partition aws-cn but apiRegion = "us-east-1" is in aws; cross-Region PrivateLink cannot cross partitions$`}},
		{"one Region and account twice", clientsCtx(entry("eu-west-1", "10.0.0.0/16"), entry("eu-west-1", "10.0.0.0/16")),
			[]string{"clients[0].cidr: overlaps apiVpcCidr", "clients[1].region: repeats the Region and account of clients[0]", "clients[1].cidr: overlaps apiVpcCidr"},
			[]string{"clients[1].region: repeats the Region and account of clients[0]"}},
		// Zones where cross-Region PrivateLink is not supported, as zone
		// IDs; peering has no such zones.
		{"a zone ID without cross-Region PrivateLink", map[string]any{"apiAvailabilityZones": "use1-az3,use1-az4"},
			nil,
			[]string{`apiAvailabilityZones: "use1-az3" is a zone where cross-Region PrivateLink is not supported, and transport = "privatelink" needs it (AWS lists use1-az3, usw1-az2, apne1-az3, apne2-az2 and apne2-az4 as such zones); give other zones of apiRegion = us-east-1, e.g. "use1-az4,use1-az1"$`}},
		{"two such zone IDs", map[string]any{"apiRegion": "ap-northeast-2", "apiAvailabilityZones": []any{"apne2-az4", "apne2-az2"}},
			nil,
			[]string{`apiAvailabilityZones: "apne2-az4" and "apne2-az2" are zones where cross-Region PrivateLink is not supported, and transport = "privatelink" needs it (AWS lists use1-az3, usw1-az2, apne1-az3, apne2-az2 and apne2-az4 as such zones); give other zones of apiRegion = ap-northeast-2, e.g. "apne2-az1,apne2-az3"$`}},
		{"such a zone ID of the client", map[string]any{"clientRegion": "us-west-1", "clientAvailabilityZones": "usw1-az1,usw1-az2"},
			nil,
			[]string{`clientAvailabilityZones: "usw1-az2" is a zone where cross-Region PrivateLink is not supported, and transport = "privatelink" needs it (AWS lists use1-az3, usw1-az2, apne1-az3, apne2-az2 and apne2-az4 as such zones); give other zones of clientRegion = us-west-1, e.g. "usw1-az1,usw1-az3"$`}},
		// The overlap's hint is left out where privatelink would not do
		// either.
		{"overlapping ranges and a zone without cross-Region PrivateLink", map[string]any{"clientVpcCidr": "10.0.0.0/16", "apiAvailabilityZones": "use1-az3,use1-az4"},
			[]string{`clientVpcCidr: overlaps apiVpcCidr = "10.0.0.0/16"; peered VPCs need disjoint address ranges, so choose a clientVpcCidr outside 10.0.0.0/16, e.g. "192.168.0.0/16"$`},
			[]string{`apiAvailabilityZones: "use1-az3" is a zone where`}},
	}
	for _, tc := range cases {
		for _, tr := range []struct {
			transport string
			want      []string
		}{{"", tc.peering}, {"peering", tc.peering}, {"privatelink", tc.privatelink}} {
			t.Run(tc.name+"/"+tr.transport, func(t *testing.T) {
				_, _, err := FromContext(with(tc.ctx, tr.transport), Sources{})
				var got []string
				if err != nil {
					for _, p := range problems(t, err) {
						got = append(got, p.Key+": "+p.Message)
					}
				}
				if len(got) != len(tr.want) {
					t.Fatalf("problems:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(tr.want), strings.Join(tr.want, "\n"))
				}
				for i, want := range tr.want {
					key, msg, _ := strings.Cut(want, ": ")
					exact := strings.HasSuffix(msg, "$")
					msg = strings.TrimSuffix(msg, "$")
					gotKey, gotMsg, _ := strings.Cut(got[i], ": ")
					if gotKey != key || !strings.Contains(gotMsg, msg) || exact && gotMsg != msg {
						t.Errorf("problem %d: got %q, want %q", i, got[i], want)
					}
				}
				if tr.transport == "privatelink" && strings.Contains(fmt.Sprint(err), "VPC peering") {
					t.Errorf("a privatelink report speaks of VPC peering:\n%v", err)
				}
			})
		}
	}
}

// Zone names map to zone IDs per account, so only IDs are checked.
func TestTransportZoneNames(t *testing.T) {
	for _, zones := range []string{"us-east-1a,us-east-1b", "use1-az1,use1-az4"} {
		if _, err := Load(context(map[string]any{"transport": "privatelink", "apiAvailabilityZones": zones})); err != nil {
			t.Errorf("zones %s: %v", zones, err)
		}
	}
}

// Peering's quotas do not bound the clients of privatelink, which has no
// quota growing with them; API Gateway's resource policy bounds both.
func TestTransportQuotas(t *testing.T) {
	const (
		peerings = `clients: lists 60 clients, and the API's VPC would peer with each: over Amazon VPC's quota "Active VPC peering connections per VPC" of peeringConnectionsQuota = 50`
		rules    = `over Amazon VPC's quota "Inbound rules per security group"`
		policy   = "over API Gateway's limit of 8192 for a REST API's resource policy"
		overlap  = `clients[59].cidr = "10.0.0.0/16": overlaps apiVpcCidr = "10.0.0.0/16"`
		trust    = "the trust policy of the API stack's read role"
	)
	org := map[string]any{"organizationId": "o-abcdefghij"}
	// Beyond 100 clients the probe dashboard's widgets bound them
	// (TestClientQuotas): these cases leave the probes out.
	noProbes := map[string]any{"probeIntervalMinutes": 0}
	orgNoProbes := map[string]any{"organizationId": "o-abcdefghij", "probeIntervalMinutes": 0}
	cases := []struct {
		name       string
		ctx        map[string]any
		transport  string
		ok         bool
		has, lacks []string
	}{
		// 60 clients in 60 accounts, all on the API's own range: the read
		// role's trust policy names them all unless organizationId is set.
		{"60 overlapping clients, privatelink", manyClients(60, "10.0.0.0/16", nil), "privatelink", false, []string{trust}, []string{policy, "peer"}},
		{"60 overlapping clients of one organization, privatelink", manyClients(60, "10.0.0.0/16", org), "privatelink", true, nil, nil},
		{"60 overlapping clients, peering", manyClients(60, "10.0.0.0/16", nil), "peering", false, []string{peerings, rules, overlap}, nil},
		{"60 overlapping clients, default transport", manyClients(60, "10.0.0.0/16", nil), "", false, []string{peerings, overlap}, nil},
		// Disjoint ranges: the quotas alone.
		{"60 clients, peering", manyClients(60, "10.%d.0.0/16", nil), "peering", false, []string{peerings, rules}, []string{"overlaps"}},
		{"60 clients, peerings raised", manyClients(60, "10.%d.0.0/16", map[string]any{"peeringConnectionsQuota": 125}), "peering", false, []string{"lists 60 clients, and the endpoint's security group would need 61 inbound rules"}, []string{"peer with each"}},
		{"59 clients, peerings raised", groupedClients(59, "10.%d.0.0/16", map[string]any{"peeringConnectionsQuota": 125}), "peering", true, nil, nil},
		{"150 clients, privatelink", manyClients(150, "10.0.0.0/16", orgNoProbes), "privatelink", true, nil, nil},
		// 190 accounts, the API's included, fit in the resource policy;
		// 191 do not, whatever the transport. Without organizationId the
		// read role's trust policy refuses both long before.
		{"189 client accounts, privatelink", manyClients(189, "10.0.0.0/16", noProbes), "privatelink", false, []string{trust}, []string{policy}},
		{"190 client accounts, privatelink", manyClients(190, "10.0.0.0/16", noProbes), "privatelink", false,
			[]string{"clients: lists clients in 191 accounts, the API's included, and the API's resource policy would hold about 8200 characters, " + policy}, []string{"peer", "Inbound rules"}},
		{"250 client accounts of one organization, privatelink", manyClients(250, "10.0.0.0/16", orgNoProbes), "privatelink", true, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := FromContext(with(tc.ctx, tc.transport), Sources{})
			if tc.ok != (err == nil) {
				t.Fatalf("error = %v, want ok = %v", err, tc.ok)
			}
			if tc.ok && len(warnings) > 0 {
				t.Errorf("warnings %q, want none", warnings)
			}
			report := fmt.Sprint(err)
			for _, s := range tc.has {
				if !strings.Contains(report, s) {
					t.Errorf("the report lacks %q:\n%s", s, report)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(report, s) {
					t.Errorf("the report has %q:\n%s", s, report)
				}
			}
		})
	}
}

// peeringConnectionsQuota set to anything but its default is ignored with
// privatelink: a warning says so. Its range is checked all the same.
func TestTransportPeeringQuotaWarning(t *testing.T) {
	const ignored = `peeringConnectionsQuota = 75: is ignored with transport = "privatelink", which makes no VPC peering connections; remove it, or leave it at 50`
	cases := []struct {
		name    string
		ctx     map[string]any
		warning string // "" for none about peeringConnectionsQuota
		problem string // "" for no error
	}{
		{"privatelink, quota set", map[string]any{"transport": "privatelink", "peeringConnectionsQuota": 75}, ignored, ""},
		{"privatelink, quota set as -c gives it", map[string]any{"transport": "privatelink", "peeringConnectionsQuota": "75"}, ignored, ""},
		{"privatelink, quota at its default as cdk.json lists it", map[string]any{"transport": "privatelink", "peeringConnectionsQuota": 50}, "", ""},
		{"privatelink, quota unset", map[string]any{"transport": "privatelink"}, "", ""},
		{"peering, quota set", map[string]any{"transport": "peering", "peeringConnectionsQuota": 75}, "", ""},
		{"default transport, quota set", map[string]any{"peeringConnectionsQuota": 75}, "", ""},
		{"a bad transport, quota set", map[string]any{"transport": "pl", "peeringConnectionsQuota": 75}, "", `transport = "pl"`},
		{"privatelink, quota out of range", map[string]any{"transport": "privatelink", "peeringConnectionsQuota": 0}, "", "peeringConnectionsQuota = 0: is outside the allowed 1..125"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := FromContext(tc.ctx, Sources{})
			if (tc.problem == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("error = %v, want one with %q", err, tc.problem)
			}
			var got []string
			for _, w := range warnings {
				if strings.HasPrefix(w, "peeringConnectionsQuota") {
					got = append(got, w)
				}
			}
			var want []string
			if tc.warning != "" {
				want = []string{tc.warning}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}
