// Package privatelinkclientvpc provides PrivateLinkClientVpc: a client VPC
// that reaches a private API in another Region through an interface
// endpoint to the API's endpoint service (cross-Region AWS PrivateLink),
// DNS that sends the API's hostname to that local endpoint, and a Lambda
// client that calls the API through it. Nothing routes to the API's VPC,
// so the client's address range may overlap the API's and every other
// client's.
package privatelinkclientvpc

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/internal/apicaller"
	"crossregionapi/constructs/internal/isolatedvpc"
	"crossregionapi/constructs/internal/logging"
)

// PrivateLinkClientVpcProps configures a PrivateLinkClientVpc. The service
// and API values are usually references to another stack's resources;
// within one app, CDK carries them across Regions.
type PrivateLinkClientVpcProps struct {
	// Cidr is the IPv4 range of the client VPC; any range, overlapping
	// the API's or not. Required.
	Cidr *string
	// ServiceName is the API's endpoint service
	// (com.amazonaws.vpce.{region}.vpce-svc-…). Required.
	ServiceName *string
	// ApiRegion is the Region of the endpoint service and of the API; a
	// Region name, not a token. Required.
	ApiRegion *string
	// ApiAccount is the account of the API. Default: this stack's account.
	ApiAccount *string
	// ApiId is the id of the private REST API. Required.
	ApiId *string
	// Code is the client function's code: a `bootstrap` binary for
	// provided.al2023 on arm64. Required.
	Code awslambda.Code
	// StageName of the API. Default: "v1".
	StageName *string
	// ResourcePath is the path of the API resource the client GETs.
	// Default: "hello" (demo.ResourcePath).
	ResourcePath *string
	// FunctionTimeout bounds one invocation; the client's own HTTP timeout
	// is kept below it. Default: 15 seconds.
	FunctionTimeout awscdk.Duration
	// LogRetention of the function's and the VPC's log groups.
	// Default: one month.
	LogRetention awslogs.RetentionDays
	// LogEncryptionKey encrypts every log group of the construct; its
	// policy must let CloudWatch Logs of the Region use it.
	// Default: CloudWatch Logs' own encryption.
	LogEncryptionKey awskms.IKey
	// RestrictDefaultSecurityGroup removes every rule of the VPC's default
	// security group, through CDK's custom resource, whose Lambda function
	// runs outside the VPC. Default: the
	// @aws-cdk/aws-ec2:restrictDefaultSecurityGroup feature flag.
	RestrictDefaultSecurityGroup *bool
	// MaxAttempts bounds the client's calls per invocation, the first
	// included (1 means no retry). Default: 3.
	MaxAttempts *float64
	// BackoffBase and BackoffMax bound the client's capped exponential
	// backoff with full jitter between attempts.
	// Default: 100 milliseconds and 2 seconds.
	BackoffBase awscdk.Duration
	BackoffMax  awscdk.Duration
}

// PrivateLinkClientVpc is what other constructs and stacks need from the
// client side.
type PrivateLinkClientVpc interface {
	constructs.Construct
	// Vpc holds the endpoint and the client function.
	Vpc() awsec2.IVpc
	// Endpoint is the interface endpoint to the API's endpoint service.
	Endpoint() awsec2.InterfaceVpcEndpoint
	// HostedZone makes the API's hostname resolve to the endpoint.
	HostedZone() awsroute53.IHostedZone
	// Function is the Lambda client.
	Function() awslambda.IFunction
	// ApiUrl is the base URL of the API's stage as the client calls it.
	ApiUrl() *string
}

type privateLinkClientVpc struct {
	constructs.Construct
	vpc      awsec2.Vpc
	endpoint awsec2.InterfaceVpcEndpoint
	zone     awsroute53.IHostedZone
	alias    awsroute53.CfnRecordSetGroup
	fn       awslambda.IFunction
	apiUrl   *string
}

// NewPrivateLinkClientVpc builds the client VPC, the interface endpoint to
// the API's service, the private hosted zone and the client function.
func NewPrivateLinkClientVpc(scope constructs.Construct, id string, props *PrivateLinkClientVpcProps) PrivateLinkClientVpc {
	requireProps(id, props)
	this := constructs.NewConstruct(scope, &id)
	c := &privateLinkClientVpc{Construct: this}
	logs := logging.Settings{Retention: props.LogRetention, Key: props.LogEncryptionKey}
	api := apicaller.Api{Id: props.ApiId, Region: props.ApiRegion, Account: props.ApiAccount,
		StageName: props.StageName, ResourcePath: props.ResourcePath}

	c.vpc = isolatedvpc.New(this, "Vpc", props.Cidr, logs, props.RestrictDefaultSecurityGroup)
	c.endpoint = c.newEndpoint(props)
	c.zone, c.alias = apicaller.NewHostedZone(this, c.vpc, api, apicaller.EndpointAlias(c.endpoint),
		"Resolves one private API's hostname to the local PrivateLink endpoint of its endpoint service")
	c.apiUrl = api.Url()
	c.fn = c.newFunction(api, props, logs)
	return c
}

