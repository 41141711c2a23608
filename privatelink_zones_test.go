package main

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
)

var linkZonesShared shared

func init() { allShared = append(allShared, &linkZonesShared) }

// Over PrivateLink, with nothing pinned, the API's VPC in us-east-1 and a
// client's VPC in ap-northeast-1, both Regions where AWS lists zones
// without cross-Region PrivateLink, are pinned to zone IDs outside that
// list: every subnet carries AvailabilityZoneId and no AvailabilityZone, and
// the load balancer and the interface endpoint stand in exactly those
// subnets.
func TestPrivateLinkDefaultZoneIDs(t *testing.T) {
	ctx := cdkJSONContext(t)
	ctx["transport"] = config.TransportPrivateLink
	ctx["clientRegion"] = "ap-northeast-1"
	res := linkZonesShared.get(t, "PrivateLink from ap-northeast-1 to us-east-1, zones unpinned", ctx)
	for _, tc := range []struct {
		role, holder string // the resource in the subnets
		want         []string
	}{
		{config.RoleApi, "AWS::ElasticLoadBalancingV2::LoadBalancer", []string{"use1-az1", "use1-az2"}},
		{config.RoleClient, "AWS::EC2::VPCEndpoint", []string{"apne1-az1", "apne1-az2"}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			tmpl := res.templates[tc.role]
			var ids, refs []string
			for id, r := range cdktest.Resources(tmpl, "AWS::EC2::Subnet") {
				p := r["Properties"].(map[string]any)
				if az, named := p["AvailabilityZone"]; named {
					t.Errorf("subnet %s has AvailabilityZone %s", id, cdktest.JSON(az))
				}
				zone, _ := p["AvailabilityZoneId"].(string)
				ids = append(ids, zone)
				refs = append(refs, cdktest.JSON(ref(id)))
			}
			slices.Sort(ids)
			t.Logf("%s subnets' zone IDs: %v", tc.role, ids)
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("subnets' AvailabilityZoneId (-want +got):\n%s", diff)
			}
			holders := cdktest.Resources(tmpl, tc.holder)
			if len(holders) != 1 {
				t.Errorf("%d %s, want 1", len(holders), tc.holder)
			}
			for id, r := range holders {
				p := r["Properties"].(map[string]any)
				subnets := p["Subnets"]
				if subnets == nil {
					subnets = p["SubnetIds"]
				}
				var got []string
				for _, s := range subnets.([]any) {
					got = append(got, cdktest.JSON(s))
				}
				if diff := cmp.Diff(refs, got, sortStrings); diff != "" {
					t.Errorf("%s %s subnets (-want the VPC's +got):\n%s", tc.holder, id, diff)
				}
			}
		})
	}
}
