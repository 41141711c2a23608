package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"crossregionapi/config"
	"crossregionapi/constructs/pathprobe"
	"crossregionapi/internal/cdktest"
	"crossregionapi/internal/probe"
)

// Every client stack has one schedule and one alarm on its probe, named
// and dimensioned by internal/probe, for one client and for three; the
// schedule sends the probe payload once, with no retry; the alarm's topic is
// encrypted and TLS-only; the API stack's dashboard names every client.
func TestProbePerClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  func(*testing.T) *synthResult
	}{
		{"one client", defaultApp},
		{"three clients in two accounts", hubApp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.res(t)
			d := deployedFrom(t, res.outdir)
			var dashboard string
			for name, tmpl := range d.templates {
				if strings.HasSuffix(name, "-"+config.RoleApi) {
					boards := cdktest.Props(tmpl, "AWS::CloudWatch::Dashboard")
					if len(boards) != 1 {
						t.Fatalf("%s: %d dashboards, want 1", name, len(boards))
					}
					dashboard = cdktest.JSON(boards[0]["DashboardBody"])
					// A dashboard's Ref is its name.
					outputs, _ := tmpl["Outputs"].(map[string]any)
					var board string
					for id := range cdktest.Resources(tmpl, "AWS::CloudWatch::Dashboard") {
						board = id
					}
					if got, _ := outputs["ProbeDashboardName"].(map[string]any); got == nil || cdktest.JSON(got["Value"]) != cdktest.JSON(map[string]any{"Ref": board}) {
						t.Errorf("%s: output ProbeDashboardName %v, want the dashboard's name (Ref %s)", name, got, board)
					}
				}
			}
			var clients int
			for name, tmpl := range d.templates {
				if !strings.Contains(name, "-"+config.RoleClient) {
					if n := len(cdktest.Resources(tmpl, "AWS::Events::Rule")) + len(cdktest.Resources(tmpl, "AWS::CloudWatch::Alarm")); n != 0 {
						t.Errorf("%s has %d rules and alarms, want none", name, n)
					}
					continue
				}
				clients++
				checkProbe(t, name, tmpl, d.region[name])
				outputs, _ := tmpl["Outputs"].(map[string]any)
				topic, _ := outputs["ProbeAlarmTopicArn"].(map[string]any)
				var topics []string
				for id := range cdktest.Resources(tmpl, "AWS::SNS::Topic") {
					topics = append(topics, id)
				}
				if len(topics) != 1 || topic == nil || cdktest.JSON(topic["Value"]) != cdktest.JSON(map[string]any{"Ref": topics[0]}) {
					t.Errorf("%s: output ProbeAlarmTopicArn %v, want the alarm topic %v", name, topic, topics)
				}
				alarm := cdktest.Props(tmpl, "AWS::CloudWatch::Alarm")[0]
				if !strings.Contains(dashboard, alarm["AlarmName"].(string)) || !strings.Contains(dashboard, `\"region\":\"`+d.region[name]+`\"`) {
					t.Errorf("the dashboard does not show the client of %s (alarm %s)", name, alarm["AlarmName"])
				}
			}
			if clients == 0 {
				t.Fatal("no client stack")
			}
			// The configuration bounds the clients by this count.
			if n := strings.Count(dashboard, `{\"type\":\"`); n != clients*probe.DashboardWidgetsPerClient {
				t.Errorf("the dashboard holds %d widgets for %d clients, want %d per client (probe.DashboardWidgetsPerClient)", n, clients, probe.DashboardWidgetsPerClient)
			}
		})
	}
}

