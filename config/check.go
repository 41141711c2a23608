package config

import (
	"cmp"
	"fmt"
	"maps"
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
	// for an Availability Zone (us-east-1a), or "-" and more for Local Zones
	// (us-west-2-lax-1a) and Wavelength Zones (us-east-1-wl1-bos-wlz-1).
	zoneSuffixRe = regexp.MustCompile(`^(?:[a-z]|-[a-z0-9-]*[a-z0-9])$`)
	// zoneIDRe is an Availability Zone ID (use1-az1): the same physical
	// zone in every account, where a zone name is mapped per account.
	zoneIDRe = regexp.MustCompile(`^([a-z]+[0-9]+)-az[0-9]+$`)
	// edgeZoneIDRe is a Local Zone's ID (usw2-lax1-az1) or a Wavelength
	// Zone's (usw2-wl1-sea-wlz1): the Region's prefix, the zone group's
	// location, and az or wlz with a number.
	edgeZoneIDRe = regexp.MustCompile(`^([a-z]+[0-9]+)(-[a-z0-9]+)+-(az|wlz)[0-9]+$`)
)

// logRetentionDays are the only retention periods CloudWatch Logs accepts;
// any other value fails at deploy time, after other resources were created.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// intLimits are the ranges of the integer keys other than
// logRetentionDays, with why each is what it is. The loader reads them too,
// to say how far a number too large to hold is from what is allowed.
var intLimits = map[string]struct {
	lo, hi int
	why    string
}{
	keyThrottleRateLimit:       {1, 10000, "give requests per second for the whole stage, at most 10000 (API Gateway's default account-wide quota)"},
	keyThrottleBurstLimit:      {1, 5000, "a burst of 0 makes API Gateway reject every request, and 5000 is its default account-wide burst"},
	keyClientMaxAttempts:       {1, 10, "the count includes the first call, so 1 means no retries"},
	keyClientBackoffBaseMs:     {1, 10000, "give the first retry delay in milliseconds"},
	keyClientBackoffMaxMs:      {1, 10000, "give the longest retry delay in milliseconds, at least " + keyClientBackoffBaseMs},
	keyProbeIntervalMinutes:    {0, 1440, "give the minutes between two probes of each client, 1 to 1440 (a day), or 0 to turn the probes, their alarms and the dashboard off"},
	keyPeeringConnectionsQuota: {1, maxPeeringsQuota, "give your Amazon VPC quota \"Active VPC peering connections per VPC\" in apiRegion: 50 unless raised, and Service Quotas raises it to 125 at most"},
}

// intBounds is the smallest and largest value an integer key accepts.
func intBounds(key string) (lo, hi int) {
	if key == keyLogRetentionDays {
		return logRetentionDays[0], logRetentionDays[len(logRetentionDays)-1]
	}
	l := intLimits[key]
	return l.lo, l.hi
}

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

// troubleRanges are ranges a VPC accepts but that collide with networks
// outside it, so some callers cannot reach the VPC, or reach something else.
// They are warnings, not errors: a VPC that no such network ever talks to
// works. A VPC of /16 or smaller overlaps one only by lying inside it.
var troubleRanges = []struct {
	prefix netip.Prefix
	what   string // what the range is
	why    string // the trouble
}{
	{netip.MustParsePrefix("100.64.0.0/10"), "the shared address space of carrier-grade NAT (RFC 6598)",
		"Internet providers and VPNs number their own networks from it, so clients behind them may not reach the VPC, or reach the wrong host"},
	{netip.MustParsePrefix("198.18.0.0/15"), "the range reserved for benchmarking network devices (RFC 2544)",
		"some routers, firewalls and VPN clients drop or divert it"},
	{netip.MustParsePrefix("172.17.0.0/16"), "the default bridge network of Docker and of AWS services such as SageMaker and Cloud9",
		"containers and notebooks on such a bridge send traffic for these addresses to the bridge, not to the VPC"},
}

// privatePrefixes are the RFC 1918 ranges, the ones meant for networks
// like a VPC.
var privatePrefixes = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

const privateRanges = "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"

