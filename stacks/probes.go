package stacks

import (
	"fmt"
	"strings"

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
	// ApiRegions, with more than one, are probed each on its own, with an
	// alarm each named by PathAlarmNames, and AlarmName is the composite
	// alarm's. Default: one API Region, one alarm.
	ApiRegions, PathAlarmNames []string
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
		ApiRegions:      *jsii.Strings(s.ApiRegions...),
		PathAlarmNames:  *jsii.Strings(s.PathAlarmNames...),
	})
	if len(s.ApiRegions) > 1 {
		output(c.Stack, "ProbeAlarmName", p.Alarm().AlarmName(), "Composite alarm that fires when the probes of this client fail or stop in every API Region")
		for i, a := range p.PathAlarms() {
			output(c.Stack, "ProbePathAlarmName"+strings.ReplaceAll(s.ApiRegions[i], "-", ""), a.AlarmName(),
				"Alarm that fires when the probe of this client's path to the API in "+s.ApiRegions[i]+" fails or stops")
		}
	} else {
		output(c.Stack, "ProbeAlarmName", p.Alarm().AlarmName(), "Alarm that fires when the probe of this client fails or stops")
	}
	output(c.Stack, "ProbeAlarmTopicArn", p.Topic().TopicArn(), "Topic the probe alarm notifies: subscribe to it to hear of a failing client")
	if email != nil {
		output(c.Stack, "AlarmEmailToConfirm", email,
			"AWS Notifications has sent this address a subscription request: its owner must confirm it before any alarm reaches it")
	}
	return p
}

// spokeView is what the dashboard shows of one client: where it runs and
// its alarms, named rather than referenced, since a reference would make the
// API stack depend on the client stacks, which depend on it.
type spokeView struct {
	region, account, alarmName string
	otherAccount               bool
	// apiRegions and pathAlarmNames are the paths of a client of several
	// API Regions, and alarmName its composite alarm; nil with one.
	apiRegions, pathAlarmNames []string
}

// pathView is one row of the dashboard: a client's path to one API Region
// (apiRegion "" for the one API of an app of one Region) and its alarm.
type pathView struct {
	apiRegion, alarmName string
}

// paths are the rows of the client's paths.
func (s spokeView) paths() []pathView {
	if len(s.apiRegions) == 0 {
		return []pathView{{alarmName: s.alarmName}}
	}
	var out []pathView
	for i, r := range s.apiRegions {
		out = append(out, pathView{r, s.pathAlarmNames[i]})
	}
	return out
}

// addProbeDashboard adds to the API stack one dashboard with, per client, a
// heading and a row per path to an API Region: the probe's success, its
// latency (p50, p99), its failures by kind and the path's alarm, each read
// in the client's Region (and account).
func addProbeDashboard(api awscdk.Stack, app string, interval int, spokes []spokeView) awscloudwatch.Dashboard {
	var rows []*[]awscloudwatch.IWidget
	for _, s := range spokes {
		rows = append(rows, &[]awscloudwatch.IWidget{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String(s.heading()), Width: jsii.Number(24), Height: jsii.Number(1)})})
		for _, p := range s.paths() {
			rows = append(rows, pathRow(api, app, interval, s, p))
		}
	}
	dashboard := awscloudwatch.NewDashboard(api, jsii.String("ProbeDashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(app + "-probes"),
		Widgets:       &rows,
	})
	output(api, "ProbeDashboardName", dashboard.DashboardName(), "CloudWatch dashboard of every client's probe (CloudWatch console, Dashboards)")
	return dashboard
}

// where names the client's Region, and its account when it is not the
// API's.
func (s spokeView) where() string {
	if s.otherAccount {
		return s.region + " (account " + s.account + ")"
	}
	return s.region
}

// heading is the title of the client's rows; with several API Regions it
// names the composite alarm, which has no row: a dashboard's alarm widget
// graphs an alarm's metric, and a composite alarm has none.
func (s spokeView) heading() string {
	if len(s.apiRegions) == 0 {
		return "### Client in " + s.where()
	}
	return fmt.Sprintf("### Client in %s, to the API in %s; alarm %s fires when no path answers",
		s.where(), strings.Join(s.apiRegions, " or "), s.alarmName)
}

// pathRow is the row of one path of a client.
func pathRow(api awscdk.Stack, app string, interval int, s spokeView, p pathView) *[]awscloudwatch.IWidget {
	period := awscdk.Duration_Minutes(jsii.Number(float64(interval)))
	dims := map[string]*string{
		probe.DimensionApp: jsii.String(app), probe.DimensionClientRegion: jsii.String(s.region),
		probe.DimensionClientAccount: jsii.String(s.account),
	}
	searchDims, searchFilter := probe.DimensionClientAccount, ""
	where := s.where()
	if p.apiRegion != "" {
		dims[probe.DimensionAPIRegion] = jsii.String(p.apiRegion)
		searchDims += "," + probe.DimensionAPIRegion
		searchFilter = fmt.Sprintf(` %s="%s"`, probe.DimensionAPIRegion, p.apiRegion)
		where += " to " + p.apiRegion
	}
	metric := func(name, statistic, label string) awscloudwatch.IMetric {
		props := &awscloudwatch.MetricProps{
			Namespace:     jsii.String(probe.Namespace),
			MetricName:    jsii.String(name),
			DimensionsMap: &dims,
			Statistic:     jsii.String(statistic),
			Period:        period,
			Region:        jsii.String(s.region),
			Label:         jsii.String(label),
		}
		if s.otherAccount {
			props.Account = jsii.String(s.account)
		}
		return awscloudwatch.NewMetric(props)
	}
	search := fmt.Sprintf(`SEARCH('{%s,%s,%s,%s,%s} MetricName="%s" %s="%s" %s="%s"%s', 'Sum', %d)`,
		probe.Namespace, probe.DimensionApp, probe.DimensionClientRegion, searchDims, probe.DimensionFailureKind,
		probe.MetricFailure, probe.DimensionApp, app, probe.DimensionClientRegion, s.region, searchFilter, interval*60)
	failures := &awscloudwatch.MathExpressionProps{Expression: jsii.String(search), Label: jsii.String("failures by kind"),
		SearchRegion: jsii.String(s.region), Period: period}
	if s.otherAccount {
		failures.SearchAccount = jsii.String(s.account)
	}
	alarmArn := api.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudwatch"), Region: jsii.String(s.region), Account: jsii.String(s.account),
		Resource: jsii.String("alarm"), ResourceName: jsii.String(p.alarmName), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	alarm := awscloudwatch.Alarm_FromAlarmArn(api, jsii.String("ProbeAlarm-"+p.alarmName), alarmArn)
	return &[]awscloudwatch.IWidget{
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Probe success, " + where), Region: jsii.String(s.region),
			Left: &[]awscloudwatch.IMetric{metric(probe.MetricSuccess, "Minimum", "success (1) or failure (0)")}, Width: jsii.Number(6)}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Latency (ms), " + where), Region: jsii.String(s.region),
			Left: &[]awscloudwatch.IMetric{metric(probe.MetricLatency, "p50", "p50"), metric(probe.MetricLatency, "p99", "p99")}, Width: jsii.Number(6)}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Failures by kind, " + where), Region: jsii.String(s.region),
			Left: &[]awscloudwatch.IMetric{awscloudwatch.NewMathExpression(failures)}, Width: jsii.Number(6)}),
		awscloudwatch.NewAlarmWidget(&awscloudwatch.AlarmWidgetProps{Title: jsii.String("Alarm " + p.alarmName), Region: jsii.String(s.region),
			Alarm: alarm, Width: jsii.Number(6)}),
	}
}