func checkProbe(t *testing.T, stack string, tmpl map[string]any, region string) {
	t.Helper()
	rules, alarms := cdktest.Props(tmpl, "AWS::Events::Rule"), cdktest.Props(tmpl, "AWS::CloudWatch::Alarm")
	if len(rules) != 1 || len(alarms) != 1 {
		t.Fatalf("%s: %d rules and %d alarms, want one of each", stack, len(rules), len(alarms))
	}
	rule, alarm := rules[0], alarms[0]
	if rule["ScheduleExpression"] != "rate(5 minutes)" {
		t.Errorf("%s: schedule %v, want every 5 minutes", stack, rule["ScheduleExpression"])
	}
	target := rule["Targets"].([]any)[0].(map[string]any)
	var ev probe.Event
	if err := json.Unmarshal([]byte(joined(target["Input"])), &ev); err != nil || !ev.Probe || ev.App != "CrossRegionApi" || ev.ClientRegion != region || ev.ClientAccount == "" {
		t.Errorf("%s: the schedule sends %v (%v), want a probe of CrossRegionApi in %s", stack, target["Input"], err, region)
	}
	// The alarm reads the metric the probe's payload names.
	values := map[string]string{}
	for _, d := range alarm["Dimensions"].([]any) {
		values[d.(map[string]any)["Name"].(string)] = joined(d.(map[string]any)["Value"])
	}
	if want := map[string]string{probe.DimensionApp: ev.App, probe.DimensionClientRegion: ev.ClientRegion, probe.DimensionClientAccount: ev.ClientAccount}; !maps.Equal(values, want) {
		t.Errorf("%s: alarm dimensions %v, the payload's %v", stack, values, want)
	}
	if cdktest.JSON(target["RetryPolicy"]) != `{"MaximumEventAgeInSeconds":60,"MaximumRetryAttempts":0}` {
		t.Errorf("%s: retry policy %s, want none", stack, cdktest.JSON(target["RetryPolicy"]))
	}
	async := cdktest.Props(tmpl, "AWS::Lambda::EventInvokeConfig")
	if len(async) != 1 || async[0]["MaximumRetryAttempts"] != float64(0) {
		t.Errorf("%s: asynchronous invoke config %s, want no retry", stack, cdktest.JSON(async))
	}

	if alarm["Namespace"] != probe.Namespace || alarm["MetricName"] != probe.MetricSuccess || alarm["Statistic"] != "Minimum" ||
		alarm["Period"] != float64(300) || alarm["Threshold"] != float64(1) || alarm["ComparisonOperator"] != "LessThanThreshold" ||
		alarm["EvaluationPeriods"] != float64(pathprobe.FailedProbesToAlarm) || alarm["DatapointsToAlarm"] != float64(pathprobe.FailedProbesToAlarm) ||
		alarm["TreatMissingData"] != "breaching" {
		t.Errorf("%s: alarm %s, want %s/%s minimum per 5 minutes below 1, three periods, missing data breaching", stack, cdktest.JSON(alarm), probe.Namespace, probe.MetricSuccess)
	}
	var dims []string
	for _, d := range alarm["Dimensions"].([]any) {
		dims = append(dims, d.(map[string]any)["Name"].(string))
	}
	slices.Sort(dims)
	if want := slices.Sorted(slices.Values(probe.Dimensions())); !slices.Equal(dims, want) {
		t.Errorf("%s: alarm dimensions %v, want %v", stack, dims, probe.Dimensions())
	}
	topics := cdktest.Resources(tmpl, "AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("%s: %d topics, want 1", stack, len(topics))
	}
	for id, topic := range topics {
		key := cdktest.JSON(topic["Properties"].(map[string]any)["KmsMasterKeyId"])
		if !strings.Contains(key, "ProbeTopicKey") {
			t.Errorf("%s: topic key %s, want the probe's own key", stack, key)
		}
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			if got := cdktest.JSON(alarm[actions]); got != `[{"Ref":"`+id+`"}]` {
				t.Errorf("%s: alarm %s %s, want the topic %s", stack, actions, got, id)
			}
		}
		var ssl bool
		for _, p := range cdktest.Props(tmpl, "AWS::SNS::TopicPolicy") {
			ssl = ssl || strings.Contains(cdktest.JSON(p), `"aws:SecureTransport":"false"`)
		}
		if !ssl {
			t.Errorf("%s: the topic takes publishers without TLS", stack)
		}
	}
}

// joined renders a template string value, an Fn::Join of strings and Refs
// included, as text, each Ref as ${Name}.
func joined(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			return "${" + ref + "}"
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, joined(p))
			}
			return strings.Join(parts, j[0].(string))
		}
	}
	return cdktest.JSON(v)
}

// probeIntervalMinutes=0 turns the probes, their alarms and the dashboard
// off: no schedule, alarm, topic, key or dashboard anywhere.
func TestProbesOff(t *testing.T) {
	ctx := cdkJSONContext(t)
	maps.Copy(ctx, map[string]any{"probeIntervalMinutes": 0, "alarmEmail": "ops@example.com"})
	dir := t.TempDir()
	if _, err := synthesize(ctx, dir); err != nil {
		t.Fatal(err)
	}
	for name, tmpl := range deployedFrom(t, dir).templates {
		for _, typ := range []string{"AWS::Events::Rule", "AWS::CloudWatch::Alarm", "AWS::SNS::Topic", "AWS::KMS::Key", "AWS::CloudWatch::Dashboard", "AWS::Lambda::EventInvokeConfig"} {
			if n := len(cdktest.Resources(tmpl, typ)); n != 0 {
				t.Errorf("%s has %d %s with probes off", name, n, typ)
			}
		}
	}
}
