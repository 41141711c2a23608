// Package stacks composes the constructs into the app's stacks: the private
// API in the API's Region and, per client, the client in its Region and
// account; over VPC peering, also the client's return route in the API's
// Region.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/config"
	"crossregionapi/constructs/apiendpointservice"
	"crossregionapi/constructs/clientvpc"
	"crossregionapi/constructs/pathprobe"
	"crossregionapi/constructs/peeringpath"
	"crossregionapi/constructs/peeringroute"
	"crossregionapi/constructs/privateapivpc"
	"crossregionapi/constructs/privatelinkpath"
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
	// Apis are the API sides the client has a path to, in the order its
	// function calls them: the primary, then the one it fails over to.
	// Required: one, or two in two Regions.
	Apis []ApiSide
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

// ApiSide is one API Region's side as a client stack reaches it.
type ApiSide struct {
	// Network is the API, from its stack; its deploy-time values (VPC id,
	// API id, endpoint DNS) cross Regions as stack references. Required.
	Network privateapivpc.PrivateApiVpc
	// Service, when set, is the API's endpoint service: the client reaches
	// the API through an interface endpoint to it instead of peering with
	// the API's VPC. Default: peering. Every side of a client has one
	// transport.
	Service apiendpointservice.ApiEndpointService
	// Region and VpcCidr describe the API side at synth time. Required.
	Region, VpcCidr string
	// Account is the API's account when it is not the stack's own; a
	// peering request then names the API's accepter role.
	// Default: the stack's account.
	Account string
}

// ClientStack holds the client VPC, its paths to the APIs (peering
// connections or PrivateLink endpoints), their DNS, the client function,
// and its probe.
type ClientStack struct {
	Stack  awscdk.Stack
	Client clientvpc.ClientVpc
	// PeeringIds are the ids of the peering connections to each API side,
	// in the order of ClientStackProps.Apis; nil over PrivateLink.
	PeeringIds []*string
	// Probe is nil without ClientStackProps.Probe.
	Probe pathprobe.PathProbe
}

// NewClientStack builds the client side: a ClientVpc with a path to each
// API side. The first path is built in the client construct itself, where
// the one path of a client has always been, so that a client's resources
// keep their logical ids when a second API Region is added; the second in
// a construct named by its Region.
func NewClientStack(scope constructs.Construct, id string, props *ClientStackProps) *ClientStack {
	stack := newAzStack(scope, id, &props.StackProps, props.AvailabilityZones)
	c := &ClientStack{Stack: stack}
	var paths []clientvpc.BuildPath
	for i, api := range props.Apis {
		paths = append(paths, buildPath(i, api, props.VpcCidr))
	}
	c.Client = clientvpc.NewClientVpc(stack, "Client", &clientvpc.ClientVpcProps{
		Cidr:                         jsii.String(props.VpcCidr),
		Paths:                        paths,
		Code:                         props.Code,
		FunctionTimeout:              awscdk.Duration_Seconds(jsii.Number(config.ClientFunctionTimeoutSeconds)),
		LogRetention:                 props.Logs.Retention,
		LogEncryptionKey:             props.Logs.logKey(stack),
		RestrictDefaultSecurityGroup: props.Logs.restrictDefaultSG(),
		MaxAttempts:                  jsii.Number(float64(props.MaxAttempts)),
		BackoffBase:                  awscdk.Duration_Millis(jsii.Number(float64(props.BackoffBaseMs))),
		BackoffMax:                   awscdk.Duration_Millis(jsii.Number(float64(props.BackoffMaxMs))),
	})
	c.outputPaths(props.Apis)
	output(stack, "FunctionName", c.Client.Function().FunctionName(), "Name of the client function: invoke it to call the API")
	output(stack, "ApiUrl", c.Client.ApiUrl(), "Base URL the client calls")
	if len(props.Apis) > 1 {
		output(stack, "FailoverApiUrl", c.Client.Paths()[1].Api().Url(), "Base URL the client calls when the first fails, in "+props.Apis[1].Region)
	}
	if props.Probe != nil {
		c.Probe = addProbe(c, props.Probe)
	}
	return c
}

// buildPath builds the client's path to api, the i-th API side, from the
// client VPC of range cidr.
func buildPath(i int, api ApiSide, cidr string) clientvpc.BuildPath {
	id := "Path-" + api.Region
	if api.Service != nil {
		props := privateLinkPath(api, cidr)
		if i == 0 {
			return privatelinkpath.BuildInClient(props)
		}
		return privatelinkpath.Build(id, props)
	}
	props := peeringPath(api)
	if i == 0 {
		return peeringpath.BuildInClient(props)
	}
	return peeringpath.Build(id, props)
}

// privateLinkPath is the path to an endpoint service from the client VPC
// of range cidr.
func privateLinkPath(api ApiSide, cidr string) *privatelinkpath.PrivateLinkPathProps {
	return &privatelinkpath.PrivateLinkPathProps{
		VpcCidr:      jsii.String(cidr),
		ServiceName:  api.Service.ServiceName(),
		ApiRegion:    jsii.String(api.Region),
		ApiAccount:   optional(api.Account),
		ApiId:        api.Network.Api().RestApiId(),
		StageName:    api.Network.StageName(),
		ResourcePath: api.Network.ResourcePath(),
	}
}

// peeringPath is the path over VPC peering.
func peeringPath(api ApiSide) *peeringpath.PeeringPathProps {
	n := api.Network
	var peerRole *string
	if api.Account != "" {
		peerRole = n.PeeringAccepterRole().RoleArn()
	}
	return &peeringpath.PeeringPathProps{
		PeerVpcId:            n.Vpc().VpcId(),
		PeerRegion:           jsii.String(api.Region),
		PeerAccount:          optional(api.Account),
		PeerRoleArn:          peerRole,
		PeerCidr:             jsii.String(api.VpcCidr),
		ApiId:                n.Api().RestApiId(),
		StageName:            n.StageName(),
		ResourcePath:         n.ResourcePath(),
		EndpointDnsName:      n.EndpointDnsName(),
		EndpointHostedZoneId: n.EndpointHostedZoneId(),
	}
}

// outputPaths outputs the id of each path's peering connection or
// endpoint, and keeps the peering connections' ids for the return routes.
func (c *ClientStack) outputPaths(apis []ApiSide) {
	for i, p := range c.Client.Paths() {
		id, secondary := "", ""
		if i > 0 {
			id, secondary = "Failover", " in "+apis[i].Region+", which the client fails over to"
		}
		switch p := p.(type) {
		case peeringpath.PeeringPath:
			c.PeeringIds = append(c.PeeringIds, p.PeeringConnectionId())
			output(c.Stack, id+"PeeringConnectionId", p.PeeringConnectionId(), "Id of the VPC peering connection to the API's VPC"+secondary)
		case privatelinkpath.PrivateLinkPath:
			output(c.Stack, id+"EndpointId", p.Endpoint().VpcEndpointId(), "Id of the PrivateLink endpoint to the API's endpoint service"+secondary)
		}
	}
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