// cidrCandidates are the ranges offered, after the key's default, when a
// message needs a VPC range of the checker's own choosing. Each is
// re-validated before use, so the list only needs enough variety for one
// of them to fit beside any other VPC range.
var cidrCandidates = []string{"10.0.0.0/16", "192.168.0.0/16", "172.16.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "172.18.0.0/16"}

// regionCandidates are the Regions offered first as examples; every other
// Region the CDK knows follows, for the partitions these are not in.
var regionCandidates = []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"}

// checker collects problems and warnings.
type checker struct {
	// cfg is the configuration checked. A value a message suggests is
	// re-validated by checking cfg with the suggestion in place, so that
	// it is judged beside the keys it must agree with.
	cfg Config
	// skip holds keys whose raw value could not even be converted; their
	// field still holds the default, and any check on it would report
	// something the user did not write.
	skip map[string]bool
	// scratch is set on a checker that re-validates a suggestion. Only
	// whether it finds problems matters, never its messages, so it
	// suggests nothing itself, which also keeps re-validation from
	// recursing.
	scratch  bool
	problems []Problem
	// others holds, index for index with problems, the other keys of a
	// problem between keys (reported under one of them): for a pair, the
	// first key; for a problem that only one transport has, transport too.
	// A suggestion for any of the keys must not cause such a problem.
	others   [][]string
	warnings []warning
	// transport is cfg.Transport once it passed its check, else "": the
	// rules that depend on it (overlapping ranges, the quotas of each
	// transport) then say nothing, rather than judge by a value the user
	// did not mean.
	transport string
}

// warning is a value that works but is likely to cause trouble.
type warning struct {
	key, text string
}

func (ch *checker) add(key string, value any, format string, args ...any) {
	ch.addPair(key, "", value, format, args...)
}

// addPair adds a problem between two keys, reported under key.
func (ch *checker) addPair(key, other string, value any, format string, args ...any) {
	var others []string
	if other != "" {
		others = []string{other}
	}
	ch.addBetween(key, others, value, format, args...)
}

// addBetween adds a problem between key, under which it is reported, and
// the others.
func (ch *checker) addBetween(key string, others []string, value any, format string, args ...any) {
	ch.problems = append(ch.problems, Problem{Key: key, Value: render(value), Message: fmt.Sprintf(format, args...)})
	ch.others = append(ch.others, others)
}

// warn records a warning, written like a line of an Error.
func (ch *checker) warn(key string, value any, format string, args ...any) {
	ch.warnings = append(ch.warnings, warning{key, key + " = " + render(value) + ": " + fmt.Sprintf(format, args...)})
}

// check runs every rule and returns all problems and warnings found.
func (c Config) check(skip map[string]bool) ([]Problem, []warning) {
	ch := &checker{cfg: c, skip: skip}
	ch.run()
	return ch.problems, ch.warnings
}

func (ch *checker) run() {
	c := ch.cfg
	ch.text(keyAppName, c.AppName, (*checker).appName)
	ch.text(keyAccount, c.Account, (*checker).account)

	// transport goes first: how the clients are checked depends on it.
	if ch.text(keyTransport, c.Transport, (*checker).transportValue) {
		ch.transport = c.Transport
	}
	apiRegionOK := ch.text(keyApiRegion, c.ApiRegion, (*checker).region)
	apiCidrOK := ch.text(keyApiVpcCidr, c.ApiVpcCidr, (*checker).cidr)
	clientRegionOK := false
	if c.Clients != nil {
		ch.clientList(apiRegionOK, apiCidrOK)
		if apiCidrOK {
			ch.cidrTrouble(keyApiVpcCidr, c.ApiVpcCidr)
		}
	} else {
		clientRegionOK = ch.singleClient(apiRegionOK, apiCidrOK)
	}
	ch.secondaryApi(apiRegionOK, apiCidrOK)
	ch.text(keyStageName, c.StageName, (*checker).stageName)

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
	ch.text(keyApiGatewayCloudWatchRole, c.ApiGatewayCloudWatchRole, func(ch *checker, key, v string) {
		ch.oneOf(key, v, []string{CloudWatchRoleCreate, CloudWatchRoleExisting},
			`"create" makes the API stack set API Gateway's Region-wide CloudWatch role (kept on destroy); "existing" leaves the account's role as it is`)
	})
	ch.text(keyLogEncryption, c.LogEncryption, func(ch *checker, key, v string) {
		ch.oneOf(key, v, []string{LogEncryptionNone, LogEncryptionKMS},
			`"kms" encrypts every log group with a KMS key of its stack, as AWS Control Tower's proactive controls require; "none" leaves CloudWatch Logs' own encryption`)
	})
	for _, key := range []string{keyThrottleRateLimit, keyThrottleBurstLimit, keyClientMaxAttempts} {
		ch.intRange(key, *field(&c, key).(*int))
	}
	if ch.intRange(keyPeeringConnectionsQuota, c.PeeringConnectionsQuota) && ch.transport == TransportPrivateLink &&
		c.PeeringConnectionsQuota != Defaults().PeeringConnectionsQuota {
		ch.warn(keyPeeringConnectionsQuota, c.PeeringConnectionsQuota,
			"is ignored with %s = %s, which makes no VPC peering connections; remove it, or leave it at %d",
			keyTransport, quote(c.Transport), Defaults().PeeringConnectionsQuota)
	}
	if c.OrganizationId != "" {
		ch.text(keyOrganizationId, c.OrganizationId, (*checker).organizationId)
	}
	probeOK := ch.intRange(keyProbeIntervalMinutes, c.ProbeIntervalMinutes)
	if c.AlarmEmail != "" && ch.text(keyAlarmEmail, c.AlarmEmail, (*checker).email) && probeOK && c.ProbeIntervalMinutes == 0 {
		ch.warn(keyAlarmEmail, c.AlarmEmail, "is ignored: %s = 0 turns the probes and their alarms off", keyProbeIntervalMinutes)
	}
	baseOK := ch.intRange(keyClientBackoffBaseMs, c.ClientBackoffBaseMs)
	maxOK := ch.intRange(keyClientBackoffMaxMs, c.ClientBackoffMaxMs)
	if baseOK && maxOK && c.ClientBackoffMaxMs < c.ClientBackoffBaseMs {
		ch.addPair(keyClientBackoffMaxMs, keyClientBackoffBaseMs, c.ClientBackoffMaxMs,
			"is less than %s = %d; the longest delay cannot be shorter than the first, so raise %s to at least %d or lower %s",
			keyClientBackoffBaseMs, c.ClientBackoffBaseMs, keyClientBackoffMaxMs, c.ClientBackoffBaseMs, keyClientBackoffBaseMs)
	} else if baseOK && maxOK && !ch.skip[keyClientMaxAttempts] && c.ClientMaxAttempts >= 1 {
		ch.retryBudget()
	}
}

// organizationIdRe is an AWS Organizations id, as aws:PrincipalOrgID
// compares it.
var organizationIdRe = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

// organizationId checks organizationId.
func (ch *checker) organizationId(key, v string) {
	if !organizationIdRe.MatchString(v) {
		ch.add(key, v, "is not an AWS Organizations id; it is o- and 10 to 32 lowercase letters or digits (aws organizations describe-organization shows it), or leave it unset to name each account")
	}
}

// emailRe is what SNS's email protocol takes as an address, loosely: one
// @, no spaces, a dot in the domain.
var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)

