package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// maxAppNameLen leaves room in the 128-character CloudFormation stack
	// name limit for the "-"+role suffix and for longer roles added later.
	maxAppNameLen = 40
	// maxStageNameLen is API Gateway's limit.
	maxStageNameLen = 128
)

var (
	appNameRe   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)
	accountRe   = regexp.MustCompile(`^[0-9]{12}$`)
	stageNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// zoneSuffixRe is what follows the Region name in a zone name: a letter
	// for a regular zone (us-east-1a), or "-" and more for Local Zones
	// (us-west-2-lax-1a) and Wavelength Zones (us-east-1-wl1-bos-wlz-1).
	zoneSuffixRe = regexp.MustCompile(`^(?:[a-z]|-[a-z0-9-]*[a-z0-9])$`)
)

// logRetentionDays are the only retention periods CloudWatch Logs accepts;
// any other value fails at deploy time, after other resources were created.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Each VPC gets one subnet per zone, two zones, and the smallest subnet
// AWS allows is a /28, so a VPC must be a /27 or larger; /16 is the largest
// VPC AWS allows.
const (
	minVpcBits    = 16
	maxVpcBits    = 28
	maxTwoSubBits = 27
)

// unusableRanges are IPv4 ranges a VPC cannot be given. A VPC of /16 to /28
// cannot contain any of them, so overlapping one means lying inside it.
var unusableRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
}

const privateRanges = "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"

// checker collects problems. skip holds keys whose raw value could not even
// be converted; their field still holds the default, and any check on it
// would report something the user did not write.
type checker struct {
	skip     map[string]bool
	problems []Problem
}

func (ch *checker) add(key string, value any, format string, args ...any) {
	ch.problems = append(ch.problems, Problem{Key: key, Value: render(value), Message: fmt.Sprintf(format, args...)})
}

// check runs every rule and returns all problems found.
func (c Config) check(skip map[string]bool) []Problem {
	ch := &checker{skip: skip}
	ch.appName(c.AppName)
	ch.account(c.Account)

	apiRegionOK := ch.region(keyApiRegion, c.ApiRegion)
	apiCidr, apiCidrOK := ch.cidr(keyApiVpcCidr, c.ApiVpcCidr)
	clientRegionOK := ch.region(keyClientRegion, c.ClientRegion)
	if apiRegionOK && clientRegionOK {
		ch.regionPair(c.ApiRegion, c.ClientRegion)
	}
	clientCidr, clientCidrOK := ch.cidr(keyClientVpcCidr, c.ClientVpcCidr)
	if apiCidrOK && clientCidrOK && apiCidr.Overlaps(clientCidr) {
		ch.add(keyClientVpcCidr, c.ClientVpcCidr,
			"overlaps %s = %q; peered VPCs need disjoint address ranges, so choose a %s outside %s, e.g. %q",
			keyApiVpcCidr, c.ApiVpcCidr, keyClientVpcCidr, apiCidr, disjointCidr(apiCidr))
	}
	ch.stageName(c.StageName)

	apiZoneRegion, clientZoneRegion := "", ""
	if apiRegionOK {
		apiZoneRegion = c.ApiRegion
	}
	if clientRegionOK {
		clientZoneRegion = c.ClientRegion
	}
	ch.zones(keyApiAvailabilityZones, c.ApiAvailabilityZones, keyApiRegion, apiZoneRegion, keyClientRegion, clientZoneRegion)
	ch.zones(keyClientAvailabilityZones, c.ClientAvailabilityZones, keyClientRegion, clientZoneRegion, keyApiRegion, apiZoneRegion)

	ch.logRetention(c.LogRetentionDays)
	ch.oneOf(keyApiGatewayCloudWatchRole, c.ApiGatewayCloudWatchRole,
		[]string{CloudWatchRoleCreate, CloudWatchRoleExisting},
		`"create" makes the API stack set API Gateway's Region-wide CloudWatch role (kept on destroy); "existing" leaves the account's role as it is`)
	ch.intRange(keyThrottleRateLimit, c.ThrottleRateLimit, 1, 10000,
		"give requests per second for the whole stage, at most 10000 (API Gateway's default account-wide quota)")
	ch.intRange(keyThrottleBurstLimit, c.ThrottleBurstLimit, 1, 5000,
		"a burst of 0 makes API Gateway reject every request, and 5000 is its default account-wide burst")
	ch.intRange(keyClientMaxAttempts, c.ClientMaxAttempts, 1, 10,
		"the count includes the first call, so 1 means no retries")
	baseOK := ch.intRange(keyClientBackoffBaseMs, c.ClientBackoffBaseMs, 1, 10000,
		"give the first retry delay in milliseconds")
	maxOK := ch.intRange(keyClientBackoffMaxMs, c.ClientBackoffMaxMs, 1, 10000,
		"give the longest retry delay in milliseconds, at least "+keyClientBackoffBaseMs)
	if baseOK && maxOK && c.ClientBackoffMaxMs < c.ClientBackoffBaseMs {
		ch.add(keyClientBackoffMaxMs, c.ClientBackoffMaxMs,
			"is less than %s = %d; the longest delay cannot be shorter than the first, so raise %s to at least %d or lower %s",
			keyClientBackoffBaseMs, c.ClientBackoffBaseMs, keyClientBackoffMaxMs, c.ClientBackoffBaseMs, keyClientBackoffBaseMs)
	}
	return ch.problems
}

