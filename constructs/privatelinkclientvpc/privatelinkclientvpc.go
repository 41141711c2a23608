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

	"crossregionapi/constructs/clientvpc"
	"crossregionapi/constructs/privatelinkpath"
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
	clientvpc.ClientVpc
	path privatelinkpath.PrivateLinkPath
}

// NewPrivateLinkClientVpc builds the client VPC, the interface endpoint to
// the API's service, the private hosted zone and the client function: a
// ClientVpc with one PrivateLinkPath, built in the client construct itself
// so that its resources keep the ids they had before paths were constructs
// of their own.
func NewPrivateLinkClientVpc(scope constructs.Construct, id string, props *PrivateLinkClientVpcProps) PrivateLinkClientVpc {
	requireProps(id, props)
	client := clientvpc.NewClientVpc(scope, id, &clientvpc.ClientVpcProps{
		Cidr:                         props.Cidr,
		Paths:                        []clientvpc.BuildPath{privatelinkpath.BuildInClient(pathProps(props))},
		Code:                         props.Code,
		FunctionTimeout:              props.FunctionTimeout,
		LogRetention:                 props.LogRetention,
		LogEncryptionKey:             props.LogEncryptionKey,
		RestrictDefaultSecurityGroup: props.RestrictDefaultSecurityGroup,
		MaxAttempts:                  props.MaxAttempts,
		BackoffBase:                  props.BackoffBase,
		BackoffMax:                   props.BackoffMax,
	})
	return &privateLinkClientVpc{ClientVpc: client, path: client.Paths()[0].(privatelinkpath.PrivateLinkPath)}
}

// pathProps are the props of the client's one path.
func pathProps(props *PrivateLinkClientVpcProps) *privatelinkpath.PrivateLinkPathProps {
	return &privatelinkpath.PrivateLinkPathProps{
		VpcCidr:      props.Cidr,
		ServiceName:  props.ServiceName,
		ApiRegion:    props.ApiRegion,
		ApiAccount:   props.ApiAccount,
		ApiId:        props.ApiId,
		StageName:    props.StageName,
		ResourcePath: props.ResourcePath,
	}
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

func (c *privateLinkClientVpc) Endpoint() awsec2.InterfaceVpcEndpoint { return c.path.Endpoint() }
func (c *privateLinkClientVpc) HostedZone() awsroute53.IHostedZone    { return c.path.HostedZone() }