// email checks alarmEmail: one address, as SNS's email protocol takes it
// (an Endpoint is "an email address" for the email protocol, SNS API
// reference, Subscribe), not a mailto: URL, not a list.
func (ch *checker) email(key, v string) {
	switch {
	case strings.HasPrefix(strings.ToLower(v), "mailto:"):
		ch.add(key, v, "is a mailto: link; give the address alone: %s", quote(strings.TrimSpace(v[len("mailto:"):])))
	case strings.Count(v, "@") > 1 || strings.ContainsAny(v, ",;"):
		ch.add(key, v, "holds more than one address; it takes one (a team's list address, say), and others can subscribe to the alarm topic each client stack outputs as ProbeAlarmTopicArn")
	case len(v) > 254 || !emailRe.MatchString(v):
		ch.add(key, v, "is not an email address; give the address that gets each client's probe alarm, such as ops@example.com, or leave it unset")
	}
}

// ClientFunctionTimeoutSeconds is the client function's timeout; the
// stacks give it to PeeredClientVpc, and retryBudget measures against it.
const ClientFunctionTimeoutSeconds = 15

// retryBudget warns when, with the API not answering, not every attempt of
// clientMaxAttempts fits in the client function's timeout. The client
// (functions/apiclient/handler) gives each attempt up to ATTEMPT_TIMEOUT_MS,
// which PeeredClientVpc sets to a third of the timeout and at most 5 s;
// waits before attempt i+1 up to min(clientBackoffMaxMs,
// clientBackoffBaseMs·2^(i-1)); keeps 50 ms back from the deadline; and
// starts no attempt with less than 100 ms left, cutting the last one short.
// The attempts that do not fit are never tried: say so, since a larger
// clientMaxAttempts then buys nothing.
func (ch *checker) retryBudget() {
	c := ch.cfg
	timeout := ClientFunctionTimeoutSeconds * 1000
	budget, attempt := timeout-50, min(timeout/3, 5000)
	elapsed, fit := 0, 0
	for i := range c.ClientMaxAttempts {
		if i > 0 {
			elapsed += min(c.ClientBackoffMaxMs, c.ClientBackoffBaseMs<<min(i-1, 30))
		}
		if elapsed+100 > budget {
			break
		}
		fit++
		elapsed += attempt
	}
	if fit < c.ClientMaxAttempts {
		ch.warn(keyClientMaxAttempts, c.ClientMaxAttempts,
			"when the API does not answer, only %d of the %d attempts fit in the client function's %d s timeout: each attempt waits up to %.1f s for an answer (a third of the timeout, at most 5 s) and the waits between them grow from %s = %d to %s = %d ms; lower %s to %d, or the backoff",
			fit, c.ClientMaxAttempts, ClientFunctionTimeoutSeconds, float64(attempt)/1000, keyClientBackoffBaseMs, c.ClientBackoffBaseMs,
			keyClientBackoffMaxMs, c.ClientBackoffMaxMs, keyClientMaxAttempts, fit)
	}
}

// singleClient checks the one client of clientRegion and clientVpcCidr and
// reports whether its Region is valid.
func (ch *checker) singleClient(apiRegionOK, apiCidrOK bool) bool {
	c := ch.cfg
	clientRegionOK := ch.text(keyClientRegion, c.ClientRegion, (*checker).region)
	if apiRegionOK && clientRegionOK {
		ch.regionPair(c.ApiRegion, c.ClientRegion)
	}
	clientCidrOK := ch.text(keyClientVpcCidr, c.ClientVpcCidr, (*checker).cidr)
	// Only two ranges that passed every CIDR check are compared: a range
	// already reported as unusable (0.0.0.0/0 overlaps everything) would
	// only add a second complaint about the same mistake, and its fix
	// changes what it overlaps.
	if apiCidrOK && clientCidrOK && ch.transport == TransportPeering && ch.overlap(c.ApiVpcCidr, c.ClientVpcCidr) {
		clientCidrOK = false
	}
	if apiCidrOK {
		ch.cidrTrouble(keyApiVpcCidr, c.ApiVpcCidr)
	}
	if clientCidrOK {
		ch.cidrTrouble(keyClientVpcCidr, c.ClientVpcCidr)
	}
	return clientRegionOK
}

// text runs rule on the string value v of key and reports whether it found
// nothing wrong. No key accepts spaces around its value or invisible
// characters in it, and neither shows in a terminal, so a value holding
// them gets one problem saying exactly that, with the value they hide when
// it is valid; otherwise the rule's problems with what is left follow.
func (ch *checker) text(key, v string, rule func(ch *checker, key, v string)) bool {
	if ch.skip[key] {
		return false
	}
	clean, flaws, removed := tidy(v)
	if flaws == "" {
		n := len(ch.problems)
		rule(ch, key, v)
		return len(ch.problems) == n
	}
	if clean == "" {
		ch.add(key, v, "is blank: it %s and nothing else; %s", flaws, ch.unsetHint(key))
		return false
	}
	it := "it"
	if removed > 1 {
		it = "them"
	}
	if ch.valid(key, clean) {
		ch.add(key, v, "%s; remove %s: did you mean %s?", flaws, it, quote(clean))
		return false
	}
	ch.add(key, v, "%s; remove %s", flaws, it)
	rest := &checker{cfg: ch.cfg, skip: ch.skip, scratch: ch.scratch}
	rule(rest, key, clean)
	for i, p := range rest.problems {
		p.Value = render(v)
		ch.problems = append(ch.problems, p)
		ch.others = append(ch.others, rest.others[i])
	}
	return false
}

// valid reports whether v, in place of key's value, passes every check of
// key, including those against other keys as they are. Every value a
// message suggests goes through it first, so that following the advice
// never leads straight to another problem. A string v is converted as the
// loader converts a `-c` value.
func (ch *checker) valid(key string, v string) bool {
	return ch.try(key, v, false)
}

