// Package stacks composes the constructs into the app's stacks: the private
// API in the API's Region and, per client, the client in its Region and
// account; over VPC peering, also the client's return route in the API's
// Region.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/config"
	"crossregionapi/constructs/apiendpointservice"
	"crossregionapi/constructs/pathprobe"
	"crossregionapi/constructs/peeredclientvpc"
	"crossregionapi/constructs/peeringroute"
	"crossregionapi/constructs/privateapivpc"
	"crossregionapi/constructs/privatelinkclientvpc"
)

// ApiStackProps configures the API stack.
type ApiStackProps struct {
	awscdk.StackProps
	// VpcCidr is the API VPC's range. Required.
	VpcCidr string
	// ClientCidrs may reach the endpoint on 443. Required, at least one.
	ClientCidrs []string
	// ClientAccounts are the accounts of clients other than the stack's
	// own. Default: none.
	ClientAccounts []string
	// OrganizationId admits the principals of an AWS Organization instead
	// of naming the accounts. Default: name them.
	OrganizationId string
	// StageName of the API. Required.
	StageName string
	// ParameterPrefix of the SSM parameters the stack publishes. Required.
	ParameterPrefix string
	// ThrottleRateLimit and ThrottleBurstLimit of the stage. Required.
	ThrottleRateLimit, ThrottleBurstLimit int
	// AvailabilityZones pins the VPC's AZs. Default: resolved at deploy time.
	AvailabilityZones []string
	// CloudWatchRole makes the stack create API Gateway's Region-wide
	// CloudWatch role and set the account's setting to it; the role is kept
	// when the stack is deleted.
	CloudWatchRole bool
	// Logs is how the stack keeps its logs.
	Logs LogSettings
	// EndpointService puts a PrivateLink endpoint service in front of the
	// API for clients in other Regions, instead of admitting peered
	// client ranges. Default: none (VPC peering).
	EndpointService *EndpointServiceSettings
}

// EndpointServiceSettings are who may connect to the API's endpoint
// service, and from where.
type EndpointServiceSettings struct {
	// AllowedAccounts may connect: the API's own and the clients'.
	// Required.
	AllowedAccounts []string
	// SupportedRegions are the clients' Regions. Required.
	SupportedRegions []string
	// Code of the function behind the service's custom resources
	// (EndpointServicePackage). Required.
	Code awslambda.Code
}

// LogSettings is what the API and client stacks share about their logs and
// their one Lambda function outside a VPC.
type LogSettings struct {
	// Retention of every log group. Required.
	Retention awslogs.RetentionDays
	// Encrypt makes each log group use a customer-managed KMS key of its
	// stack.
	Encrypt bool
	// KeepDefaultSecurityGroup leaves out CDK's custom resource that empties
	// the VPC's default security group: its Lambda function runs outside
	// the VPC, which AWS Control Tower's CT.LAMBDA.PR.3 refuses.
	KeepDefaultSecurityGroup bool
}

// logKey returns the stack's one log encryption key, made on first use, or
// nil.
func (l LogSettings) logKey(stack awscdk.Stack) awskms.IKey {
	if !l.Encrypt {
		return nil
	}
	if key, ok := stack.Node().TryFindChild(jsii.String(logsKeyID)).(awskms.IKey); ok {
		return key
	}
	return newLogsKey(stack)
}

// restrictDefaultSG is the constructs' RestrictDefaultSecurityGroup: nil
// leaves it to the feature flag.
func (l LogSettings) restrictDefaultSG() *bool {
	if l.KeepDefaultSecurityGroup {
		return jsii.Bool(false)
	}
	return nil
}

// ApiStack holds the private API, its VPC and its endpoint. The stack is a
// named field, not embedded: jsii refuses a Go value that wraps a stack it
// already knows.
type ApiStack struct {
	Stack   awscdk.Stack
	Network privateapivpc.PrivateApiVpc
	// Service is the PrivateLink endpoint service, or nil over peering.
	Service apiendpointservice.ApiEndpointService
}

