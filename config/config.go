// Package config turns the CDK context of the app into one typed Config and
// checks it before any construct exists, so that a typo in cdk.json or on the
// `cdk synth -c` command line stops synthesis with a list of every problem
// instead of surfacing as a half-finished CloudFormation deployment.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Context keys. Each is both the cdk.json "context" key and the name given
// to `cdk synth -c key=value`.
const (
	keyAppName                  = "appName"
	keyAccount                  = "account"
	keyApiRegion                = "apiRegion"
	keyApiVpcCidr               = "apiVpcCidr"
	keySecondaryApiRegion       = "secondaryApiRegion"
	keySecondaryApiVpcCidr      = "secondaryApiVpcCidr"
	keyClientRegion             = "clientRegion"
	keyClientVpcCidr            = "clientVpcCidr"
	keyStageName                = "stageName"
	keyApiAvailabilityZones     = "apiAvailabilityZones"
	keyClientAvailabilityZones  = "clientAvailabilityZones"
	keyLogRetentionDays         = "logRetentionDays"
	keyThrottleRateLimit        = "throttleRateLimit"
	keyThrottleBurstLimit       = "throttleBurstLimit"
	keyClientMaxAttempts        = "clientMaxAttempts"
	keyClientBackoffBaseMs      = "clientBackoffBaseMs"
	keyClientBackoffMaxMs       = "clientBackoffMaxMs"
	keyApiGatewayCloudWatchRole = "apiGatewayCloudWatchRole"
	keyLogEncryption            = "logEncryption"
	keyPeeringConnectionsQuota  = "peeringConnectionsQuota"
	keyProbeIntervalMinutes     = "probeIntervalMinutes"
	keyAlarmEmail               = "alarmEmail"
	keyOrganizationId           = "organizationId"
	keyTransport                = "transport"
)

// keyOrder is the order of Keys and of the problems in an Error, so that the
// report reads in the same order as the Config fields.
var keyOrder = []string{
	keyAppName,
	keyAccount,
	keyApiRegion,
	keyApiVpcCidr,
	keySecondaryApiRegion,
	keySecondaryApiVpcCidr,
	keyClientRegion,
	keyClientVpcCidr,
	keyClients,
	keyTransport,
	keyOrganizationId,
	keyPeeringConnectionsQuota,
	keyStageName,
	keyApiAvailabilityZones,
	keyClientAvailabilityZones,
	keyLogRetentionDays,
	keyThrottleRateLimit,
	keyThrottleBurstLimit,
	keyClientMaxAttempts,
	keyClientBackoffBaseMs,
	keyClientBackoffMaxMs,
	keyApiGatewayCloudWatchRole,
	keyLogEncryption,
	keyProbeIntervalMinutes,
	keyAlarmEmail,
}

// Values of LogEncryption.
const (
	// LogEncryptionNone leaves log groups to CloudWatch Logs' own
	// encryption.
	LogEncryptionNone = "none"
	// LogEncryptionKMS encrypts every log group of each stack with a
	// customer-managed KMS key of that stack, and leaves out the one Lambda
	// function that would run outside a VPC (CDK's default-security-group
	// restriction): what AWS Control Tower's proactive controls require.
	LogEncryptionKMS = "kms"
)

// Values of ApiGatewayCloudWatchRole.
const (
	// CloudWatchRoleCreate: the API stack creates API Gateway's
	// Region-wide CloudWatch role, sets the account's setting to it, and
	// keeps the role when the stack is deleted.
	CloudWatchRoleCreate = "create"
	// CloudWatchRoleExisting: the account already has a role set in the
	// Region; the app leaves the setting alone.
	CloudWatchRoleExisting = "existing"
)

// Values of Transport.
const (
	// TransportPeering peers the API's VPC with each client's VPC across
	// Regions, with routes both ways and a return-route stack per client:
	// the address ranges must be disjoint, and Amazon VPC's peering quotas
	// bound the number of clients.
	TransportPeering = "peering"
	// TransportPrivateLink puts an internal Network Load Balancer and a
	// VPC endpoint service in front of the API's execute-api endpoint, and
	// gives each client an interface endpoint to that service from its own
	// Region (cross-Region AWS PrivateLink): no peering and no routes, so
	// the address ranges may overlap, and PrivateLink's quotas apply
	// instead of peering's.
	TransportPrivateLink = "privatelink"
)