// calm is valid and also draws no warning: for values the checker picks
// itself, which should bring no trouble of their own.
func (ch *checker) calm(key string, v string) bool {
	return ch.try(key, v, true)
}

func (ch *checker) try(key, v string, calm bool) bool {
	if ch.scratch {
		return false
	}
	c := ch.cfg
	if !set(&c, key, v) {
		return false
	}
	if !clearOfIntended(c, key) {
		return false
	}
	skip := maps.Clone(ch.skip)
	delete(skip, key)
	sub := &checker{cfg: c, skip: skip, scratch: true}
	sub.run()
	for i, p := range sub.problems {
		if p.Key == key || slices.Contains(sub.others[i], key) {
			return false
		}
	}
	if calm {
		for _, w := range sub.warnings {
			if w.key == key {
				return false
			}
		}
	}
	return true
}

// clearOfIntended reports whether the VPC range of key in c keeps clear of
// the range the other VPC is evidently meant to have. The overlap check
// compares only valid ranges, but a suggestion for one VPC must not collide
// with the other's once its own slip (host bits, a stray space) is fixed.
func clearOfIntended(c Config, key string) bool {
	if c.Transport == TransportPrivateLink {
		return true // the ranges may overlap
	}
	mine, other := c.ApiVpcCidr, c.ClientVpcCidr
	switch key {
	case keyApiVpcCidr:
	case keyClientVpcCidr:
		mine, other = other, mine
	default:
		return true
	}
	p, err := netip.ParsePrefix(mine)
	if err != nil {
		return true // the checks of key report it
	}
	clean, _, _ := tidy(other)
	o, err := netip.ParsePrefix(clean)
	if err != nil || !o.Addr().Is4() || o.Bits() < minVpcBits || o.Bits() > maxVpcBits {
		return true // no evident intent, or nothing a VPC could be
	}
	return !p.Masked().Overlaps(o.Masked())
}

// suggest returns the first candidate valid for key.
func (ch *checker) suggest(key string, candidates ...string) (string, bool) {
	for _, s := range candidates {
		if ch.valid(key, s) {
			return s, true
		}
	}
	return "", false
}

// alternative returns the first candidate valid for key that draws no
// warning either.
func (ch *checker) alternative(key string, candidates ...string) (string, bool) {
	for _, s := range candidates {
		if ch.calm(key, s) {
			return s, true
		}
	}
	return "", false
}

// eg is ", e.g. X" for a suggestion X found by suggest or alternative, and
// "" when there is none, so a message never offers an invalid value.
func eg(s string, ok bool) string {
	if !ok {
		return ""
	}
	return ", e.g. " + quote(s)
}

// examples returns up to n quoted candidates valid for key, as "A, B or C".
func (ch *checker) examples(key string, n int, candidates ...string) string {
	var out []string
	for _, s := range candidates {
		if len(out) == n {
			break
		}
		if !slices.Contains(out, quote(s)) && ch.valid(key, s) {
			out = append(out, quote(s))
		}
	}
	return joinLast(out, " or ")
}

// unsetHint says how to fix a key given no value (JSON null, or only
// blanks): remove it to get the default, when the default fits beside the
// other keys, or give a value.
func (ch *checker) unsetHint(key string) string {
	def := Defaults()
	switch p := field(&def, key).(type) {
	case *string:
		if key == keyAccount {
			return "remove the key to deploy to the account of your credentials, or give a 12-digit account ID"
		}
		if key == keySecondaryApiRegion {
			hint := "remove the key for one API Region, or give a Region"
			if ex := ch.examples(key, 1, ch.exampleValues(key)...); ex != "" {
				hint += " such as " + ex
			}
			return hint
		}
		if ch.valid(key, *p) {
			return "remove the key to use the default " + quote(*p) + ", or give a value"
		}
	case *int:
		if s := strconv.Itoa(*p); ch.valid(key, s) {
			return "remove the key to use the default " + s + ", or give a value"
		}
	case *[]string:
		return "remove the key " + ch.unsetZones(key, "to let CloudFormation choose the zones") + ", or give two zones" + ch.suchAs(ch.zoneExample(key))
	}
	hint := "give a value"
	if ex := ch.examples(key, 1, ch.exampleValues(key)...); ex != "" {
		hint += " such as " + ex
	}
	return hint + "; removing the key would use the default, which does not fit the other settings"
}

// suchAs is " such as X" for a suggestion, or "".
func (ch *checker) suchAs(s string, ok bool) string {
	if !ok {
		return ""
	}
	return " such as " + quote(s)
}

// exampleValues are candidate example values for key, in the form a `-c`
// value takes, the key's default first.
func (ch *checker) exampleValues(key string) []string {
	def := Defaults()
	var out []string
	switch p := field(&def, key).(type) {
	case *string:
		if *p != "" {
			out = append(out, *p)
		}
	case *int:
		lo, hi := intBounds(key)
		out = append(out, strconv.Itoa(*p), strconv.Itoa(lo), strconv.Itoa(hi))
	case *[]string:
		if s, ok := ch.zoneExample(key); ok {
			out = append(out, s)
		}
	}
	switch key {
	case keyAppName:
		out = append(out, "CrossRegionApi")
	case keyAccount:
		out = append(out, "123456789012")
	case keyApiRegion, keyClientRegion, keySecondaryApiRegion:
		out = append(append(out, regionCandidates...), cdkRegions().names...)
	case keyApiVpcCidr, keyClientVpcCidr, keySecondaryApiVpcCidr:
		out = append(out, cidrCandidates...)
	case keyStageName:
		out = append(out, "v1")
	case keyApiGatewayCloudWatchRole:
		out = append(out, CloudWatchRoleCreate, CloudWatchRoleExisting)
	case keyLogEncryption:
		out = append(out, LogEncryptionNone, LogEncryptionKMS)
	case keyTransport:
		out = append(out, TransportPeering, TransportPrivateLink)
	}
	if _, name, ok := parseEntryKey(key); ok {
		switch name {
		case "region":
			out = append(append(out, regionCandidates...), cdkRegions().names...)
		case "cidr":
			out = append(out, cidrCandidates...)
		case "account":
			out = append(out, "123456789012")
		}
	}
	return out
}

