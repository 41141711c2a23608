// Package apicaller builds what every client construct shares, whatever
// carries its traffic to the API: the private hosted zone that answers for
// the API's hostname inside the client VPC, and the Lambda function that
// calls the API, with its own role, security group and log group.
package apicaller

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"crossregionapi/constructs/internal/defaults"
	"crossregionapi/constructs/internal/isolatedvpc"
	"crossregionapi/constructs/internal/logging"
	"crossregionapi/internal/demo"
)

// Api says which API the function calls and where.
type Api struct {
	// Id of the private REST API. Required.
	Id *string
	// Region of the API. Required: a Region name, not a token.
	Region *string
	// Account of the API; nil for the stack's own.
	Account *string
	// StageName of the API. Default: "v1".
	StageName *string
	// ResourcePath is the path of the resource the client GETs.
	// Default: "hello" (demo.ResourcePath).
	ResourcePath *string
}

// Host is the API's hostname in its Region's DNS suffix.
func (a Api) Host() *string {
	return jsii.String(*a.Id + ".execute-api." + *a.Region + "." + DomainSuffix(*a.Region))
}

// Url is the base URL of the API's stage.
func (a Api) Url() *string {
	return jsii.String("https://" + *a.Host() + "/" + *defaults.String(a.StageName, "v1"))
}

// DomainSuffix is the DNS suffix of AWS service hostnames in region, as the
// AWS CDK knows it: amazonaws.com, amazonaws.com.cn, and so on.
func DomainSuffix(region string) string {
	if s := regioninfo.RegionInfo_Get(jsii.String(region)).DomainSuffix(); s != nil && *s != "" {
		return *s
	}
	panic(fmt.Sprintf("the AWS CDK knows no DNS suffix for Region %q; the API's Region must be a Region name, not a token", region))
}

// NewHostedZone makes the API's hostname resolve, inside vpc, to alias.
// The zone is for exactly that hostname, not for all of
// execute-api.{region}.{suffix}: every other API of that Region keeps
// resolving through public DNS from the VPC.
//
// The alias record is an AWS::Route53::RecordSetGroup, an L1 (CDK's L2
// records are AWS::Route53::RecordSet), because its record names are not
// create-only. The record's name holds the API's id and its target the
// endpoint, both read from other stacks with Fn::GetStackOutput, which is
// unknown while CloudFormation plans a change set; "when such a value flows
// into a property whose update behaviour is Replacement, CloudFormation
// conservatively plans a replacement even though the resolved value is
// unchanged" (aws/aws-cdk#38829). An AWS::Route53::RecordSet, whose Name is
// create-only, could so be replaced when only its target moves (a new
// endpoint), and a replacement creates the new record before it deletes the
// old one: "Tried to create resource record set ... but it already exists".
// A group's records are not create-only (its resource schema lists only
// HostedZoneId and HostedZoneName), so a new target or name is an update in
// place, whatever CloudFormation knows of the values while it plans; its
// HostedZoneId is the zone of this stack.
func NewHostedZone(scope constructs.Construct, vpc awsec2.IVpc, api Api, alias *awsroute53.AliasRecordTargetConfig, comment string) (awsroute53.IHostedZone, awsroute53.CfnRecordSetGroup) {
	zone := awsroute53.NewPrivateHostedZone(scope, jsii.String("ApiZone"), &awsroute53.PrivateHostedZoneProps{
		ZoneName: api.Host(),
		Vpc:      vpc,
		Comment:  jsii.String(comment),
	})
	records := awsroute53.NewCfnRecordSetGroup(scope, jsii.String("ApiRecords"), &awsroute53.CfnRecordSetGroupProps{
		HostedZoneId: zone.HostedZoneId(),
		Comment:      jsii.String("The API's hostname, an alias of the endpoint that carries its calls"),
		RecordSets: &[]any{&awsroute53.CfnRecordSetGroup_RecordSetProperty{
			Name:        jsii.String(*api.Host() + "."),
			Type:        jsii.String("A"),
			AliasTarget: &awsroute53.CfnRecordSetGroup_AliasTargetProperty{DnsName: alias.DnsName, HostedZoneId: alias.HostedZoneId},
		}},
	})
	return zone, records
}

