package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdkcontext"
	"crossregionapi/internal/cdktest"
)

// nonDefault gives every configuration key a value unlike its default and
// unlike every other value of its kind, so that a setting dropped on its way
// (the default lands instead) or crossed with another (the other's value
// lands) shows in the templates.
var nonDefault = map[string]any{
	"appName":                  "Crossed-Wires",
	"account":                  "210987654321",
	"apiRegion":                "eu-west-1",
	"apiVpcCidr":               "10.20.0.0/20",
	"clientRegion":             "eu-central-1",
	"clientVpcCidr":            "10.30.0.0/22",
	"stageName":                "stage_7",
	"apiAvailabilityZones":     "eu-west-1b,eu-west-1c",
	"clientAvailabilityZones":  "eu-central-1a,eu-central-1c",
	"logRetentionDays":         float64(60),
	"throttleRateLimit":        float64(37),
	"throttleBurstLimit":       float64(73),
	"clientMaxAttempts":        float64(4),
	"clientBackoffBaseMs":      float64(150),
	"clientBackoffMaxMs":       float64(3500),
	"apiGatewayCloudWatchRole": "existing",
	"logEncryption":            "kms",
	"probeIntervalMinutes":     float64(15),
	"alarmEmail":               "ops@crossed.example",
	"organizationId":           "o-crossedwires7",
}

// nonDefaultApp is the app synthesized once with nonDefault.
func nonDefaultApp(t *testing.T) *synthResult {
	t.Helper()
	ctx := cdkJSONContext(t)
	maps.Copy(ctx, nonDefault)
	return nonDefaultShared.get(t, "with every setting changed", ctx)
}

// stackEnv returns the environment ("aws://account/region") of each stack
// of the cloud assembly, by stack name.
func stackEnv(t *testing.T, res *synthResult) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, st := range assembly(t, res.outdir) {
		out[name] = st.Environment
	}
	return out
}

// subnetZones returns the AZs of a template's subnets, sorted.
func subnetZones(tmpl map[string]any) []string {
	var out []string
	for _, p := range cdktest.Props(tmpl, "AWS::EC2::Subnet") {
		out = append(out, cdktest.JSON(p["AvailabilityZone"]))
	}
	slices.Sort(out)
	return out
}

