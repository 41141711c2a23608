// Package pathprobe provides PathProbe: a schedule that has a client
// function call its private API every few minutes, and an alarm, with an
// encrypted topic, for when those calls stop succeeding. The client already
// makes the whole call (DNS, peering, endpoint, IAM, resource policy) and
// reports it as CloudWatch metrics (internal/probe); this proves the path
// continuously instead of once.
package pathprobe

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/internal/kmsgrants"
	"crossregionapi/internal/probe"
)

// FailedProbesToAlarm is how many consecutive failed or missing probes
// make the alarm fire: one failure is noise, three a broken path.
const FailedProbesToAlarm = 3

// PathProbeProps configures a PathProbe.
type PathProbeProps struct {
	// Function is the client function the schedule invokes. Required.
	Function awslambda.IFunction
	// IntervalMinutes between two probes, at least 1. Required.
	IntervalMinutes *float64
	// Event is the payload of every probe; its App, ClientRegion and
	// ClientAccount are the dimensions of the metrics the alarm reads.
	// Probe is set by the construct. Required.
	Event probe.Event
	// AlarmName is the alarm's name, unique in its account and Region.
	// Required.
	AlarmName *string
	// AlarmEmail is subscribed to the alarm's topic; its owner must confirm
	// the subscription. Default: no subscription.
	AlarmEmail *string
	// ApiRegions are the API Regions a function with a failover Region
	// probes, each on its own: its records then carry the dimension
	// ApiRegion. With two or more, the construct adds one alarm per Region
	// on App, ClientRegion, ClientAccount and ApiRegion, named by
	// PathAlarmNames in the same order, which notifies nobody, and
	// AlarmName names a composite alarm that fires when every path's alarm
	// does (no API Region answers) and notifies the topic. Default: one
	// API, whose records have no ApiRegion, and one alarm, AlarmName.
	ApiRegions []*string
	// PathAlarmNames name the alarms of ApiRegions, each unique in its
	// account and Region and none AlarmName. Required with ApiRegions.
	PathAlarmNames []*string
}

// PathProbe is what other constructs need from the probe.
type PathProbe interface {
	constructs.Construct
	// Alarm is the alarm that notifies the topic: with one API, it fires
	// after FailedProbesToAlarm failed or missing probes; with ApiRegions,
	// it is the composite alarm that fires when every path's alarm does.
	Alarm() awscloudwatch.IAlarm
	// PathAlarms are the alarms of each of ApiRegions, in that order, or
	// nil with one API.
	PathAlarms() []awscloudwatch.Alarm
	// Topic receives the alarm's state changes.
	Topic() awssns.ITopic
	// Metric is the probe's success (1 or 0) per interval, the minimum of
	// its datapoints: with ApiRegions, that of the first Region.
	Metric() awscloudwatch.Metric
}

type pathProbe struct {
	constructs.Construct
	alarm      awscloudwatch.IAlarm
	pathAlarms []awscloudwatch.Alarm
	topic      awssns.Topic
	metric     awscloudwatch.Metric
}

// NewPathProbe adds the schedule, the alarms and the topic.
func NewPathProbe(scope constructs.Construct, id string, props *PathProbeProps) PathProbe {
	requireProps(id, props)
	this := constructs.NewConstruct(scope, &id)
	p := &pathProbe{Construct: this}
	p.schedule(props)
	p.metric = successMetric(props, nil)
	p.topic = p.newTopic(props)
	if len(props.ApiRegions) < 2 {
		p.alarm = p.newAlarm(props)
		return p
	}
	p.pathAlarms = p.newPathAlarms(props)
	p.metric = successMetric(props, props.ApiRegions[0])
	p.alarm = p.newCompositeAlarm(props)
	return p
}

// schedule invokes the function every interval with the probe's payload.
// EventBridge invokes Lambda asynchronously; neither it nor Lambda retries
// a failed probe, so each probe is one datapoint, not up to three.
func (p *pathProbe) schedule(props *PathProbeProps) {
	ev := props.Event
	ev.Probe = true
	props.Function.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{RetryAttempts: jsii.Number(0)})
	awsevents.NewRule(p.Construct, jsii.String("Schedule"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("Has the client call the private API every %v minutes to prove the path", *props.IntervalMinutes)),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(props.IntervalMinutes)),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(props.Function, &awseventstargets.LambdaFunctionProps{
			Event: awsevents.RuleTargetInput_FromObject(map[string]any{
				"probe": ev.Probe, "app": ev.App, "clientRegion": ev.ClientRegion, "clientAccount": ev.ClientAccount,
			}),
			RetryAttempts: jsii.Number(0),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(1)),
		})},
	})
}

