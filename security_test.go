package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
	"crossregionapi/stacks"
)

// accountArn is how "this account's" ARNs appear in the templates.
func accountArn(service, region, resource string) map[string]any {
	return map[string]any{"Fn::Join": []any{"", []any{
		"arn:aws:" + service + ":" + region + ":", map[string]any{"Ref": "AWS::AccountId"}, ":" + resource,
	}}}
}

func TestMethodsRequireIAM(t *testing.T) {
	res := defaultApp(t)
	methods := cdktest.Resources(res.templates[config.RoleApi], "AWS::ApiGateway::Method")
	if len(methods) == 0 {
		t.Fatal("no methods")
	}
	validatorID, validator := onlyProps(t, res.templates[config.RoleApi], "AWS::ApiGateway::RequestValidator")
	if validator["ValidateRequestParameters"] != true || validator["ValidateRequestBody"] != true {
		t.Errorf("request validator: got %s, want parameters and body validated", cdktest.JSON(validator))
	}
	for id, m := range methods {
		p := m["Properties"].(map[string]any)
		if p["AuthorizationType"] != "AWS_IAM" {
			t.Errorf("method %s: AuthorizationType %v, want AWS_IAM", id, p["AuthorizationType"])
		}
		if diff := cmp.Diff(ref(validatorID), p["RequestValidatorId"]); diff != "" {
			t.Errorf("method %s validator (-want +got):\n%s", id, diff)
		}
	}
}

func TestResourcePolicy(t *testing.T) {
	res := defaultApp(t)
	_, api := onlyProps(t, res.templates[config.RoleApi], "AWS::ApiGateway::RestApi")
	statements := asSlice(api["Policy"].(map[string]any)["Statement"])
	if len(statements) != 2 {
		t.Fatalf("resource policy: got %d statements, want a Deny and an Allow", len(statements))
	}
	var allow map[string]any
	for _, s := range statements {
		st := s.(map[string]any)
		if st["Effect"] == "Allow" {
			allow = st
		}
	}
	// Only this account's principals, and they still need an identity
	// policy: an account principal delegates to IAM.
	want := map[string]any{
		"Sid": "AllowOwnAccount", "Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
		"Principal": map[string]any{"AWS": map[string]any{"Fn::Join": []any{"", []any{
			"arn:aws:iam::", map[string]any{"Ref": "AWS::AccountId"}, ":root",
		}}}},
	}
	if diff := cmp.Diff(want, allow); diff != "" {
		t.Errorf("Allow statement (-want +got):\n%s", diff)
	}
	for _, s := range statements {
		st := s.(map[string]any)
		if st["Effect"] == "Allow" && cdktest.JSON(st["Principal"]) == `{"AWS":"*"}` && st["Condition"] == nil {
			t.Errorf("unconditional Allow to *: %s", cdktest.JSON(st))
		}
	}
}