// Stack roles for StackName. Constants rather than literals keep the stack
// names used for cross-stack references from drifting apart.
const (
	RoleApi          = "Api"
	RoleClient       = "Client"
	RolePeeringRoute = "PeeringRoute"
)

// Config is the whole configuration of the app. Build it with Load (or
// Defaults) and pass it by value: the stacks read it, they never change it.
type Config struct {
	// AppName prefixes every stack name and SSM parameter name, so two
	// copies of the app can be deployed side by side in one account.
	AppName string
	// Account is the AWS account ID to deploy to; "" leaves it to the
	// credentials in use at deploy time, which keeps the app deployable to
	// any account without editing cdk.json.
	Account string
	// ApiRegion hosts the private API; ClientRegion hosts its caller. They
	// differ because the point of the app is reaching a private API from
	// another Region (over Transport).
	ApiRegion     string
	ApiVpcCidr    string
	ClientRegion  string
	ClientVpcCidr string
	// SecondaryApiRegion, when set, holds a second, full copy of the API
	// side (VPC, execute-api endpoint, private API; over PrivateLink its
	// own endpoint service), and every client gets a path to both, so
	// that a client can fail over when one Region's API or path fails;
	// "" leaves the app with one API Region. Read both with ApiRegions.
	SecondaryApiRegion string
	// SecondaryApiVpcCidr is the range of the secondary API's VPC; over
	// peering, every client routes to it as well as to ApiVpcCidr, so it
	// must be disjoint from both. Ignored without SecondaryApiRegion.
	SecondaryApiVpcCidr string
	// StageName is the API Gateway stage, and so part of the invoke URL.
	StageName string
	// ApiAvailabilityZones and ClientAvailabilityZones pin the two zones
	// of each VPC, for when a service the stacks use is offered only in
	// some zones. Empty leaves the choice to CloudFormation at deploy time,
	// so synthesis needs no AWS lookup, except over TransportPrivateLink in
	// the Regions of privateLinkZones, where it means two zone IDs with
	// cross-Region PrivateLink (whether every account has them is not
	// documented; see privateLinkZones). Read them with ApiZones and
	// ClientZones.
	ApiAvailabilityZones    []string
	ClientAvailabilityZones []string
	// LogRetentionDays is how long API access logs are kept.
	LogRetentionDays int
	// ThrottleRateLimit (requests per second, whole stage) and
	// ThrottleBurstLimit protect the account-wide API Gateway quota that
	// other APIs in the account share.
	ThrottleRateLimit int
	// ThrottleBurstLimit is at least 1 because API Gateway's token bucket
	// never holds a token with a burst of 0, so every request would be
	// rejected with 429.
	ThrottleBurstLimit int
	// ClientMaxAttempts counts the first call; 1 means no retries.
	ClientMaxAttempts int
	// ClientBackoffBaseMs and ClientBackoffMaxMs bound the client's
	// exponential backoff between attempts.
	ClientBackoffBaseMs int
	ClientBackoffMaxMs  int
	// ApiGatewayCloudWatchRole is CloudWatchRoleCreate or
	// CloudWatchRoleExisting: whether the API stack manages API Gateway's
	// Region-wide CloudWatch role, which the stage's execution logs need.
	ApiGatewayCloudWatchRole string
	// LogEncryption is LogEncryptionNone or LogEncryptionKMS.
	LogEncryption string
	// Clients are the client VPCs of `clients`; nil means the one client
	// of ClientRegion and ClientVpcCidr. Read them with ClientList.
	Clients []Client
	// Transport is how the clients reach the API's VPC from their Regions:
	// TransportPeering (VPC peering, today's app) or TransportPrivateLink
	// (cross-Region PrivateLink). It is a choice because each has a cost:
	// peering needs disjoint address ranges and meets Amazon VPC's peering
	// and security-group quotas as clients grow; PrivateLink allows
	// overlapping ranges, which is often all that existing VPCs in many
	// accounts can offer, at the price of a load balancer and an endpoint
	// service in front of the API. Read it with UsesPeering.
	Transport string
	// PeeringConnectionsQuota is the account's Amazon VPC quota "Active VPC
	// peering connections per VPC" in apiRegion: the API's VPC peers with
	// every client, so it bounds their number. 50 unless raised. It is
	// ignored with TransportPrivateLink.
	PeeringConnectionsQuota int
	// ProbeIntervalMinutes is how often each client calls the API on its
	// own, to prove the whole private path and feed its alarm; 0 turns the
	// probes, their alarms and the dashboard off.
	ProbeIntervalMinutes int
	// AlarmEmail, when set, is subscribed to each client's alarm topic; the
	// owner of the address must confirm the subscription.
	AlarmEmail string
	// OrganizationId, when set, is the AWS Organizations id whose
	// principals the API's resource policy and endpoint policy admit,
	// instead of listing the accounts: their size no longer grows with the
	// clients.
	OrganizationId string
}