// zoneExample is a zone list for key made of zones "a" and "b" of the
// key's Region, or of us-east-1 while that Region is not known.
func (ch *checker) zoneExample(key string) (string, bool) {
	region := ch.cfg.ApiRegion
	if key == keyClientAvailabilityZones {
		region = ch.cfg.ClientRegion
	}
	if !slices.Contains(cdkRegions().names, region) {
		region = "us-east-1"
	}
	return ch.suggest(key, append(ch.zoneIDExample(key), region+"a,"+region+"b")...)
}

func (ch *checker) appName(key, name string) {
	rule := func() string {
		return `it must start with a letter and hold only letters, digits and hyphens, because it begins CloudFormation stack names` +
			eg(ch.suggest(key, "CrossRegionApi"))
	}
	switch {
	case name == "":
		ch.add(key, name, "is empty; %s", rule())
	case !appNameRe.MatchString(name):
		ch.add(key, name, "is not a valid stack name prefix; %s", rule())
	}
	if n := utf8.RuneCountInString(name); n > maxAppNameLen {
		ch.add(key, name, "is %d characters long; at most %d fit, because stack names append suffixes like %q",
			n, maxAppNameLen, "-"+RolePeeringRoute)
	}
	for _, reserved := range []string{"aws", "ssm"} {
		if len(name) < len(reserved) || !strings.EqualFold(name[:len(reserved)], reserved) {
			continue
		}
		msg := fmt.Sprintf("begins with %s; it also begins the app's SSM parameter names (/%s/...), and SSM refuses names that begin with \"aws\" or \"ssm\" in any case, so choose a name",
			quote(name[:len(reserved)]), key)
		mine := "My" + name
		if s, ok := ch.suggest(key, mine, string([]rune(mine)[:min(maxAppNameLen, utf8.RuneCountInString(mine))])); ok {
			msg += " such as " + quote(s)
		} else {
			msg += " that does not begin with them" + eg(ch.suggest(key, "CrossRegionApi"))
		}
		ch.add(key, name, "%s", msg)
		break
	}
}

func (ch *checker) account(key, account string) {
	if account == "" || accountRe.MatchString(account) {
		return
	}
	msg := "is not an AWS account ID; give exactly 12 digits, leading zeros included, or leave account unset to deploy to the account of your credentials"
	if digits := strings.NewReplacer("-", "", " ", "").Replace(account); digits != account {
		if s, ok := ch.suggest(key, digits); ok {
			msg += "; did you mean " + quote(s) + "?"
		}
	}
	ch.add(key, account, "%s", msg)
}

// region checks that name is a Region the AWS CDK knows, which is what
// the CDK needs to resolve service principals and partitions at synth time.
func (ch *checker) region(key, name string) {
	regions := cdkRegions()
	if slices.Contains(regions.names, name) {
		return
	}
	suchAs := func() string {
		if ex := ch.examples(key, 3, ch.exampleValues(key)...); ex != "" {
			return " such as " + ex
		}
		return ""
	}
	if name == "" {
		ch.add(key, name, "is empty; give an AWS Region%s", suchAs())
		return
	}
	lower := strings.ToLower(name)
	for _, r := range regions.names {
		if isZoneOf(lower, r) {
			if s, ok := ch.suggest(key, r); ok {
				ch.add(key, name, "is an Availability Zone, not a Region; did you mean %s?", quote(s))
			} else {
				ch.add(key, name, "is an Availability Zone, not a Region; give a Region%s", suchAs())
			}
			return
		}
	}
	if guess, ok := ch.suggest(key, near(lower, regions.names)...); ok {
		ch.add(key, name, "is not a Region known to the AWS CDK; did you mean %s?", quote(guess))
	} else {
		ch.add(key, name, "is not a Region known to the AWS CDK; give a Region name%s", suchAs())
	}
}

func (ch *checker) regionPair(api, client string) {
	regions := cdkRegions()
	partitions := regions.partition
	// Regions of the API's partition, the common ones first.
	var same []string
	for _, r := range append(slices.Clone(regionCandidates), regions.names...) {
		if partitions[r] == partitions[api] {
			same = append(same, r)
		}
	}
	if api == client {
		why := "cross-region peering needs two Regions"
		switch ch.transport {
		case TransportPrivateLink:
			why = "the app reaches the API over cross-Region PrivateLink, which needs two Regions"
		case "":
			why = "the app reaches the API from another Region"
		}
		ch.addPair(keyClientRegion, keyApiRegion, client,
			"%s and %s are both %s; %s, so set %s to another Region%s",
			keyApiRegion, keyClientRegion, api, why, keyClientRegion, eg(ch.suggest(keyClientRegion, same...)))
		return
	}
	pa, pc := partitions[api], partitions[client]
	if pa != "" && pc != "" && pa != pc {
		ch.addPair(keyClientRegion, keyApiRegion, client,
			"is in partition %s but %s = %s is in %s; %s, so pick two Regions of one partition%s",
			pc, keyApiRegion, quote(api), pa, ch.partitionWhy(), eg(ch.suggest(keyClientRegion, same...)))
	}
}

// partitionWhy says why a client cannot be in another partition than the
// API, in the terms of the transport.
func (ch *checker) partitionWhy() string {
	switch ch.transport {
	case TransportPeering:
		return "VPC peering cannot cross partitions"
	case TransportPrivateLink:
		return "cross-Region PrivateLink cannot cross partitions"
	}
	return "neither VPC peering nor cross-Region PrivateLink crosses partitions"
}

