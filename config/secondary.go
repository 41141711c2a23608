package config

import (
	"net/netip"
	"slices"
	"strings"
)

// ApiRegions are the Regions of the API: apiRegion, then
// secondaryApiRegion when it is set. Every client has a path to each.
func (c Config) ApiRegions() []string {
	if c.SecondaryApiRegion == "" {
		return []string{c.ApiRegion}
	}
	return []string{c.ApiRegion, c.SecondaryApiRegion}
}

// ApiStackName is the name of the API stack in apiRegion, one of
// ApiRegions: the primary's keeps the name it had before
// secondaryApiRegion existed, and the secondary's adds its Region
// (CrossRegionApi-Api-us-east-2).
func (c Config) ApiStackName(apiRegion string) string {
	if apiRegion == c.ApiRegion {
		return c.StackName(RoleApi)
	}
	return c.StackName(RoleApi) + "-" + apiRegion
}

// ReturnRouteStackName is the name of a client's return-route stack in
// apiRegion, one of ApiRegions: the primary's is
// ClientStackName(RolePeeringRoute, cl), and the secondary's adds that
// Region. A client id ends in a Region or a 12-digit account, so no such
// name is another client's.
func (c Config) ReturnRouteStackName(cl Client, apiRegion string) string {
	name := c.ClientStackName(RolePeeringRoute, cl)
	if apiRegion == c.ApiRegion {
		return name
	}
	return name + "-" + apiRegion
}

// ApiVpcCidrOf is the range of the API's VPC in apiRegion, one of
// ApiRegions.
func (c Config) ApiVpcCidrOf(apiRegion string) string {
	if apiRegion == c.ApiRegion {
		return c.ApiVpcCidr
	}
	return c.SecondaryApiVpcCidr
}

// ApiZonesOf are the zones of the API's VPC in apiRegion, one of
// ApiRegions: ApiZones for the primary; the secondary's zones cannot be
// pinned, so it gets the defaults of its Region.
func (c Config) ApiZonesOf(apiRegion string) []string {
	if apiRegion == c.ApiRegion {
		return c.ApiZones()
	}
	return c.defaultZones(apiRegion)
}

// secondaryApi checks secondaryApiRegion and secondaryApiVpcCidr, once
// the API's keys and the clients are checked: the secondary API is in
// another Region of the API's partition and of no client's, and over
// peering its range is disjoint from the API's and every client's, since
// each client routes to both.
func (ch *checker) secondaryApi(apiRegionOK, apiCidrOK bool) {
	c := ch.cfg
	cidrOK := ch.text(keySecondaryApiVpcCidr, c.SecondaryApiVpcCidr, (*checker).cidr)
	if c.SecondaryApiRegion == "" {
		if cidrOK && c.SecondaryApiVpcCidr != Defaults().SecondaryApiVpcCidr {
			ch.warn(keySecondaryApiVpcCidr, c.SecondaryApiVpcCidr,
				"is ignored: it is the range of the secondary API's VPC, and %s is not set; set %s, or remove %s",
				keySecondaryApiRegion, keySecondaryApiRegion, keySecondaryApiVpcCidr)
		}
		return
	}
	if ch.text(keySecondaryApiRegion, c.SecondaryApiRegion, (*checker).region) && apiRegionOK {
		ch.secondaryRegion()
	}
	if !cidrOK {
		return
	}
	if ch.transport == TransportPeering && ch.secondaryOverlap(apiCidrOK) {
		return
	}
	ch.cidrTrouble(keySecondaryApiVpcCidr, c.SecondaryApiVpcCidr)
}