func (ch *checker) appName(name string) {
	if ch.skip[keyAppName] {
		return
	}
	const rule = `it must start with a letter and hold only letters, digits and hyphens, because it begins CloudFormation stack names; e.g. "CrossRegionApi"`
	switch {
	case name == "":
		ch.add(keyAppName, name, "is empty; "+rule)
	case !appNameRe.MatchString(name):
		ch.add(keyAppName, name, "is not a valid stack name prefix; "+rule)
	}
	if n := utf8.RuneCountInString(name); n > maxAppNameLen {
		ch.add(keyAppName, name, "is %d characters long; at most %d fit, because stack names append suffixes such as %q",
			n, maxAppNameLen, "-"+RolePeeringRoute)
	}
	lower := strings.ToLower(name)
	for _, reserved := range []string{"aws", "ssm"} {
		if strings.HasPrefix(lower, reserved) {
			ch.add(keyAppName, name, "begins with %q; it also begins the app's SSM parameter names (/%s/...), and SSM refuses names that begin with \"aws\" or \"ssm\" in any case, so choose a name such as %q",
				name[:3], name, "My"+name)
			break
		}
	}
}

func (ch *checker) account(account string) {
	if ch.skip[keyAccount] || account == "" || accountRe.MatchString(account) {
		return
	}
	msg := "is not an AWS account ID; give exactly 12 digits, leading zeros included, or leave account unset to deploy to the account of your credentials"
	if digits := strings.NewReplacer("-", "", " ", "").Replace(account); accountRe.MatchString(digits) {
		msg += fmt.Sprintf("; did you mean %q?", digits)
	}
	ch.add(keyAccount, account, "%s", msg)
}

// region reports whether name is a Region the AWS CDK knows, which is what
// the CDK needs to resolve service principals and partitions at synth time.
func (ch *checker) region(key, name string) bool {
	if ch.skip[key] {
		return false
	}
	regions := cdkRegions()
	if slices.Contains(regions.names, name) {
		return true
	}
	if name == "" {
		ch.add(key, name, "is empty; give an AWS Region such as us-east-1")
		return false
	}
	lower := strings.ToLower(name)
	for _, r := range regions.names {
		if isZoneOf(lower, r) {
			ch.add(key, name, "is an Availability Zone, not a Region; did you mean %q?", r)
			return false
		}
	}
	if guess, ok := closest(lower, regions.names); ok {
		ch.add(key, name, "is not a Region known to the AWS CDK; did you mean %q?", guess)
	} else {
		ch.add(key, name, "is not a Region known to the AWS CDK; give a Region name such as us-east-1, eu-west-1 or ap-southeast-2")
	}
	return false
}