// transportValue checks transport.
func (ch *checker) transportValue(key, v string) {
	ch.oneOf(key, v, []string{TransportPeering, TransportPrivateLink},
		`"peering" peers the API's VPC with each client's, so their address ranges must be disjoint; "privatelink" reaches the API through a VPC endpoint service from each client's Region (cross-Region PrivateLink), so the ranges may overlap`)
}

// overlapFix is what a message about two overlapping ranges adds to its
// fix: that transport privatelink allows them, when that is a valid
// choice with the other keys as they are.
func (ch *checker) overlapFix() string {
	if ch.valid(keyTransport, TransportPrivateLink) {
		return "; or set " + keyTransport + " to " + quote(TransportPrivateLink) + ", which allows overlapping ranges"
	}
	return ""
}

// cidr checks one VPC CIDR on its own.
func (ch *checker) cidr(key, s string) {
	// mine suggests the user's own address with another prefix length,
	// else a range of the checker's choosing.
	mine := func(a netip.Addr, bits int) string {
		if fix, ok := ch.suggest(key, netip.PrefixFrom(a, bits).Masked().String()); ok {
			return eg(fix, true)
		}
		return eg(ch.alternative(key, ch.exampleValues(key)...))
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		addr, bits, hasSlash := strings.Cut(s, "/")
		a, addrErr := netip.ParseAddr(addr)
		_, bitsErr := strconv.Atoi(bits)
		switch {
		case addrErr == nil && a.Is4() && !hasSlash:
			ch.add(key, s, "has no prefix length; write the VPC range as address/length%s", mine(a, minVpcBits))
		case addrErr == nil && a.Is4() && bitsErr == nil:
			ch.add(key, s, "has an impossible prefix length /%s; a VPC takes /%d to /%d, and /%d or larger to hold two subnets%s",
				bits, minVpcBits, maxVpcBits, maxTwoSubBits, mine(a, minVpcBits))
		default:
			ch.add(key, s, "is not an IPv4 CIDR block; write it as address/length%s", eg(ch.alternative(key, ch.exampleValues(key)...)))
		}
		return
	}
	if !p.Addr().Is4() {
		ch.add(key, s, "is an IPv6 range; a VPC's primary CIDR block must be IPv4%s", eg(ch.alternative(key, ch.exampleValues(key)...)))
		return
	}
	m := p.Masked()
	if m != p {
		if fix, ok := ch.suggest(key, m.String()); ok {
			ch.add(key, s, "has host bits set, so it is not a network address; did you mean %s?", quote(fix))
		} else {
			ch.add(key, s, "has host bits set, so it is not a network address; every bit after the first %d of the address must be 0", p.Bits())
		}
	}
	switch b := p.Bits(); {
	case b < minVpcBits:
		ch.add(key, s, "is /%d, larger than a VPC can be; use a prefix length from /%d to /%d%s",
			b, minVpcBits, maxTwoSubBits, mine(m.Addr(), minVpcBits))
	case b > maxVpcBits:
		ch.add(key, s, "is /%d, smaller than a VPC can be; use a prefix length from /%d to /%d%s",
			b, minVpcBits, maxTwoSubBits, mine(m.Addr(), maxTwoSubBits))
	case b > maxTwoSubBits:
		ch.add(key, s, "is too small for two subnets: each zone's subnet needs at least a /28, so the VPC must be /%d or larger (a shorter prefix length)%s",
			maxTwoSubBits, mine(m.Addr(), maxTwoSubBits))
	}
	for _, r := range unusableRanges {
		if m.Overlaps(r.prefix) {
			ch.add(key, s, "lies in %s (%s), which a VPC cannot use; use a private range inside %s%s",
				r.prefix, r.what, privateRanges, eg(ch.alternative(key, ch.exampleValues(key)...)))
			break
		}
	}
}

// overlap reports, under clientVpcCidr, whether two valid VPC ranges
// overlap. Only peering needs them disjoint.
func (ch *checker) overlap(api, client string) bool {
	a, _ := netip.ParsePrefix(api)
	c, _ := netip.ParsePrefix(client)
	if !a.Overlaps(c) {
		return false
	}
	ch.addBetween(keyClientVpcCidr, []string{keyApiVpcCidr, keyTransport}, client,
		"overlaps %s = %s; peered VPCs need disjoint address ranges, so choose a %s outside %s%s%s",
		keyApiVpcCidr, quote(api), keyClientVpcCidr, a, eg(ch.alternative(keyClientVpcCidr, ch.exampleValues(keyClientVpcCidr)...)), ch.overlapFix())
	return true
}

// cidrTrouble warns about a valid VPC range that other networks also use:
// the special ranges of troubleRanges, and public ranges, which the VPC
// routes to itself, hiding the Internet hosts that own them.
func (ch *checker) cidrTrouble(key, s string) {
	p, _ := netip.ParsePrefix(s)
	fix := func() string {
		if alt, ok := ch.alternative(key, ch.exampleValues(key)...); ok {
			return "; a private range such as " + quote(alt) + " avoids this"
		}
		return "; a private range inside " + privateRanges + " avoids this"
	}
	for _, t := range troubleRanges {
		if p.Overlaps(t.prefix) {
			ch.warn(key, s, "lies in %s, %s; a VPC accepts it, but %s%s", t.prefix, t.what, t.why, fix())
			return
		}
	}
	for _, private := range privatePrefixes {
		if private.Contains(p.Addr()) {
			return
		}
	}
	ch.warn(key, s, "is a public range, outside %s; a VPC accepts it, but routes these addresses to itself, so nothing in either VPC can reach the Internet hosts that own them%s",
		strings.ReplaceAll(privateRanges, " or ", " and "), fix())
}