// successMetric is the probe's Success metric under the event's
// dimensions, one value per interval: of the path to apiRegion, or with
// apiRegion nil, of the one API's, whose records have no ApiRegion.
func successMetric(props *PathProbeProps, apiRegion *string) awscloudwatch.Metric {
	dims := map[string]*string{
		probe.DimensionApp:           jsii.String(props.Event.App),
		probe.DimensionClientRegion:  jsii.String(props.Event.ClientRegion),
		probe.DimensionClientAccount: jsii.String(props.Event.ClientAccount),
	}
	if apiRegion != nil {
		dims[probe.DimensionAPIRegion] = apiRegion
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(probe.Namespace),
		MetricName:    jsii.String(probe.MetricSuccess),
		DimensionsMap: &dims,
		Statistic:     jsii.String("Minimum"),
		Period:        awscdk.Duration_Minutes(props.IntervalMinutes),
	})
}

// newTopic is the alarm's topic: encrypted with a key of its own that
// CloudWatch may use to publish to it, reachable over TLS only.
func (p *pathProbe) newTopic(props *PathProbeProps) awssns.Topic {
	key := awskms.NewKey(p.Construct, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the topic of the probe alarm " + *props.AlarmName),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	// CloudWatch publishes alarm notifications to an encrypted topic only
	// with these two permissions on its key.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Stack_Of(p.Construct).Account()}},
	}), jsii.Bool(false))
	key.AddToResourcePolicy(kmsgrants.OnlyForAwsServices(), jsii.Bool(false))
	topic := awssns.NewTopic(p.Construct, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Probe alarm " + *props.AlarmName),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	allowAlarmsToPublish(topic, props.AlarmName)
	if props.AlarmEmail != nil {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(props.AlarmEmail, nil))
	}
	return topic
}

// allowAlarmsToPublish lets CloudWatch publish the notifications of the
// named alarms of this account and Region to topic. A topic with a policy of
// its own (EnforceSSL writes one) has lost SNS's default policy, which let
// the account's services publish, so without this statement an alarm changes
// state and nobody hears of it: "Enable compatibility between event sources
// from AWS services and encrypted topics" (SNS developer guide, key
// management) has both the key and the topic allow the service, and AWS's
// own sample amazon-cloudwatch-auto-alarms allows cloudwatch.amazonaws.com to
// sns:Publish on its topic (public reports of the silence:
// aws-solutions/automated-security-response-on-aws#43, DataBiosphere/azul#5651).
// aws:SourceArn and aws:SourceAccount keep CloudWatch from publishing on
// behalf of anyone else's alarm (the confused deputy of IAM's user guide).
func allowAlarmsToPublish(topic awssns.Topic, alarmNames ...*string) {
	stack := awscdk.Stack_Of(topic)
	var arns []*string
	for _, name := range alarmNames {
		arns = append(arns, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: name, ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		}))
	}
	var sourceArn any = arns
	if len(arns) == 1 {
		sourceArn = arns[0]
	}
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsOfThisAccountPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"ArnEquals":    map[string]any{"aws:SourceArn": sourceArn},
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		},
	}))
}