// TestEverySettingLands sets every configuration key to a value of its own
// and checks each place it must reach, in every stack it must reach. A key
// added to config.Keys without a case here fails the test.
func TestEverySettingLands(t *testing.T) {
	res := nonDefaultApp(t)
	api, client, route := res.templates[config.RoleApi], res.templates[config.RoleClient], res.templates[config.RolePeeringRoute]
	apiJSON, clientJSON, routeJSON := cdktest.JSON(api), cdktest.JSON(client), cdktest.JSON(route)
	_, fn := clientFunction(t, res)
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	has := func(t *testing.T, where, doc, want string) {
		t.Helper()
		if !strings.Contains(doc, want) {
			t.Errorf("%s lacks %s", where, want)
		}
	}
	cases := map[string]func(t *testing.T){
		"appName": func(t *testing.T) {
			envs := stackEnv(t, res)
			for _, role := range []string{config.RoleApi, config.RoleClient, config.RolePeeringRoute} {
				if _, ok := envs["Crossed-Wires-"+role]; !ok {
					t.Errorf("no stack Crossed-Wires-%s in %v", role, keys(envs))
				}
			}
			has(t, "API stack", apiJSON, `"/Crossed-Wires/api/route-table-0"`)
			has(t, "API stack", apiJSON, `"/Crossed-Wires/api/endpoint-dns-name"`)
			has(t, "return-route stack", routeJSON, `"/Crossed-Wires/api/route-table-1"`)
			has(t, "client stack", clientJSON, `"StackName":"Crossed-Wires-Api"`)
			has(t, "return-route stack", routeJSON, `"StackName":"Crossed-Wires-Client"`)
		},
		"account": func(t *testing.T) {
			for name, e := range stackEnv(t, res) {
				if !strings.HasPrefix(e, "aws://210987654321/") {
					t.Errorf("stack %s environment %s, want account 210987654321", name, e)
				}
			}
		},
		"apiRegion": func(t *testing.T) {
			envs := stackEnv(t, res)
			for _, role := range []string{config.RoleApi, config.RolePeeringRoute} {
				if e := envs["Crossed-Wires-"+role]; e != "aws://210987654321/eu-west-1" {
					t.Errorf("%s stack environment %s, want eu-west-1", role, e)
				}
			}
			if env["API_REGION"] != "eu-west-1" {
				t.Errorf("API_REGION %v", env["API_REGION"])
			}
			has(t, "client stack", clientJSON, `"PeerRegion":"eu-west-1"`)
			has(t, "client stack", clientJSON, `.execute-api.eu-west-1.amazonaws.com."`)
			has(t, "client stack", clientJSON, `"Region":"eu-west-1","StackName":"Crossed-Wires-Api"`)
			has(t, "client stack", clientJSON, `"arn:aws:execute-api:eu-west-1:210987654321:"`)
			has(t, "API stack", apiJSON, `"com.amazonaws.eu-west-1.execute-api"`)
		},
		"apiVpcCidr": func(t *testing.T) {
			has(t, "API VPC", cdktest.JSON(cdktest.Props(api, "AWS::EC2::VPC")), `"CidrBlock":"10.20.0.0/20"`)
			has(t, "endpoint security group", cdktest.JSON(cdktest.Props(api, "AWS::EC2::SecurityGroup")), `"CidrIp":"10.20.0.0/20"`)
			has(t, "client security group", cdktest.JSON(cdktest.Props(client, "AWS::EC2::SecurityGroup")), `"CidrIp":"10.20.0.0/20"`)
			for _, r := range cdktest.Props(client, "AWS::EC2::Route") {
				if r["DestinationCidrBlock"] != "10.20.0.0/20" {
					t.Errorf("client route to %v, want 10.20.0.0/20", r["DestinationCidrBlock"])
				}
			}
		},
		"clientRegion": func(t *testing.T) {
			if e := stackEnv(t, res)["Crossed-Wires-Client"]; e != "aws://210987654321/eu-central-1" {
				t.Errorf("client stack environment %s, want eu-central-1", e)
			}
			has(t, "return-route stack", routeJSON, `"Region":"eu-central-1","StackName":"Crossed-Wires-Client"`)
		},
		"clientVpcCidr": func(t *testing.T) {
			has(t, "client VPC", cdktest.JSON(cdktest.Props(client, "AWS::EC2::VPC")), `"CidrBlock":"10.30.0.0/22"`)
			has(t, "endpoint security group", cdktest.JSON(cdktest.Props(api, "AWS::EC2::SecurityGroup")), `"CidrIp":"10.30.0.0/22"`)
			routes := cdktest.Props(route, "AWS::EC2::Route")
			if len(routes) != 2 {
				t.Fatalf("return routes: got %d, want 2", len(routes))
			}
			for _, r := range routes {
				if r["DestinationCidrBlock"] != "10.30.0.0/22" {
					t.Errorf("return route to %v, want 10.30.0.0/22", r["DestinationCidrBlock"])
				}
			}
		},
		"stageName": func(t *testing.T) {
			_, stage := onlyProps(t, api, "AWS::ApiGateway::Stage")
			if stage["StageName"] != "stage_7" {
				t.Errorf("stage %v", stage["StageName"])
			}
			has(t, "execution log group", cdktest.JSON(cdktest.Props(api, "AWS::Logs::LogGroup")), `"/stage_7"`)
			has(t, "API_URL", cdktest.JSON(env["API_URL"]), `.amazonaws.com/stage_7"`)
			has(t, "function grant", cdktest.JSON(cdktest.Props(client, "AWS::IAM::Policy")), `/stage_7/GET/hello"`)
		},
		"apiAvailabilityZones": func(t *testing.T) {
			if got := strings.Join(subnetZones(api), ","); got != `"eu-west-1b","eu-west-1c"` {
				t.Errorf("API subnets in %s", got)
			}
		},
		"clientAvailabilityZones": func(t *testing.T) {
			if got := strings.Join(subnetZones(client), ","); got != `"eu-central-1a","eu-central-1c"` {
				t.Errorf("client subnets in %s", got)
			}
		},
		"logRetentionDays": func(t *testing.T) {
			for _, role := range []string{config.RoleApi, config.RoleClient} {
				groups := cdktest.Props(res.templates[role], "AWS::Logs::LogGroup")
				if len(groups) == 0 {
					t.Errorf("%s has no log group", role)
				}
				for _, g := range groups {
					if g["RetentionInDays"] != float64(60) {
						t.Errorf("%s log group %v keeps %v days, want 60", role, g["LogGroupName"], g["RetentionInDays"])
					}
				}
			}
		},
		"throttleRateLimit": func(t *testing.T) {
			_, stage := onlyProps(t, api, "AWS::ApiGateway::Stage")
			has(t, "stage method settings", cdktest.JSON(stage["MethodSettings"]), `"ThrottlingRateLimit":37`)
		},
		"throttleBurstLimit": func(t *testing.T) {
			_, stage := onlyProps(t, api, "AWS::ApiGateway::Stage")
			has(t, "stage method settings", cdktest.JSON(stage["MethodSettings"]), `"ThrottlingBurstLimit":73`)
		},
		"clientMaxAttempts": func(t *testing.T) { wantEnv(t, env, "MAX_ATTEMPTS", "4") },
		"probeIntervalMinutes": func(t *testing.T) {
			has(t, "client stack's schedule", clientJSON, `"ScheduleExpression":"rate(15 minutes)"`)
			has(t, "client stack's alarm", clientJSON, `"Period":900`)
			has(t, "API stack's dashboard", apiJSON, `\"period\":900`)
		},
		"organizationId": func(t *testing.T) {
			for _, typ := range []string{"AWS::ApiGateway::RestApi", "AWS::EC2::VPCEndpoint"} {
				if doc := cdktest.JSON(cdktest.Props(api, typ)); !strings.Contains(doc, `"aws:PrincipalOrgID":"o-crossedwires7"`) {
					t.Errorf("%s lacks aws:PrincipalOrgID o-crossedwires7: %s", typ, doc)
				}
			}
		},
		"alarmEmail": func(t *testing.T) {
			has(t, "client stack's subscription", clientJSON, `"Endpoint":"ops@crossed.example","Protocol":"email"`)
			has(t, "client stack's output", clientJSON, `"AlarmEmailToConfirm":{"Description"`)
		},
		"clientBackoffBaseMs": func(t *testing.T) { wantEnv(t, env, "BACKOFF_BASE_MS", "150") },
		"clientBackoffMaxMs":  func(t *testing.T) { wantEnv(t, env, "BACKOFF_MAX_MS", "3500") },
		"logEncryption": func(t *testing.T) {
			for _, role := range []string{config.RoleApi, config.RoleClient} {
				tmpl := res.templates[role]
				var logsKeys int
				for id := range cdktest.Resources(tmpl, "AWS::KMS::Key") {
					if !strings.HasPrefix(id, "ProbeTopicKey") {
						logsKeys++
					}
				}
				if logsKeys != 1 {
					t.Errorf("%s has %d KMS keys for its logs, want 1", role, logsKeys)
				}
				for _, g := range cdktest.Props(tmpl, "AWS::Logs::LogGroup") {
					if g["KmsKeyId"] == nil {
						t.Errorf("%s log group %v is not encrypted", role, g["LogGroupName"])
					}
				}
				if n := len(cdktest.Resources(tmpl, "Custom::VpcRestrictDefaultSG")); n != 0 {
					t.Errorf("%s still empties the default security group with a function outside the VPC", role)
				}
			}
		},
		"apiGatewayCloudWatchRole": func(t *testing.T) {
			if n := len(cdktest.Resources(api, "AWS::ApiGateway::Account")); n != 0 {
				t.Errorf("existing: the API stack still sets the account's role (%d AWS::ApiGateway::Account)", n)
			}
		},
	}
	for _, key := range config.Keys() {
		switch key {
		case "clients":
			continue // replaces clientRegion and clientVpcCidr: hubandspoke_test.go
		case "peeringConnectionsQuota":
			continue // bounds the clients at synth time, nothing in a template: config's TestClientQuotas
		case "transport":
			continue // changes the stacks themselves: privatelink_test.go
		case "secondaryApiRegion", "secondaryApiVpcCidr":
			continue // adds stacks and paths: tworegions_test.go
		}
		check, ok := cases[key]
		if !ok {
			t.Errorf("configuration key %s has no case here", key)
			continue
		}
		if _, ok := nonDefault[key]; !ok {
			t.Errorf("configuration key %s has no value in nonDefault", key)
		}
		t.Run(key, check)
	}
}

func wantEnv(t *testing.T, env map[string]any, name, want string) {
	t.Helper()
	if env[name] != want {
		t.Errorf("%s = %v, want %s", name, env[name], want)
	}
}

// A key a context file sets to null is refused, as the configuration
// refuses any key without a value, though CDK drops it from the app's
// context; a -c value over it wins.
func TestNullInContextFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, cdkcontext.ProjectConfig), []byte(`{"context": {"transport": null, "stageName": "v2"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := cdkcontext.Read(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	nulls := nullKeys(files.Merged)
	if diff := cmp.Diff([]string{"transport"}, nulls); diff != "" {
		t.Fatalf("null keys (-want +got):\n%s", diff)
	}
	ctx := cdkJSONContext(t)
	delete(ctx, "transport")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	_, _, err = loadConfig(app, files.Sources, nulls)
	if err == nil || !strings.Contains(err.Error(), "transport = null: has no value") {
		t.Errorf("got %v, want transport refused for having no value", err)
	}
	ctx["transport"] = "privatelink" // -c transport=privatelink
	app = awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	if _, _, err := loadConfig(app, files.Sources, nulls); err != nil {
		t.Errorf("a value over the file's null: %v", err)
	}
}
