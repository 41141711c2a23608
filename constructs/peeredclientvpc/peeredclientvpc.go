// Package peeredclientvpc provides PeeredClientVpc: a client VPC peered
// with a private API's VPC in another Region, DNS that sends the API's
// hostname to that API's interface endpoint, and a Lambda client that calls
// the API across the peering connection.
package peeredclientvpc

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
	"crossregionapi/constructs/internal/apicaller"
	"crossregionapi/constructs/peeringpath"
)

// PeeredClientVpcProps configures a PeeredClientVpc. The peer and API
// values are usually references to another stack's resources; within one
// app, CDK carries them across Regions.
type PeeredClientVpcProps struct {
	// Cidr is the IPv4 range of the client VPC; it must not overlap
	// PeerCidr. Required.
	Cidr *string
	// PeerVpcId is the id of the API's VPC. Required.
	PeerVpcId *string
	// PeerRegion is the Region of the API's VPC and of the API. Required.
	PeerRegion *string
	// PeerAccount is the account of the API's VPC and of the API.
	// Default: this stack's account.
	PeerAccount *string
	// PeerRoleArn is the role of PeerAccount that accepts the peering
	// request. Required when PeerAccount is another account.
	PeerRoleArn *string
	// PeerCidr is the IPv4 range of the API's VPC. Required.
	PeerCidr *string
	// ApiId is the id of the private REST API. Required.
	ApiId *string
	// EndpointDnsName is the Regional DNS name of the API's execute-api
	// interface endpoint. Required.
	EndpointDnsName *string
	// EndpointHostedZoneId is the Route 53 hosted zone id of
	// EndpointDnsName. Required.
	EndpointHostedZoneId *string
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

// PeeredClientVpc is what other constructs and stacks need from the client
// side.
type PeeredClientVpc interface {
	constructs.Construct
	// Vpc holds the client function.
	Vpc() awsec2.IVpc
	// PeeringConnectionId is the id of the peering connection to the API's
	// VPC; the API side needs it for its return route.
	PeeringConnectionId() *string
	// HostedZone makes the API's hostname resolve to the endpoint.
	HostedZone() awsroute53.IHostedZone
	// Function is the Lambda client.
	Function() awslambda.IFunction
	// ApiUrl is the base URL of the API's stage as the client calls it.
	ApiUrl() *string
}

type peeredClientVpc struct {
	clientvpc.ClientVpc
	path peeringpath.PeeringPath
}

// NewPeeredClientVpc builds the client VPC, the peering connection and its
// routes, the private hosted zone and the client function: a ClientVpc
// with one PeeringPath, built in the client construct itself so that its
// resources keep the ids they had before paths were constructs of their
// own.
func NewPeeredClientVpc(scope constructs.Construct, id string, props *PeeredClientVpcProps) PeeredClientVpc {
	requireProps(id, props)
	client := clientvpc.NewClientVpc(scope, id, &clientvpc.ClientVpcProps{
		Cidr:                         props.Cidr,
		Paths:                        []clientvpc.BuildPath{peeringpath.BuildInClient(pathProps(props))},
		Code:                         props.Code,
		FunctionTimeout:              props.FunctionTimeout,
		LogRetention:                 props.LogRetention,
		LogEncryptionKey:             props.LogEncryptionKey,
		RestrictDefaultSecurityGroup: props.RestrictDefaultSecurityGroup,
		MaxAttempts:                  props.MaxAttempts,
		BackoffBase:                  props.BackoffBase,
		BackoffMax:                   props.BackoffMax,
	})
	return &peeredClientVpc{ClientVpc: client, path: client.Paths()[0].(peeringpath.PeeringPath)}
}

// pathProps are the props of the client's one path.
func pathProps(props *PeeredClientVpcProps) *peeringpath.PeeringPathProps {
	return &peeringpath.PeeringPathProps{
		PeerVpcId:            props.PeerVpcId,
		PeerRegion:           props.PeerRegion,
		PeerAccount:          props.PeerAccount,
		PeerRoleArn:          props.PeerRoleArn,
		PeerCidr:             props.PeerCidr,
		ApiId:                props.ApiId,
		EndpointDnsName:      props.EndpointDnsName,
		EndpointHostedZoneId: props.EndpointHostedZoneId,
		StageName:            props.StageName,
		ResourcePath:         props.ResourcePath,
	}
}

// DomainSuffix is the DNS suffix of AWS service hostnames in region, as the
// AWS CDK knows it: amazonaws.com, amazonaws.com.cn, and so on.
func DomainSuffix(region string) string { return apicaller.DomainSuffix(region) }

func requireProps(id string, p *PeeredClientVpcProps) {
	if p == nil {
		panic(fmt.Sprintf("PeeredClientVpc %q: props are required", id))
	}
	for name, v := range map[string]*string{
		"Cidr": p.Cidr, "PeerVpcId": p.PeerVpcId, "PeerRegion": p.PeerRegion, "PeerCidr": p.PeerCidr,
		"ApiId": p.ApiId, "EndpointDnsName": p.EndpointDnsName, "EndpointHostedZoneId": p.EndpointHostedZoneId,
	} {
		if v == nil {
			panic(fmt.Sprintf("PeeredClientVpc %q: %s is required", id, name))
		}
	}
	if p.Code == nil {
		panic(fmt.Sprintf("PeeredClientVpc %q: Code is required", id))
	}
	if p.PeerAccount != nil && p.PeerRoleArn == nil {
		panic(fmt.Sprintf("PeeredClientVpc %q: PeerRoleArn is required with PeerAccount", id))
	}
}

func (c *peeredClientVpc) PeeringConnectionId() *string       { return c.path.PeeringConnectionId() }
func (c *peeredClientVpc) HostedZone() awsroute53.IHostedZone { return c.path.HostedZone() }