func (ch *checker) stageName(key, name string) {
	rule := func() string {
		return `API Gateway allows 1 to 128 letters, digits, hyphens and underscores` + eg(ch.suggest(key, "v1"))
	}
	switch {
	case name == "":
		ch.add(key, name, "is empty; %s", rule())
	case !stageNameRe.MatchString(name):
		ch.add(key, name, "has characters a stage name cannot hold; %s", rule())
	}
	if n := utf8.RuneCountInString(name); n > maxStageNameLen {
		ch.add(key, name, "is %d characters long; %s", n, rule())
	}
}

// zones checks a pinned zone list. region is "" when the Region itself is
// invalid: that is already reported, and checking zones against it would
// only repeat it.
func (ch *checker) zones(key string, zones []string, regionKey, region, otherKey, other string) {
	if ch.skip[key] || len(zones) == 0 {
		return
	}
	example := func() string { return eg(ch.zoneExample(key)) }
	if len(zones) != 2 {
		ch.add(key, zones, "lists %d %s; give exactly 2 (one subnet in each)%s, or leave it unset %s",
			len(zones), plural(len(zones), "zone", "zones"), example(), ch.unsetZones(key, "to let CloudFormation pick"))
	}
	// Spaces and invisible characters are reported once for the list, and
	// the zones are checked without them.
	var flawed []string
	cleaned := make([]string, len(zones))
	removed := 0
	for i, z := range zones {
		clean, flaws, n := tidy(z)
		cleaned[i] = clean
		removed += n
		if flaws != "" {
			flawed = append(flawed, "zone "+quote(z)+" "+flaws)
		}
	}
	if len(flawed) > 0 {
		msg := joinAnd(flawed) + "; remove " + plural(removed, "it", "them")
		if s, ok := ch.suggest(key, strings.Join(cleaned, ",")); ok {
			msg += ": did you mean " + quote(s) + "?"
		}
		ch.add(key, zones, "%s", msg)
		zones = cleaned
	}
	seen := map[string]bool{}
	ids := 0
	for _, z := range zones {
		if zoneIDRe.MatchString(z) || edgeZoneIDRe.MatchString(z) {
			ids++
		}
	}
	if ids != 0 && ids != len(zones) {
		ch.add(key, zones, "mixes zone IDs and zone names; give both as IDs (%s) or both as names%s",
			quote(zones[slices.IndexFunc(zones, zoneIDRe.MatchString)]), example())
		return
	}
	for _, z := range zones {
		if seen[z] {
			ch.add(key, zones, "lists %s twice; the two zones must differ so that the subnets do not share a failure domain", quote(z))
			continue
		}
		seen[z] = true
		kind, of := zoneKind(z, region), ""
		if other != "" && !strings.HasPrefix(z, region+"-") {
			if k := zoneKind(z, other); k != "" {
				kind, of = k, other
			}
		}
		switch {
		case z == "":
			ch.add(key, zones, "has an empty zone name; give zone names%s", ch.suchAs(ch.zoneExample(key)))
		case region == "":
		case kind == "Local Zone" || kind == "Wavelength Zone":
			ch.add(key, zones, "%s is a %s; the endpoint and the function need Availability Zones of %s, so give two of those%s",
				quote(z), kind, cmp.Or(of, region), example())
		case of != "":
			ch.add(key, zones, "%s is a zone of %s = %s, not of %s = %s; give zones of %s%s",
				quote(z), otherKey, other, regionKey, region, region, example())
		case kind == "":
			ch.add(key, zones, "%s is not a zone of %s = %s; a zone name is the Region name followed by a letter, and a zone ID looks like %s%s",
				quote(z), regionKey, region, zoneIDPrefix(region)+"-az1", example())
		case zoneIDNumber(z) > maxZonesPerRegion:
			// A warning, not a refusal: AWS may open a Region with more.
			ch.warn(key, zones, "%s: no AWS Region has had more than %d Availability Zones (us-east-1 has use1-az1 to use1-az6), so this zone ID probably does not exist, and the subnet in it would fail to deploy; aws ec2 describe-availability-zones --region %s lists the Region's zone IDs",
				quote(z), maxZonesPerRegion, region)
		}
	}
	if ch.transport == TransportPrivateLink && region != "" {
		ch.crossRegionZones(key, zones, regionKey, region)
		ch.zoneNames(key, zones, regionKey, region)
	}
}

// noCrossRegionZones are the Availability Zone IDs where AWS PrivateLink
// does not support cross-Region access, as "Cross-Region access" of
// https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region
// lists them. A zone name maps to a zone ID per account, so only IDs can be
// checked.
var noCrossRegionZones = []string{"use1-az3", "usw1-az2", "apne1-az3", "apne2-az2", "apne2-az4"}

// crossRegionZones refuses, with transport privatelink, pinned zone IDs of
// region that cross-Region PrivateLink does not support: the API's load
// balancer, its endpoint service and each client's endpoint all live in
// these zones.
func (ch *checker) crossRegionZones(key string, zones []string, regionKey, region string) {
	prefix := zoneIDPrefix(region)
	var bad, good []string
	for _, z := range zones {
		switch {
		case !strings.HasPrefix(z, prefix+"-az") || !zoneIDRe.MatchString(z):
		case slices.Contains(noCrossRegionZones, z):
			if !slices.Contains(bad, z) {
				bad = append(bad, z)
			}
		case !slices.Contains(good, z):
			good = append(good, z)
		}
	}
	if prefix == "" || len(bad) == 0 {
		return
	}
	for n := 1; n <= 6 && len(good) < 2; n++ {
		if z := fmt.Sprintf("%s-az%d", prefix, n); !slices.Contains(noCrossRegionZones, z) && !slices.Contains(good, z) {
			good = append(good, z)
		}
	}
	quoted := make([]string, len(bad))
	for i, z := range bad {
		quoted[i] = quote(z)
	}
	ch.addBetween(key, []string{keyTransport}, zones,
		"%s %s where cross-Region PrivateLink is not supported, and %s = %s needs it (AWS lists %s as such zones); give other zones of %s = %s%s",
		joinAnd(quoted), plural(len(bad), "is a zone", "are zones"), keyTransport, quote(TransportPrivateLink),
		joinAnd(noCrossRegionZones), regionKey, region, eg(ch.suggest(key, strings.Join(good, ","))))
}