// NewApiStack builds the API side.
func NewApiStack(scope constructs.Construct, id string, props *ApiStackProps) *ApiStack {
	stack := newAzStack(scope, id, &props.StackProps, props.AvailabilityZones)
	network := privateapivpc.NewPrivateApiVpc(stack, "PrivateApi", &privateapivpc.PrivateApiVpcProps{
		Cidr:                         jsii.String(props.VpcCidr),
		AllowedClientCidrs:           jsii.Strings(props.ClientCidrs...),
		ClientAccounts:               jsii.Strings(props.ClientAccounts...),
		OrganizationId:               optional(props.OrganizationId),
		StageName:                    jsii.String(props.StageName),
		ParameterPrefix:              jsii.String(props.ParameterPrefix),
		LogRetention:                 props.Logs.Retention,
		LogEncryptionKey:             props.Logs.logKey(stack),
		RestrictDefaultSecurityGroup: props.Logs.restrictDefaultSG(),
		ThrottlingRateLimit:          jsii.Number(float64(props.ThrottleRateLimit)),
		ThrottlingBurstLimit:         jsii.Number(float64(props.ThrottleBurstLimit)),
		CloudWatchRole:               jsii.Bool(props.CloudWatchRole),
		PeeringAccepterRole:          jsii.Bool(props.EndpointService == nil),
		PublishRouteTables:           jsii.Bool(props.EndpointService == nil),
	})
	api := network.Api()
	output(stack, "ApiId", api.RestApiId(), "Id of the private REST API")
	output(stack, "ApiUrl", api.Url(), "Base URL of the API's stage (resolves only inside the VPCs)")
	output(stack, "EndpointDnsName", network.EndpointDnsName(), "Regional DNS name of the execute-api endpoint")
	output(stack, "VpcId", network.Vpc().VpcId(), "Id of the API's VPC")
	output(stack, "ExecutionLogGroup", network.ExecutionLogs().LogGroupName(), "Log group of the stage's execution logs")
	if role := api.Node().TryFindChild(jsii.String("CloudWatchRole")); role != nil {
		output(stack, "ApiGatewayCloudWatchRoleArn", role.(awsiam.IRole).RoleArn(),
			"API Gateway's Region-wide CloudWatch role; kept when the stack is deleted, see the README")
	}
	a := &ApiStack{Stack: stack, Network: network}
	if es := props.EndpointService; es != nil {
		a.Service = apiendpointservice.NewApiEndpointService(stack, "EndpointService", &apiendpointservice.ApiEndpointServiceProps{
			Api:              network,
			AllowedAccounts:  jsii.Strings(es.AllowedAccounts...),
			SupportedRegions: jsii.Strings(es.SupportedRegions...),
			Code:             es.Code,
			LogRetention:     props.Logs.Retention,
			LogEncryptionKey: props.Logs.logKey(stack),
		})
		output(stack, "EndpointServiceName", a.Service.ServiceName(), "Name of the PrivateLink endpoint service clients connect to")
	}
	return a
}

// ClientStackProps configures the client stack.
type ClientStackProps struct {
	awscdk.StackProps
	// VpcCidr is the client VPC's range. Required.
	VpcCidr string
	// Api is the API side, from the API stack; its deploy-time values
	// (VPC id, API id, endpoint DNS) cross Regions as stack references.
	// Required.
	Api privateapivpc.PrivateApiVpc
	// Service, when set, is the API's endpoint service: the client reaches
	// the API through an interface endpoint to it instead of peering with
	// the API's VPC. Default: peering.
	Service apiendpointservice.ApiEndpointService
	// ApiRegion and ApiVpcCidr describe the API side at synth time. Required.
	ApiRegion  string
	ApiVpcCidr string
	// ApiAccount is the API's account when it is not the stack's own;
	// the peering request then names the API's accepter role.
	// Default: the stack's account.
	ApiAccount string
	// Code of the client function. Required.
	Code awslambda.Code
	// Logs is how the stack keeps its logs.
	Logs LogSettings
	// MaxAttempts, BackoffBaseMs and BackoffMaxMs tune the client's
	// retries. Required.
	MaxAttempts, BackoffBaseMs, BackoffMaxMs int
	// AvailabilityZones pins the VPC's AZs. Default: resolved at deploy time.
	AvailabilityZones []string
	// Probe has the client call the API on a schedule, with an alarm.
	// Default: no probe.
	Probe *ProbeSettings
}

// ClientStack holds the client VPC, its path to the API (a peering
// connection or a PrivateLink endpoint), the DNS and the client function,
// and its probe.
type ClientStack struct {
	Stack  awscdk.Stack
	Client ClientSide
	// Peering is the client over VPC peering, or nil over PrivateLink.
	Peering peeredclientvpc.PeeredClientVpc
	// Probe is nil without ClientStackProps.Probe.
	Probe pathprobe.PathProbe
}

// ClientSide is what both client constructs offer.
type ClientSide interface {
	constructs.Construct
	Vpc() awsec2.IVpc
	Function() awslambda.IFunction
	ApiUrl() *string
}

// NewClientStack builds the client side.
func NewClientStack(scope constructs.Construct, id string, props *ClientStackProps) *ClientStack {
	stack := newAzStack(scope, id, &props.StackProps, props.AvailabilityZones)
	c := &ClientStack{Stack: stack}
	if props.Service != nil {
		c.Client = newPrivateLinkClient(stack, props)
	} else {
		c.Peering = newPeeredClient(stack, props)
		c.Client = c.Peering
	}
	output(stack, "FunctionName", c.Client.Function().FunctionName(), "Name of the client function: invoke it to call the API")
	output(stack, "ApiUrl", c.Client.ApiUrl(), "Base URL the client calls")
	if props.Probe != nil {
		c.Probe = addProbe(c, props.Probe)
	}
	return c
}

