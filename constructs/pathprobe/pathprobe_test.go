package pathprobe_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

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

// probeCase is one PathProbe, standing alone in a stack of account and
// region.
type probeCase struct {
	interval        float64
	event           probe.Event
	account, region string
}

func (c probeCase) synth(t *testing.T) map[string]any {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Probe"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(c.account), Region: jsii.String(c.region)}})
	fn := awslambda.NewFunction(stack, jsii.String("Fn"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_PROVIDED_AL2023(), Handler: jsii.String("bootstrap"), Code: cdktest.FakeCode(t),
	})
	pathprobe.NewPathProbe(stack, "Probe", &pathprobe.PathProbeProps{
		Function: fn, IntervalMinutes: jsii.Number(c.interval), AlarmName: jsii.String("probe-alarm"), Event: c.event,
	})
	return cdktest.Template(t, stack)
}

// The probe proves what its alarm watches, whatever the interval and the
// dimension values: the schedule sends, every interval, a probe event that
// carries every dimension value; the alarm reads exactly those dimensions
// with exactly those values, one period per interval; an interval without
// a datapoint (the probe did not run, or its metrics went elsewhere)
// counts as a failure; and the alarm tells its topic when it fires and
// when it clears.
func TestAlarmWatchesTheScheduledProbe(t *testing.T) {
	for _, c := range []probeCase{
		{1, probe.Event{App: "Demo", ClientRegion: "eu-west-1", ClientAccount: "123456789012"}, "123456789012", "eu-west-1"},
		{7, probe.Event{App: "other-app", ClientRegion: "ap-southeast-2", ClientAccount: "222222222222"}, "222222222222", "ap-southeast-2"},
		{30, probe.Event{App: "A b1-b1-", ClientRegion: "us-gov-east-1", ClientAccount: "333333333333"}, "333333333333", "us-gov-east-1"},
	} {
		t.Run(fmt.Sprintf("every %v minutes, %s", c.interval, c.event.App), func(t *testing.T) {
			tmpl := c.synth(t)
			rules, alarms := cdktest.Props(tmpl, "AWS::Events::Rule"), cdktest.Props(tmpl, "AWS::CloudWatch::Alarm")
			if len(rules) != 1 || len(alarms) != 1 {
				t.Fatalf("%d rules and %d alarms, want one of each", len(rules), len(alarms))
			}
			rule, alarm := rules[0], alarms[0]
			unit := "minutes"
			if c.interval == 1 {
				unit = "minute"
			}
			if want := fmt.Sprintf("rate(%v %s)", c.interval, unit); rule["ScheduleExpression"] != want || rule["State"] == "DISABLED" {
				t.Errorf("schedule %v (state %v), want %s, enabled", rule["ScheduleExpression"], rule["State"], want)
			}
			targets := rule["Targets"].([]any)
			if len(targets) != 1 {
				t.Fatalf("%d targets, want the function only", len(targets))
			}
			// The event as the function reads it: every dimension value
			// set, under the names the handler reads.
			var sent map[string]any
			if err := json.Unmarshal([]byte(targets[0].(map[string]any)["Input"].(string)), &sent); err != nil {
				t.Fatalf("input %v: %v", targets[0].(map[string]any)["Input"], err)
			}
			var ev probe.Event
			raw, _ := json.Marshal(sent)
			if err := json.Unmarshal(raw, &ev); err != nil || !ev.Probe {
				t.Fatalf("input %s is not a probe event (%v)", raw, err)
			}
			values := map[string]string{
				probe.DimensionApp: ev.App, probe.DimensionClientRegion: ev.ClientRegion, probe.DimensionClientAccount: ev.ClientAccount,
			}
			if want := (map[string]string{probe.DimensionApp: c.event.App, probe.DimensionClientRegion: c.event.ClientRegion,
				probe.DimensionClientAccount: c.event.ClientAccount}); !cmp.Equal(values, want) {
				t.Errorf("the schedule sends dimension values %v, want %v", values, want)
			}
			// The alarm's dimensions: exactly the event's, by name and value.
			got := map[string]string{}
			for _, d := range alarm["Dimensions"].([]any) {
				d := d.(map[string]any)
				if _, dup := got[d["Name"].(string)]; dup {
					t.Errorf("alarm dimension %v twice", d["Name"])
				}
				got[d["Name"].(string)], _ = d["Value"].(string)
			}
			if diff := cmp.Diff(values, got); diff != "" {
				t.Errorf("alarm dimensions (-the event's +the alarm's):\n%s", diff)
			}
			if alarm["Period"] != c.interval*60 {
				t.Errorf("alarm period %v s, want the interval, %v s", alarm["Period"], c.interval*60)
			}
			if alarm["TreatMissingData"] != "breaching" {
				t.Errorf("TreatMissingData %v, want breaching: a probe that did not run proves nothing", alarm["TreatMissingData"])
			}
			if alarm["EvaluationPeriods"] != float64(pathprobe.FailedProbesToAlarm) || alarm["DatapointsToAlarm"] != float64(pathprobe.FailedProbesToAlarm) ||
				alarm["ComparisonOperator"] != "LessThanThreshold" || alarm["Threshold"] != float64(1) || alarm["Statistic"] != "Minimum" {
				t.Errorf("alarm %s, want the minimum below 1 in %d periods out of %d", cdktest.JSON(alarm), pathprobe.FailedProbesToAlarm, pathprobe.FailedProbesToAlarm)
			}
			if alarm["ActionsEnabled"] == false {
				t.Error("the alarm's actions are disabled")
			}
			topics := cdktest.Resources(tmpl, "AWS::SNS::Topic")
			if len(topics) != 1 {
				t.Fatalf("%d topics, want 1", len(topics))
			}
			for id := range topics {
				for _, actions := range []string{"AlarmActions", "OKActions"} {
					if got := cdktest.JSON(alarm[actions]); got != `[{"Ref":"`+id+`"}]` {
						t.Errorf("alarm %s %s, want its topic %s", actions, got, id)
					}
				}
			}
		})
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
