package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"crossregionapi/internal/cdktest"
)

// testBinary returns a command that runs this test binary as the app (see
// TestMain).
func testBinary(t *testing.T) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("finding the test binary: %v", err)
	}
	return exec.Command(exe, "-test.run=^$")
}

// Valid overrides must synthesize without any lookup: a concrete account
// would otherwise make the VPCs ask AWS for the Regions' AZs.
func TestGoodOverridesSynthesizeOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the whole app per case")
	}
	cases := []struct {
		name      string
		ctx       map[string]any
		account   string
		apiRegion string
		clientAZs []string
		// apiZoneIDs are the API subnets' AvailabilityZoneId, when the
		// zones are given as IDs.
		apiZoneIDs []string
		stackNames []string
	}{
		{
			name:       "concrete account",
			ctx:        map[string]any{"account": "123456789012"},
			account:    "123456789012",
			apiRegion:  "us-east-1",
			stackNames: []string{"CrossRegionApi-Api", "CrossRegionApi-Client", "CrossRegionApi-PeeringRoute"},
		},
		{
			name: "other regions, ranges, stage and app name; pinned AZs",
			ctx: map[string]any{
				"appName": "Demo", "apiRegion": "eu-central-1", "clientRegion": "ap-southeast-2",
				"apiVpcCidr": "172.16.0.0/20", "clientVpcCidr": "10.10.0.0/24", "stageName": "prod_2",
				"account": "210987654321", "clientAvailabilityZones": "ap-southeast-2b,ap-southeast-2c",
				"logRetentionDays": "90",
			},
			account:    "210987654321",
			apiRegion:  "eu-central-1",
			clientAZs:  []string{"ap-southeast-2b", "ap-southeast-2c"},
			stackNames: []string{"Demo-Api", "Demo-Client", "Demo-PeeringRoute"},
		},
		{
			name:       "API zones given as zone IDs, as a JSON list",
			ctx:        map[string]any{"account": "123456789012", "apiAvailabilityZones": `["use1-az4", "use1-az1"]`},
			account:    "123456789012",
			apiRegion:  "us-east-1",
			apiZoneIDs: []string{"use1-az1", "use1-az4"},
			stackNames: []string{"CrossRegionApi-Api", "CrossRegionApi-Client", "CrossRegionApi-PeeringRoute"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := synthesize(tc.ctx, t.TempDir())
			if err != nil {
				t.Fatalf("synthesis failed: %v", err)
			}
			stacks := []string{*res.app.Api.Stack.StackName(), *res.app.Client.Stack.StackName(), *res.app.PeeringRoute.StackName()}
			if strings.Join(stacks, ",") != strings.Join(tc.stackNames, ",") {
				t.Errorf("stack names: got %v, want %v", stacks, tc.stackNames)
			}
			if got := *res.app.Api.Stack.Account(); got != tc.account {
				t.Errorf("account: got %s, want %s", got, tc.account)
			}
			if got := *res.app.PeeringRoute.Region(); got != tc.apiRegion {
				t.Errorf("route stack region: got %s, want %s", got, tc.apiRegion)
			}
			manifest, err := os.ReadFile(filepath.Join(res.outdir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(manifest), `"missing"`) {
				t.Errorf("the assembly asks for context lookups:\n%s", manifest)
			}
			if tc.apiZoneIDs != nil {
				var got []string
				for _, p := range cdktest.Props(res.templates["Api"], "AWS::EC2::Subnet") {
					if _, named := p["AvailabilityZone"]; named {
						t.Errorf("an API subnet has AvailabilityZone %v beside its zone ID", p["AvailabilityZone"])
					}
					got = append(got, cdktest.JSON(p["AvailabilityZoneId"]))
				}
				if strings.Join(slices.Sorted(slices.Values(got)), ",") != `"`+strings.Join(tc.apiZoneIDs, `","`)+`"` {
					t.Errorf("API subnets' zone IDs: got %v, want %v", got, tc.apiZoneIDs)
				}
			}
			if tc.clientAZs != nil {
				var got []string
				for _, s := range cdktest.Resources(res.templates["Client"], "AWS::EC2::Subnet") {
					got = append(got, s["Properties"].(map[string]any)["AvailabilityZone"].(string))
				}
				if strings.Join(slices.Sorted(slices.Values(got)), ",") != strings.Join(tc.clientAZs, ",") {
					t.Errorf("client AZs: got %v, want %v", got, tc.clientAZs)
				}
			}
		})
	}
}

// pinnedCDK is the path of the CDK CLI that package-lock.json pins.
func pinnedCDK(t *testing.T) string {
	t.Helper()
	cdk, err := filepath.Abs(filepath.Join("node_modules", ".bin", "cdk"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cdk); err != nil {
		t.Fatalf("the pinned CDK CLI is not installed (%v): run `make deps` (npm ci)", err)
	}
	return cdk
}

// The pinned CLI synthesizes through cdk.json's app command with no AWS
// credentials or configuration at all, for a concrete account and a Region
// pair nobody committed context for.
func TestCLISynthWithoutCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CDK CLI")
	}
	// The CLI runs the app in processes of its own, beside this binary's
	// other such tests; the shared synthesis it compares with is made
	// first, in this one.
	local := defaultApp(t)
	t.Parallel()
	cdk := pinnedCDK(t)
	out := t.TempDir()
	cmd := exec.Command(cdk, "synth", "--no-lookups", "--quiet", "--output", out,
		"-c", "account=123456789012", "-c", "apiRegion=eu-west-3", "-c", "clientRegion=ca-central-1")
	cmd.Env = envWithoutAWS(t, t.TempDir())
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cdk synth: %v\n%s", err, output)
	}
	for _, name := range []string{"CrossRegionApi-Api", "CrossRegionApi-Client", "CrossRegionApi-PeeringRoute"} {
		if _, err := os.Stat(filepath.Join(out, name+".template.json")); err != nil {
			t.Errorf("no template for %s: %v", name, err)
		}
	}

	// The function was built again, by another process, for other Regions:
	// the same source must give the same asset, so an unchanged function
	// is never uploaded again.
	raw, err := os.ReadFile(filepath.Join(out, "CrossRegionApi-Client.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var client map[string]any
	if err := json.Unmarshal(raw, &client); err != nil {
		t.Fatal(err)
	}
	var cliKey string
	for _, p := range cdktest.Resources(client, "AWS::Lambda::Function") {
		props := p["Properties"].(map[string]any)
		if props["Runtime"] == "provided.al2023" {
			cliKey = props["Code"].(map[string]any)["S3Key"].(string)
		}
	}
	_, fn := clientFunction(t, local)
	if want := fn["Code"].(map[string]any)["S3Key"]; cliKey != want {
		t.Errorf("client asset: got %s from the CLI build, want %s as in the in-process build", cliKey, want)
	}
}