// newPrivateLinkClient is the client of an endpoint service.
func newPrivateLinkClient(stack awscdk.Stack, props *ClientStackProps) privatelinkclientvpc.PrivateLinkClientVpc {
	api := props.Api
	var apiAccount *string
	if props.ApiAccount != "" {
		apiAccount = jsii.String(props.ApiAccount)
	}
	client := privatelinkclientvpc.NewPrivateLinkClientVpc(stack, "Client", &privatelinkclientvpc.PrivateLinkClientVpcProps{
		Cidr:                         jsii.String(props.VpcCidr),
		ServiceName:                  props.Service.ServiceName(),
		ApiRegion:                    jsii.String(props.ApiRegion),
		ApiAccount:                   apiAccount,
		ApiId:                        api.Api().RestApiId(),
		StageName:                    api.StageName(),
		ResourcePath:                 api.ResourcePath(),
		Code:                         props.Code,
		FunctionTimeout:              awscdk.Duration_Seconds(jsii.Number(config.ClientFunctionTimeoutSeconds)),
		LogRetention:                 props.Logs.Retention,
		LogEncryptionKey:             props.Logs.logKey(stack),
		RestrictDefaultSecurityGroup: props.Logs.restrictDefaultSG(),
		MaxAttempts:                  jsii.Number(float64(props.MaxAttempts)),
		BackoffBase:                  awscdk.Duration_Millis(jsii.Number(float64(props.BackoffBaseMs))),
		BackoffMax:                   awscdk.Duration_Millis(jsii.Number(float64(props.BackoffMaxMs))),
	})
	output(stack, "EndpointId", client.Endpoint().VpcEndpointId(), "Id of the PrivateLink endpoint to the API's endpoint service")
	return client
}

// newPeeredClient is the client over VPC peering.
func newPeeredClient(stack awscdk.Stack, props *ClientStackProps) peeredclientvpc.PeeredClientVpc {
	api := props.Api
	var peerAccount, peerRole *string
	if props.ApiAccount != "" {
		peerAccount, peerRole = jsii.String(props.ApiAccount), api.PeeringAccepterRole().RoleArn()
	}
	client := peeredclientvpc.NewPeeredClientVpc(stack, "Client", &peeredclientvpc.PeeredClientVpcProps{
		Cidr:                         jsii.String(props.VpcCidr),
		PeerVpcId:                    api.Vpc().VpcId(),
		PeerRegion:                   jsii.String(props.ApiRegion),
		PeerAccount:                  peerAccount,
		PeerRoleArn:                  peerRole,
		PeerCidr:                     jsii.String(props.ApiVpcCidr),
		ApiId:                        api.Api().RestApiId(),
		StageName:                    api.StageName(),
		ResourcePath:                 api.ResourcePath(),
		EndpointDnsName:              api.EndpointDnsName(),
		EndpointHostedZoneId:         api.EndpointHostedZoneId(),
		Code:                         props.Code,
		FunctionTimeout:              awscdk.Duration_Seconds(jsii.Number(config.ClientFunctionTimeoutSeconds)),
		LogRetention:                 props.Logs.Retention,
		LogEncryptionKey:             props.Logs.logKey(stack),
		RestrictDefaultSecurityGroup: props.Logs.restrictDefaultSG(),
		MaxAttempts:                  jsii.Number(float64(props.MaxAttempts)),
		BackoffBase:                  awscdk.Duration_Millis(jsii.Number(float64(props.BackoffBaseMs))),
		BackoffMax:                   awscdk.Duration_Millis(jsii.Number(float64(props.BackoffMaxMs))),
	})
	output(stack, "PeeringConnectionId", client.PeeringConnectionId(), "Id of the VPC peering connection to the API's VPC")
	return client
}

// PeeringRouteStackProps configures the return-route stack.
type PeeringRouteStackProps struct {
	awscdk.StackProps
	// PeeringConnectionId, from the client stack. Required.
	PeeringConnectionId *string
	// ClientCidr is the destination of the routes. Required.
	ClientCidr string
	// RouteTableParameterNames, published by the API stack. Required.
	RouteTableParameterNames *[]*string
}

// NewPeeringRouteStack builds the route back from the API's VPC to the
// client's. It is a stack of its own because the peering connection exists
// only once the client stack is deployed, which needs the API stack first.
func NewPeeringRouteStack(scope constructs.Construct, id string, props *PeeringRouteStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	readWeakly(stack)
	peeringroute.NewPeeringRoute(stack, "ReturnRoute", &peeringroute.PeeringRouteProps{
		PeeringConnectionId:      props.PeeringConnectionId,
		DestinationCidr:          jsii.String(props.ClientCidr),
		RouteTableParameterNames: props.RouteTableParameterNames,
	})
	return stack
}

// optional is nil for "", a pointer to s otherwise.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func output(stack awscdk.Stack, id string, value *string, description string) {
	awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{
		Value:       value,
		Description: jsii.String(description),
	})
}