// secondaryRegion checks a valid secondaryApiRegion against apiRegion and
// the clients' Regions.
func (ch *checker) secondaryRegion() {
	c := ch.cfg
	key, region := keySecondaryApiRegion, c.SecondaryApiRegion
	partitions := cdkRegions().partition
	// Regions of the API's partition, the common ones first: the
	// suggestions.
	var same []string
	for _, r := range append(slices.Clone(regionCandidates), cdkRegions().names...) {
		if partitions[r] == partitions[c.ApiRegion] && !slices.Contains(same, r) {
			same = append(same, r)
		}
	}
	switch pa, ps := partitions[c.ApiRegion], partitions[region]; {
	case region == c.ApiRegion:
		ch.addPair(key, keyApiRegion, region,
			"is apiRegion too; the secondary API is a copy in another Region, so that it answers when apiRegion's does not, so give another Region%s",
			eg(ch.suggest(key, same...)))
		return
	case pa != "" && ps != "" && pa != ps:
		ch.addPair(key, keyApiRegion, region,
			"is in partition %s but %s = %s is in %s; every client reaches both APIs, and %s, so give a Region of %s%s",
			ps, keyApiRegion, quote(c.ApiRegion), pa, ch.partitionWhy(), pa, eg(ch.suggest(key, same...)))
		return
	}
	for _, cl := range ch.clientRegions() {
		if cl.region == region {
			ch.addPair(key, cl.key, region,
				"is the Region of %s too; every client reaches both APIs from another Region, so give a Region without a client%s",
				cl.key, eg(ch.suggest(key, same...)))
			return
		}
	}
}

// keyed is a client's Region or range and the key that sets it.
type keyed struct{ key, region, cidr string }

// clientRegions are the clients whose Region passed its checks, with the
// key of that Region.
func (ch *checker) clientRegions() []keyed {
	var out []keyed
	for _, cl := range ch.validClients() {
		if cl.region != "" {
			out = append(out, cl)
		}
	}
	return out
}

// validClients are the clients, each with the Region and the range that
// passed their checks ("" for one that did not) and the key to name them
// by: the one client of clientRegion and clientVpcCidr, or each entry of
// clients. A value already reported is left out, so that its fix is not
// judged twice.
func (ch *checker) validClients() []keyed {
	c := ch.cfg
	reported := func(key string) bool {
		return ch.skip[key] || slices.ContainsFunc(ch.problems, func(p Problem) bool { return p.Key == key })
	}
	pick := func(regionKey, region, cidrKey, cidr string) keyed {
		k := keyed{key: regionKey}
		if !reported(regionKey) && slices.Contains(cdkRegions().names, region) {
			k.region = region
		}
		if p, err := netip.ParsePrefix(cidr); err == nil && !reported(cidrKey) && p.Addr().Is4() && p.Masked() == p {
			k.cidr = cidr
		}
		return k
	}
	if c.Clients == nil {
		k := pick(keyClientRegion, c.ClientRegion, keyClientVpcCidr, c.ClientVpcCidr)
		return []keyed{k}
	}
	var out []keyed
	for i, cl := range c.Clients {
		out = append(out, pick(entryKey(i, "region"), cl.Region, entryKey(i, "cidr"), cl.Cidr))
	}
	return out
}

// secondaryOverlap reports, under secondaryApiVpcCidr, whether its valid
// range overlaps the API's or a client's, and so whether it reported a
// problem.
func (ch *checker) secondaryOverlap(apiCidrOK bool) bool {
	c := ch.cfg
	key := keySecondaryApiVpcCidr
	mine := netip.MustParsePrefix(c.SecondaryApiVpcCidr)
	others := []keyed{}
	if apiCidrOK {
		others = append(others, keyed{key: keyApiVpcCidr, cidr: c.ApiVpcCidr})
	}
	for _, cl := range ch.validClients() {
		if cl.cidr != "" {
			cidrKey := keyClientVpcCidr
			if c.Clients != nil {
				cidrKey = strings.TrimSuffix(cl.key, "region") + "cidr"
			}
			others = append(others, keyed{key: cidrKey, cidr: cl.cidr})
		}
	}
	for _, o := range others {
		if !mine.Overlaps(netip.MustParsePrefix(o.cidr)) {
			continue
		}
		ch.addBetween(key, []string{o.key, keyTransport}, c.SecondaryApiVpcCidr,
			"overlaps %s = %s; over VPC peering every client routes to both API VPCs, so the ranges of the two APIs and of every client must be disjoint; choose a %s outside %s%s%s",
			o.key, quote(o.cidr), key, o.cidr, eg(ch.alternative(key, ch.exampleValues(key)...)), ch.overlapFix())
		return true
	}
	return false
}
