package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	jsii "github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// TestMain stops the Node.js process that the Region lookup starts; every
// test shares that one process, since starting it costs seconds.
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// context returns a lookup over m, as app.Node().TryGetContext would see
// the same keys: absent keys are unset.
func context(m map[string]any) func(string) (any, bool) {
	return func(key string) (any, bool) {
		v, ok := m[key]
		return v, ok
	}
}

// problems returns the problems inside err, failing the test if err is not
// an *Error.
func problems(t *testing.T, err error) []Problem {
	t.Helper()
	if err == nil {
		t.Fatal("got no error, want problems")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is %T, want *Error: %v", err, err)
	}
	return e.Problems
}

func keysOf(ps []Problem) []string {
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	return keys
}

// TestDefaults checks that an absent key takes its default, and that a key
// set to JSON null does not: null reads like a setting, so it is a problem
// naming the key, one per key.
func TestDefaults(t *testing.T) {
	tests := []struct {
		name     string
		lookup   func(string) (any, bool)
		wantKeys []string // nil: want Defaults()
	}{
		{"no keys", context(nil), nil},
		{"nil lookup", nil, nil},
		{"every key null", func(string) (any, bool) { return nil, true }, Keys()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.lookup)
			if tt.wantKeys != nil {
				ps := problems(t, err)
				if diff := cmp.Diff(tt.wantKeys, keysOf(ps)); diff != "" {
					t.Fatalf("problem keys mismatch (-want +got):\n%s\nerror:\n%v", diff, err)
				}
				for _, p := range ps {
					if p.Value != "null" || !strings.HasPrefix(p.Message, "has no value; ") {
						t.Errorf("got %s = %s: %s, want null: has no value; ...", p.Key, p.Value, p.Message)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(Defaults(), got); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if err := Defaults().Validate(); err != nil {
		t.Errorf("Defaults().Validate() = %v", err)
	}
}

func TestLoadOverrides(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want func(c *Config)
	}{
		{
			name: "every key as strings, as from cdk synth -c",
			ctx: map[string]any{
				"appName":                  "MyApp-2",
				"account":                  "012345678901",
				"apiRegion":                "eu-west-1",
				"apiVpcCidr":               "10.1.0.0/16",
				"secondaryApiRegion":       "eu-north-1",
				"secondaryApiVpcCidr":      "10.3.0.0/16",
				"clientRegion":             "eu-central-1",
				"clientVpcCidr":            "10.2.0.0/24",
				"stageName":                "prod_2-a",
				"apiAvailabilityZones":     `["eu-west-1a", "eu-west-1b"]`,
				"clientAvailabilityZones":  " eu-central-1a , eu-central-1c ",
				"logRetentionDays":         "90",
				"throttleRateLimit":        "100",
				"throttleBurstLimit":       "200",
				"clientMaxAttempts":        "5",
				"clientBackoffBaseMs":      "50",
				"clientBackoffMaxMs":       "5000",
				"apiGatewayCloudWatchRole": "existing",
				"logEncryption":            "kms",
				"transport":                "privatelink",
				"peeringConnectionsQuota":  "75",
				"probeIntervalMinutes":     "15",
				"alarmEmail":               "ops@example.com",
			},
			want: func(c *Config) {
				*c = Config{
					AppName:                 "MyApp-2",
					Account:                 "012345678901",
					ApiRegion:               "eu-west-1",
					ApiVpcCidr:              "10.1.0.0/16",
					SecondaryApiRegion:      "eu-north-1",
					SecondaryApiVpcCidr:     "10.3.0.0/16",
					ClientRegion:            "eu-central-1",
					ClientVpcCidr:           "10.2.0.0/24",
					StageName:               "prod_2-a",
					ApiAvailabilityZones:    []string{"eu-west-1a", "eu-west-1b"},
					ClientAvailabilityZones: []string{"eu-central-1a", "eu-central-1c"},
					LogRetentionDays:        90,
					ThrottleRateLimit:       100,
					ThrottleBurstLimit:      200,
					ClientMaxAttempts:       5,
					ClientBackoffBaseMs:     50,
					ClientBackoffMaxMs:      5000,

					ApiGatewayCloudWatchRole: CloudWatchRoleExisting,
					LogEncryption:            LogEncryptionKMS,
					Transport:                TransportPrivateLink,
					PeeringConnectionsQuota:  75,
					ProbeIntervalMinutes:     15,
					AlarmEmail:               "ops@example.com",
				}
			},
		},
		{
			name: "JSON types, as from cdk.json",
			ctx: map[string]any{
				"account":                 "123456789012",
				"apiRegion":               "us-west-2",
				"clientRegion":            "us-east-1",
				"apiAvailabilityZones":    []any{"usw2-az1", "usw2-az3"},
				"clientAvailabilityZones": []any{"us-east-1c", "us-east-1f"},
				"logRetentionDays":        float64(365),
				"throttleRateLimit":       float64(50),
				"throttleBurstLimit":      float64(60),
				"clientMaxAttempts":       float64(1),
				"clientBackoffBaseMs":     float64(10),
				"clientBackoffMaxMs":      float64(10),
			},
			want: func(c *Config) {
				c.Account = "123456789012"
				c.ApiRegion, c.ClientRegion = "us-west-2", "us-east-1"
				c.ApiAvailabilityZones = []string{"usw2-az1", "usw2-az3"}
				c.ClientAvailabilityZones = []string{"us-east-1c", "us-east-1f"}
				c.LogRetentionDays = 365
				c.ThrottleRateLimit, c.ThrottleBurstLimit = 50, 60
				c.ClientMaxAttempts = 1
				c.ClientBackoffBaseMs, c.ClientBackoffMaxMs = 10, 10
			},
		},
		{
			name: "Go ints and string slices, as from SetContext in Go",
			ctx: map[string]any{
				"logRetentionDays":     3653,
				"throttleRateLimit":    int64(10000),
				"throttleBurstLimit":   5000,
				"clientMaxAttempts":    10,
				"clientBackoffBaseMs":  10000,
				"clientBackoffMaxMs":   10000,
				"apiAvailabilityZones": []string{"us-east-1a", "us-east-1b"},
			},
			want: func(c *Config) {
				c.LogRetentionDays = 3653
				c.ThrottleRateLimit, c.ThrottleBurstLimit = 10000, 5000
				c.ClientMaxAttempts = 10
				c.ClientBackoffBaseMs, c.ClientBackoffMaxMs = 10000, 10000
				c.ApiAvailabilityZones = []string{"us-east-1a", "us-east-1b"}
			},
		},
		{
			name: "size limits",
			ctx: map[string]any{
				"appName":       strings.Repeat("a", 40),
				"stageName":     strings.Repeat("s", 128),
				"apiVpcCidr":    "172.16.0.0/16",
				"clientVpcCidr": "172.17.0.32/27",
			},
			want: func(c *Config) {
				c.AppName = strings.Repeat("a", 40)
				c.StageName = strings.Repeat("s", 128)
				c.ApiVpcCidr, c.ClientVpcCidr = "172.16.0.0/16", "172.17.0.32/27"
			},
		},
		{
			name: "empty optional keys are unset",
			ctx: map[string]any{
				"account":                 "",
				"apiAvailabilityZones":    "",
				"clientAvailabilityZones": []any{},
			},
			want: func(*Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Defaults()
			tt.want(&want)
			got, err := Load(context(tt.ctx))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// loadProblemCases has one case per kind of bad input; each must give
// exactly one problem, under the key to fix, showing the bad value.
// TestSuggestionsAreValid also runs them, to check what their messages
// suggest.
var loadProblemCases = []struct {
	name      string
	ctx       map[string]any
	wantKey   string
	wantValue string
	wantMsg   []string
}{
	// Types.
	{"string key given a number", map[string]any{"appName": float64(42)}, "appName", `42`, []string{"must be a string, not a number"}},
	{"string key given a boolean", map[string]any{"apiRegion": true}, "apiRegion", `true`, []string{"must be a string, not a boolean"}},
	{"string key given a list", map[string]any{"apiVpcCidr": []any{"10.0.0.0/16"}}, "apiVpcCidr", `["10.0.0.0/16"]`, []string{"must be a string, not a list"}},
	{"account as a JSON number", map[string]any{"account": float64(123456789012)}, "account", `123456789012`, []string{"not a number", `put it in quotes in cdk.json: "123456789012"`}},
	{"int key given a word", map[string]any{"logRetentionDays": "thirty"}, "logRetentionDays", `"thirty"`, []string{"not a whole number", `"30"`}},
	{"int key given a fraction", map[string]any{"throttleRateLimit": 10.5}, "throttleRateLimit", `10.5`, []string{"not a whole number"}},
	{"int key given a boolean", map[string]any{"clientMaxAttempts": true}, "clientMaxAttempts", `true`, []string{"is a boolean", `"3"`}},
	{"int key given a huge number", map[string]any{"clientBackoffMaxMs": 1e300}, "clientBackoffMaxMs", `1e+300`, []string{"too large"}},
	{"a Local Zone", map[string]any{"apiRegion": "us-west-2", "clientRegion": "us-east-1", "apiAvailabilityZones": "us-west-2-lax-1a,us-west-2b"}, "apiAvailabilityZones", `["us-west-2-lax-1a","us-west-2b"]`,
		[]string{`"us-west-2-lax-1a" is a Local Zone`, "need Availability Zones of us-west-2", `"us-west-2a,us-west-2b"`}},
	{"a Wavelength Zone", map[string]any{"clientAvailabilityZones": []any{"us-west-2-wl1-las-wlz-1", "us-west-2a"}}, "clientAvailabilityZones", `["us-west-2-wl1-las-wlz-1","us-west-2a"]`,
		[]string{`"us-west-2-wl1-las-wlz-1" is a Wavelength Zone`}},
	{"a zone ID of another Region", map[string]any{"apiAvailabilityZones": "use1-az1,usw2-az2"}, "apiAvailabilityZones", `["use1-az1","usw2-az2"]`,
		[]string{`"usw2-az2" is a zone of clientRegion = us-west-2, not of apiRegion = us-east-1`}},
	{"zone IDs and names mixed", map[string]any{"apiAvailabilityZones": "use1-az1,us-east-1b"}, "apiAvailabilityZones", `["use1-az1","us-east-1b"]`,
		[]string{"mixes zone IDs and zone names"}},
	{"a JSON list on -c, broken", map[string]any{"apiAvailabilityZones": `["us-east-1a",]`}, "apiAvailabilityZones", `"[\"us-east-1a\",]"`,
		[]string{"is not JSON (line 1, column 15: invalid character ']'"}},
	{"probe interval over a day", map[string]any{"probeIntervalMinutes": 1441}, "probeIntervalMinutes", `1441`, []string{"outside the allowed 0..1440", "0 to turn the probes"}},
	{"probe interval below zero", map[string]any{"probeIntervalMinutes": "-5"}, "probeIntervalMinutes", `-5`, []string{"outside the allowed 0..1440"}},
	{"probe interval not whole", map[string]any{"probeIntervalMinutes": 2.5}, "probeIntervalMinutes", `2.5`, []string{"not a whole number"}},
	{"organization id without o-", map[string]any{"organizationId": "abcdefghij12"}, "organizationId", `"abcdefghij12"`, []string{"is not an AWS Organizations id", "o- and 10 to 32"}},
	{"organization id in capitals", map[string]any{"organizationId": "o-ABCDEFGHIJ"}, "organizationId", `"o-ABCDEFGHIJ"`, []string{"lowercase"}},
	{"organization id too short", map[string]any{"organizationId": "o-abc123"}, "organizationId", `"o-abc123"`, []string{"is not an AWS Organizations id"}},
	{"alarm email without a domain", map[string]any{"alarmEmail": "ops@example"}, "alarmEmail", `"ops@example"`, []string{"is not an email address", "or leave it unset"}},
	{"alarm email as a mailto: link", map[string]any{"alarmEmail": "mailto:ops@example.com"}, "alarmEmail", `"mailto:ops@example.com"`, []string{`is a mailto: link; give the address alone: "ops@example.com"`}},
	{"two alarm emails", map[string]any{"alarmEmail": "ops@example.com,dev@example.com"}, "alarmEmail", `"ops@example.com,dev@example.com"`, []string{"holds more than one address; it takes one", "ProbeAlarmTopicArn"}},
	{"organization id too long", map[string]any{"organizationId": "o-" + strings.Repeat("a", 33)}, "organizationId", `"o-` + strings.Repeat("a", 33) + `"`, []string{"is not an AWS Organizations id", "10 to 32"}},
	{"alarm email with a space", map[string]any{"alarmEmail": "ops team@example.com"}, "alarmEmail", `"ops team@example.com"`, []string{"is not an email address"}},
	{"list key given a boolean", map[string]any{"apiAvailabilityZones": true}, "apiAvailabilityZones", `true`, []string{"not a list", "comma-separated"}},
	{"list key given a number element", map[string]any{"clientAvailabilityZones": []any{"us-west-2a", float64(2)}}, "clientAvailabilityZones", `["us-west-2a",2]`, []string{"element 1 is a number"}},

	// appName.
	{"appName empty", map[string]any{"appName": ""}, "appName", `""`, []string{"is empty", "start with a letter"}},
	{"appName starts with a digit", map[string]any{"appName": "1App"}, "appName", `"1App"`, []string{"start with a letter"}},
	{"appName with underscore", map[string]any{"appName": "my_app"}, "appName", `"my_app"`, []string{"letters, digits and hyphens"}},
	{"appName too long", map[string]any{"appName": strings.Repeat("a", 41)}, "appName", `"` + strings.Repeat("a", 41) + `"`, []string{"41 characters", "at most 40"}},
	{"appName begins with aws", map[string]any{"appName": "AwsDemo"}, "appName", `"AwsDemo"`, []string{`begins with "Aws"`, "SSM refuses", `"MyAwsDemo"`}},
	{"appName begins with ssm", map[string]any{"appName": "SSM-test"}, "appName", `"SSM-test"`, []string{`begins with "SSM"`, "SSM refuses"}},
	{"cloudwatch role unknown", map[string]any{"apiGatewayCloudWatchRole": "none"}, "apiGatewayCloudWatchRole", `"none"`, []string{`not one of "create", "existing"`}},
	{"log encryption unknown", map[string]any{"logEncryption": "aws"}, "logEncryption", `"aws"`, []string{`not one of "none", "kms"`, "Control Tower"}},
	{"log encryption capitalised", map[string]any{"logEncryption": "KMS"}, "logEncryption", `"KMS"`, []string{`did you mean "kms"?`}},
	{"cloudwatch role capitalised", map[string]any{"apiGatewayCloudWatchRole": "Existing"}, "apiGatewayCloudWatchRole", `"Existing"`, []string{`did you mean "existing"?`}},
	{"transport unknown", map[string]any{"transport": "tgw"}, "transport", `"tgw"`, []string{`not one of "peering", "privatelink"`, "disjoint", "may overlap"}},
	{"transport capitalised", map[string]any{"transport": "PrivateLink"}, "transport", `"PrivateLink"`, []string{`did you mean "privatelink"?`}},
	{"transport with a hyphen, ranges overlapping", map[string]any{"transport": "private-link", "clientVpcCidr": "10.0.0.0/16"}, "transport", `"private-link"`, []string{`did you mean "privatelink"?`}},
	{"transport of vpc-peering", map[string]any{"transport": "vpc-peering"}, "transport", `"vpc-peering"`, []string{`did you mean "peering"?`}},
	{"transport null, ranges overlapping", map[string]any{"transport": nil, "clientVpcCidr": "10.0.0.0/16"}, "transport", `null`, []string{`give a value such as "privatelink"`, "the default, which does not fit"}},

	// account.
	{"account too short", map[string]any{"account": "12345678901"}, "account", `"12345678901"`, []string{"12 digits"}},
	{"account with hyphens", map[string]any{"account": "1234-5678-9012"}, "account", `"1234-5678-9012"`, []string{`did you mean "123456789012"`}},

	// Regions.
	{"region typo", map[string]any{"apiRegion": "us-east-9"}, "apiRegion", `"us-east-9"`, []string{"not a Region known to the AWS CDK", `did you mean "us-east-1"`}},
	{"region in upper case", map[string]any{"clientRegion": "US-WEST-2"}, "clientRegion", `"US-WEST-2"`, []string{`did you mean "us-west-2"`}},
	{"region far from any", map[string]any{"clientRegion": "mars-central-7"}, "clientRegion", `"mars-central-7"`, []string{"not a Region known", `such as "us-west-2"`}},
	{"zone given as region", map[string]any{"apiRegion": "us-east-1a"}, "apiRegion", `"us-east-1a"`, []string{"Availability Zone, not a Region", `"us-east-1"`}},
	{"region empty", map[string]any{"apiRegion": ""}, "apiRegion", `""`, []string{"is empty"}},
	{"same region twice", map[string]any{"clientRegion": "us-east-1"}, "clientRegion", `"us-east-1"`, []string{"apiRegion and clientRegion are both us-east-1", "cross-region peering needs two Regions"}},
	{"regions in two partitions", map[string]any{"clientRegion": "cn-north-1"}, "clientRegion", `"cn-north-1"`, []string{"aws-cn", `apiRegion = "us-east-1"`, "cannot cross partitions"}},

	// CIDRs.
	{"CIDR garbage", map[string]any{"apiVpcCidr": "banana"}, "apiVpcCidr", `"banana"`, []string{"not an IPv4 CIDR block"}},
	{"CIDR prefix length out of range", map[string]any{"apiVpcCidr": "10.0.0.0/33"}, "apiVpcCidr", `"10.0.0.0/33"`, []string{"/33", "/16 to /28"}},
	{"CIDR without prefix length", map[string]any{"apiVpcCidr": "10.0.0.0"}, "apiVpcCidr", `"10.0.0.0"`, []string{"no prefix length", `"10.0.0.0/16"`}},
	{"CIDR IPv6", map[string]any{"clientVpcCidr": "fd00::/56"}, "clientVpcCidr", `"fd00::/56"`, []string{"IPv6", "must be IPv4"}},
	{"CIDR with host bits", map[string]any{"apiVpcCidr": "10.0.0.1/16"}, "apiVpcCidr", `"10.0.0.1/16"`, []string{"host bits", `did you mean "10.0.0.0/16"`}},
	{"CIDR larger than a VPC", map[string]any{"apiVpcCidr": "10.0.0.0/8"}, "apiVpcCidr", `"10.0.0.0/8"`, []string{"larger than a VPC", `"10.0.0.0/16"`}},
	{"CIDR smaller than a VPC", map[string]any{"apiVpcCidr": "10.0.0.0/29"}, "apiVpcCidr", `"10.0.0.0/29"`, []string{"smaller than a VPC"}},
	{"CIDR too small for two subnets", map[string]any{"clientVpcCidr": "192.168.0.0/28"}, "clientVpcCidr", `"192.168.0.0/28"`, []string{"too small for two subnets", "/27 or larger"}},
	{"CIDR this-network", map[string]any{"apiVpcCidr": "0.0.0.0/16"}, "apiVpcCidr", `"0.0.0.0/16"`, []string{"0.0.0.0/8", "cannot use"}},
	{"CIDR loopback", map[string]any{"apiVpcCidr": "127.0.0.0/16"}, "apiVpcCidr", `"127.0.0.0/16"`, []string{"127.0.0.0/8", "loopback"}},
	{"CIDR link-local", map[string]any{"apiVpcCidr": "169.254.0.0/16"}, "apiVpcCidr", `"169.254.0.0/16"`, []string{"169.254.0.0/16", "link-local"}},
	{"CIDR multicast", map[string]any{"clientVpcCidr": "224.0.0.0/16"}, "clientVpcCidr", `"224.0.0.0/16"`, []string{"224.0.0.0/4", "multicast"}},
	{"CIDR reserved", map[string]any{"clientVpcCidr": "240.0.0.0/24"}, "clientVpcCidr", `"240.0.0.0/24"`, []string{"240.0.0.0/4", "reserved"}},
	{"CIDRs overlap", map[string]any{"clientVpcCidr": "10.0.128.0/17"}, "clientVpcCidr", `"10.0.128.0/17"`, []string{`overlaps apiVpcCidr = "10.0.0.0/16"`, "disjoint", `"192.168.0.0/16"`}},
	// The client's range contains the API's but starts elsewhere: a check
	// that only asked whether one range holds the other's start misses it.
	{"client range holds the API's, starting before it", map[string]any{"apiVpcCidr": "10.1.128.0/17", "clientVpcCidr": "10.1.0.0/16"}, "clientVpcCidr", `"10.1.0.0/16"`, []string{`overlaps apiVpcCidr = "10.1.128.0/17"`}},
	{"CIDRs equal", map[string]any{"apiVpcCidr": "192.168.0.0/16"}, "clientVpcCidr", `"192.168.0.0/16"`, []string{`overlaps apiVpcCidr = "192.168.0.0/16"`, `"10.0.0.0/16"`}},

	// stageName.
	{"stageName empty", map[string]any{"stageName": ""}, "stageName", `""`, []string{"is empty", "1 to 128"}},
	{"stageName with space", map[string]any{"stageName": "v 1"}, "stageName", `"v 1"`, []string{"letters, digits, hyphens and underscores"}},
	{"stageName too long", map[string]any{"stageName": strings.Repeat("s", 129)}, "stageName", `"` + strings.Repeat("s", 129) + `"`, []string{"129 characters"}},

	// Availability Zones.
	{"three zones", map[string]any{"apiAvailabilityZones": "us-east-1a,us-east-1b,us-east-1c"}, "apiAvailabilityZones", `["us-east-1a","us-east-1b","us-east-1c"]`, []string{"lists 3 zones", "exactly 2"}},
	{"one zone", map[string]any{"clientAvailabilityZones": []any{"us-west-2a"}}, "clientAvailabilityZones", `["us-west-2a"]`, []string{"lists 1 zone;", `"us-west-2a,us-west-2b"`}},
	{"same zone twice", map[string]any{"apiAvailabilityZones": "us-east-1a,us-east-1a"}, "apiAvailabilityZones", `["us-east-1a","us-east-1a"]`, []string{`"us-east-1a" twice`}},
	{"zone of the other Region", map[string]any{"apiAvailabilityZones": []any{"us-east-1a", "us-west-2b"}}, "apiAvailabilityZones", `["us-east-1a","us-west-2b"]`, []string{`"us-west-2b" is a zone of clientRegion = us-west-2, not of apiRegion = us-east-1`}},
	{"zone of no Region in use", map[string]any{"clientAvailabilityZones": "us-west-2a,eu-west-1a"}, "clientAvailabilityZones", `["us-west-2a","eu-west-1a"]`, []string{`"eu-west-1a" is not a zone of clientRegion = us-west-2`}},
	{"Region name as zone", map[string]any{"apiAvailabilityZones": "us-east-1,us-east-1b"}, "apiAvailabilityZones", `["us-east-1","us-east-1b"]`, []string{`"us-east-1" is not a zone of apiRegion = us-east-1`}},
	{"empty zone name", map[string]any{"apiAvailabilityZones": "us-east-1a,"}, "apiAvailabilityZones", `["us-east-1a",""]`, []string{"empty zone name"}},

	// Integers.
	{"retention CloudWatch rejects", map[string]any{"logRetentionDays": float64(31)}, "logRetentionDays", `31`, []string{"CloudWatch Logs", "3653", "nearest: 30"}},
	{"rate limit zero", map[string]any{"throttleRateLimit": "0"}, "throttleRateLimit", `0`, []string{"1..10000"}},
	{"rate limit too high", map[string]any{"throttleRateLimit": float64(10001)}, "throttleRateLimit", `10001`, []string{"1..10000"}},
	{"burst limit zero", map[string]any{"throttleBurstLimit": "0"}, "throttleBurstLimit", `0`, []string{"1..5000", "reject every request"}},
	{"burst limit too high", map[string]any{"throttleBurstLimit": float64(5001)}, "throttleBurstLimit", `5001`, []string{"1..5000"}},
	{"max attempts zero", map[string]any{"clientMaxAttempts": float64(0)}, "clientMaxAttempts", `0`, []string{"1..10"}},
	{"max attempts too high", map[string]any{"clientMaxAttempts": "11"}, "clientMaxAttempts", `11`, []string{"1..10"}},
	{"backoff base negative", map[string]any{"clientBackoffBaseMs": "-5"}, "clientBackoffBaseMs", `-5`, []string{"1..10000"}},
	{"backoff max too high", map[string]any{"clientBackoffMaxMs": float64(20000)}, "clientBackoffMaxMs", `20000`, []string{"1..10000"}},
	{"backoff max below base", map[string]any{"clientBackoffBaseMs": float64(500), "clientBackoffMaxMs": "400"}, "clientBackoffMaxMs", `400`, []string{"less than clientBackoffBaseMs = 500"}},
	// Suggestions are themselves valid (1): an 11-digit number is no
	// account in quotes, but may have lost a leading zero; a
	// 13-digit one has no fix to offer.
	{"account as an 11-digit JSON number", map[string]any{"account": float64(12345678901)}, "account", `12345678901`, []string{"not a number", `put it in quotes in cdk.json: "012345678901"`}},
	{"account as a 13-digit JSON number", map[string]any{"account": float64(1234567890123)}, "account", `1234567890123`, []string{"not a number", "give the 12-digit account ID in quotes"}},
	{"appName as a number", map[string]any{"appName": float64(42)}, "appName", `42`, []string{"not a number", `such as "CrossRegionApi"`}},
	{"appName of 40 characters begins with aws", map[string]any{"appName": "aws" + strings.Repeat("x", 37)}, "appName", `"aws` + strings.Repeat("x", 37) + `"`, []string{`such as "Myaws` + strings.Repeat("x", 35) + `"`}},
	{"host bits whose fix overlaps the other VPC", map[string]any{"apiVpcCidr": "192.168.0.1/16"}, "apiVpcCidr", `"192.168.0.1/16"`, []string{"host bits", "must be 0"}},
	{"CIDR without prefix length and with host bits", map[string]any{"apiVpcCidr": "10.0.0.5"}, "apiVpcCidr", `"10.0.0.5"`, []string{"no prefix length", `e.g. "10.0.0.0/16"`}},
	{"CIDR IPv6 beside a client on the usual range", map[string]any{"apiVpcCidr": "fd00::/56", "clientVpcCidr": "10.0.0.0/16"}, "apiVpcCidr", `"fd00::/56"`, []string{"IPv6", `e.g. "192.168.0.0/16"`}},
	{"client Region typo nearest the API Region", map[string]any{"clientRegion": "us-east-l"}, "clientRegion", `"us-east-l"`, []string{`did you mean "us-east-2"?`}},
	{"client Region given as a zone of the API Region", map[string]any{"apiRegion": "us-west-2", "clientRegion": "us-west-2a"}, "clientRegion", `"us-west-2a"`, []string{"Availability Zone, not a Region", `such as "us-east-1"`}},
	{"same Region twice outside the aws partition", map[string]any{"apiRegion": "cn-north-1", "clientRegion": "cn-north-1"}, "clientRegion", `"cn-north-1"`, []string{`e.g. "cn-northwest-1"`}},
	{"default backoff max below the base", map[string]any{"clientBackoffBaseMs": float64(5000), "clientBackoffMaxMs": "fast"}, "clientBackoffMaxMs", `"fast"`, []string{`such as "10000"`}},
	{"zones of the wrong type in another Region", map[string]any{"apiRegion": "eu-west-1", "apiAvailabilityZones": true}, "apiAvailabilityZones", `true`, []string{`such as "eu-west-1a,eu-west-1b"`}},

	// Regexps keep their anchors (7): each of these matches its
	// pattern once the ^ or the $ is gone.
	{"account of 13 digits", map[string]any{"account": "1234567890123"}, "account", `"1234567890123"`, []string{"12 digits"}},
	{"account of 12 digits and a letter", map[string]any{"account": "123456789012x"}, "account", `"123456789012x"`, []string{"12 digits"}},
	{"account of a letter and 12 digits", map[string]any{"account": "x123456789012"}, "account", `"x123456789012"`, []string{"12 digits"}},
	{"appName ending in a dot", map[string]any{"appName": "MyApp."}, "appName", `"MyApp."`, []string{"not a valid stack name prefix"}},
	{"stageName ending in a dot", map[string]any{"stageName": "v1."}, "stageName", `"v1."`, []string{"characters a stage name cannot hold"}},
	{"stageName starting with a dot", map[string]any{"stageName": ".v1"}, "stageName", `".v1"`, []string{"characters a stage name cannot hold"}},
	{"zone with two letters", map[string]any{"apiAvailabilityZones": "us-east-1a,us-east-1bc"}, "apiAvailabilityZones", `["us-east-1a","us-east-1bc"]`, []string{`"us-east-1bc" is not a zone of apiRegion = us-east-1`}},
	{"zone with a digit before its letter", map[string]any{"apiAvailabilityZones": "us-east-1a,us-east-12b"}, "apiAvailabilityZones", `["us-east-1a","us-east-12b"]`, []string{`"us-east-12b" is not a zone of apiRegion = us-east-1`}},

	// A number too large for an int is still a whole number (3).
	{"int key given a decimal string too large", map[string]any{"throttleRateLimit": "99999999999999999999"}, "throttleRateLimit", `"99999999999999999999"`, []string{"is a whole number, but too large", "allowed range is 1..10000"}},
	{"int key given a decimal string too far below zero", map[string]any{"clientMaxAttempts": "-99999999999999999999"}, "clientMaxAttempts", `"-99999999999999999999"`, []string{"is a whole number, but too far below zero", "allowed range is 1..10"}},
	{"retention given a decimal string too large", map[string]any{"logRetentionDays": "99999999999999999999"}, "logRetentionDays", `"99999999999999999999"`, []string{"is a whole number, but too large", "allowed range is 1..3653", `such as "30"`}},
	{"int key given a number too large", map[string]any{"throttleBurstLimit": 1e20}, "throttleBurstLimit", `100000000000000000000`, []string{"is a whole number, but too large", "allowed range is 1..5000"}},

	// Long values are cut (4).
	{"stageName of 100000 characters", map[string]any{"stageName": strings.Repeat("a", 100000)}, "stageName", `"` + strings.Repeat("a", 59) + `…" (100000 characters)`, []string{"is 100000 characters long"}},
	{"zone list of 100000 characters", map[string]any{"clientAvailabilityZones": []any{"us-west-2a", "us-west-2" + strings.Repeat("b", 100000)}}, "clientAvailabilityZones", `["us-west-2a","us-west-2` + strings.Repeat("b", 36) + `… (JSON of 100026 characters)`, []string{`"us-west-2` + strings.Repeat("b", 50) + `…" (100009 characters) is not a zone of clientRegion = us-west-2`}},

	// Invisible characters and surrounding spaces (5).
	{"stageName with a zero-width space", map[string]any{"stageName": "v1\u200b"}, "stageName", `"v1\u200b"`, []string{"has an invisible character U+200B at position 3; remove it", `did you mean "v1"?`}},
	{"CIDR with a trailing space", map[string]any{"apiVpcCidr": "10.0.0.0/16 "}, "apiVpcCidr", `"10.0.0.0/16 "`, []string{"has a trailing space; remove it", `did you mean "10.0.0.0/16"?`}},
	{"CIDR with a leading space", map[string]any{"clientVpcCidr": " 192.168.0.0/16"}, "clientVpcCidr", `" 192.168.0.0/16"`, []string{"has a leading space; remove it", `did you mean "192.168.0.0/16"?`}},
	{"Region with a tab", map[string]any{"apiRegion": "us-east-1\t"}, "apiRegion", `"us-east-1\t"`, []string{"has a control character U+0009 at position 10", `did you mean "us-east-1"?`}},
	{"account with a byte order mark", map[string]any{"account": "\ufeff123456789012"}, "account", `"\ufeff123456789012"`, []string{"U+FEFF at position 1", `did you mean "123456789012"?`}},
	{"appName with a no-break space", map[string]any{"appName": "My\u00a0App"}, "appName", `"My\u00a0App"`, []string{"U+00A0 at position 3", `did you mean "MyApp"?`}},
	{"role with a trailing newline", map[string]any{"apiGatewayCloudWatchRole": "existing\n"}, "apiGatewayCloudWatchRole", `"existing\n"`, []string{"U+000A", `did you mean "existing"?`}},
	{"role of spaces only", map[string]any{"apiGatewayCloudWatchRole": "  "}, "apiGatewayCloudWatchRole", `"  "`, []string{"is blank", `use the default "create"`}},
	{"int with a trailing space", map[string]any{"logRetentionDays": "30 "}, "logRetentionDays", `"30 "`, []string{"has a trailing space; remove it", `did you mean "30"?`}},
	{"zone with spaces around it", map[string]any{"apiAvailabilityZones": []any{" us-east-1a", "us-east-1b"}}, "apiAvailabilityZones", `[" us-east-1a","us-east-1b"]`, []string{`zone " us-east-1a" has a leading space`, `did you mean "us-east-1a,us-east-1b"?`}},

	// null is a problem, not the default (6).
	{"stageName null", map[string]any{"stageName": nil}, "stageName", `null`, []string{`has no value; remove the key to use the default "v1", or give a value`}},
	{"account null", map[string]any{"account": nil}, "account", `null`, []string{"has no value; remove the key to deploy to the account of your credentials"}},
	{"retention null", map[string]any{"logRetentionDays": nil}, "logRetentionDays", `null`, []string{"has no value; remove the key to use the default 30, or give a value"}},
	{"zones null", map[string]any{"clientAvailabilityZones": nil}, "clientAvailabilityZones", `null`, []string{`has no value; remove the key to let CloudFormation choose the zones, or give two zones such as "us-west-2a,us-west-2b"`}},
	{"client Region null where the default clashes", map[string]any{"apiRegion": "us-west-2", "clientRegion": nil}, "clientRegion", `null`, []string{`has no value; give a value such as "us-east-1"`, "the default, which does not fit"}},
}

// TestLoadProblems runs loadProblemCases.
func TestLoadProblems(t *testing.T) {
	for _, tt := range loadProblemCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(context(tt.ctx))
			ps := problems(t, err)
			if diff := cmp.Diff(Config{}, got); diff != "" {
				t.Errorf("Load returned a Config alongside an error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.wantKey}, keysOf(ps)); diff != "" {
				t.Fatalf("problem keys mismatch (-want +got):\n%s\nerror:\n%v", diff, err)
			}
			if ps[0].Value != tt.wantValue {
				t.Errorf("Value = %s, want %s", ps[0].Value, tt.wantValue)
			}
			if !strings.Contains(err.Error(), tt.wantValue) {
				t.Errorf("error %q does not show the value %s", err, tt.wantValue)
			}
			for _, want := range tt.wantMsg {
				if !strings.Contains(ps[0].Message, want) {
					t.Errorf("Message %q does not mention %q", ps[0].Message, want)
				}
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name     string
		ctx      map[string]any
		wantKeys []string
	}{
		{
			name: "one bad value per kind",
			ctx: map[string]any{
				"clientBackoffMaxMs":      "x",
				"appName":                 "bad name",
				"account":                 "123",
				"apiRegion":               "nowhere-1",
				"apiVpcCidr":              "10.0.0.1/16",
				"stageName":               "",
				"logRetentionDays":        float64(31),
				"clientAvailabilityZones": "us-west-2a",
			},
			wantKeys: []string{"appName", "account", "apiRegion", "apiVpcCidr", "stageName", "clientAvailabilityZones", "logRetentionDays", "clientBackoffMaxMs"},
		},
		{
			name: "several problems in one value",
			ctx: map[string]any{
				"appName":              "_" + strings.Repeat("a", 40),
				"apiVpcCidr":           "127.0.0.1/29",
				"apiAvailabilityZones": "us-west-2a,us-west-2a,eu-west-1a",
			},
			wantKeys: []string{
				"appName", "appName",
				"apiVpcCidr", "apiVpcCidr", "apiVpcCidr",
				"apiAvailabilityZones", "apiAvailabilityZones", "apiAvailabilityZones", "apiAvailabilityZones",
			},
		},
		{
			// Ranges are compared only once both pass every CIDR check.
			name: "both CIDRs bad and overlapping: no overlap problem",
			ctx: map[string]any{
				"apiVpcCidr":    "10.0.0.5/16",
				"clientVpcCidr": "10.0.0.0/8",
			},
			wantKeys: []string{"apiVpcCidr", "clientVpcCidr"},
		},
		{
			name:     "a range reported too large is not compared",
			ctx:      map[string]any{"apiVpcCidr": "0.0.0.0/0"},
			wantKeys: []string{"apiVpcCidr", "apiVpcCidr"},
		},
		{
			name:     "a range reported too large is not compared, as the second key",
			ctx:      map[string]any{"clientVpcCidr": "10.0.0.0/8"},
			wantKeys: []string{"clientVpcCidr"},
		},
		{
			name:     "a range with a stray space is not compared",
			ctx:      map[string]any{"apiVpcCidr": "192.168.0.0/16 "},
			wantKeys: []string{"apiVpcCidr"},
		},
		{
			name:     "a range with host bits is not compared",
			ctx:      map[string]any{"clientVpcCidr": "10.0.0.1/16"},
			wantKeys: []string{"clientVpcCidr"},
		},
		{
			name: "over-long values that also break the pattern at the end",
			ctx: map[string]any{
				"appName":   strings.Repeat("a", 40) + ".",
				"stageName": strings.Repeat("s", 128) + ".",
			},
			wantKeys: []string{"appName", "appName", "stageName", "stageName"},
		},
		{
			name: "a stray space does not hide the rest of what is wrong",
			ctx: map[string]any{
				"clientVpcCidr":     " 10.0.0.0/8",
				"logRetentionDays":  " 31",
				"clientMaxAttempts": "99999999999999999999",
			},
			wantKeys: []string{"clientVpcCidr", "clientVpcCidr", "logRetentionDays", "logRetentionDays", "clientMaxAttempts"},
		},
		{
			name: "no follow-on problems from a bad Region",
			ctx: map[string]any{
				"apiRegion":            "nowhere-1",
				"apiAvailabilityZones": "us-east-1a,us-east-1b",
			},
			wantKeys: []string{"apiRegion"},
		},
		{
			name: "no follow-on problems from a value of the wrong type",
			ctx: map[string]any{
				"clientBackoffBaseMs": "fast",
				"clientBackoffMaxMs":  float64(50),
				"clientRegion":        float64(1),
				"apiRegion":           "us-west-2",
			},
			wantKeys: []string{"clientRegion", "clientBackoffBaseMs"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context(tt.ctx))
			ps := problems(t, err)
			if diff := cmp.Diff(tt.wantKeys, keysOf(ps)); diff != "" {
				t.Errorf("problem keys mismatch (-want +got):\n%s\nerror:\n%v", diff, err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Load(context(map[string]any{
		"appName":            "two\nlines",
		"apiVpcCidr":         "10.0.0.0/33",
		"clientRegion":       []any{"us-west-2"},
		"throttleBurstLimit": map[string]any{"burst": float64(1)},
		"clientMaxAttempts":  "",
	}))
	ps := problems(t, err)
	if len(ps) != 5 {
		t.Fatalf("got %d problems, want 5:\n%v", len(ps), err)
	}
	var want []string
	for _, p := range ps {
		want = append(want, fmt.Sprintf("%s = %s: %s", p.Key, p.Value, p.Message))
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("Error() lines mismatch (-want +got):\n%s", diff)
	}
	wantFirst := `appName = "two\nlines": has a control character U+000A at position 4; remove it: did you mean "twolines"?`
	if first := strings.Split(err.Error(), "\n")[0]; !strings.HasPrefix(first, wantFirst) {
		t.Errorf("first line = %q, want prefix %q", first, wantFirst)
	}
	for _, bad := range []string{"panic", "goroutine", "runtime error", "interface conversion", "nil pointer", "%!"} {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("error contains %q:\n%v", bad, err)
		}
	}
	for _, p := range ps {
		if !strings.Contains(p.Message, "; ") {
			t.Errorf("%s: Message %q does not say how to fix it after \"; \"", p.Key, p.Message)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		change   func(c *Config)
		wantKeys []string
	}{
		{"defaults", func(*Config) {}, nil},
		{"zero Config", func(c *Config) { *c = Config{} }, []string{
			"appName", "apiRegion", "apiVpcCidr", "secondaryApiVpcCidr", "clientRegion", "clientVpcCidr", "transport", "peeringConnectionsQuota", "stageName",
			"logRetentionDays", "throttleRateLimit", "throttleBurstLimit", "clientMaxAttempts",
			"clientBackoffBaseMs", "clientBackoffMaxMs", "apiGatewayCloudWatchRole", "logEncryption",
		}},
		{"zones set in code", func(c *Config) { c.ClientAvailabilityZones = []string{"us-east-1a", "us-east-1b"} },
			[]string{"clientAvailabilityZones", "clientAvailabilityZones"}},
		{"Regions swapped in code", func(c *Config) { c.ApiRegion, c.ClientRegion = c.ClientRegion, c.ApiRegion }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			tt.change(&c)
			err := c.Validate()
			if tt.wantKeys == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if diff := cmp.Diff(tt.wantKeys, keysOf(problems(t, err))); diff != "" {
				t.Errorf("problem keys mismatch (-want +got):\n%s\nerror:\n%v", diff, err)
			}
		})
	}
}

// TestKeys checks that Keys is exactly what Load reads, so a cdk.json check
// built on Keys neither misses a key nor flags a used one.
func TestKeys(t *testing.T) {
	var read []string
	if _, err := Load(func(key string) (any, bool) {
		read = append(read, key)
		return nil, false
	}); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(Keys(), read); diff != "" {
		t.Errorf("keys read by Load mismatch (-Keys +read):\n%s", diff)
	}
	keys := Keys()
	keys[0] = "changed"
	if Keys()[0] == "changed" {
		t.Error("Keys returns shared storage")
	}
}

func TestNames(t *testing.T) {
	c := Defaults()
	c.AppName = "Demo"
	tests := []struct {
		got, want string
	}{
		{c.StackName(RoleApi), "Demo-Api"},
		{c.StackName(RoleClient), "Demo-Client"},
		{c.StackName(RolePeeringRoute), "Demo-PeeringRoute"},
		{c.SSMPrefix(), "/Demo"},
		{Defaults().StackName(RoleApi), "CrossRegionApi-Api"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// TestRegionsFromCDK guards against the CDK call quietly returning nothing,
// which would make every Region invalid.
func TestRegionsFromCDK(t *testing.T) {
	r := cdkRegions()
	for _, name := range []string{"us-east-1", "us-west-2", "eu-west-1", "cn-north-1"} {
		if !slices.Contains(r.names, name) {
			t.Errorf("CDK Regions lack %s: %v", name, r.names)
		}
	}
	if got := r.partition["cn-north-1"]; got != "aws-cn" {
		t.Errorf("partition of cn-north-1 = %q, want aws-cn", got)
	}
}

func TestFromContextReportsUnknownKeys(t *testing.T) {
	_, _, err := FromContext(map[string]any{
		"stagename":                             "v2",          // a typo of stageName
		"apiVpcCidr":                            "10.0.0.0/33", // a known key, bad value
		"@aws-cdk/core:enablePartitionLiterals": true,          // a feature flag: not configuration
		"aws:cdk:bundling-stacks":               []any{"**"},   // CDK's own setting
		"colour":                                "blue",        // nothing near it
	}, Sources{Project: map[string]bool{"stagename": true}})
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("got %v, want an *Error", err)
	}
	var got []string
	for _, p := range cerr.Problems {
		got = append(got, p.Key)
	}
	if diff := cmp.Diff([]string{"apiVpcCidr", "colour", "stagename"}, got); diff != "" {
		t.Errorf("problem keys (-want +got):\n%s", diff)
	}
	text := err.Error()
	for _, want := range []string{`stagename = "v2": is not a configuration key (in cdk.json); did you mean stageName?`,
		`colour = "blue": is not a configuration key (given with -c); the keys are appName,`} {
		if !strings.Contains(text, want) {
			t.Errorf("error text lacks %q:\n%s", want, text)
		}
	}
}

func TestFromContextAcceptsKnownKeysAndFlags(t *testing.T) {
	c, _, err := FromContext(map[string]any{"stageName": "prod", "@aws-cdk/core:target-partitions": []any{"aws"}}, Sources{})
	if err != nil {
		t.Fatalf("FromContext: %v", err)
	}
	if c.StageName != "prod" || c.ApiRegion != "us-east-1" {
		t.Errorf("got stage %q Region %q, want prod and the default us-east-1", c.StageName, c.ApiRegion)
	}
}

// Keys the CDK CLI writes (cdk acknowledge, cdk cli-telemetry) and keys of
// files the project does not own never stop synthesis; a near-miss of a
// configuration key in such a file is a warning naming the file.
func TestFromContextLeavesForeignKeysAlone(t *testing.T) {
	ctx := map[string]any{
		"acknowledged-issue-numbers": []any{float64(34892)},
		"cli-telemetry":              false,
		"availability-zones:account=123456789012:region=us-east-1": []any{"us-east-1a"},
		"myTeamSetting":   "x",    // ~/.cdk.json, nothing like ours
		"stageNme":        "prod", // ~/.cdk.json, a typo of stageName
		"logRetentionDay": float64(7),
	}
	src := Sources{Foreign: map[string]string{
		"acknowledged-issue-numbers": "cdk.context.json",
		"cli-telemetry":              "cdk.context.json",
		"myTeamSetting":              "~/.cdk.json",
		"stageNme":                   "~/.cdk.json",
		"logRetentionDay":            "cdk.context.json",
	}}
	c, warnings, err := FromContext(ctx, src)
	if err != nil {
		t.Fatalf("FromContext: %v", err)
	}
	if c.StageName != "v1" {
		t.Errorf("StageName = %q, want the default v1 (stageNme is not stageName)", c.StageName)
	}
	want := []string{
		`logRetentionDay = 7 in cdk.context.json is not a configuration key and is ignored; did you mean logRetentionDays?`,
		`stageNme = "prod" in ~/.cdk.json is not a configuration key and is ignored; did you mean stageName?`,
	}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	// The CLI's own keys are never errors, even with no file to tell
	// where they came from.
	if _, _, err := FromContext(map[string]any{"acknowledged-issue-numbers": []any{}, "cli-telemetry": true}, Sources{}); err != nil {
		t.Errorf("CDK CLI keys: %v", err)
	}
	// A key in the project's cdk.json is the project's, even if a
	// foreign file has it too.
	src.Project = map[string]bool{"stageNme": true}
	if _, _, err := FromContext(ctx, src); err == nil || !strings.Contains(err.Error(), "stageNme") {
		t.Errorf("a typo in cdk.json: got %v, want an error naming stageNme", err)
	}
}

// suggestionRe finds what a message offers as a value: after "did you
// mean", "e.g.", "such as", "the default", "in cdk.json:" or "nearest:", a
// quoted value or a list of them, a number, or a bare Region name.
var (
	suggestionRe = regexp.MustCompile(`(?:did you mean|e\.g\.|such as|the default|in cdk\.json:|nearest:) ` +
		`((?:"(?:[^"\\]|\\.)*"|-?[0-9]+\b|[a-z]{2}-[a-z-]+-[0-9]+)(?:(?:, | or )(?:"(?:[^"\\]|\\.)*"|[a-z]{2}-[a-z-]+-[0-9]+))*)`)
	suggestionItemRe = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|-?[0-9]+\b|[a-z]{2}-[a-z-]+-[0-9]+`)
)

// suggestions returns the values msg offers.
func suggestions(t *testing.T, msg string) []string {
	t.Helper()
	var out []string
	for _, m := range suggestionRe.FindAllStringSubmatch(msg, -1) {
		for _, item := range suggestionItemRe.FindAllString(m[1], -1) {
			if strings.HasPrefix(item, `"`) {
				var s string
				if err := json.Unmarshal([]byte(item), &s); err != nil {
					t.Fatalf("suggestion %s in %q is not a JSON string: %v", item, msg, err)
				}
				item = s
			}
			out = append(out, item)
		}
	}
	return out
}

// partnerKey is the key a problem between two keys can land on when the
// other one changes.
var partnerKey = map[string]string{
	"apiRegion": "clientRegion", "clientRegion": "apiRegion",
	"apiVpcCidr": "clientVpcCidr", "clientVpcCidr": "apiVpcCidr",
	"clientBackoffBaseMs": "clientBackoffMaxMs", "clientBackoffMaxMs": "clientBackoffBaseMs",
}

// auditContexts are configurations whose messages once offered a value that
// was itself invalid.
var auditContexts = []map[string]any{
	{"apiVpcCidr": "0.0.0.0/0"},
	{"clientVpcCidr": "0.0.0.0/0"},
	{"account": float64(12345678901)},
	{"account": float64(1234567890123)},
	{"appName": "aws" + strings.Repeat("x", 37)},
	{"appName": "Aws" + strings.Repeat("x", 38)},
	{"appName": "aws_x"},
	{"appName": float64(42)},
	{"apiRegion": float64(1)},
	{"apiRegion": true, "clientRegion": "us-east-1"},
	{"apiVpcCidr": "10.0.0.0/16", "clientVpcCidr": "10.0.0.0/16"},
	{"apiVpcCidr": "192.168.0.0/16"},
	{"apiVpcCidr": "192.168.0.1/16"},
	{"apiVpcCidr": "10.0.0.5/16", "clientVpcCidr": "10.0.0.0/8"},
	{"apiVpcCidr": "10.0.0.5"},
	{"apiVpcCidr": "fd00::/56", "clientVpcCidr": "10.0.0.0/16"},
	{"apiVpcCidr": "banana", "clientVpcCidr": "10.0.0.0/16"},
	{"apiVpcCidr": "10.0.0.0/33", "clientVpcCidr": "10.0.0.0/16"},
	{"apiVpcCidr": "10.0.0.0/29", "clientVpcCidr": "10.0.0.0/24"},
	{"clientVpcCidr": "127.0.0.0/16", "apiVpcCidr": "192.168.0.0/16"},
	{"apiVpcCidr": "10.0.0.0/16 ", "clientVpcCidr": "10.0.0.0/16"},
	{"apiRegion": "us-west-2", "clientRegion": "us-west-2a"},
	{"apiRegion": "cn-north-1", "clientRegion": "cn-north-1"},
	{"apiRegion": "cn-north-1", "clientRegion": "cn-north-l"},
	{"clientRegion": "mars-central-7"},
	{"clientRegion": "us-east-l"},
	{"clientRegion": ""},
	{"clientRegion": "us-east-1 "},
	{"apiRegion": "us-west-2", "clientRegion": nil},
	{"clientBackoffBaseMs": float64(5000), "clientBackoffMaxMs": "fast"},
	{"clientBackoffBaseMs": float64(5000), "clientBackoffMaxMs": nil},
	{"clientBackoffBaseMs": float64(5000), "clientBackoffMaxMs": "99999999999999999999"},
	{"apiAvailabilityZones": true, "apiRegion": "eu-west-1"},
	{"apiAvailabilityZones": []any{"eu-west-1a", float64(1)}, "apiRegion": "eu-west-1"},
	{"clientAvailabilityZones": "us-east-1a", "clientRegion": "eu-west-1"},
	{"clientAvailabilityZones": []any{" eu-west-1a", "eu-west-1b"}, "clientRegion": "eu-west-1"},
	{"apiGatewayCloudWatchRole": "EXISTING "},
	{"logRetentionDays": " 31"},
	{"logRetentionDays": float64(4000)},
	{"transport": "privatelink", "apiAvailabilityZones": "use1-az3,use1-az4"},
	{"transport": "privatelink", "apiRegion": "ap-northeast-2", "apiAvailabilityZones": "apne2-az4,apne2-az2", "clientVpcCidr": "10.0.0.0/16"},
	{"transport": "Peering", "clientVpcCidr": "10.0.0.0/16"},
	{"transport": " privatelink", "clientVpcCidr": "10.0.0.0/16"},
	{"secondaryApiRegion": "us-east-1"},
	{"secondaryApiRegion": "us-west-2"},
	{"secondaryApiRegion": "cn-north-1"},
	{"secondaryApiRegion": "us-east-2", "secondaryApiVpcCidr": "10.0.0.0/16"},
	{"secondaryApiRegion": "us-east-2", "secondaryApiVpcCidr": "192.168.128.0/17"},
	{"secondaryApiRegion": "us-east-2", "secondaryApiVpcCidr": "10.100.0.1/16"},
	{"secondaryApiRegion": "us-east-2", "clients": []any{map[string]any{"region": "eu-west-1", "cidr": "10.100.0.0/16"}}},
	{"secondaryApiRegion": "eu-west-1", "clients": []any{map[string]any{"region": "eu-west-1", "cidr": "10.1.0.0/16"}}},
}

// TestSuggestionsAreValid puts every value a message offers in place of the
// bad one and checks that it leaves nothing wrong with that key, nor a new
// problem with the key it is checked against.
func TestSuggestionsAreValid(t *testing.T) {
	contexts := slices.Clone(auditContexts)
	for _, tt := range loadProblemCases {
		contexts = append(contexts, tt.ctx)
	}
	checked := 0
	for _, ctx := range contexts {
		_, err := Load(context(ctx))
		if err == nil {
			t.Errorf("%v: got no error, want problems", ctx)
			continue
		}
		before := problems(t, err)
		for _, p := range before {
			for _, s := range suggestions(t, p.Message) {
				checked++
				fixed := maps.Clone(ctx)
				fixed[p.Key] = s
				_, err := Load(context(fixed))
				after := []Problem(nil)
				if err != nil {
					after = problems(t, err)
				}
				partner := partnerKey[p.Key]
				for _, q := range after {
					if q.Key == p.Key || q.Key == partner && countKey(after, partner) > countKey(before, partner) {
						t.Errorf("%s = %s: %s\n  suggests %q, which gives %s = %s: %s", p.Key, p.Value, p.Message, s, q.Key, q.Value, q.Message)
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked %d suggestions, want at least 100: is suggestionRe out of date?", checked)
	}
}

func countKey(ps []Problem, key string) int {
	n := 0
	for _, p := range ps {
		if p.Key == key {
			n++
		}
	}
	return n
}

// TestMessages pins the whole report for the cases an audit found wrong, as
// the app prints it: warnings first, each after "warning: ", then the error.
func TestMessages(t *testing.T) {
	long := strings.Repeat("a", 100000)
	tests := []struct {
		name string
		ctx  map[string]any
		src  Sources
		want []string
	}{
		{
			name: "a /0 range: valid suggestions, no overlap",
			ctx:  map[string]any{"apiVpcCidr": "0.0.0.0/0"},
			want: []string{
				`apiVpcCidr = "0.0.0.0/0": is /0, larger than a VPC can be; use a prefix length from /16 to /27, e.g. "10.0.0.0/16"`,
				`apiVpcCidr = "0.0.0.0/0": lies in 0.0.0.0/8 ("this network"), which a VPC cannot use; use a private range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, e.g. "10.0.0.0/16"`,
			},
		},
		{
			name: "an 11-digit account as a number",
			ctx:  map[string]any{"account": float64(12345678901)},
			want: []string{
				`account = 12345678901: must be a string, not a number; an account ID is 12 digits in quotes, and a number loses leading zeros: if the account ID begins with 0, put it in quotes in cdk.json: "012345678901"`,
			},
		},
		{
			name: "appName of 40 characters that begins with aws",
			ctx:  map[string]any{"appName": "aws" + strings.Repeat("x", 37)},
			want: []string{
				`appName = "aws` + strings.Repeat("x", 37) + `": begins with "aws"; it also begins the app's SSM parameter names (/appName/...), and SSM refuses names that begin with "aws" or "ssm" in any case, so choose a name such as "Myaws` + strings.Repeat("x", 35) + `"`,
			},
		},
		{
			name: "the overlap suggestion avoids both ranges",
			ctx:  map[string]any{"apiVpcCidr": "192.168.0.0/16"},
			want: []string{
				`clientVpcCidr = "192.168.0.0/16": overlaps apiVpcCidr = "192.168.0.0/16"; peered VPCs need disjoint address ranges, so choose a clientVpcCidr outside 192.168.0.0/16, e.g. "10.0.0.0/16"; or set transport to "privatelink", which allows overlapping ranges`,
			},
		},
		{
			name: "no did-you-mean for host bits when the network overlaps the other VPC",
			ctx:  map[string]any{"apiVpcCidr": "192.168.0.1/16"},
			want: []string{
				`apiVpcCidr = "192.168.0.1/16": has host bits set, so it is not a network address; every bit after the first 16 of the address must be 0`,
			},
		},
		{
			name: "a range suggestion avoids what the other range is meant to be",
			ctx:  map[string]any{"apiVpcCidr": "10.0.0.5/16", "clientVpcCidr": "10.0.0.0/8"},
			want: []string{
				`apiVpcCidr = "10.0.0.5/16": has host bits set, so it is not a network address; did you mean "10.0.0.0/16"?`,
				`clientVpcCidr = "10.0.0.0/8": is /8, larger than a VPC can be; use a prefix length from /16 to /27, e.g. "192.168.0.0/16"`,
			},
		},
		{
			name: "a Region suggestion skips the other Region",
			ctx:  map[string]any{"clientRegion": "us-east-l"},
			want: []string{
				`clientRegion = "us-east-l": is not a Region known to the AWS CDK; did you mean "us-east-2"?`,
			},
		},
		{
			name: "a decimal string too large for an int",
			ctx:  map[string]any{"throttleRateLimit": "99999999999999999999"},
			want: []string{
				`throttleRateLimit = "99999999999999999999": is a whole number, but too large: the allowed range is 1..10000; give a whole number in that range such as "10"`,
			},
		},
		{
			name: "a long value is cut",
			ctx:  map[string]any{"stageName": long},
			want: []string{
				`stageName = "` + long[:59] + `…" (100000 characters): is 100000 characters long; API Gateway allows 1 to 128 letters, digits, hyphens and underscores, e.g. "v1"`,
			},
		},
		{
			name: "an invisible character",
			ctx:  map[string]any{"stageName": "v1\u200b"},
			want: []string{
				`stageName = "v1\u200b": has an invisible character U+200B at position 3; remove it: did you mean "v1"?`,
			},
		},
		{
			name: "a CIDR with a trailing space",
			ctx:  map[string]any{"apiVpcCidr": "10.0.0.0/16 "},
			want: []string{
				`apiVpcCidr = "10.0.0.0/16 ": has a trailing space; remove it: did you mean "10.0.0.0/16"?`,
			},
		},
		{
			name: "null",
			ctx:  map[string]any{"stageName": nil},
			want: []string{
				`stageName = null: has no value; remove the key to use the default "v1", or give a value`,
			},
		},
		{
			name: "an unknown key with an invisible character in its name",
			ctx:  map[string]any{"stageName\u200b": "v2"},
			src:  Sources{Project: map[string]bool{"stageName\u200b": true}},
			want: []string{
				`"stageName\u200b" = "v2": is not a configuration key (in cdk.json): its name has an invisible character U+200B at position 10; did you mean stageName?`,
			},
		},
		{
			name: "warnings: keys first, then values in key order, even beside an error",
			ctx: map[string]any{
				"clientVpcCidr": "172.17.0.0/16",
				"apiVpcCidr":    "100.64.0.0/16",
				"stageNme":      "v2",
				"stageName":     "",
			},
			src: Sources{Foreign: map[string]string{"stageNme": "~/.cdk.json"}},
			want: []string{
				`warning: stageNme = "v2" in ~/.cdk.json is not a configuration key and is ignored; did you mean stageName?`,
				`warning: apiVpcCidr = "100.64.0.0/16": lies in 100.64.0.0/10, the shared address space of carrier-grade NAT (RFC 6598); a VPC accepts it, but Internet providers and VPNs number their own networks from it, so clients behind them may not reach the VPC, or reach the wrong host; a private range such as "10.0.0.0/16" avoids this`,
				`warning: clientVpcCidr = "172.17.0.0/16": lies in 172.17.0.0/16, the default bridge network of Docker and of AWS services such as SageMaker and Cloud9; a VPC accepts it, but containers and notebooks on such a bridge send traffic for these addresses to the bridge, not to the VPC; a private range such as "192.168.0.0/16" avoids this`,
				`stageName = "": is empty; API Gateway allows 1 to 128 letters, digits, hyphens and underscores, e.g. "v1"`,
			},
		},
		{
			name: "warnings: benchmarking and public ranges",
			ctx:  map[string]any{"apiVpcCidr": "8.8.0.0/16", "clientVpcCidr": "198.18.0.0/16"},
			want: []string{
				`warning: apiVpcCidr = "8.8.0.0/16": is a public range, outside 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16; a VPC accepts it, but routes these addresses to itself, so nothing in either VPC can reach the Internet hosts that own them; a private range such as "10.0.0.0/16" avoids this`,
				`warning: clientVpcCidr = "198.18.0.0/16": lies in 198.18.0.0/15, the range reserved for benchmarking network devices (RFC 2544); a VPC accepts it, but some routers, firewalls and VPN clients drop or divert it; a private range such as "192.168.0.0/16" avoids this`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warnings, err := FromContext(tt.ctx, tt.src)
			var got []string
			for _, w := range warnings {
				got = append(got, "warning: "+w)
			}
			if err != nil {
				got = append(got, strings.Split(err.Error(), "\n")...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("report mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLongValuesAreCut gives keys values of 100000 characters wherever a
// value can be echoed, values and key names alike, and checks that no line
// of the report carries them whole.
func TestLongValuesAreCut(t *testing.T) {
	long := strings.Repeat("x", 100000)
	tests := []struct {
		name string
		ctx  map[string]any
		src  Sources
	}{
		{"every string key", map[string]any{
			"appName": "aws" + long, "account": long, "apiRegion": long, "apiVpcCidr": long,
			"clientRegion": "us-west-2" + long, "clientVpcCidr": "10.0.0.0/16" + long, "stageName": long,
			"apiGatewayCloudWatchRole": long,
		}, Sources{}},
		{"strings with stray spaces", map[string]any{"apiVpcCidr": long + " ", "stageName": " " + long}, Sources{}},
		{"integer keys", map[string]any{"logRetentionDays": long, "throttleRateLimit": strings.Repeat("9", 100000)}, Sources{}},
		{"zone lists", map[string]any{
			"apiAvailabilityZones":    []any{"us-east-1a", long},
			"clientAvailabilityZones": []any{"us-west-2a", float64(1), long},
		}, Sources{}},
		{"a list and an object of the wrong type", map[string]any{
			"stageName": []any{long}, "appName": map[string]any{"k": long},
		}, Sources{}},
		{"unknown keys", map[string]any{long: long, "stageNme" + long: "v"}, Sources{}},
		{"a foreign key", map[string]any{"stageNme": long}, Sources{Foreign: map[string]string{"stageNme": "~/.cdk.json"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warnings, err := FromContext(tt.ctx, tt.src)
			if err == nil && len(warnings) == 0 {
				t.Fatal("got no error and no warning, want some")
			}
			lines := warnings
			if err != nil {
				lines = append(lines, strings.Split(err.Error(), "\n")...)
			}
			for _, line := range lines {
				if n := utf8.RuneCountInString(line); n > 1200 {
					t.Errorf("line of %d characters, want a value over 200 characters cut:\n%.300s…", n, line)
				}
				if strings.Contains(line, strings.Repeat("x", 201)) {
					t.Errorf("line holds over 200 characters of the value:\n%.300s…", line)
				}
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{"v1", `"v1"`},
		{"a\"b\\c<>&", `"a\"b\\c<>&"`},
		{"tab\there\nnew", `"tab\there\nnew"`},
		{"v1\u200b", `"v1\u200b"`},
		{"\ufeffbom", `"\ufeffbom"`},
		{"no\u00a0break", `"no\u00a0break"`},
		{"rtl\u202emark", `"rtl\u202emark"`},
		{"tag\U000E0041", `"tag\udb40\udc41"`},
		{"émoji 😀", `"émoji 😀"`},
		{[]any{"a\u200b", float64(2)}, `["a\u200b",2]`},
		{nil, `null`},
		{float64(12345678901), `12345678901`},
		{strings.Repeat("a", 198), `"` + strings.Repeat("a", 198) + `"`},
		{strings.Repeat("a", 199), `"` + strings.Repeat("a", 59) + `…" (199 characters)`},
		{strings.Repeat("é", 300), `"` + strings.Repeat("é", 59) + `…" (300 characters)`},
		// An escape counts as the one character it stands for, and is
		// never cut in two.
		{strings.Repeat("a", 57) + "\u200b" + strings.Repeat("a", 300), `"` + strings.Repeat("a", 57) + `\u200ba…" (358 characters)`},
		{strings.Repeat("a", 58) + "\u200b" + strings.Repeat("a", 300), `"` + strings.Repeat("a", 58) + `\u200b…" (359 characters)`},
		{strings.Repeat("\u200b", 100), `"` + strings.Repeat(`\u200b`, 59) + `…" (100 characters)`},
		{[]any{strings.Repeat("b", 300)}, `["` + strings.Repeat("b", 58) + `… (JSON of 304 characters)`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.40q", fmt.Sprint(tt.v)), func(t *testing.T) {
			if got := render(tt.v); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTidy(t *testing.T) {
	tests := []struct {
		in, clean, flaws string
		removed          int
	}{
		{"v1", "v1", "", 0},
		{"v 1", "v 1", "", 0},
		{"", "", "", 0},
		{"v1 ", "v1", "has a trailing space", 1},
		{"  v1", "v1", "has 2 leading spaces", 2},
		{" v1 ", "v1", "has a leading space and a trailing space", 2},
		{"v1\u200b", "v1", "has an invisible character U+200B at position 3", 1},
		{"\tv1", "v1", "has a control character U+0009 at position 1", 1},
		{"\ufeffv\u200b1 ", "v1", "has a trailing space, an invisible character U+FEFF at position 1 and an invisible character U+200B at position 3", 3},
		{"\u200b\u200b\u200b\u200b\u200bv1", "v1", "has an invisible character U+200B at position 1, an invisible character U+200B at position 2, an invisible character U+200B at position 3 and 2 more invisible or control characters", 5},
		{"   ", "", "has 3 leading spaces", 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			clean, flaws, removed := tidy(tt.in)
			if clean != tt.clean || flaws != tt.flaws || removed != tt.removed {
				t.Errorf("got %q, %q, %d, want %q, %q, %d", clean, flaws, removed, tt.clean, tt.flaws, tt.removed)
			}
		})
	}
}

// TestCidrWarnings checks which valid ranges draw a warning, and that the
// private range each warning offers is valid and draws none itself.
func TestCidrWarnings(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want []string // per warning, in order: key, then text it must hold
	}{
		{"usual private ranges", map[string]any{"apiVpcCidr": "10.0.0.0/16", "clientVpcCidr": "192.168.0.0/16"}, nil},
		{"172.16/12 beside the Docker bridge", map[string]any{"apiVpcCidr": "172.16.0.0/16", "clientVpcCidr": "172.18.0.0/16"}, nil},
		{"top of 172.16/12", map[string]any{"apiVpcCidr": "172.31.255.224/27"}, nil},
		{"shared address space", map[string]any{"apiVpcCidr": "100.64.0.0/16"}, []string{"apiVpcCidr", "100.64.0.0/10", "RFC 6598"}},
		{"top of the shared address space", map[string]any{"clientVpcCidr": "100.127.255.0/24"}, []string{"clientVpcCidr", "100.64.0.0/10"}},
		{"benchmarking", map[string]any{"apiVpcCidr": "198.19.0.0/16"}, []string{"apiVpcCidr", "198.18.0.0/15", "RFC 2544"}},
		{"Docker bridge", map[string]any{"clientVpcCidr": "172.17.0.0/16"}, []string{"clientVpcCidr", "Docker", "SageMaker and Cloud9"}},
		{"inside the Docker bridge", map[string]any{"apiVpcCidr": "172.17.200.0/24"}, []string{"apiVpcCidr", "172.17.0.0/16"}},
		{"public", map[string]any{"apiVpcCidr": "8.8.0.0/16"}, []string{"apiVpcCidr", "is a public range"}},
		{"public next to 10/8", map[string]any{"apiVpcCidr": "11.0.0.0/16"}, []string{"apiVpcCidr", "is a public range"}},
		{"public next to 172.16/12", map[string]any{"clientVpcCidr": "172.32.0.0/16"}, []string{"clientVpcCidr", "is a public range"}},
		{"public next to 192.168/16", map[string]any{"clientVpcCidr": "192.169.0.0/16"}, []string{"clientVpcCidr", "is a public range"}},
		{"both, in key order", map[string]any{"clientVpcCidr": "8.8.0.0/16", "apiVpcCidr": "100.64.0.0/16"},
			[]string{"apiVpcCidr", "RFC 6598", "clientVpcCidr", "public"}},
		{"the alternative avoids the other range", map[string]any{"apiVpcCidr": "100.64.0.0/16", "clientVpcCidr": "10.0.0.0/16"},
			[]string{"apiVpcCidr", `such as "192.168.0.0/16"`}},
		// An invalid range is reported, not warned about; a valid one
		// beside it still is.
		{"no warning for an invalid range", map[string]any{"apiVpcCidr": "8.8.0.1/16"}, nil},
		{"no warning for a range reported as overlapping", map[string]any{"apiVpcCidr": "8.8.0.0/16", "clientVpcCidr": "8.8.0.0/24"},
			[]string{"apiVpcCidr", "public"}},
		{"a warning for a valid range beside an invalid one", map[string]any{"apiVpcCidr": "8.8.0.1/16", "clientVpcCidr": "8.8.0.0/16"},
			[]string{"clientVpcCidr", "public"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warnings, _ := FromContext(tt.ctx, Sources{})
			var gotKeys, wantKeys []string
			for _, w := range warnings {
				gotKeys = append(gotKeys, w[:strings.Index(w, " = ")])
			}
			for _, s := range tt.want {
				if slices.Contains(Keys(), s) {
					wantKeys = append(wantKeys, s)
				}
			}
			if diff := cmp.Diff(wantKeys, gotKeys); diff != "" {
				t.Fatalf("warning keys mismatch (-want +got):\n%s\nwarnings:\n%s", diff, strings.Join(warnings, "\n"))
			}
			i := -1
			for _, s := range tt.want {
				if slices.Contains(Keys(), s) {
					i++
					continue
				}
				if !strings.Contains(warnings[i], s) {
					t.Errorf("warning %q does not mention %q", warnings[i], s)
				}
			}
			for i, w := range warnings {
				key := gotKeys[i]
				if !strings.Contains(w, key+" = "+render(tt.ctx[key])+": ") || !strings.Contains(w, "a VPC accepts it, but ") {
					t.Errorf("warning %q does not name the key and value and say why it is trouble", w)
				}
				alts := suggestions(t, w)
				if len(alts) == 0 {
					t.Errorf("warning %q offers no private range", w)
				}
				for _, alt := range alts {
					if slices.Contains([]string{"SageMaker", "Cloud9"}, alt) {
						continue
					}
					_, _, before := FromContext(tt.ctx, Sources{})
					fixed := maps.Clone(tt.ctx)
					fixed[key] = alt
					_, again, err := FromContext(fixed, Sources{})
					if err != nil {
						after := problems(t, err)
						partner := partnerKey[key]
						var was []Problem
						if before != nil {
							was = problems(t, before)
						}
						if countKey(after, key) > 0 || countKey(after, partner) > countKey(was, partner) {
							t.Errorf("warning %q offers %q, which gives:\n%v", w, alt, err)
						}
					}
					for _, w2 := range again {
						if strings.HasPrefix(w2, key+" = ") {
							t.Errorf("warning %q offers %q, which gives:\nwarning: %s", w, alt, w2)
						}
					}
				}
			}
		})
	}
	// Load itself accepts what only warrants a warning.
	if _, err := Load(context(map[string]any{"apiVpcCidr": "100.64.0.0/16"})); err != nil {
		t.Errorf("Load of a range that only warrants a warning: %v", err)
	}
}

// TestAlternativeDrawsNoWarning checks that a range the checker picks
// itself is not only valid but also free of warnings, while a correction of
// the user's own value (a did-you-mean) need only be valid.
func TestAlternativeDrawsNoWarning(t *testing.T) {
	ch := &checker{cfg: Defaults()}
	if got, ok := ch.alternative(keyApiVpcCidr, "100.64.0.0/16", "8.8.0.0/16", "192.168.0.0/16", "172.17.0.0/16", "10.9.0.0/16"); !ok || got != "10.9.0.0/16" {
		t.Errorf("alternative = %q, %v, want 10.9.0.0/16, true", got, ok)
	}
	if got, ok := ch.suggest(keyApiVpcCidr, "192.168.0.0/16", "100.64.0.0/16"); !ok || got != "100.64.0.0/16" {
		t.Errorf("suggest = %q, %v, want 100.64.0.0/16, true", got, ok)
	}
	if got, ok := ch.alternative(keyApiVpcCidr, "192.168.0.0/16", "0.0.0.0/0"); ok {
		t.Errorf("alternative = %q, want none", got)
	}
}

// clientsCtx is a context whose `clients` holds entries, with the API's
// account set.
func clientsCtx(entries ...map[string]any) map[string]any {
	list := make([]any, len(entries))
	for i, e := range entries {
		list[i] = e
	}
	return map[string]any{"account": "111111111111", "clients": list}
}

func TestClients(t *testing.T) {
	t.Run("a JSON array, and a JSON string as -c gives it", func(t *testing.T) {
		want := []Client{{Region: "eu-west-1", Cidr: "10.1.0.0/16"}, {Region: "eu-west-1", Cidr: "10.2.0.0/16", Account: "222222222222"}}
		for _, v := range []any{
			[]any{map[string]any{"region": "eu-west-1", "cidr": "10.1.0.0/16"}, map[string]any{"region": "eu-west-1", "cidr": "10.2.0.0/16", "account": "222222222222"}},
			`[{"region":"eu-west-1","cidr":"10.1.0.0/16"},{"region":"eu-west-1","cidr":"10.2.0.0/16","account":"222222222222"}]`,
		} {
			c, warnings, err := FromContext(map[string]any{"account": "111111111111", "clients": v}, Sources{})
			if err != nil {
				t.Fatalf("FromContext: %v", err)
			}
			if diff := cmp.Diff(want, c.ClientList()); diff != "" {
				t.Errorf("clients (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"222222222222"}, c.ClientAccounts()); diff != "" {
				t.Errorf("client accounts (-want +got):\n%s", diff)
			}
			// clientRegion and clientVpcCidr hold their defaults, as the
			// shipped cdk.json has them: nothing to say about them.
			if len(warnings) != 0 {
				t.Errorf("warnings %q, want none", warnings)
			}
			if got := c.ClientStackName(RoleClient, c.Clients[1]); got != "CrossRegionApi-Client-eu-west-1-222222222222" {
				t.Errorf("stack name %s", got)
			}
		}
	})
	t.Run("without clients, one client as before", func(t *testing.T) {
		c := Defaults()
		if diff := cmp.Diff([]Client{{Region: "us-west-2", Cidr: "192.168.0.0/16"}}, c.ClientList()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if got := c.ClientStackName(RolePeeringRoute, c.ClientList()[0]); got != "CrossRegionApi-PeeringRoute" {
			t.Errorf("stack name %s, want today's CrossRegionApi-PeeringRoute", got)
		}
	})

	ok := func(region, cidr string) map[string]any { return map[string]any{"region": region, "cidr": cidr} }
	cases := []struct {
		name string
		ctx  map[string]any
		want []string // "key: message fragment", in report order
	}{
		{"not a list", map[string]any{"clients": "eu-west-1"}, []string{"clients: is not JSON (line 1, column 1: invalid character 'e'"}},
		{"-c clients=null", map[string]any{"clients": "null"}, []string{"clients: has no value"}},
		{"-c clients={}", map[string]any{"clients": `{"region": "eu-west-1"}`}, []string{"clients: is an object in JSON, not a list"}},
		// `-c 'clients=[` + "\n" + `{...}]'`: the CLI passes the first line alone.
		{"a multi-line -c value, cut by the CLI", map[string]any{"clients": "["}, []string{"clients: unexpected end of JSON input; the value ends early: the CDK CLI keeps only the first line of a -c value, so write it on one line"}},
		{"broken JSON on a second line", map[string]any{"clients": "[\n  {\"region\": \"eu-west-1\",}\n]"}, []string{"clients: is not JSON (line 2, column 26: invalid character '}'"}},
		{"empty", clientsCtx(), []string{"clients: is empty"}},
		{"an entry not an object", map[string]any{"clients": []any{"eu-west-1"}}, []string{"clients[0]: is a string, not an object"}},
		{"fields missing and unknown", clientsCtx(map[string]any{"regoin": "eu-west-1"}),
			[]string{"clients[0].region: is missing", "clients[0].cidr: is missing", "clients[0].regoin: is not a field of a client"}},
		{"a bad Region and CIDR", clientsCtx(ok("eu-west-9", "10.1.0.0/33")),
			[]string{`clients[0].region: is not a Region known to the AWS CDK; did you mean "eu-west-1"?`, "clients[0].cidr: has an impossible prefix length /33"}},
		{"the API's Region", clientsCtx(ok("us-east-1", "10.1.0.0/16")), []string{"clients[0].region: is apiRegion too"}},
		{"another partition", clientsCtx(ok("cn-north-1", "10.1.0.0/16")), []string{"clients[0].region: is in partition aws-cn"}},
		{"overlapping the API", clientsCtx(ok("eu-west-1", "10.0.128.0/17")), []string{`clients[0].cidr: overlaps apiVpcCidr = "10.0.0.0/16"`}},
		{"overlapping another client", clientsCtx(ok("eu-west-1", "10.1.0.0/16"), ok("eu-central-1", "10.1.128.0/17")),
			[]string{`clients[1].cidr: overlaps clients[0].cidr = "10.1.0.0/16"`}},
		{"one Region and account twice", clientsCtx(ok("eu-west-1", "10.1.0.0/16"), ok("eu-west-1", "10.2.0.0/16")),
			[]string{"clients[1].region: repeats the Region and account of clients[0]"}},
		{"the API's account written out is the same account", clientsCtx(ok("eu-west-1", "10.1.0.0/16"),
			map[string]any{"region": "eu-west-1", "cidr": "10.2.0.0/16", "account": "111111111111"}),
			[]string{"clients[1].region: repeats the Region and account of clients[0]"}},
		{"another account without the API's", map[string]any{"clients": []any{map[string]any{"region": "eu-west-1", "cidr": "10.1.0.0/16", "account": "222222222222"}}},
			[]string{"clients[0].account: names an account, but account (the API's) is not set"}},
		{"a bad account", clientsCtx(map[string]any{"region": "eu-west-1", "cidr": "10.1.0.0/16", "account": "2222"}),
			[]string{"clients[0].account: is not an AWS account ID"}},
		{"pinned client zones", func() map[string]any {
			c := clientsCtx(ok("eu-west-1", "10.1.0.0/16"))
			c["clientAvailabilityZones"] = "us-west-2a,us-west-2b"
			return c
		}(), []string{"clientAvailabilityZones: pins the zones of the one client of clientRegion"}},
		{"several problems at once", clientsCtx(ok("us-east-1", "10.0.0.0/16"), ok("eu-west-9", "bad"), ok("eu-west-1", "10.9.0.0/16"), ok("eu-west-1", "10.9.0.0/24")),
			[]string{"clients[0].region: is apiRegion too", `clients[0].cidr: overlaps apiVpcCidr`, "clients[1].region: is not a Region",
				"clients[1].cidr: is not an IPv4 CIDR block", "clients[3].region: repeats the Region and account of clients[2]", `clients[3].cidr: overlaps clients[2].cidr`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FromContext(tc.ctx, Sources{})
			ps := problems(t, err)
			var got []string
			for _, p := range ps {
				got = append(got, p.Key+": "+p.Message)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(tc.want), strings.Join(tc.want, "\n"))
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(got[i], want[:strings.Index(want, ": ")+2]) || !strings.Contains(got[i], want[strings.Index(want, ": ")+2:]) {
					t.Errorf("problem %d: got %q, want %q", i, got[i], want)
				}
			}
		})
	}
}

// The quotas a number of clients meets are checked at synth time, each
// named in its message, at its boundary: the last number allowed and the
// first refused.
func TestClientQuotas(t *testing.T) {
	many := func(n int, accounts bool, extra map[string]any) map[string]any {
		var list []any
		for i := range n {
			e := map[string]any{"region": []string{"eu-west-1", "eu-central-1", "us-west-2", "ap-southeast-2"}[i%4], "cidr": fmt.Sprintf("10.%d.%d.0/24", 100+i/200, i%200)}
			if accounts || i >= 4 {
				e["account"] = fmt.Sprintf("2%011d", i)
			}
			list = append(list, e)
		}
		ctx := map[string]any{"account": "111111111111", "clients": list}
		maps.Copy(ctx, extra)
		return ctx
	}
	report := func(ctx map[string]any) string {
		_, _, err := FromContext(ctx, Sources{})
		return fmt.Sprint(err)
	}
	const peering, rules, policy = `"Active VPC peering connections per VPC"`, `"Inbound rules per security group"`, "limit of 8192 for a REST API's resource policy"
	const widgets = "500 widgets per dashboard"
	linkOrg := map[string]any{"transport": "privatelink", "organizationId": "o-abcdefghij"}
	cases := []struct {
		name       string
		ctx        map[string]any
		has, lacks []string
	}{
		{"50 clients", many(50, false, nil), nil, []string{peering, rules, policy}},
		{"51 clients", many(51, false, nil), []string{"clients: lists 51 clients, and the API's VPC would peer with each: over Amazon VPC's quota " + peering +
			" of peeringConnectionsQuota = 50; if your quota is higher (Service Quotas allows up to 125), set peeringConnectionsQuota to it"}, nil},
		{"51 clients, quota raised to 51", many(51, false, map[string]any{"peeringConnectionsQuota": 51}), nil, []string{peering}},
		{"59 clients, quota raised", many(59, false, map[string]any{"peeringConnectionsQuota": "125"}), nil, []string{peering, rules}},
		{"60 clients, quota raised", many(60, false, map[string]any{"peeringConnectionsQuota": 125}), []string{"clients: lists 60 clients, and the endpoint's security group would need 61 inbound rules", rules + " (60 by default, the bound the app checks): use transport = \"privatelink\""}, []string{peering}},
		{"a quota over 125", many(1, false, map[string]any{"peeringConnectionsQuota": 126}), []string{"peeringConnectionsQuota = 126: is outside the allowed 1..125"}, nil},
		{"a quota of 0", many(1, false, map[string]any{"peeringConnectionsQuota": 0}), []string{"peeringConnectionsQuota = 0: is outside the allowed 1..125"}, nil},
		// 190 accounts, the API's included, fit in 8,192 characters; 191 do
		// not. An estimate that forgot the API's own account would let 191
		// through.
		{"189 client accounts", many(189, true, nil), nil, []string{policy}},
		{"250 client accounts of one organization", many(250, true, map[string]any{"organizationId": "o-abcdefghij"}), nil, []string{policy}},
		{"190 client accounts", many(190, true, nil), []string{"clients: lists clients in 191 accounts, the API's included, and the API's resource policy would hold about 8200 characters, over API Gateway's " + policy}, nil},
		// Over PrivateLink with an organization nothing else bounds the
		// clients: the probe dashboard's 500 widgets, 5 per client, do.
		{"100 clients over PrivateLink with probes", many(100, true, linkOrg), nil, []string{widgets, peering, rules, policy}},
		{"101 clients over PrivateLink with probes", many(101, true, linkOrg), []string{"clients: lists 101 clients, and the probe dashboard would hold 505 widgets (5 per client), over CloudWatch's " + widgets +
			"; set probeIntervalMinutes to 0 to leave the probes and their dashboard out"}, []string{peering, rules, policy}},
		{"101 clients over PrivateLink without probes", many(101, true, map[string]any{"transport": "privatelink", "organizationId": "o-abcdefghij", "probeIntervalMinutes": 0}), nil, []string{widgets}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := report(tc.ctx)
			for _, s := range tc.has {
				if !strings.Contains(msg, s) {
					t.Errorf("the report lacks %q:\n%s", s, msg)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(msg, s) {
					t.Errorf("the report has %q:\n%s", s, msg)
				}
			}
		})
	}
}

// The warning about attempts that cannot fit in the client function's
// timeout: none for the defaults, and the count that fits otherwise.
func TestRetryBudget(t *testing.T) {
	cases := []struct {
		name string
		ctx  map[string]any
		want string // "" for no warning about clientMaxAttempts
	}{
		{"defaults: 3 attempts fit", nil, ""},
		{"4 attempts", map[string]any{"clientMaxAttempts": 4}, "clientMaxAttempts = 4: when the API does not answer, only 3 of the 4 attempts fit in the client function's 15 s timeout"},
		{"10 attempts, long waits", map[string]any{"clientMaxAttempts": 10, "clientBackoffBaseMs": 1000, "clientBackoffMaxMs": 10000}, "only 3 of the 10 attempts fit"},
		// With waits of up to 1 and 2 s the third attempt starts at most
		// 13 s in, before the last 100 ms of the 14.95 s the client keeps;
		// with 1.7 and 3.4 s, at 15.1 s, past it.
		{"3 attempts, waits at the edge", map[string]any{"clientBackoffBaseMs": 1000, "clientBackoffMaxMs": 4000}, ""},
		{"3 attempts, waits past it", map[string]any{"clientBackoffBaseMs": 1700, "clientBackoffMaxMs": 4000}, "only 2 of the 3 attempts fit"},
		// The handler keeps 50 ms of the timeout back for its answer: waits
		// of 1.62 and 3.24 s start the third attempt at 14.86 s, and with
		// the 100 ms it needs, past the 14.95 s it has, though within 15 s.
		{"3 attempts, past the handler's reserve", map[string]any{"clientBackoffBaseMs": 1620, "clientBackoffMaxMs": 4000}, "only 2 of the 3 attempts fit"},
		{"3 attempts, within the handler's reserve", map[string]any{"clientBackoffBaseMs": 1610, "clientBackoffMaxMs": 4000}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := FromContext(tc.ctx, Sources{})
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, w := range warnings {
				if strings.HasPrefix(w, "clientMaxAttempts = ") {
					got = w
				}
			}
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("warning %q, want one with %q", got, tc.want)
			}
		})
	}
}

// Zone IDs of Local and Wavelength Zones are named for what they are, and
// an Availability Zone ID past any Region's count is warned about.
func TestEdgeAndUnknownZoneIDs(t *testing.T) {
	for _, tc := range []struct {
		zones, problem, warning string
	}{
		{"usw2-lax1-az1,usw2-az1", `"usw2-lax1-az1" is a Local Zone; the endpoint and the function need Availability Zones of us-west-2`, ""},
		{"usw2-wl1-sea-wlz1,usw2-az2", `"usw2-wl1-sea-wlz1" is a Wavelength Zone`, ""},
		{"usw2-az9,usw2-az1", "", `clientAvailabilityZones = ["usw2-az9","usw2-az1"]: "usw2-az9": no AWS Region has had more than 6 Availability Zones`},
		{"usw2-az6,usw2-az1", "", ""},
	} {
		t.Run(tc.zones, func(t *testing.T) {
			_, warnings, err := FromContext(map[string]any{"clientAvailabilityZones": tc.zones}, Sources{})
			if (tc.problem == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("error %v, want one with %q", err, tc.problem)
			}
			var got string
			for _, w := range warnings {
				if strings.HasPrefix(w, "clientAvailabilityZones") {
					got = w
				}
			}
			if (tc.warning == "") != (got == "") || !strings.Contains(got, tc.warning) {
				t.Errorf("warning %q, want one with %q", got, tc.warning)
			}
		})
	}
}