// newAlarm fires after FailedProbesToAlarm consecutive intervals whose
// probe failed or never ran: a probe that did not run proves nothing, so
// missing data counts as failure. It notifies the topic when it fires and
// when it clears.
func (p *pathProbe) newAlarm(props *PathProbeProps) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(p.Construct, jsii.String("Alarm"), &awscloudwatch.AlarmProps{
		AlarmName: props.AlarmName,
		AlarmDescription: jsii.String(fmt.Sprintf("The client in %s could not call the private API, or did not try, %d times in a row; make status says why",
			props.Event.ClientRegion, FailedProbesToAlarm)),
		Metric:             p.metric,
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(FailedProbesToAlarm),
		DatapointsToAlarm:  jsii.Number(FailedProbesToAlarm),
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
	action := awscloudwatchactions.NewSnsAction(p.topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	return alarm
}

// newPathAlarms adds an alarm per API Region, on its path's metric, with
// the one API's rule (FailedProbesToAlarm failed or missing probes) and no
// action: that one path fails while another answers is what the client's
// failover is for, and worth a look (make status, the dashboard), not a
// page.
func (p *pathProbe) newPathAlarms(props *PathProbeProps) []awscloudwatch.Alarm {
	var alarms []awscloudwatch.Alarm
	for i, region := range props.ApiRegions {
		alarms = append(alarms, awscloudwatch.NewAlarm(p.Construct, jsii.String("Alarm-"+*region), &awscloudwatch.AlarmProps{
			AlarmName: props.PathAlarmNames[i],
			AlarmDescription: jsii.String(fmt.Sprintf("The client in %s could not call the private API in %s, or did not try, %d times in a row; it fails over to another API Region, and make status says why",
				props.Event.ClientRegion, *region, FailedProbesToAlarm)),
			Metric:             successMetric(props, region),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(FailedProbesToAlarm),
			DatapointsToAlarm:  jsii.Number(FailedProbesToAlarm),
			TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
		}))
	}
	return alarms
}

// newCompositeAlarm fires when every path's alarm does: no API Region
// answers the client. It notifies the topic when it fires and when it
// clears; "the only alarm actions that can be taken by composite alarms
// are notifying SNS topics" (AWS::CloudWatch::CompositeAlarm, CloudFormation
// user guide), which is what it does. Its construct id is not the one
// API's alarm's: CloudFormation refuses to change the type of a deployed
// logical id.
func (p *pathProbe) newCompositeAlarm(props *PathProbeProps) awscloudwatch.CompositeAlarm {
	var paths []awscloudwatch.IAlarmRule
	for _, a := range p.pathAlarms {
		paths = append(paths, awscloudwatch.AlarmRule_FromAlarm(a, awscloudwatch.AlarmState_ALARM))
	}
	alarm := awscloudwatch.NewCompositeAlarm(p.Construct, jsii.String("CompositeAlarm"), &awscloudwatch.CompositeAlarmProps{
		CompositeAlarmName: props.AlarmName,
		AlarmDescription: jsii.String(fmt.Sprintf("The client in %s could call the private API in none of its %d Regions, or did not try, %d times in a row; make status says why",
			props.Event.ClientRegion, len(props.ApiRegions), FailedProbesToAlarm)),
		AlarmRule: awscloudwatch.AlarmRule_AllOf(paths...),
	})
	action := awscloudwatchactions.NewSnsAction(p.topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	return alarm
}

func requireProps(id string, p *PathProbeProps) {
	switch {
	case p == nil:
		panic(fmt.Sprintf("PathProbe %q: props are required", id))
	case p.Function == nil:
		panic(fmt.Sprintf("PathProbe %q: Function is required", id))
	case p.IntervalMinutes == nil || *p.IntervalMinutes < 1:
		panic(fmt.Sprintf("PathProbe %q: IntervalMinutes must be at least 1", id))
	case p.AlarmName == nil:
		panic(fmt.Sprintf("PathProbe %q: AlarmName is required", id))
	case p.Event.App == "" || p.Event.ClientRegion == "" || p.Event.ClientAccount == "":
		panic(fmt.Sprintf("PathProbe %q: Event needs App, ClientRegion and ClientAccount, the metrics' dimensions", id))
	case len(p.ApiRegions) > 1 && len(p.PathAlarmNames) != len(p.ApiRegions):
		panic(fmt.Sprintf("PathProbe %q: %d PathAlarmNames for %d ApiRegions; name the alarm of each", id, len(p.PathAlarmNames), len(p.ApiRegions)))
	}
}

func (p *pathProbe) Alarm() awscloudwatch.IAlarm       { return p.alarm }
func (p *pathProbe) PathAlarms() []awscloudwatch.Alarm { return p.pathAlarms }
func (p *pathProbe) Topic() awssns.ITopic              { return p.topic }
func (p *pathProbe) Metric() awscloudwatch.Metric      { return p.metric }