func TestFunctionGrantIsOneMethod(t *testing.T) {
	res := defaultApp(t)
	client := res.templates[config.RoleClient]
	_, fn := clientFunction(t, res)
	roleID := fn["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	role := cdktest.Resources(client, "AWS::IAM::Role")[roleID]["Properties"].(map[string]any)
	if role["ManagedPolicyArns"] != nil {
		t.Errorf("function role has managed policies %s, want only its own inline policy", cdktest.JSON(role["ManagedPolicyArns"]))
	}
	var invoke []map[string]any
	var actions []string
	for _, p := range cdktest.Resources(client, "AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		if cdktest.JSON(props["Roles"]) != cdktest.JSON([]any{ref(roleID)}) {
			continue
		}
		for _, s := range asSlice(props["PolicyDocument"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			for _, a := range append(asSlice(st["Action"]), st["Action"]) {
				if a, ok := a.(string); ok {
					actions = append(actions, a)
					if a == "execute-api:Invoke" {
						invoke = append(invoke, st)
					}
				}
			}
		}
	}
	if len(invoke) != 1 {
		t.Fatalf("execute-api:Invoke statements: got %d, want 1", len(invoke))
	}
	wantArn := map[string]any{"Fn::Join": []any{"", []any{
		"arn:aws:execute-api:us-east-1:", map[string]any{"Ref": "AWS::AccountId"}, ":",
		crossRegionImport(t, res, config.RoleApi, "RefPrivateApi9"), "/v1/GET/hello",
	}}}
	if diff := cmp.Diff(wantArn, invoke[0]["Resource"]); diff != "" {
		t.Errorf("invoke grant resource (-want +got):\n%s", diff)
	}
	for _, a := range actions {
		if strings.HasSuffix(a, ":*") || a == "*" {
			t.Errorf("function role allows wildcard action %s", a)
		}
	}
	// The API stack never names the client's role: no stack cycle.
	if strings.Contains(cdktest.JSON(res.templates[config.RoleApi]), roleID) {
		t.Errorf("API stack refers to the client role %s", roleID)
	}
}

func TestEndpointPolicy(t *testing.T) {
	res := defaultApp(t)
	_, ep := onlyProps(t, res.templates[config.RoleApi], "AWS::EC2::VPCEndpoint")
	want := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid": "InvokeOwnAccountApisOnly", "Effect": "Allow", "Principal": map[string]any{"AWS": "*"},
			"Action":    "execute-api:Invoke",
			"Resource":  accountArn("execute-api", "us-east-1", "*/*"),
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": map[string]any{"Ref": "AWS::AccountId"}}},
		}},
	}
	if diff := cmp.Diff(want, ep["PolicyDocument"]); diff != "" {
		t.Errorf("endpoint policy (-want +got):\n%s", diff)
	}
}

func TestStageLoggingTracingThrottling(t *testing.T) {
	res := defaultApp(t)
	api := res.templates[config.RoleApi]
	_, stage := onlyProps(t, api, "AWS::ApiGateway::Stage")
	if stage["TracingEnabled"] != true {
		t.Error("stage X-Ray tracing is off")
	}
	want := []any{map[string]any{
		"HttpMethod": "*", "ResourcePath": "/*", "LoggingLevel": "ERROR", "DataTraceEnabled": false,
		"MetricsEnabled": true, "ThrottlingRateLimit": float64(10), "ThrottlingBurstLimit": float64(20),
	}}
	if diff := cmp.Diff(want, stage["MethodSettings"]); diff != "" {
		t.Errorf("method settings (-want +got):\n%s", diff)
	}
	access := stage["AccessLogSetting"].(map[string]any)
	var accessLogID string
	for id := range cdktest.Resources(api, "AWS::Logs::LogGroup") {
		if strings.Contains(cdktest.JSON(access["DestinationArn"]), `"Ref":"`+id+`"`) {
			accessLogID = id
		}
	}
	if accessLogID == "" {
		t.Errorf("access logs go to %s, not a log group of this stack", cdktest.JSON(access["DestinationArn"]))
	}
	format, _ := access["Format"].(string)
	var fields map[string]any
	if err := jsonUnmarshal(format, &fields); err != nil {
		t.Fatalf("access log format is not JSON: %v\n%s", err, format)
	}
	for _, f := range []string{"requestId", "status", "caller", "userArn", "vpceId", "sourceIp", "resourcePath"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("access log format lacks %s: %s", f, format)
		}
	}
	// Execution logging needs the Region-wide role, created on purpose.
	_, account := onlyProps(t, api, "AWS::ApiGateway::Account")
	if account["CloudWatchRoleArn"] == nil {
		t.Error("API Gateway account has no CloudWatch role")
	}
}

