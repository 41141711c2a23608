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
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/internal/apicaller"
	"crossregionapi/constructs/internal/isolatedvpc"
	"crossregionapi/constructs/internal/logging"
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
	constructs.Construct
	vpc       awsec2.Vpc
	peeringId *string
	zone      awsroute53.IHostedZone
	alias     awsroute53.CfnRecordSetGroup
	fn        awslambda.IFunction
	apiUrl    *string
}

// NewPeeredClientVpc builds the client VPC, the peering connection and its
// routes, the private hosted zone and the client function.
func NewPeeredClientVpc(scope constructs.Construct, id string, props *PeeredClientVpcProps) PeeredClientVpc {
	requireProps(id, props)
	this := constructs.NewConstruct(scope, &id)
	c := &peeredClientVpc{Construct: this}
	logs := logging.Settings{Retention: props.LogRetention, Key: props.LogEncryptionKey}

	api := apicaller.Api{Id: props.ApiId, Region: props.PeerRegion, Account: props.PeerAccount,
		StageName: props.StageName, ResourcePath: props.ResourcePath}

	c.vpc = isolatedvpc.New(this, "Vpc", props.Cidr, logs, props.RestrictDefaultSecurityGroup)
	c.peeringId = c.peerWithApi(props)
	c.resolveApiHost(api, props)
	c.apiUrl = api.Url()
	c.fn = c.newFunction(api, props, logs)
	return c
}

// peerWithApi requests the peering connection to the API's VPC and routes
// the API's range through it from every subnet.
func (c *peeredClientVpc) peerWithApi(props *PeeredClientVpcProps) *string {
	// L1: there is no L2 construct for VPC peering. In one account the
	// cross-Region request is accepted without a role; from another, the
	// API account's accepter role accepts it.
	peering := awsec2.NewCfnVPCPeeringConnection(c.Construct, jsii.String("Peering"), &awsec2.CfnVPCPeeringConnectionProps{
		VpcId:       c.vpc.VpcId(),
		PeerVpcId:   props.PeerVpcId,
		PeerRegion:  props.PeerRegion,
		PeerOwnerId: props.PeerAccount,
		PeerRoleArn: props.PeerRoleArn,
	})
	for i, subnet := range *c.vpc.IsolatedSubnets() {
		// L1: the L2 subnet's AddRoute is not reachable through ISubnet.
		awsec2.NewCfnRoute(c.Construct, jsii.String(fmt.Sprintf("PeerRoute%d", i)), &awsec2.CfnRouteProps{
			RouteTableId:           subnet.RouteTable().RouteTableId(),
			DestinationCidrBlock:   props.PeerCidr,
			VpcPeeringConnectionId: peering.AttrId(),
		})
	}
	return peering.AttrId()
}

// resolveApiHost makes the API's hostname resolve, inside the VPC, to the
// endpoint in the API's VPC, across the peering connection; the suffix is
// the API Region's own (amazonaws.com.cn in China).
func (c *peeredClientVpc) resolveApiHost(api apicaller.Api, props *PeeredClientVpcProps) {
	c.zone, c.alias = apicaller.NewHostedZone(c.Construct, c.vpc, api,
		&awsroute53.AliasRecordTargetConfig{DnsName: props.EndpointDnsName, HostedZoneId: props.EndpointHostedZoneId},
		"Resolves one private API's hostname to its execute-api endpoint across the peering connection")
}

// DomainSuffix is the DNS suffix of AWS service hostnames in region, as the
// AWS CDK knows it: amazonaws.com, amazonaws.com.cn, and so on.
func DomainSuffix(region string) string { return apicaller.DomainSuffix(region) }

// newFunction adds the client function, its role, security group and log
// group; the function may only open HTTPS connections to the API's VPC.
func (c *peeredClientVpc) newFunction(api apicaller.Api, props *PeeredClientVpcProps, logs logging.Settings) awslambda.Function {
	return apicaller.NewFunction(c.Construct, &apicaller.FunctionProps{
		Vpc:                      c.vpc,
		Api:                      api,
		Description:              "Calls the private API in " + *props.PeerRegion + " across VPC peering",
		SecurityGroupDescription: "API client: no ingress; egress HTTPS to the private API VPC only",
		AllowEgress: func(sg awsec2.SecurityGroup) {
			sg.AddEgressRule(awsec2.Peer_Ipv4(props.PeerCidr), awsec2.Port_Tcp(jsii.Number(443)),
				jsii.String("HTTPS to the private API endpoint"), jsii.Bool(false))
		},
		DependsOn:       []constructs.IDependable{c.zone, c.alias},
		Code:            props.Code,
		FunctionTimeout: props.FunctionTimeout,
		Logs:            logs,
		MaxAttempts:     props.MaxAttempts,
		BackoffBase:     props.BackoffBase,
		BackoffMax:      props.BackoffMax,
	})
}

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

func (c *peeredClientVpc) Vpc() awsec2.IVpc                   { return c.vpc }
func (c *peeredClientVpc) PeeringConnectionId() *string       { return c.peeringId }
func (c *peeredClientVpc) HostedZone() awsroute53.IHostedZone { return c.zone }
func (c *peeredClientVpc) Function() awslambda.IFunction      { return c.fn }
func (c *peeredClientVpc) ApiUrl() *string                    { return c.apiUrl }
