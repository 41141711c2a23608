package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
)

// logicalRef returns the logical id v refers to with Ref, or "".
func logicalRef(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// dependsOn returns the DependsOn list of a resource.
func dependsOn(r map[string]any) []string {
	var out []string
	for _, d := range asSlice(r["DependsOn"]) {
		out = append(out, d.(string))
	}
	return out
}

// Every function of every stack, CDK's provider functions included, writes
// to a log group of its own stack that expires and is deleted with it:
// Lambda would otherwise create /aws/lambda/{name} itself, kept forever and
// left behind by a destroy.
func TestEveryFunctionLogsToItsOwnStack(t *testing.T) {
	res := defaultApp(t)
	var functions int
	for role, tmpl := range res.templates {
		groups := cdktest.Resources(tmpl, "AWS::Logs::LogGroup")
		for id, fn := range cdktest.Resources(tmpl, "AWS::Lambda::Function") {
			functions++
			lc, _ := fn["Properties"].(map[string]any)["LoggingConfig"].(map[string]any)
			group := logicalRef(lc["LogGroup"])
			g, ok := groups[group]
			if !ok {
				t.Errorf("%s function %s logs to %v, not to a log group of its stack", role, id, cdktest.JSON(lc))
				continue
			}
			if g["DeletionPolicy"] != "Delete" || g["Properties"].(map[string]any)["RetentionInDays"] == nil {
				t.Errorf("%s function %s's log group %s: deletion %v, retention %v", role, id, group, g["DeletionPolicy"], g["Properties"])
			}
		}
	}
	// The client and one default-security-group provider per VPC stack;
	// no cross-Region export writer or reader any more.
	if functions != 3 {
		t.Errorf("functions in the app: got %d, want 3", functions)
	}
	for role, tmpl := range res.templates {
		for id, r := range tmpl["Resources"].(map[string]any) {
			if typ := r.(map[string]any)["Type"].(string); strings.HasPrefix(typ, "Custom::CrossRegion") {
				t.Errorf("%s still has %s (%s)", role, id, typ)
			}
		}
	}
}

// The execution logs API Gateway writes under a name of its own choosing
// belong to the API stack, exist before the stage can log, and go with it.
func TestExecutionLogGroupIsOwned(t *testing.T) {
	res := defaultApp(t)
	api := res.templates[config.RoleApi]
	apiID, _ := onlyProps(t, api, "AWS::ApiGateway::RestApi")
	stageID, stage := onlyProps(t, api, "AWS::ApiGateway::Stage")
	wantName := map[string]any{"Fn::Join": []any{"", []any{"API-Gateway-Execution-Logs_", ref(apiID), "/" + stage["StageName"].(string)}}}
	var found string
	for id, g := range cdktest.Resources(api, "AWS::Logs::LogGroup") {
		if cmp.Equal(g["Properties"].(map[string]any)["LogGroupName"], wantName) {
			found = id
		}
	}
	if found == "" {
		t.Fatalf("no log group named %s", cdktest.JSON(wantName))
	}
	stageRes := api["Resources"].(map[string]any)[stageID].(map[string]any)
	if !slices.Contains(dependsOn(stageRes), found) {
		t.Errorf("stage DependsOn %v, want it to wait for %s", dependsOn(stageRes), found)
	}
}

// Lambda releases the client's network interfaces with the role's EC2
// permissions, after the function is gone; the security group and the
// subnets wait for the interfaces, so they must be deleted before the
// permissions are, not in parallel.
func TestClientNetworkOutlivesNoPermission(t *testing.T) {
	res := defaultApp(t)
	client := res.templates[config.RoleClient]
	var policy string
	for id, p := range cdktest.Resources(client, "AWS::IAM::Policy") {
		if strings.Contains(cdktest.JSON(p), "ec2:DeleteNetworkInterface") {
			policy = id
		}
	}
	if policy == "" {
		t.Fatal("no policy grants ec2:DeleteNetworkInterface")
	}
	fnID, fn := clientFunction(t, res)
	vpcConfig := fn["VpcConfig"].(map[string]any)
	var mustWait []string
	for _, sg := range asSlice(vpcConfig["SecurityGroupIds"]) {
		mustWait = append(mustWait, sg.(map[string]any)["Fn::GetAtt"].([]any)[0].(string))
	}
	for _, subnet := range asSlice(vpcConfig["SubnetIds"]) {
		mustWait = append(mustWait, logicalRef(subnet))
	}
	if len(mustWait) != 3 {
		t.Fatalf("function %s: security groups and subnets %v, want 1 and 2", fnID, mustWait)
	}
	resources := client["Resources"].(map[string]any)
	for _, id := range mustWait {
		if !slices.Contains(dependsOn(resources[id].(map[string]any)), policy) {
			t.Errorf("%s DependsOn %v, want %s (the network-interface permissions)", id, dependsOn(resources[id].(map[string]any)), policy)
		}
	}
}

// What a destroy keeps, by design, is exactly API Gateway's Region-wide
// CloudWatch role and the account setting that points at it; with
// apiGatewayCloudWatchRole=existing the app creates neither, and its stage
// still logs through the account's own role.
func TestDestroyKeepsOnlyTheCloudWatchRole(t *testing.T) {
	retained := func(res *synthResult) []string {
		var out []string
		for role, tmpl := range res.templates {
			for id, r := range tmpl["Resources"].(map[string]any) {
				if p := r.(map[string]any)["DeletionPolicy"]; p == "Retain" || p == "RetainExceptOnCreate" || p == "Snapshot" {
					out = append(out, role+" "+r.(map[string]any)["Type"].(string)+" "+id)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	res := defaultApp(t)
	want := []string{"Api AWS::ApiGateway::Account PrivateApiAccount4C7138B5", "Api AWS::IAM::Role PrivateApiCloudWatchRole42B1ADDC"}
	if diff := cmp.Diff(want, retained(res)); diff != "" {
		t.Errorf("kept on delete (-want +got):\n%s", diff)
	}
	if _, ok := res.templates[config.RoleApi]["Outputs"].(map[string]any)["ApiGatewayCloudWatchRoleArn"]; !ok {
		t.Error("no ApiGatewayCloudWatchRoleArn output naming the kept role")
	}

	ctx := cdkJSONContext(t)
	maps.Copy(ctx, map[string]any{"apiGatewayCloudWatchRole": "existing", "stageName": "prod"})
	existing, err := synthesize(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	api := existing.templates[config.RoleApi]
	if got := retained(existing); len(got) != 0 {
		t.Errorf("with existing: kept on delete %v, want nothing", got)
	}
	for _, typ := range []string{"AWS::ApiGateway::Account", "AWS::IAM::Role"} {
		for id, r := range cdktest.Resources(api, typ) {
			if strings.Contains(cdktest.JSON(r), "apigateway.amazonaws.com") || typ == "AWS::ApiGateway::Account" {
				t.Errorf("with existing: %s %s is still created", typ, id)
			}
		}
	}
	_, stage := onlyProps(t, api, "AWS::ApiGateway::Stage")
	if got := cdktest.JSON(stage["MethodSettings"]); !strings.Contains(got, `"LoggingLevel":"ERROR"`) {
		t.Errorf("with existing: method settings %s, want execution logging at ERROR", got)
	}
	if stage["StageName"] != "prod" || !strings.Contains(cdktest.JSON(cdktest.Props(api, "AWS::Logs::LogGroup")), `"/prod"`) {
		t.Errorf("with stageName prod: stage %v, execution log group not named for it", stage["StageName"])
	}
}

// The function calls the API as soon as it exists: it must wait for the
// private zone and for the alias record in it, or the first calls fail with
// "no such host".
func TestFunctionWaitsForItsDNS(t *testing.T) {
	res := defaultApp(t)
	client := res.templates[config.RoleClient]
	fnID, _ := clientFunction(t, res)
	zone, _ := onlyProps(t, client, "AWS::Route53::HostedZone")
	record, _ := onlyProps(t, client, "AWS::Route53::RecordSetGroup")
	deps := dependsOn(client["Resources"].(map[string]any)[fnID].(map[string]any))
	for _, want := range []string{zone, record} {
		if !slices.Contains(deps, want) {
			t.Errorf("function DependsOn %v, want %s", deps, want)
		}
	}
}
