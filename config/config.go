// Package config turns the CDK context of the app into one typed Config and
// checks it before any construct exists, so that a typo in cdk.json or on the
// `cdk synth -c` command line stops synthesis with a list of every problem
// instead of surfacing as a half-finished CloudFormation deployment.
package config

import (
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
)

// keyOrder is the order of Keys and of the problems in an Error, so that the
// report reads in the same order as the Config fields.
var keyOrder = []string{
	keyAppName,
	keyAccount,
	keyApiRegion,
	keyApiVpcCidr,
	keyClientRegion,
	keyClientVpcCidr,
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
}

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
	// differ because the point of the app is cross-Region VPC peering.
	ApiRegion     string
	ApiVpcCidr    string
	ClientRegion  string
	ClientVpcCidr string
	// StageName is the API Gateway stage, and so part of the invoke URL.
	StageName string
	// ApiAvailabilityZones and ClientAvailabilityZones pin the two zones
	// of each VPC, for when a service the stacks use is offered only in
	// some zones. Empty leaves the choice to CloudFormation at deploy time,
	// so synthesis needs no AWS lookup.
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
	// number key) appears converted (31).
	Value string
	// Message says what is wrong and, after "; ", what is allowed or how
	// to fix it.
	Message string
}

// Error lists every problem found, so that one failed `cdk synth` is enough
// to fix all of them.
type Error struct {
	Problems []Problem
}

// Error returns one line per problem, in the form
// `key = value: what is wrong; what is allowed`.
func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return "config: no problems"
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Key + " = " + p.Value + ": " + p.Message
	}
	return strings.Join(lines, "\n")
}

// Load reads every key through lookup and validates the result. lookup
// reports ok=false (or a nil value, as JSON null gives) for a key that is
// not set; such keys take their default. Values may be strings, as from
// `cdk synth -c`, or JSON types, as from cdk.json.
//
// On failure Load returns the zero Config and an *Error listing every
// problem, so a caller cannot go on to build stacks from a half-valid value.
func Load(lookup func(key string) (value any, ok bool)) (Config, error) {
	l := loader{lookup: lookup, failed: map[string]bool{}}
	c := Defaults()
	l.str(keyAppName, &c.AppName, false)
	l.str(keyAccount, &c.Account, true)
	l.str(keyApiRegion, &c.ApiRegion, false)
	l.str(keyApiVpcCidr, &c.ApiVpcCidr, false)
	l.str(keyClientRegion, &c.ClientRegion, false)
	l.str(keyClientVpcCidr, &c.ClientVpcCidr, false)
	l.str(keyStageName, &c.StageName, false)
	l.list(keyApiAvailabilityZones, &c.ApiAvailabilityZones)
	l.list(keyClientAvailabilityZones, &c.ClientAvailabilityZones)
	l.int(keyLogRetentionDays, &c.LogRetentionDays)
	l.int(keyThrottleRateLimit, &c.ThrottleRateLimit)
	l.int(keyThrottleBurstLimit, &c.ThrottleBurstLimit)
	l.int(keyClientMaxAttempts, &c.ClientMaxAttempts)
	l.int(keyClientBackoffBaseMs, &c.ClientBackoffBaseMs)
	l.int(keyClientBackoffMaxMs, &c.ClientBackoffMaxMs)
	l.str(keyApiGatewayCloudWatchRole, &c.ApiGatewayCloudWatchRole, false)

	problems := append(l.problems, c.check(l.failed)...)
	if len(problems) > 0 {
		sortProblems(problems)
		return Config{}, &Error{Problems: problems}
	}
	return c, nil
}

// Validate checks c as Load does. It exists for a Config built or changed in
// code, which bypasses Load.
func (c Config) Validate() error {
	if problems := c.check(nil); len(problems) > 0 {
		sortProblems(problems)
		return &Error{Problems: problems}
	}
	return nil
}

// sortProblems puts problems in key order; within a key, the order in which
// they were found is kept.
func sortProblems(problems []Problem) {
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return slices.Index(keyOrder, a.Key) - slices.Index(keyOrder, b.Key)
	})
}

// loader converts raw context values to field types. A key whose value has
// the wrong type is recorded in failed, so validation skips it instead of
// reporting a second, misleading problem about the default left in its place.
type loader struct {
	lookup   func(string) (any, bool)
	failed   map[string]bool
	problems []Problem
}

func (l *loader) get(key string) (any, bool) {
	if l.lookup == nil {
		return nil, false
	}
	v, ok := l.lookup(key)
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

func (l *loader) fail(key string, v any, msg string) {
	l.failed[key] = true
	l.problems = append(l.problems, Problem{Key: key, Value: render(v), Message: msg})
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
		msg := "must be a string, not " + kindOf(v)
		if _, isNumber := toFloat(v); isNumber {
			msg += "; put it in quotes in cdk.json: " + strconv.Quote(render(v))
		} else {
			example := *dst    // the default
			if example == "" { // only account has no default
				example = "123456789012"
			}
			msg += "; give one quoted value such as " + strconv.Quote(example)
		}
		l.fail(key, v, msg)
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
	fix := "must be a whole number, written as a JSON number or a decimal string such as " + strconv.Quote(strconv.Itoa(*dst))
	switch x := v.(type) {
	case string:
		n, err := strconv.Atoi(x)
		if err != nil {
			l.fail(key, v, "is not a whole number; "+fix)
			return
		}
		*dst = n
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
		l.fail(key, v, "is "+kindOf(v)+"; "+fix)
		return
	}
	// 2^53 bounds the integers a float64 represents exactly; beyond it a
	// cdk.json number may already have been rounded.
	if f != math.Trunc(f) {
		l.fail(key, v, "is not a whole number; "+fix)
		return
	}
	if math.Abs(f) > 1<<53 {
		l.fail(key, v, "is far too large; "+fix+", within the allowed range")
		return
	}
	*dst = int(f)
}

// list reads a list key from a JSON array of strings or from one
// comma-separated string, since `-c` cannot pass an array. An empty list
// means unset.
func (l *loader) list(key string, dst *[]string) {
	v, ok := l.get(key)
	if !ok {
		return
	}
	const fix = `give a JSON array of strings or a comma-separated string such as "us-east-1a,us-east-1b"`
	var out []string
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
		for _, s := range strings.Split(x, ",") {
			out = append(out, strings.TrimSpace(s))
		}
	case []string:
		out = slices.Clone(x)
	case []any:
		for i, e := range x {
			s, isString := e.(string)
			if !isString {
				l.fail(key, v, "element "+strconv.Itoa(i)+" is "+kindOf(e)+", not a string; "+fix)
				return
			}
			out = append(out, s)
		}
	default:
		l.fail(key, v, "is "+kindOf(v)+", not a list; "+fix)
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
	c, err := Load(func(key string) (any, bool) {
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
		if file, foreign := src.Foreign[key]; foreign && !src.Project[key] {
			if isNear {
				warnings = append(warnings, fmt.Sprintf("%s = %s in %s is not a configuration key and is ignored; did you mean %s?",
					key, render(v), file, near))
			}
			continue
		}
		where := "given with -c"
		if src.Project[key] {
			where = "in cdk.json"
		}
		msg := "is not a configuration key (" + where + ")"
		if isNear {
			msg += "; did you mean " + near + "?"
		} else {
			msg += "; the keys are " + strings.Join(keyOrder, ", ")
		}
		unknown = append(unknown, Problem{Key: key, Value: render(v), Message: msg})
	}
	slices.Sort(warnings)
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