// EndpointAlias is the alias target of an interface endpoint's Regional DNS
// name, the first of its DnsEntries ("{hosted zone id}:{name}"), as CDK's
// InterfaceVpcEndpointTarget reads it.
func EndpointAlias(endpoint awsec2.InterfaceVpcEndpoint) *awsroute53.AliasRecordTargetConfig {
	first := awscdk.Fn_Select(jsii.Number(0), endpoint.VpcEndpointDnsEntries())
	return &awsroute53.AliasRecordTargetConfig{
		DnsName:      awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String(":"), first, nil)),
		HostedZoneId: awscdk.Fn_Select(jsii.Number(0), awscdk.Fn_Split(jsii.String(":"), first, nil)),
	}
}

// FunctionProps configures the client function.
type FunctionProps struct {
	// Vpc the function runs in, in its isolated subnets. Required.
	Vpc awsec2.IVpc
	// Api the function calls. Required.
	Api Api
	// Failover is the API the function calls when Api fails, in another
	// Region (FAILOVER_API_URL and FAILOVER_API_REGION), or nil for none.
	// Default: none.
	Failover *Api
	// Description of the function. Required.
	Description string
	// SecurityGroupDescription says where the function may connect.
	// Required.
	SecurityGroupDescription string
	// AllowEgress opens the function's security group towards the API's
	// path, and nowhere else. Required.
	AllowEgress func(awsec2.SecurityGroup)
	// DependsOn are the resources (the zone, the alias) that must exist
	// before the function may call.
	DependsOn []constructs.IDependable
	// Code, FunctionTimeout, Logs, MaxAttempts, BackoffBase and BackoffMax
	// are the client constructs' props of the same names.
	Code            awslambda.Code
	FunctionTimeout awscdk.Duration
	Logs            logging.Settings
	MaxAttempts     *float64
	BackoffBase     awscdk.Duration
	BackoffMax      awscdk.Duration
	// Transport is what carries the function's calls to the API, which
	// its failure hints name: "" or TransportPeering for VPC peering,
	// which adds no variable (so a peered client's function keeps the
	// environment it always had), or TransportPrivateLink, which sets
	// API_TRANSPORT=privatelink. Default: "".
	Transport string
}

// Values of FunctionProps.Transport; the function reads them from
// EnvTransport (functions/apiclient/handler).
const (
	TransportPeering     = "peering"
	TransportPrivateLink = "privatelink"
	// EnvTransport is the function's variable that names a transport
	// other than peering.
	EnvTransport = "API_TRANSPORT"
	// EnvFailoverURL and EnvFailoverRegion are the failover API's base
	// URL and Region, set only with FunctionProps.Failover.
	EnvFailoverURL    = "FAILOVER_API_URL"
	EnvFailoverRegion = "FAILOVER_API_REGION"
)