// Defaults returns the configuration used for every key left unset.
func Defaults() Config {
	return Config{
		AppName:             "CrossRegionApi",
		ApiRegion:           "us-east-1",
		ApiVpcCidr:          "10.0.0.0/16",
		ClientRegion:        "us-west-2",
		ClientVpcCidr:       "192.168.0.0/16",
		StageName:           "v1",
		LogRetentionDays:    30,
		ThrottleRateLimit:   10,
		ThrottleBurstLimit:  20,
		ClientMaxAttempts:   3,
		ClientBackoffBaseMs: 100,
		ClientBackoffMaxMs:  2000,

		ApiGatewayCloudWatchRole: CloudWatchRoleCreate,
		LogEncryption:            LogEncryptionNone,
		Transport:                TransportPeering,
		PeeringConnectionsQuota:  50,
		ProbeIntervalMinutes:     5,
		// Beside the primary's range, and outside both the client default
		// and the 10.1-10.99 ranges examples give clients.
		SecondaryApiVpcCidr: "10.100.0.0/16",
	}
}

// Keys lists every context key Load reads, so the app and its tests can
// reject cdk.json entries that nothing reads (usually misspellings, which
// would otherwise silently fall back to the default).
func Keys() []string {
	return slices.Clone(keyOrder)
}

// StackName is the CloudFormation stack name for a role (RoleApi,
// RoleClient, RolePeeringRoute). Prefixing with AppName is what lets two
// copies of the app coexist in one account and Region.
func (c Config) StackName(role string) string {
	return c.AppName + "-" + role
}

// UsesPeering reports whether the clients reach the API over VPC peering
// (peering connections, routes both ways, return-route stacks), as opposed
// to cross-Region PrivateLink. A validated Config holds one of the two
// values; an unset Transport is the default, peering.
func (c Config) UsesPeering() bool {
	return c.Transport != TransportPrivateLink
}

// SSMPrefix is the path every SSM parameter name of the app starts with; it
// is per AppName for the same reason as StackName.
func (c Config) SSMPrefix() string {
	return "/" + c.AppName
}

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Key is the context key to change. A problem between two keys (such
	// as overlapping CIDRs) is reported once, under the second key, and
	// its Message names the first.
	Key string
	// Value is the offending value written as JSON, as it would appear in
	// cdk.json, so that the string "30" and the number 30 stay
	// distinguishable. A value Load converted (the string "31" for a
	// number key) appears converted (31). Characters a terminal would not
	// show (control characters, U+200B and other invisible ones) are
	// escaped, and a rendering longer than 200 characters is cut after its
	// start and followed by the value's length, e.g.
	// "aaaa…" (100000 characters), so that one huge value cannot bury the
	// rest of the report. It is "" for a problem without a value of its
	// own: a field that is missing, or a number of clients over a quota.
	Value string
	// Message says what is wrong and, after "; ", what is allowed or how
	// to fix it. Any value it suggests has itself been checked, with the
	// other keys as they are, and values it quotes are shown as in Value.
	Message string
}

