package pathprobe_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/pathprobe"
	"crossregionapi/internal/cdktest"
	"crossregionapi/internal/probe"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func standalone(t *testing.T, email *string) map[string]any {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Probe"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")}})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	fn := awslambda.NewFunction(stack, jsii.String("Fn"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_PROVIDED_AL2023(), Handler: jsii.String("bootstrap"), Code: awslambda.Code_FromAsset(jsii.String(dir), nil),
	})
	pathprobe.NewPathProbe(stack, "Probe", &pathprobe.PathProbeProps{
		Function: fn, IntervalMinutes: jsii.Number(7), AlarmName: jsii.String("demo-probe"), AlarmEmail: email,
		Event: probe.Event{App: "Demo", ClientRegion: "eu-west-1", ClientAccount: "123456789012"},
	})
	return cdktest.Template(t, stack)
}

// The construct alone: a schedule every interval sending the probe
// payload once, an alarm on that payload's metric after three failed or
// missing probes, and a TLS-only topic on a rotated key CloudWatch of this
// account may use; an email subscription only when asked for.
func TestStandalone(t *testing.T) {
	tmpl := standalone(t, jsii.String("ops@example.com"))
	rule := cdktest.Props(tmpl, "AWS::Events::Rule")[0]
	if rule["ScheduleExpression"] != "rate(7 minutes)" {
		t.Errorf("schedule %v, want rate(7 minutes)", rule["ScheduleExpression"])
	}
	target := rule["Targets"].([]any)[0].(map[string]any)
	var ev probe.Event
	if err := json.Unmarshal([]byte(target["Input"].(string)), &ev); err != nil || ev != (probe.Event{Probe: true, App: "Demo", ClientRegion: "eu-west-1", ClientAccount: "123456789012"}) {
		t.Errorf("payload %v (%v)", target["Input"], err)
	}
	alarm := cdktest.Props(tmpl, "AWS::CloudWatch::Alarm")[0]
	if alarm["AlarmName"] != "demo-probe" || alarm["Period"] != float64(420) || alarm["EvaluationPeriods"] != float64(3) || alarm["TreatMissingData"] != "breaching" {
		t.Errorf("alarm %s", cdktest.JSON(alarm))
	}
	if got := cdktest.JSON(alarm["Dimensions"]); got != `[{"Name":"App","Value":"Demo"},{"Name":"ClientAccount","Value":"123456789012"},{"Name":"ClientRegion","Value":"eu-west-1"}]` {
		t.Errorf("alarm dimensions %s", got)
	}
	key := cdktest.Props(tmpl, "AWS::KMS::Key")[0]
	policy := cdktest.JSON(key["KeyPolicy"])
	if key["EnableKeyRotation"] != true || !strings.Contains(policy, `{"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}},"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"}`) ||
		!strings.Contains(policy, `"Action":"kms:CreateGrant","Condition":{"BoolIfExists":{"aws:PrincipalIsAWSService":"false","kms:GrantIsForAWSResource":"false"}},"Effect":"Deny"`) {
		t.Errorf("topic key: rotation %v, policy %s", key["EnableKeyRotation"], policy)
	}
	subs := cdktest.Props(tmpl, "AWS::SNS::Subscription")
	if len(subs) != 1 || subs[0]["Endpoint"] != "ops@example.com" || subs[0]["Protocol"] != "email" {
		t.Errorf("subscriptions %s, want ops@example.com by email", cdktest.JSON(subs))
	}
	if n := len(cdktest.Props(standalone(t, nil), "AWS::SNS::Subscription")); n != 0 {
		t.Errorf("%d subscriptions without AlarmEmail, want none", n)
	}
}

// CloudWatch may publish the alarm's notifications: the topic's policy,
// which replaces SNS's default one, allows cloudwatch.amazonaws.com for this
// alarm of this account only, beside the TLS-only deny, and the topic's key
// lets CloudWatch encrypt them.
func TestAlarmCanNotifyItsTopic(t *testing.T) {
	tmpl := standalone(t, nil)
	pseudo := map[string]string{"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}
	problems, checked := cdktest.UnheardAlarms(tmpl, pseudo)
	if checked != 2 || len(problems) > 0 {
		t.Errorf("%d notifications checked, want 2 (ALARM and OK); problems: %v", checked, problems)
	}
	policy := cdktest.JSON(cdktest.Resolve(cdktest.Props(tmpl, "AWS::SNS::TopicPolicy")[0]["PolicyDocument"], pseudo))
	for _, want := range []string{
		`"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:demo-probe"},"StringEquals":{"aws:SourceAccount":"123456789012"}},"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"}`,
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"`,
	} {
		if !strings.Contains(policy, want) {
			t.Errorf("topic policy %s\nlacks %s", policy, want)
		}
	}
	// Another account's alarm of the same name is not this one.
	pseudo["AWS::AccountId"] = "999999999999"
	if problems, _ := cdktest.UnheardAlarms(tmpl, pseudo); len(problems) == 0 {
		t.Error("the topic admits an alarm of account 999999999999")
	}
}

func TestMissingPropsPanicWithName(t *testing.T) {
	for field, props := range map[string]*pathprobe.PathProbeProps{
		"Function":        {IntervalMinutes: jsii.Number(5), AlarmName: jsii.String("a")},
		"IntervalMinutes": {},
	} {
		t.Run(field, func(t *testing.T) {
			app := awscdk.NewApp(nil)
			stack := awscdk.NewStack(app, jsii.String("S"), nil)
			if field == "IntervalMinutes" {
				props.Function = awslambda.Function_FromFunctionName(stack, jsii.String("F"), jsii.String("f"))
			}
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), field) {
					t.Errorf("got %v, want a panic naming %s", r, field)
				}
			}()
			pathprobe.NewPathProbe(stack, "Probe", props)
		})
	}
}