func (ch *checker) regionPair(api, client string) {
	if api == client {
		other := "us-west-2"
		if api == other {
			other = "us-east-1"
		}
		ch.add(keyClientRegion, client,
			"%s and %s are both %s; cross-region peering needs two Regions, so set %s to another Region, e.g. %s",
			keyApiRegion, keyClientRegion, api, keyClientRegion, other)
		return
	}
	partitions := cdkRegions().partition
	pa, pc := partitions[api], partitions[client]
	if pa != "" && pc != "" && pa != pc {
		ch.add(keyClientRegion, client,
			"is in partition %s but %s = %q is in %s; VPC peering cannot cross partitions, so pick two Regions of one partition",
			pc, keyApiRegion, api, pa)
	}
}

// cidr checks one VPC CIDR and returns its network prefix when it is an IPv4
// prefix at all, so overlap can still be reported alongside other problems.
func (ch *checker) cidr(key, s string) (netip.Prefix, bool) {
	if ch.skip[key] {
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		addr, bits, hasSlash := strings.Cut(s, "/")
		a, addrErr := netip.ParseAddr(addr)
		_, bitsErr := strconv.Atoi(bits)
		switch {
		case addrErr == nil && a.Is4() && !hasSlash:
			ch.add(key, s, "has no prefix length; write the VPC range as address/length, e.g. %q", addr+"/16")
		case addrErr == nil && a.Is4() && bitsErr == nil:
			ch.add(key, s, "has an impossible prefix length /%s; a VPC takes /%d to /%d, and /%d or larger to hold two subnets",
				bits, minVpcBits, maxVpcBits, maxTwoSubBits)
		default:
			ch.add(key, s, "is not an IPv4 CIDR block; write it as address/length, e.g. %q", "10.0.0.0/16")
		}
		return netip.Prefix{}, false
	}
	if !p.Addr().Is4() {
		ch.add(key, s, "is an IPv6 range; a VPC's primary CIDR block must be IPv4, e.g. %q", "10.0.0.0/16")
		return netip.Prefix{}, false
	}
	m := p.Masked()
	if m != p {
		ch.add(key, s, "has host bits set, so it is not a network address; did you mean %q?", m.String())
	}
	switch b := p.Bits(); {
	case b < minVpcBits:
		ch.add(key, s, "is /%d, larger than a VPC can be; use a prefix length from /%d to /%d, e.g. %q",
			b, minVpcBits, maxTwoSubBits, netip.PrefixFrom(m.Addr(), minVpcBits).String())
	case b > maxVpcBits:
		ch.add(key, s, "is /%d, smaller than a VPC can be; use a prefix length from /%d to /%d", b, minVpcBits, maxTwoSubBits)
	case b > maxTwoSubBits:
		ch.add(key, s, "is too small for two subnets: each zone's subnet needs at least a /28, so the VPC must be /%d or larger (a shorter prefix length)",
			maxTwoSubBits)
	}
	for _, r := range unusableRanges {
		if m.Overlaps(r.prefix) {
			ch.add(key, s, "lies in %s (%s), which a VPC cannot use; use a private range inside %s", r.prefix, r.what, privateRanges)
			break
		}
	}
	return m, true
}

// disjointCidr suggests a client range that does not overlap the API's.
func disjointCidr(api netip.Prefix) string {
	for _, s := range []string{"192.168.0.0/16", "10.0.0.0/16", "172.16.0.0/16", "10.1.0.0/16"} {
		if p := netip.MustParsePrefix(s); !p.Overlaps(api) {
			return s
		}
	}
	return "10.1.0.0/16"
}

func (ch *checker) stageName(name string) {
	if ch.skip[keyStageName] {
		return
	}
	const rule = `API Gateway allows 1 to 128 letters, digits, hyphens and underscores; e.g. "v1"`
	switch {
	case name == "":
		ch.add(keyStageName, name, "is empty; "+rule)
	case !stageNameRe.MatchString(name):
		ch.add(keyStageName, name, "has characters a stage name cannot hold; "+rule)
	}
	if n := utf8.RuneCountInString(name); n > maxStageNameLen {
		ch.add(keyStageName, name, "is %d characters long; %s", n, rule)
	}
}

