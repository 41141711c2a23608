package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

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

func TestDefaults(t *testing.T) {
	tests := []struct {
		name   string
		lookup func(string) (any, bool)
	}{
		{"no keys", context(nil)},
		{"nil lookup", nil},
		{"every key null", func(string) (any, bool) { return nil, true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.lookup)
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
				"clientRegion":             "eu-central-1",
				"clientVpcCidr":            "10.2.0.0/24",
				"stageName":                "prod_2-a",
				"apiAvailabilityZones":     "eu-west-1a,eu-west-1b",
				"clientAvailabilityZones":  " eu-central-1a , eu-central-1c ",
				"logRetentionDays":         "90",
				"throttleRateLimit":        "100",
				"throttleBurstLimit":       "200",
				"clientMaxAttempts":        "5",
				"clientBackoffBaseMs":      "50",
				"clientBackoffMaxMs":       "5000",
				"apiGatewayCloudWatchRole": "existing",
			},
			want: func(c *Config) {
				*c = Config{
					AppName:                 "MyApp-2",
					Account:                 "012345678901",
					ApiRegion:               "eu-west-1",
					ApiVpcCidr:              "10.1.0.0/16",
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
				}
			},
		},
		{
			name: "JSON types, as from cdk.json",
			ctx: map[string]any{
				"account":                 "123456789012",
				"apiRegion":               "us-west-2",
				"clientRegion":            "us-east-1",
				"apiAvailabilityZones":    []any{"us-west-2-lax-1a", "us-west-2b"},
				"clientAvailabilityZones": []any{"us-east-1-wl1-bos-wlz-1", "us-east-1f"},
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
				c.ApiAvailabilityZones = []string{"us-west-2-lax-1a", "us-west-2b"}
				c.ClientAvailabilityZones = []string{"us-east-1-wl1-bos-wlz-1", "us-east-1f"}
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

// TestLoadProblems has one case per kind of bad input; each must give
// exactly one problem, under the key to fix, showing the bad value.
func TestLoadProblems(t *testing.T) {
	tests := []struct {
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
		{"cloudwatch role capitalised", map[string]any{"apiGatewayCloudWatchRole": "Existing"}, "apiGatewayCloudWatchRole", `"Existing"`, []string{`did you mean "existing"?`}},

		// account.
		{"account too short", map[string]any{"account": "12345678901"}, "account", `"12345678901"`, []string{"12 digits"}},
		{"account with hyphens", map[string]any{"account": "1234-5678-9012"}, "account", `"1234-5678-9012"`, []string{`did you mean "123456789012"`}},

		// Regions.
		{"region typo", map[string]any{"apiRegion": "us-east-9"}, "apiRegion", `"us-east-9"`, []string{"not a Region known to the AWS CDK", `did you mean "us-east-1"`}},
		{"region in upper case", map[string]any{"clientRegion": "US-WEST-2"}, "clientRegion", `"US-WEST-2"`, []string{`did you mean "us-west-2"`}},
		{"region far from any", map[string]any{"clientRegion": "mars-central-7"}, "clientRegion", `"mars-central-7"`, []string{"not a Region known", "such as us-east-1"}},
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
	}
	for _, tt := range tests {
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
			name: "both CIDRs bad and overlapping",
			ctx: map[string]any{
				"apiVpcCidr":    "10.0.0.5/16",
				"clientVpcCidr": "10.0.0.0/8",
			},
			wantKeys: []string{"apiVpcCidr", "clientVpcCidr", "clientVpcCidr"},
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
	wantFirst := `appName = "two\nlines": is not a valid stack name prefix; `
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
			"appName", "apiRegion", "apiVpcCidr", "clientRegion", "clientVpcCidr", "stageName",
			"logRetentionDays", "throttleRateLimit", "throttleBurstLimit", "clientMaxAttempts",
			"clientBackoffBaseMs", "clientBackoffMaxMs", "apiGatewayCloudWatchRole",
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