// Error lists every problem found, so that one failed `cdk synth` is enough
// to fix all of them.
type Error struct {
	Problems []Problem
}

// Error returns one line per problem, in the form
// `key = value: what is wrong; what is allowed`, or `key: …` for a problem
// without a value of its own (a missing field, a count of clients).
func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return "config: no problems"
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Value == "" {
			lines[i] = displayKey(p.Key) + ": " + p.Message
			continue
		}
		lines[i] = displayKey(p.Key) + " = " + p.Value + ": " + p.Message
	}
	return strings.Join(lines, "\n")
}

// Load reads every key through lookup and validates the result. lookup
// reports ok=false for a key that is not set; such keys take their default.
// A key set to JSON null (ok=true, value nil) is a problem: it reads like a
// setting, so quietly taking the default would hide a mistake such as an
// unfilled template. Values may be strings, as from `cdk synth -c`, or JSON
// types, as from cdk.json.
//
// On failure Load returns the zero Config and an *Error listing every
// problem, so a caller cannot go on to build stacks from a half-valid value.
// Load drops warnings about values that work but invite trouble;
// FromContext returns them.
func Load(lookup func(key string) (value any, ok bool)) (Config, error) {
	c, _, err := load(lookup)
	return c, err
}

// load is Load that also returns the warnings, as "key = value: why" lines
// in key order.
func load(lookup func(key string) (value any, ok bool)) (Config, []string, error) {
	l := loader{lookup: lookup, failed: map[string]bool{}}
	c := Defaults()
	for _, key := range keyOrder {
		switch p := field(&c, key).(type) {
		case *string:
			// Only these keys have no default, so only there does ""
			// mean unset.
			l.str(key, p, key == keyAccount || key == keyAlarmEmail || key == keyOrganizationId || key == keySecondaryApiRegion)
		case *int:
			l.int(key, p)
		case *[]string:
			l.list(key, p)
		case *[]Client:
			l.clients(key, p)
		}
	}

	// The loader's messages are written only now, with the whole
	// configuration loaded, so that the values they suggest can be checked
	// beside the other keys.
	ch := &checker{cfg: c, skip: l.failed}
	var problems []Problem
	for _, f := range l.found {
		problems = append(problems, Problem{Key: f.key, Value: render(f.value), Message: f.message(ch)})
	}
	ch.run()
	problems = append(problems, ch.problems...)
	warnings := ch.warnings
	slices.SortStableFunc(warnings, func(a, b warning) int {
		return keyRank(a.key) - keyRank(b.key)
	})
	lines := make([]string, len(warnings))
	for i, w := range warnings {
		lines[i] = w.text
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return Config{}, lines, &Error{Problems: problems}
	}
	return c, lines, nil
}

// Validate checks c as Load does. It exists for a Config built or changed in
// code, which bypasses Load.
func (c Config) Validate() error {
	if problems, _ := c.check(nil); len(problems) > 0 {
		sortProblems(problems)
		return &Error{Problems: problems}
	}
	return nil
}

// sortProblems puts problems in key order; within a key, the order in which
// they were found is kept.
func sortProblems(problems []Problem) {
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return keyRank(a.Key) - keyRank(b.Key)
	})
}