// zones checks a pinned zone list. region is "" when the Region itself is
// invalid: that is already reported, and checking zones against it would
// only repeat it.
func (ch *checker) zones(key string, zones []string, regionKey, region, otherKey, other string) {
	if ch.skip[key] || len(zones) == 0 {
		return
	}
	example := `"us-east-1a,us-east-1b"`
	if region != "" {
		example = strconv.Quote(region + "a," + region + "b")
	}
	if len(zones) != 2 {
		ch.add(key, zones, "lists %d %s; give exactly 2 (one subnet in each), e.g. %s, or leave it unset to let CloudFormation pick",
			len(zones), plural(len(zones), "zone", "zones"), example)
	}
	seen := map[string]bool{}
	for _, z := range zones {
		if seen[z] {
			ch.add(key, zones, "lists %q twice; the two zones must differ so that the subnets do not share a failure domain", z)
			continue
		}
		seen[z] = true
		switch {
		case z == "":
			ch.add(key, zones, "has an empty zone name; give zone names such as %s", example)
		case region == "" || isZoneOf(z, region):
		case other != "" && isZoneOf(z, other):
			ch.add(key, zones, "%q is a zone of %s = %s, not of %s = %s; give zones of %s, e.g. %s",
				z, otherKey, other, regionKey, region, region, example)
		default:
			ch.add(key, zones, "%q is not a zone of %s = %s; a zone name is the Region name followed by a letter, e.g. %s",
				z, regionKey, region, example)
		}
	}
}

func isZoneOf(zone, region string) bool {
	suffix, ok := strings.CutPrefix(zone, region)
	return ok && zoneSuffixRe.MatchString(suffix)
}

func (ch *checker) logRetention(days int) {
	if ch.skip[keyLogRetentionDays] || slices.Contains(logRetentionDays, days) {
		return
	}
	nearest := logRetentionDays[0]
	for _, d := range logRetentionDays {
		if abs(d-days) < abs(nearest-days) {
			nearest = d
		}
	}
	allowed := make([]string, len(logRetentionDays))
	for i, d := range logRetentionDays {
		allowed[i] = strconv.Itoa(d)
	}
	ch.add(keyLogRetentionDays, days, "is not a retention period CloudWatch Logs accepts; use one of %s (nearest: %d)",
		strings.Join(allowed, ", "), nearest)
}

// oneOf checks that v is one of allowed.
func (ch *checker) oneOf(key, v string, allowed []string, why string) {
	if ch.skip[key] || slices.Contains(allowed, v) {
		return
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = strconv.Quote(a)
	}
	msg := "is not one of " + strings.Join(quoted, ", ")
	if lower := strings.ToLower(strings.TrimSpace(v)); lower != v && slices.Contains(allowed, lower) {
		msg += "; did you mean " + strconv.Quote(lower) + "?"
	}
	ch.add(key, v, "%s; %s", msg, why)
}

// intRange reports whether v is within lo..hi, reporting a problem if not.
func (ch *checker) intRange(key string, v, lo, hi int, why string) bool {
	if ch.skip[key] {
		return false
	}
	if v < lo || v > hi {
		ch.add(key, v, "is outside the allowed %d..%d; %s", lo, hi, why)
		return false
	}
	return true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// closest returns the known name (a Region, a key) nearest to name in edit distance, when
// it is near enough to be a plausible typo.
func closest(name string, known []string) (string, bool) {
	best, bestDist := "", -1
	for _, k := range known {
		if d := editDistance(name, k); bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best, bestDist >= 0 && bestDist <= 3 && bestDist*2 < len(best)
}

// editDistance is the Levenshtein distance over bytes; Region names are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// render writes v as JSON, the notation of cdk.json, so strings appear
// quoted and other types as the user wrote them.
func render(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