// NewFunction adds the client function, its role, security group and log
// group, under scope.
func NewFunction(scope constructs.Construct, props *FunctionProps) awslambda.Function {
	timeout := props.FunctionTimeout
	if timeout == nil {
		timeout = awscdk.Duration_Seconds(jsii.Number(15))
	}
	sg := awsec2.NewSecurityGroup(scope, jsii.String("FunctionSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String(props.SecurityGroupDescription),
		AllowAllOutbound: jsii.Bool(false),
	})
	props.AllowEgress(sg)

	logGroup := logging.NewLogGroup(scope, "FunctionLogs", props.Logs)
	role := newRole(scope, props.apis(), logGroup)
	fn := awslambda.NewFunction(scope, jsii.String("Function"), &awslambda.FunctionProps{
		Description:           jsii.String(props.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  props.Code,
		MemorySize:            jsii.Number(128),
		Timeout:               timeout,
		Vpc:                   props.Vpc,
		VpcSubnets:            isolatedvpc.Subnets(),
		SecurityGroups:        &[]awsec2.ISecurityGroup{sg},
		Role:                  role,
		LogGroup:              logGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
		Tracing:               awslambda.Tracing_ACTIVE,
		Environment:           environment(props, timeout),
	})
	fn.Node().AddDependency(props.DependsOn...)
	// Lambda releases the function's network interfaces with the role's
	// EC2 permissions, up to 45 minutes after the function is gone, and
	// until then the security group and the subnets cannot be deleted.
	// Depending on the role's policy, they are deleted before it, so the
	// permissions outlive the interfaces instead of vanishing in parallel
	// (aws/aws-cdk#6701).
	policy := role.Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild()
	sg.Node().DefaultChild().Node().AddDependency(policy)
	for _, subnet := range *props.Vpc.IsolatedSubnets() {
		subnet.Node().DefaultChild().Node().AddDependency(policy)
	}
	return fn
}

// apis are the APIs the function calls: Api, then Failover.
func (props *FunctionProps) apis() []Api {
	if props.Failover == nil {
		return []Api{props.Api}
	}
	return []Api{props.Api, *props.Failover}
}

// environment is the function's configuration (handler.ConfigFromEnv).
func environment(props *FunctionProps, timeout awscdk.Duration) *map[string]*string {
	env := map[string]*string{
		"API_URL":            props.Api.Url(),
		"API_REGION":         props.Api.Region,
		"API_RESOURCE":       defaults.String(props.Api.ResourcePath, demo.ResourcePath),
		"ATTEMPT_TIMEOUT_MS": jsii.String(fmt.Sprint(attemptTimeoutMs(timeout))),
		"MAX_ATTEMPTS":       jsii.String(fmt.Sprint(int(*defaults.Number(props.MaxAttempts, 3)))),
		"BACKOFF_BASE_MS":    jsii.String(fmt.Sprint(millis(props.BackoffBase, 100))),
		"BACKOFF_MAX_MS":     jsii.String(fmt.Sprint(millis(props.BackoffMax, 2000))),
	}
	if f := props.Failover; f != nil {
		env[EnvFailoverURL], env[EnvFailoverRegion] = f.Url(), f.Region
	}
	switch props.Transport {
	case "", TransportPeering:
		// The handler's default: no variable.
	case TransportPrivateLink:
		env[EnvTransport] = jsii.String(TransportPrivateLink)
	default:
		panic(fmt.Sprintf("apicaller: unknown Transport %q: want %q (or empty) or %q", props.Transport, TransportPeering, TransportPrivateLink))
	}
	return &env
}

// newRole is the function's own role instead of the Lambda defaults: the
// managed policies AWSLambdaBasicExecutionRole and
// AWSLambdaVPCAccessExecutionRole allow writing to every log group of the
// account; this role writes to its own log group only, and may invoke one
// method of each API it calls and nothing else.
func newRole(scope constructs.Construct, apis []Api, logGroup awslogs.ILogGroup) awsiam.Role {
	description := "API client: its own logs, its VPC network interfaces, X-Ray, and execute-api:Invoke on one method"
	if len(apis) > 1 {
		description += " of each API"
	}
	role := awsiam.NewRole(scope, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(description),
	})
	logGroup.GrantWrite(role)
	// Lambda creates and deletes the function's network interfaces with
	// the function's role; these EC2 actions take no resource narrower
	// than "*".
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("VpcNetworkInterfaces"),
		Actions: jsii.Strings("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
			"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
		Resources: jsii.Strings("*"),
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(role.Node().FindChild(jsii.String("DefaultPolicy")), &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Only the actions that take no narrower resource: the EC2 network-interface actions Lambda needs to attach " +
			"the function to its VPC, and X-Ray's PutTraceSegments/PutTelemetryRecords for active tracing."),
		AppliesTo: &[]interface{}{"Resource::*"},
	}}, jsii.Bool(false))

	// The grant lands on the role, in the client's stack, so the API stacks
	// (deployed first) never refer to it.
	var methods []*string
	for _, api := range apis {
		methods = append(methods, awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("execute-api"),
			Region:       api.Region,
			Account:      api.Account,
			Resource:     api.Id,
			ResourceName: jsii.String(*defaults.String(api.StageName, "v1") + "/GET/" + *defaults.String(api.ResourcePath, demo.ResourcePath)),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		}))
	}
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      role,
		Actions:      jsii.Strings("execute-api:Invoke"),
		ResourceArns: &methods,
	})
	return role
}

// attemptTimeoutMs keeps one HTTP attempt well inside the invocation, so a
// stalled connection is reported by the client, with its cause, instead of
// by Lambda as a bare timeout.
func attemptTimeoutMs(functionTimeout awscdk.Duration) int {
	ms := int(*functionTimeout.ToMilliseconds(nil))
	t := ms / 3
	if t > 5000 {
		t = 5000
	}
	return t
}

func millis(d awscdk.Duration, def int) int {
	if d == nil {
		return def
	}
	return int(*d.ToMilliseconds(nil))
}
