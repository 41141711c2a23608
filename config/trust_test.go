package config

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// Counted in aws-us-gov with a 10-character qualifier, a client in an
// account of its own adds 137 characters to the read role's trust policy
// (its account's root, 40 with quotes and comma; its execution role in
// ap-southeast-2, 97) to a base of 154: 13 such clients hold 1,935
// characters, 14 would hold 2,072, over 2,048. The accepter role names 40
// characters per account on a base of 105: 48 accounts hold 2,025, 49
// would hold 2,065.
func TestTrustPolicyQuota(t *testing.T) {
	clients := func(n int, region string, extra map[string]any) map[string]any {
		var list []any
		for i := range n {
			list = append(list, map[string]any{"region": region, "cidr": fmt.Sprintf("10.%d.0.0/16", 100+i), "account": fmt.Sprintf("2%011d", i)})
		}
		ctx := map[string]any{"account": "111111111111", "clients": list}
		maps.Copy(ctx, extra)
		return ctx
	}
	const (
		readRole = "clients: lists 14 clients in 14 other accounts, and the trust policy of the API stack's read role, through which their stacks read its outputs, would name each account and each client's CloudFormation execution role: up to 2072 characters, over IAM's quota of 2048 for a role trust policy; if the accounts are in one AWS Organization, set organizationId to trust its execution roles in one size, or split the accounts between copies of the app (appName)"
		accepter = "clients: lists clients in 49 other accounts, and the trust policy of the API's peering accepter role would name each: up to 2065 characters, over IAM's quota of 2048 for a role trust policy, whether or not organizationId is set; split the accounts between copies of the app (appName), or set transport to \"privatelink\", which needs no accepter role"
	)
	org := map[string]any{"organizationId": "o-abcdefghij"}
	link := map[string]any{"transport": "privatelink"}
	linkOrg := map[string]any{"transport": "privatelink", "organizationId": "o-abcdefghij"}
	cases := []struct {
		name string
		ctx  map[string]any
		want string // the whole report, "" for none
	}{
		{"13 client accounts", clients(13, "ap-southeast-2", nil), ""},
		{"14 client accounts", clients(14, "ap-southeast-2", nil), readRole},
		{"14 client accounts over PrivateLink", clients(14, "ap-southeast-2", link), readRole},
		{"14 client accounts of one organization", clients(14, "ap-southeast-2", org), ""},
		// One account, many Regions: an execution role per Region, the
		// account once.
		{"one other account in 19 Regions", oneAccount(19), ""},
		{"48 client accounts of one organization", clients(48, "ap-southeast-2", org), ""},
		{"49 client accounts of one organization", clients(49, "ap-southeast-2", org), accepter},
		{"49 client accounts of one organization over PrivateLink", clients(49, "ap-southeast-2", linkOrg), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FromContext(tc.ctx, Sources{})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("report:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// oneAccount is a `clients` value of n clients of one other account, each in
// a Region of its own.
func oneAccount(n int) map[string]any {
	var regions []string
	for _, r := range cdkRegions().names {
		if cdkRegions().partition[r] == "aws" && r != Defaults().ApiRegion {
			regions = append(regions, r)
		}
	}
	var list []any
	for i := range n {
		list = append(list, map[string]any{"region": regions[i], "cidr": fmt.Sprintf("10.%d.0.0/16", 100+i), "account": "222222222222"})
	}
	return map[string]any{"account": "111111111111", "clients": list}
}

// Without organizationId the read role's trust policy bounds the Regions
// of one other account too: each adds an execution role of about 100
// characters.
func TestTrustPolicyQuotaOneAccount(t *testing.T) {
	for n := 1; n <= 33; n++ {
		_, _, err := FromContext(oneAccount(n), Sources{})
		if err == nil {
			continue
		}
		if n < 19 || !strings.Contains(err.Error(), fmt.Sprintf("lists %d clients in 1 other account, and the trust policy of the API stack's read role", n)) {
			t.Errorf("%d Regions of one other account: %v", n, err)
		}
		return
	}
	t.Error("33 Regions of one other account are accepted, whose execution roles alone hold over 3,000 characters")
}
