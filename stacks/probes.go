package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/pathprobe"
	"crossregionapi/internal/probe"
)

// ProbeSettings turn on a client stack's probe.
type ProbeSettings struct {
	// IntervalMinutes between two probes. Required, at least 1.
	IntervalMinutes int
	// App is the appName, a dimension of the probe's metrics. Required.
	App string
	// AlarmName of the client's probe alarm. Required.
	AlarmName string
	// AlarmEmail is subscribed to the alarm's topic. Default: none.
	AlarmEmail string
}

// addProbe adds the client's probe and says, in the stack's outputs, what
// to look at and what to confirm.
func addProbe(c *ClientStack, s *ProbeSettings) pathprobe.PathProbe {
	var email *string
	if s.AlarmEmail != "" {
		email = jsii.String(s.AlarmEmail)
	}
	p := pathprobe.NewPathProbe(c.Stack, "Probe", &pathprobe.PathProbeProps{
		Function:        c.Client.Function(),
		IntervalMinutes: jsii.Number(float64(s.IntervalMinutes)),
		Event:           probe.Event{App: s.App, ClientRegion: *c.Stack.Region(), ClientAccount: *c.Stack.Account()},
		AlarmName:       jsii.String(s.AlarmName),
		AlarmEmail:      email,
	})
	output(c.Stack, "ProbeAlarmName", p.Alarm().AlarmName(), "Alarm that fires when the probe of this client fails or stops")
	output(c.Stack, "ProbeAlarmTopicArn", p.Topic().TopicArn(), "Topic the probe alarm notifies: subscribe to it to hear of a failing client")
	if email != nil {
		output(c.Stack, "AlarmEmailToConfirm", email,
			"AWS Notifications has sent this address a subscription request: its owner must confirm it before any alarm reaches it")
	}
	return p
}

// spokeView is what the dashboard shows of one client: where it runs and
// its alarm, named rather than referenced, since a reference would make the
// API stack depend on the client stacks, which depend on it.
type spokeView struct {
	region, account, alarmName string
	otherAccount               bool
}

// addProbeDashboard adds to the API stack one dashboard with a row per
// client: the probe's success, its latency (p50, p99), its failures by
// kind and its alarm, each read in the client's Region (and account).
func addProbeDashboard(api awscdk.Stack, app string, interval int, spokes []spokeView) awscloudwatch.Dashboard {
	period := awscdk.Duration_Minutes(jsii.Number(float64(interval)))
	var rows []*[]awscloudwatch.IWidget
	for _, s := range spokes {
		metric := func(name, statistic, label string) awscloudwatch.IMetric {
			props := &awscloudwatch.MetricProps{
				Namespace:  jsii.String(probe.Namespace),
				MetricName: jsii.String(name),
				DimensionsMap: &map[string]*string{
					probe.DimensionApp: jsii.String(app), probe.DimensionClientRegion: jsii.String(s.region),
					probe.DimensionClientAccount: jsii.String(s.account),
				},
				Statistic: jsii.String(statistic),
				Period:    period,
				Region:    jsii.String(s.region),
				Label:     jsii.String(label),
			}
			if s.otherAccount {
				props.Account = jsii.String(s.account)
			}
			return awscloudwatch.NewMetric(props)
		}
		where := s.region
		if s.otherAccount {
			where += " (account " + s.account + ")"
		}
		search := fmt.Sprintf(`SEARCH('{%s,%s,%s,%s,%s} MetricName="%s" %s="%s" %s="%s"', 'Sum', %d)`,
			probe.Namespace, probe.DimensionApp, probe.DimensionClientRegion, probe.DimensionClientAccount, probe.DimensionFailureKind,
			probe.MetricFailure, probe.DimensionApp, app, probe.DimensionClientRegion, s.region, interval*60)
		failures := &awscloudwatch.MathExpressionProps{Expression: jsii.String(search), Label: jsii.String("failures by kind"),
			SearchRegion: jsii.String(s.region), Period: period}
		if s.otherAccount {
			failures.SearchAccount = jsii.String(s.account)
		}
		alarmArn := api.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudwatch"), Region: jsii.String(s.region), Account: jsii.String(s.account),
			Resource: jsii.String("alarm"), ResourceName: jsii.String(s.alarmName), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
		alarm := awscloudwatch.Alarm_FromAlarmArn(api, jsii.String("ProbeAlarm-"+s.alarmName), alarmArn)
		rows = append(rows, &[]awscloudwatch.IWidget{
			awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String("### Client in " + where), Width: jsii.Number(24), Height: jsii.Number(1)}),
		}, &[]awscloudwatch.IWidget{
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Probe success, " + where), Region: jsii.String(s.region),
				Left: &[]awscloudwatch.IMetric{metric(probe.MetricSuccess, "Minimum", "success (1) or failure (0)")}, Width: jsii.Number(6)}),
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Latency (ms), " + where), Region: jsii.String(s.region),
				Left: &[]awscloudwatch.IMetric{metric(probe.MetricLatency, "p50", "p50"), metric(probe.MetricLatency, "p99", "p99")}, Width: jsii.Number(6)}),
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Failures by kind, " + where), Region: jsii.String(s.region),
				Left: &[]awscloudwatch.IMetric{awscloudwatch.NewMathExpression(failures)}, Width: jsii.Number(6)}),
			awscloudwatch.NewAlarmWidget(&awscloudwatch.AlarmWidgetProps{Title: jsii.String("Alarm " + s.alarmName), Region: jsii.String(s.region),
				Alarm: alarm, Width: jsii.Number(6)}),
		})
	}
	dashboard := awscloudwatch.NewDashboard(api, jsii.String("ProbeDashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(app + "-probes"),
		Widgets:       &rows,
	})
	output(api, "ProbeDashboardName", dashboard.DashboardName(), "CloudWatch dashboard of every client's probe (CloudWatch console, Dashboards)")
	return dashboard
}
