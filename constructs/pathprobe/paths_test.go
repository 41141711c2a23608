package pathprobe_test

import (
	"fmt"
	"slices"
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

// With ApiRegions the probe has an alarm per path, on the record's
// dimensions with ApiRegion, each with the one API's rule and no action,
// and a composite alarm, the one named AlarmName, that fires when every
// path's alarm is in ALARM and tells the topic when it fires and clears;
// the topic takes the composite's notifications.
func TestPathAlarmsAndComposite(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Probe"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")}})
	fn := awslambda.NewFunction(stack, jsii.String("Fn"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_PROVIDED_AL2023(), Handler: jsii.String("bootstrap"), Code: cdktest.FakeCode(t),
	})
	regions := []string{"us-east-1", "us-east-2"}
	p := pathprobe.NewPathProbe(stack, "Probe", &pathprobe.PathProbeProps{
		Function: fn, IntervalMinutes: jsii.Number(5), AlarmName: jsii.String("demo-probe-all-regions"),
		Event:          probe.Event{App: "Demo", ClientRegion: "eu-west-1", ClientAccount: "123456789012"},
		ApiRegions:     *jsii.Strings(regions...),
		PathAlarmNames: *jsii.Strings("demo-probe-us-east-1", "demo-probe-us-east-2"),
	})
	tmpl := cdktest.Template(t, stack)

	alarms := cdktest.Resources(tmpl, "AWS::CloudWatch::Alarm")
	if len(alarms) != 2 || len(p.PathAlarms()) != 2 {
		t.Fatalf("%d alarms, want one per path", len(alarms))
	}
	var ids []string
	for id, r := range alarms {
		a := r["Properties"].(map[string]any)
		region := strings.TrimPrefix(a["AlarmName"].(string), "demo-probe-")
		ids = append(ids, id)
		want := []any{
			map[string]any{"Name": probe.DimensionAPIRegion, "Value": region},
			map[string]any{"Name": probe.DimensionApp, "Value": "Demo"},
			map[string]any{"Name": probe.DimensionClientAccount, "Value": "123456789012"},
			map[string]any{"Name": probe.DimensionClientRegion, "Value": "eu-west-1"},
		}
		if diff := cmp.Diff(want, a["Dimensions"]); diff != "" || !slices.Contains(regions, region) {
			t.Errorf("%s: dimensions (-want +got):\n%s", a["AlarmName"], diff)
		}
		if a["TreatMissingData"] != "breaching" || a["EvaluationPeriods"] != float64(pathprobe.FailedProbesToAlarm) || a["Period"] != float64(300) {
			t.Errorf("%s: %s, want the one API's rule", a["AlarmName"], cdktest.JSON(a))
		}
		if a["AlarmActions"] != nil || a["OKActions"] != nil {
			t.Errorf("%s notifies: %s; only the composite alarm should", a["AlarmName"], cdktest.JSON(a))
		}
	}
	composite := cdktest.Props(tmpl, "AWS::CloudWatch::CompositeAlarm")
	if len(composite) != 1 {
		t.Fatalf("%d composite alarms, want 1", len(composite))
	}
	c := composite[0]
	rule := cdktest.JSON(c["AlarmRule"])
	slices.Sort(ids)
	for _, id := range ids {
		if !strings.Contains(rule, fmt.Sprintf(`{"Fn::GetAtt":["%s","Arn"]}`, id)) {
			t.Errorf("rule %s does not read %s", rule, id)
		}
	}
	if strings.Count(rule, "ALARM(") != 2 || strings.Contains(rule, " OR ") || !strings.Contains(rule, " AND ") {
		t.Errorf("rule %s, want ALARM of each path, all of them", rule)
	}
	if c["AlarmName"] != "demo-probe-all-regions" || len(c["AlarmActions"].([]any)) != 1 || len(c["OKActions"].([]any)) != 1 {
		t.Errorf("composite %s, want AlarmName notifying the topic on ALARM and OK", cdktest.JSON(c))
	}
	pseudo := map[string]string{"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}
	problems, checked := cdktest.UnheardAlarms(tmpl, pseudo)
	if len(problems) != 0 || checked != 2 {
		t.Errorf("unheard %v, %d notifications checked; want the composite's two heard", problems, checked)
	}
}

// PathAlarmNames must name each path's alarm.
func TestPathAlarmNamesRequired(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Probe"), nil)
	fn := awslambda.NewFunction(stack, jsii.String("Fn"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_PROVIDED_AL2023(), Handler: jsii.String("bootstrap"), Code: cdktest.FakeCode(t),
	})
	defer func() {
		if r, _ := recover().(string); !strings.Contains(r, "1 PathAlarmNames for 2 ApiRegions") {
			t.Errorf("got %q, want a panic naming PathAlarmNames", r)
		}
	}()
	pathprobe.NewPathProbe(stack, "Probe", &pathprobe.PathProbeProps{
		Function: fn, IntervalMinutes: jsii.Number(5), AlarmName: jsii.String("a"),
		Event:      probe.Event{App: "Demo", ClientRegion: "eu-west-1", ClientAccount: "123456789012"},
		ApiRegions: *jsii.Strings("us-east-1", "us-east-2"), PathAlarmNames: *jsii.Strings("b"),
	})
}