// newEndpoint adds the interface endpoint to the API's endpoint service in
// the API's Region. Its security group admits HTTPS from this VPC and
// nothing else. The service has no private DNS name of its own: the
// hosted zone answers for the API's hostname instead.
func (c *privateLinkClientVpc) newEndpoint(props *PrivateLinkClientVpcProps) awsec2.InterfaceVpcEndpoint {
	sg := awsec2.NewSecurityGroup(c.Construct, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              c.vpc,
		Description:      jsii.String("PrivateLink endpoint to the private API: HTTPS from this VPC only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddIngressRule(awsec2.Peer_Ipv4(props.Cidr), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS from this VPC"), jsii.Bool(false))
	var serviceRegion *string
	if *props.ApiRegion != *awscdk.Stack_Of(c.Construct).Region() {
		serviceRegion = props.ApiRegion
	}
	return awsec2.NewInterfaceVpcEndpoint(c.Construct, jsii.String("ApiEndpoint"), &awsec2.InterfaceVpcEndpointProps{
		Vpc:               c.vpc,
		Service:           awsec2.NewInterfaceVpcEndpointService(props.ServiceName, jsii.Number(443)),
		ServiceRegion:     serviceRegion,
		PrivateDnsEnabled: jsii.Bool(false),
		Subnets:           isolatedvpc.Subnets(),
		SecurityGroups:    &[]awsec2.ISecurityGroup{sg},
		// Open would admit the VPC on the service's port; the rule above
		// says the same, by name.
		Open: jsii.Bool(false),
	})
}

// newFunction adds the client function, which may only open HTTPS
// connections to the local endpoint.
func (c *privateLinkClientVpc) newFunction(api apicaller.Api, props *PrivateLinkClientVpcProps, logs logging.Settings) awslambda.Function {
	return apicaller.NewFunction(c.Construct, &apicaller.FunctionProps{
		Vpc:                      c.vpc,
		Api:                      api,
		Description:              "Calls the private API in " + *props.ApiRegion + " through cross-Region PrivateLink",
		SecurityGroupDescription: "API client: no ingress; egress HTTPS to the local PrivateLink endpoint only",
		AllowEgress: func(sg awsec2.SecurityGroup) {
			c.endpoint.Connections().AllowFrom(sg, awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS from the API client"))
		},
		DependsOn:       []constructs.IDependable{c.zone, c.alias},
		Code:            props.Code,
		FunctionTimeout: props.FunctionTimeout,
		Logs:            logs,
		MaxAttempts:     props.MaxAttempts,
		BackoffBase:     props.BackoffBase,
		BackoffMax:      props.BackoffMax,
		// Its failure hints name the PrivateLink path, not peering.
		Transport: apicaller.TransportPrivateLink,
	})
}

func requireProps(id string, p *PrivateLinkClientVpcProps) {
	if p == nil {
		panic(fmt.Sprintf("PrivateLinkClientVpc %q: props are required", id))
	}
	for name, v := range map[string]*string{
		"Cidr": p.Cidr, "ServiceName": p.ServiceName, "ApiRegion": p.ApiRegion, "ApiId": p.ApiId,
	} {
		if v == nil {
			panic(fmt.Sprintf("PrivateLinkClientVpc %q: %s is required", id, name))
		}
	}
	if p.Code == nil {
		panic(fmt.Sprintf("PrivateLinkClientVpc %q: Code is required", id))
	}
}

func (c *privateLinkClientVpc) Vpc() awsec2.IVpc                      { return c.vpc }
func (c *privateLinkClientVpc) Endpoint() awsec2.InterfaceVpcEndpoint { return c.endpoint }
func (c *privateLinkClientVpc) HostedZone() awsroute53.IHostedZone    { return c.zone }
func (c *privateLinkClientVpc) Function() awslambda.IFunction         { return c.fn }
func (c *privateLinkClientVpc) ApiUrl() *string                       { return c.apiUrl }