// maxZonesPerRegion is the most Availability Zones an AWS Region has: six,
// in US East (N. Virginia).
const maxZonesPerRegion = 6

// zoneIDNumber is the number that ends an Availability Zone ID (use1-az4:
// 4), or 0.
func zoneIDNumber(zone string) int {
	if !zoneIDRe.MatchString(zone) {
		return 0
	}
	n, _ := strconv.Atoi(zone[strings.LastIndex(zone, "-az")+3:])
	return n
}

// zoneKind says what zone is in region: "Availability Zone" (a name or an
// ID), "Local Zone", "Wavelength Zone" (names or IDs), or "" if it is none
// of region's.
func zoneKind(zone, region string) string {
	if m := zoneIDRe.FindStringSubmatch(zone); m != nil {
		if prefix := zoneIDPrefix(region); prefix == "" || m[1] == prefix {
			return "Availability Zone"
		}
		return ""
	}
	if m := edgeZoneIDRe.FindStringSubmatch(zone); m != nil {
		switch prefix := zoneIDPrefix(region); {
		case prefix != "" && m[1] != prefix:
			return ""
		case m[3] == "wlz":
			return "Wavelength Zone"
		}
		return "Local Zone"
	}
	suffix, ok := strings.CutPrefix(zone, region)
	switch {
	case !ok || !zoneSuffixRe.MatchString(suffix):
		return ""
	case len(suffix) == 1:
		return "Availability Zone"
	case strings.Contains(suffix, "-wl"):
		return "Wavelength Zone"
	}
	return "Local Zone"
}

// zoneIDPrefix is the Region's part of its zone IDs, as AWS forms it: the
// Region name's first part and each direction's initials, then its number
// (us-east-1: use1, ap-southeast-2: apse2, us-gov-west-1: usgw1), or "" for
// a name it cannot form.
func zoneIDPrefix(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return ""
	}
	short := map[string]string{"gov": "g", "north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
		"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}
	out := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		s, ok := short[p]
		if !ok {
			return ""
		}
		out += s
	}
	return out + parts[len(parts)-1]
}

// ZoneIDs reports whether zones are Availability Zone IDs (use1-az1)
// rather than names: the stacks then set them as the subnets' zone IDs.
func ZoneIDs(zones []string) bool {
	return len(zones) > 0 && zoneIDRe.MatchString(zones[0])
}

func isZoneOf(zone, region string) bool {
	return zoneKind(zone, region) != ""
}

func (ch *checker) logRetention(days int) {
	key := keyLogRetentionDays
	if ch.skip[key] || slices.Contains(logRetentionDays, days) {
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
	msg := "is not a retention period CloudWatch Logs accepts; use one of " + strings.Join(allowed, ", ")
	if s, ok := ch.suggest(key, strconv.Itoa(nearest)); ok {
		msg += " (nearest: " + s + ")"
	}
	ch.add(key, days, "%s", msg)
}

// oneOf checks that v is one of allowed.
func (ch *checker) oneOf(key, v string, allowed []string, why string) {
	if slices.Contains(allowed, v) {
		return
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = strconv.Quote(a)
	}
	msg := "is not one of " + strings.Join(quoted, ", ")
	// A near miss: another case ("PrivateLink"), separators
	// ("private-link"), or a typo of either ("privatelnk").
	lower := strings.ToLower(v)
	squashed := strings.NewReplacer("-", "", "_", "", " ", "", ".", "").Replace(lower)
	var guesses []string
	for _, g := range append([]string{lower, squashed}, append(near(lower, allowed), near(squashed, allowed)...)...) {
		if slices.Contains(allowed, g) && !slices.Contains(guesses, g) {
			guesses = append(guesses, g)
		}
	}
	if s, ok := ch.suggest(key, guesses...); ok {
		msg += "; did you mean " + quote(s) + "?"
	}
	ch.add(key, v, "%s; %s", msg, why)
}

// intRange reports whether the integer key is within its intLimits,
// reporting a problem if not.
func (ch *checker) intRange(key string, v int) bool {
	if ch.skip[key] {
		return false
	}
	l := intLimits[key]
	if v < l.lo || v > l.hi {
		ch.add(key, v, "is outside the allowed %d..%d; %s", l.lo, l.hi, l.why)
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

// closest returns the known name (a Region, a key) nearest to name in edit
// distance, when it is near enough to be a plausible typo.
func closest(name string, known []string) (string, bool) {
	if names := near(name, known); len(names) > 0 {
		return names[0], true
	}
	return "", false
}

// near returns the known names near enough to name to be a plausible typo
// of it, nearest first, so that a caller can skip one that does not fit.
func near(name string, known []string) []string {
	type scored struct {
		name string
		dist int
	}
	var found []scored
	for _, k := range known {
		// The distance is at least the difference in length, so a
		// pasted-in blob of text costs nothing here.
		if abs(len(name)-len(k)) > 3 {
			continue
		}
		if d := editDistance(name, k); d <= 3 && d*2 < len(k) {
			found = append(found, scored{k, d})
		}
	}
	slices.SortStableFunc(found, func(a, b scored) int { return a.dist - b.dist })
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.name
	}
	return names
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