// field returns a pointer to the field of c that key sets: *string, *int
// or *[]string, or nil for an unknown key. Load and the re-validation of
// suggestions both go through it, so they cannot disagree about a key.
func field(c *Config, key string) any {
	switch key {
	case keyAppName:
		return &c.AppName
	case keyAccount:
		return &c.Account
	case keyApiRegion:
		return &c.ApiRegion
	case keyApiVpcCidr:
		return &c.ApiVpcCidr
	case keySecondaryApiRegion:
		return &c.SecondaryApiRegion
	case keySecondaryApiVpcCidr:
		return &c.SecondaryApiVpcCidr
	case keyClientRegion:
		return &c.ClientRegion
	case keyClientVpcCidr:
		return &c.ClientVpcCidr
	case keyStageName:
		return &c.StageName
	case keyApiAvailabilityZones:
		return &c.ApiAvailabilityZones
	case keyClientAvailabilityZones:
		return &c.ClientAvailabilityZones
	case keyLogRetentionDays:
		return &c.LogRetentionDays
	case keyThrottleRateLimit:
		return &c.ThrottleRateLimit
	case keyThrottleBurstLimit:
		return &c.ThrottleBurstLimit
	case keyClientMaxAttempts:
		return &c.ClientMaxAttempts
	case keyClientBackoffBaseMs:
		return &c.ClientBackoffBaseMs
	case keyClientBackoffMaxMs:
		return &c.ClientBackoffMaxMs
	case keyApiGatewayCloudWatchRole:
		return &c.ApiGatewayCloudWatchRole
	case keyLogEncryption:
		return &c.LogEncryption
	case keyClients:
		return &c.Clients
	case keyPeeringConnectionsQuota:
		return &c.PeeringConnectionsQuota
	case keyProbeIntervalMinutes:
		return &c.ProbeIntervalMinutes
	case keyAlarmEmail:
		return &c.AlarmEmail
	case keyOrganizationId:
		return &c.OrganizationId
	case keyTransport:
		return &c.Transport
	}
	if p := entryField(c, key); p != nil {
		return p
	}
	return nil
}

// set stores v, written as a `-c` value would be, in key's field of c, and
// reports whether it converted as the loader would convert it.
func set(c *Config, key, v string) bool {
	switch p := field(c, key).(type) {
	case *string:
		*p = v
		return true
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return false
		}
		*p = n
		return true
	case *[]string:
		*p = splitList(v)
		return true
	}
	return false
}

// splitList splits a comma-separated `-c` list value.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, e := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(e))
	}
	return out
}

// loader converts raw context values to field types. A key whose value has
// the wrong type is recorded in failed, so validation skips it instead of
// reporting a second, misleading problem about the default left in its place.
type loader struct {
	lookup func(string) (any, bool)
	failed map[string]bool
	found  []loadProblem
}

// loadProblem is a problem the loader found. Its message is written after
// loading, when the values it suggests can be checked.
type loadProblem struct {
	key     string
	value   any
	message func(ch *checker) string
}

func (l *loader) get(key string) (any, bool) {
	if l.lookup == nil {
		return nil, false
	}
	v, ok := l.lookup(key)
	if !ok {
		return nil, false
	}
	if v == nil {
		l.fail(key, nil, func(ch *checker) string { return "has no value; " + ch.unsetHint(key) })
		return nil, false
	}
	return v, true
}

// fail reports a value that could not be converted.
func (l *loader) fail(key string, v any, msg func(ch *checker) string) {
	l.failed[key] = true
	l.report(key, v, msg)
}

// report reports a problem with a value that was converted all the same,
// so that validation reports anything else wrong with it.
func (l *loader) report(key string, v any, msg func(ch *checker) string) {
	l.found = append(l.found, loadProblem{key, v, msg})
}

// str reads a string key. An empty string means unset only for optional
// keys: for a key with a default, `-c apiRegion=$REGION` with REGION unset
// must not quietly deploy to the default Region, so "" is left for
// validation to reject.
func (l *loader) str(key string, dst *string, optional bool) {
	v, ok := l.get(key)
	if !ok {
		return
	}
	s, isString := v.(string)
	if !isString {
		l.fail(key, v, func(ch *checker) string {
			msg := "must be a string, not " + kindOf(v)
			if _, isNumber := toFloat(v); isNumber {
				digits := render(v)
				if fix, ok := ch.suggest(key, digits); ok {
					return msg + "; put it in quotes in cdk.json: " + quote(fix)
				}
				// A number cannot keep the leading zeros of an
				// account ID, so 012345678901 arrives as 12345678901.
				if key == keyAccount && len(digits) < 12 && strings.Trim(digits, "0123456789") == "" {
					if fix, ok := ch.suggest(key, strings.Repeat("0", 12-len(digits))+digits); ok {
						return msg + "; an account ID is 12 digits in quotes, and a number loses leading zeros: if the account ID begins with 0, put it in quotes in cdk.json: " + quote(fix)
					}
				}
				if key == keyAccount {
					return msg + "; give the 12-digit account ID in quotes"
				}
			}
			if ex := ch.examples(key, 1, ch.exampleValues(key)...); ex != "" {
				return msg + "; give one quoted value such as " + ex
			}
			return msg + "; give one quoted value"
		})
		return
	}
	if s == "" && optional {
		return
	}
	*dst = s
}