func TestFlowLogs(t *testing.T) {
	res := defaultApp(t)
	for _, role := range []string{config.RoleApi, config.RoleClient} {
		tmpl := res.templates[role]
		vpcID, _ := onlyProps(t, tmpl, "AWS::EC2::VPC")
		_, flow := onlyProps(t, tmpl, "AWS::EC2::FlowLog")
		if flow["ResourceType"] != "VPC" || cdktest.JSON(flow["ResourceId"]) != cdktest.JSON(ref(vpcID)) ||
			flow["TrafficType"] != "ALL" || flow["LogDestinationType"] != "cloud-watch-logs" {
			t.Errorf("%s flow log: got %s, want ALL traffic of the VPC to CloudWatch Logs", role, cdktest.JSON(flow))
		}
		group := flow["LogGroupName"].(map[string]any)["Ref"].(string)
		if cdktest.Resources(tmpl, "AWS::Logs::LogGroup")[group] == nil {
			t.Errorf("%s flow log group %s is not in the stack", role, group)
		}
	}
}

// Every log group of the app keeps its logs for logRetentionDays and goes
// away with its stack.
func TestEveryLogGroupHasRetentionAndIsRemoved(t *testing.T) {
	res := defaultApp(t)
	// access, execution, flow and provider; function, flow and provider
	want := map[string]int{config.RoleApi: 4, config.RoleClient: 3}
	for role, tmpl := range res.templates {
		groups := cdktest.Resources(tmpl, "AWS::Logs::LogGroup")
		if len(groups) != want[role] {
			t.Errorf("%s: got %d log groups, want %d", role, len(groups), want[role])
		}
		for id, g := range groups {
			if g["Properties"].(map[string]any)["RetentionInDays"] != float64(30) || g["DeletionPolicy"] != "Delete" {
				t.Errorf("%s log group %s: got retention %v, deletion %v, want 30 and Delete",
					role, id, g["Properties"].(map[string]any)["RetentionInDays"], g["DeletionPolicy"])
			}
		}
	}
}

// nagSuppressions lists the cdk-nag suppressions of the app as
// "stack logicalId: rule [appliesTo]", each with its reason.
func nagSuppressions(t *testing.T, res *synthResult) map[string]string {
	t.Helper()
	out := map[string]string{}
	for role, tmpl := range res.templates {
		for id, r := range tmpl["Resources"].(map[string]any) {
			meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := meta["cdk_nag"].(map[string]any)
			for _, s := range asSlice(nag["rules_to_suppress"]) {
				sup := s.(map[string]any)
				key := fmt.Sprintf("%s %s: %s %s", role, id, sup["id"], cdktest.JSON(sup["applies_to"]))
				out[key], _ = sup["reason"].(string)
			}
		}
	}
	return out
}

// nagReport reads the AWS Solutions report cdk-nag writes for each stack
// into the cloud assembly: "rule resource" -> compliance, for every rule
// that applied. A stack without a report was never checked.
func nagReport(t *testing.T, res *synthResult) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	stacks := map[string]awscdk.Stack{config.RoleApi: res.app.Api.Stack, config.RoleClient: res.app.Client.Stack}
	if res.app.PeeringRoute != nil {
		stacks[config.RolePeeringRoute] = res.app.PeeringRoute
	}
	for role, stack := range stacks {
		matches, _ := filepath.Glob(filepath.Join(res.outdir, "AwsSolutions-*"+*stack.StackName()+"-NagReport.csv"))
		if len(matches) != 1 {
			t.Errorf("%s: cdk-nag reports %v, want one: the app did not run the AWS Solutions rules on it", role, matches)
			continue
		}
		f, err := os.Open(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil || len(rows) < 1 { // a header alone: no rule applies to its resources
			t.Fatalf("%s: report %s: %v rows, %v", role, matches[0], len(rows), err)
		}
		out[role] = map[string]string{}
		for _, row := range rows[1:] { // Rule ID, Resource ID, Compliance, ...
			out[role][row[0]+" "+row[1]] = row[2]
		}
	}
	return out
}

