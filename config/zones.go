package config

import (
	"slices"
	"strings"
)

// privateLinkZones are, for each Region where AWS lists Availability Zones
// without cross-Region PrivateLink (noCrossRegionZones), the two zone IDs
// that the API's VPC and each client's VPC get over TransportPrivateLink
// when their zones are not pinned. Left to CloudFormation (Fn::GetAZs), a
// VPC gets the account's first two zone names, and which zones those are is
// not documented: in the Regions that AWS maps per account, a name is a
// different zone in each account ("AZ IDs", AWS Regions and Availability
// Zones guide: "the us-east-1a for your AWS account might not be the same
// physical location as the us-east-1a for another AWS account"), so in
// some accounts one of them would be a listed zone.
//
// Each pair is the two lowest-numbered zone IDs of the Region outside the
// list. AWS documents no set of zone IDs that every account has: the EC2
// user guide ("Availability Zones") says only that a constrained zone may
// be removed "from the list of Availability Zones for new accounts", so
// that "your account might have a different number of available
// Availability Zones in a Region than another account". Where the account
// lacks one of these zones, CloudFormation fails to create the subnet; in
// us-west-1, where accounts see two of the three zones, an account whose
// two are usw1-az2 and one other has no pair without a listed zone at all.
// Pinning apiAvailabilityZones or clientAvailabilityZones to two zone IDs
// of the account (aws ec2 describe-availability-zones) replaces the pair.
var privateLinkZones = map[string]struct {
	ids [2]string
	// perAccount: the Region is one of those the "AZ IDs" page lists
	// under "Regions with independently mapped Availability Zones".
	perAccount bool
}{
	"us-east-1":      {[2]string{"use1-az1", "use1-az2"}, true},
	"us-west-1":      {[2]string{"usw1-az1", "usw1-az3"}, true},
	"ap-northeast-1": {[2]string{"apne1-az1", "apne1-az2"}, true},
	"ap-northeast-2": {[2]string{"apne2-az1", "apne2-az3"}, false},
}

// defaultZones are the zones a VPC in region gets when none are pinned: the
// Region's privateLinkZones over TransportPrivateLink, else nil, which
// leaves the choice to CloudFormation.
func (c Config) defaultZones(region string) []string {
	if z, ok := privateLinkZones[region]; ok && !c.UsesPeering() {
		return z.ids[:]
	}
	return nil
}

// ApiZones are the zones of the API's VPC: apiAvailabilityZones, or the
// zone IDs of privateLinkZones over TransportPrivateLink in a Region that
// has zones without cross-Region PrivateLink. nil leaves the choice to
// CloudFormation at deploy time.
func (c Config) ApiZones() []string {
	if len(c.ApiAvailabilityZones) > 0 {
		return slices.Clone(c.ApiAvailabilityZones)
	}
	return c.defaultZones(c.ApiRegion)
}

// ClientZones are the zones of cl's VPC, as ApiZones are the API's:
// clientAvailabilityZones for the one client of clientRegion (clients
// cannot pin zones), else the defaults of cl's Region.
func (c Config) ClientZones(cl Client) []string {
	if c.Clients == nil && len(c.ClientAvailabilityZones) > 0 {
		return slices.Clone(c.ClientAvailabilityZones)
	}
	return c.defaultZones(cl.Region)
}

// zoneNames warns, with transport privatelink, about zone names pinned in a
// Region that has zones without cross-Region PrivateLink: only a zone ID
// says which zone a name is in the account, so crossRegionZones cannot
// check names. A list refused for what it is (not two zones of region)
// gets its problem alone.
func (ch *checker) zoneNames(key string, zones []string, regionKey, region string) {
	defaults, ok := privateLinkZones[region]
	if !ok || len(zones) != 2 || slices.ContainsFunc(zones, func(z string) bool {
		return zoneIDRe.MatchString(z) || zoneKind(z, region) != "Availability Zone"
	}) {
		return
	}
	var listed []string
	for _, z := range noCrossRegionZones {
		if strings.HasPrefix(z, zoneIDPrefix(region)+"-") {
			listed = append(listed, quote(z))
		}
	}
	why := "a zone name does not show which zone ID it is"
	if defaults.perAccount {
		why = "zone names map to different zones in each account (created before November 2025)"
	}
	fix := "give two zone IDs of " + regionKey + " = " + region + " outside that list"
	if ids, ok := ch.suggest(key, strings.Join(defaults.ids[:], ",")); ok {
		fix = "give zone IDs outside that list instead, such as " + quote(ids) + ", which the VPC gets when " + key + " is unset"
	}
	ch.warn(key, zones,
		"%s, so %s %s, where cross-Region PrivateLink is not supported and %s = %s needs it (AWS lists %s as such zones); %s (aws ec2 describe-availability-zones --region %s shows each zone's ID)",
		why, plural(len(zones), "it may be", "one of them may be"), joinLast(listed, " or "), keyTransport, quote(TransportPrivateLink),
		joinAnd(noCrossRegionZones), fix, region)
}

// zoneRegion is the Region whose zones key pins.
func (c Config) zoneRegion(key string) string {
	if key == keyClientAvailabilityZones {
		return c.ClientRegion
	}
	return c.ApiRegion
}

// zoneIDExample is the default zone list of key's Region, as a -c value,
// where there is one: zone IDs are the example to give there.
func (ch *checker) zoneIDExample(key string) []string {
	if zones := ch.cfg.defaultZones(ch.cfg.zoneRegion(key)); zones != nil {
		return []string{strings.Join(zones, ",")}
	}
	return nil
}

// unsetZones says what an unset zone key gives, after "leave it unset" or
// "remove the key": the default zone IDs where there are some, else
// otherwise.
func (ch *checker) unsetZones(key, otherwise string) string {
	if zones := ch.cfg.defaultZones(ch.cfg.zoneRegion(key)); zones != nil {
		return "to use the zone IDs " + quote(strings.Join(zones, ",")) + ", the default with " + keyTransport + " = " + quote(TransportPrivateLink) + " in " + ch.cfg.zoneRegion(key)
	}
	return otherwise
}