// int reads an integer key from a JSON number or a decimal string, the two
// forms cdk.json and `-c` produce.
func (l *loader) int(key string, dst *int) {
	v, ok := l.get(key)
	if !ok {
		return
	}
	fix := func(ch *checker) string {
		msg := "must be a whole number, written as a JSON number or a decimal string"
		if ex := ch.examples(key, 1, ch.exampleValues(key)...); ex != "" {
			msg += " such as " + ex
		}
		return msg
	}
	switch x := v.(type) {
	case string:
		clean, flaws, removed := tidy(x)
		n, err := strconv.Atoi(clean)
		switch {
		case err == nil && flaws == "":
			*dst = n
		case err == nil:
			// Keep the number, so validation still reports whether it
			// is in range.
			*dst = n
			l.report(key, v, func(ch *checker) string {
				msg := flaws + "; remove " + plural(removed, "it", "them")
				if fix, ok := ch.suggest(key, clean); ok {
					msg += ": did you mean " + quote(fix) + "?"
				}
				return msg
			})
		case errors.Is(err, strconv.ErrRange):
			l.fail(key, v, func(ch *checker) string { return outOfRange(ch, key, strings.HasPrefix(clean, "-")) })
		default:
			l.fail(key, v, func(ch *checker) string { return "is not a whole number; " + fix(ch) })
		}
		return
	case int:
		*dst = x
		return
	case int64:
		*dst = int(x)
		return
	}
	f, isNumber := toFloat(v)
	if !isNumber {
		l.fail(key, v, func(ch *checker) string { return "is " + kindOf(v) + "; " + fix(ch) })
		return
	}
	if f != math.Trunc(f) {
		l.fail(key, v, func(ch *checker) string { return "is not a whole number; " + fix(ch) })
		return
	}
	// 2^53 bounds the integers a float64 represents exactly; beyond it a
	// cdk.json number may already have been rounded.
	if math.Abs(f) > 1<<53 {
		l.fail(key, v, func(ch *checker) string { return outOfRange(ch, key, f < 0) })
		return
	}
	*dst = int(f)
}

// outOfRange is the message for a whole number too large to hold in an
// int: it is still a whole number, just far outside what the key allows.
func outOfRange(ch *checker, key string, negative bool) string {
	lo, hi := intBounds(key)
	msg := "is a whole number, but too large"
	if negative {
		msg = "is a whole number, but too far below zero"
	}
	msg += fmt.Sprintf(": the allowed range is %d..%d; give a whole number in that range", lo, hi)
	if ex := ch.examples(key, 1, ch.exampleValues(key)...); ex != "" {
		msg += " such as " + ex
	}
	return msg
}

// list reads a list key from a JSON array of strings or from one
// comma-separated string, since `-c` cannot pass an array. An empty list
// means unset.
func (l *loader) list(key string, dst *[]string) {
	v, ok := l.get(key)
	if !ok {
		return
	}
	fix := func(ch *checker) string {
		return "give a JSON array of strings or a comma-separated string" + ch.suchAs(ch.zoneExample(key))
	}
	var out []string
	if s, isString := v.(string); isString && strings.HasPrefix(strings.TrimSpace(s), "[") {
		// -c key='["a","b"]', as clients takes it.
		var parsed any
		if err := json.Unmarshal([]byte(s), &parsed); err != nil {
			l.fail(key, v, func(ch *checker) string { return "is not JSON (" + jsonError(s, err) + "); " + fix(ch) })
			return
		}
		v = parsed
	}
	switch x := v.(type) {
	case string:
		out = splitList(x)
	case []string:
		out = slices.Clone(x)
	case []any:
		for i, e := range x {
			s, isString := e.(string)
			if !isString {
				l.fail(key, v, func(ch *checker) string {
					return "element " + strconv.Itoa(i) + " is " + kindOf(e) + ", not a string; " + fix(ch)
				})
				return
			}
			out = append(out, s)
		}
	default:
		l.fail(key, v, func(ch *checker) string { return "is " + kindOf(v) + ", not a list; " + fix(ch) })
		return
	}
	if len(out) == 0 {
		return
	}
	*dst = out
}