// nonCompliant lists the findings of a report that are neither compliant
// nor suppressed.
func nonCompliant(report map[string]map[string]string) []string {
	var out []string
	for role, rows := range report {
		for rule, compliance := range rows {
			if compliance != "Compliant" && compliance != "Suppressed" {
				out = append(out, role+" "+rule+": "+compliance)
			}
		}
	}
	slices.Sort(out)
	return out
}

// The app runs the AWS Solutions pack of cdk-nag on every stack as part of
// its own build (app.go's build, which `cdk synth` and this test share): each
// stack has a report, no finding is open, and the suppressions are exactly
// the four the README lists.
func TestCdkNagAwsSolutions(t *testing.T) {
	res := defaultApp(t)
	report := nagReport(t, res)
	if open := nonCompliant(report); len(open) > 0 {
		t.Errorf("open cdk-nag findings:\n%s", strings.Join(open, "\n"))
	}
	var suppressed []string
	for role, rows := range report {
		for rule, compliance := range rows {
			if compliance == "Suppressed" {
				suppressed = append(suppressed, role+" "+rule)
			}
		}
	}
	wantSuppressed := []string{
		"Api AwsSolutions-APIG3 CrossRegionApi-Api/PrivateApi/Api/DeploymentStage.v1/Resource",
		"Api AwsSolutions-COG4 CrossRegionApi-Api/PrivateApi/Api/Default/hello/GET/Resource",
		"Api AwsSolutions-IAM4 CrossRegionApi-Api/PrivateApi/Api/CloudWatchRole/Resource",
		"Client AwsSolutions-IAM5 CrossRegionApi-Client/Client/FunctionRole/DefaultPolicy/Resource",
	}
	if diff := cmp.Diff(wantSuppressed, slices.Sorted(slices.Values(suppressed))); diff != "" {
		t.Errorf("suppressed findings in the reports (-want +got):\n%s", diff)
	}
	// Suppressions are few, narrow and explained; the README lists them.
	got := nagSuppressions(t, res)
	want := []string{
		`Api PrivateApiCloudWatchRole42B1ADDC: AwsSolutions-IAM4 ["Policy::arn:\u003cAWS::Partition\u003e:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]`,
		`Api PrivateApiDeploymentStagev1BE0A8B84: AwsSolutions-APIG3 null`,
		`Api PrivateApihelloGET7AF36753: AwsSolutions-COG4 null`,
		`Client ClientFunctionRoleDefaultPolicy1AFBB567: AwsSolutions-IAM5 ["Resource::*"]`,
	}
	var keys []string
	for k, reason := range got {
		keys = append(keys, k)
		if len(reason) < 60 {
			t.Errorf("%s: reason %q is too thin for a reviewer", k, reason)
		}
	}
	if diff := cmp.Diff(want, slices.Sorted(slices.Values(keys))); diff != "" {
		t.Errorf("cdk-nag suppressions (-want +got):\n%s", diff)
	}
}

// The app's build path stops synthesis on a new finding: a resource that
// breaks an AWS Solutions rule, added to the app, fails synthesis, and the
// validation report names the rule and the resource.
func TestCdkNagStopsANewFinding(t *testing.T) {
	dir := t.TempDir()
	_, err := synthesizeChanged(cdkJSONContext(t), dir, func(a *stacks.App) {
		awssqs.NewQueue(a.Api.Stack, jsii.String("PlainQueue"), nil) // no SSL enforcement, no DLQ
	})
	if err == nil {
		t.Fatal("an unsuppressed cdk-nag finding did not stop synthesis")
	}
	report, readErr := os.ReadFile(filepath.Join(dir, "validation-report.json"))
	if readErr != nil {
		t.Fatalf("synthesis failed (%v) without a validation report: %v", err, readErr)
	}
	for _, want := range []string{"AwsSolutions-SQS4", "CrossRegionApi-Api/PlainQueue/Resource"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("validation report lacks %s:\n%.2000s", want, report)
		}
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