// toFloat accepts the number types a lookup may return: float64 from JSON,
// and int or int64 from Go code that sets context directly.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// kindOf names v's type in cdk.json terms, which is what the user wrote.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	}
	if _, isNumber := toFloat(v); isNumber {
		return "a number"
	}
	return "of an unsupported type"
}

// cdkOwnKeys are context keys without a ':' that the CDK CLI itself writes
// into cdk.context.json (`cdk acknowledge`, `cdk cli-telemetry`).
var cdkOwnKeys = []string{"acknowledged-issue-numbers", "cli-telemetry"}

// Sources says where context keys came from, as far as the app can tell: the
// CDK CLI hands the app one map merged from cdk.json, ~/.cdk.json,
// cdk.context.json and -c, so the app reads the files itself to tell them
// apart.
type Sources struct {
	// Project holds the keys of the "context" of the project's cdk.json.
	Project map[string]bool
	// Foreign maps keys of files the project does not own to the file
	// (cdk.context.json, written by the CDK CLI; ~/.cdk.json, the user's
	// defaults for every CDK app).
	Foreign map[string]string
}

// FromContext loads the configuration from all of the app's context and
// also reports keys that nothing reads: a misspelt key would otherwise be
// ignored and its default used without a word. Keys that are not the
// project's to judge are left alone: CDK's feature flags and settings (a ':'
// in the name), the keys the CDK CLI writes itself, and keys from files the
// project does not own. A key in the project's cdk.json, or one from nowhere
// else (so from -c), is an error; a key from a foreign file that looks like
// a misspelt configuration key is a warning, since -c may have given it too.
func FromContext(ctx map[string]any, src Sources) (Config, []string, error) {
	c, valueWarnings, err := load(func(key string) (any, bool) {
		v, ok := ctx[key]
		return v, ok
	})
	var unknown []Problem
	var warnings []string
	for key, v := range ctx {
		if strings.Contains(key, ":") || slices.Contains(keyOrder, key) || slices.Contains(cdkOwnKeys, key) {
			continue
		}
		near, isNear := closest(key, keyOrder)
		// A known key behind spaces or invisible characters is that key
		// mistyped in a way the user cannot see, so say what is in the way.
		why := ""
		if clean, flaws, _ := tidy(key); flaws != "" && slices.Contains(keyOrder, clean) {
			near, isNear, why = clean, true, ": its name "+flaws
		}
		if file, foreign := src.Foreign[key]; foreign && !src.Project[key] {
			if isNear {
				warnings = append(warnings, fmt.Sprintf("%s = %s in %s is not a configuration key and is ignored%s; did you mean %s?",
					displayKey(key), render(v), file, why, near))
			}
			continue
		}
		where := "given with -c"
		if src.Project[key] {
			where = "in cdk.json"
		}
		msg := "is not a configuration key (" + where + ")" + why
		if isNear {
			msg += "; did you mean " + near + "?"
		} else {
			msg += "; the keys are " + strings.Join(keyOrder, ", ")
		}
		unknown = append(unknown, Problem{Key: key, Value: render(v), Message: msg})
	}
	// Warnings about keys first, sorted, then those about values, in key
	// order: both orders are stable from run to run.
	slices.Sort(warnings)
	warnings = append(warnings, valueWarnings...)
	if len(unknown) == 0 {
		return c, warnings, err
	}
	slices.SortFunc(unknown, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
	var cerr *Error
	if err != nil && errors.As(err, &cerr) {
		unknown = append(cerr.Problems, unknown...)
	}
	return Config{}, warnings, &Error{Problems: unknown}
}
