// Package apiendpointservice provides ApiEndpointService: a VPC endpoint
// service that lets client VPCs in other Regions and accounts reach a
// PrivateApiVpc's private REST API over AWS PrivateLink, with no peering,
// no routes and no constraint on their address ranges.
//
// AWS's cross-Region PrivateLink for AWS services does not include
// execute-api, but cross-Region access to an endpoint service of one's own
// does. So the service fronts an internal Network Load Balancer whose TCP
// listener on 443 passes TLS through, untouched, to the addresses of the
// API's own execute-api interface endpoint. A client still calls the API's
// normal hostname with the normal certificate, and the API's resource
// policy still admits only calls through its own endpoint (aws:SourceVpce):
// PrivateLink carries the bytes, the API side decides.
package apiendpointservice

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"crossregionapi/constructs/internal/isolatedvpc"
	"crossregionapi/constructs/internal/logging"
	"crossregionapi/constructs/privateapivpc"
	"crossregionapi/functions/endpointservice/resource"
)

// ApiEndpointServiceProps configures an ApiEndpointService.
type ApiEndpointServiceProps struct {
	// Api is the private API whose execute-api endpoint the service
	// fronts. Required.
	Api privateapivpc.PrivateApiVpc
	// AllowedAccounts may connect interface endpoints to the service,
	// each as its account principal (arn:{partition}:iam::{account}:root);
	// connections are accepted without a manual step. The service never
	// admits "*". Required, at least one: usually this stack's account and
	// the clients'.
	AllowedAccounts *[]*string
	// SupportedRegions are the other Regions whose VPCs may connect. The
	// service's own Region is always supported. Default: none.
	SupportedRegions *[]*string
	// Code is the code of the function behind the construct's custom
	// resources: a `bootstrap` binary for provided.al2023 on arm64, built
	// from ./functions/endpointservice. Required.
	Code awslambda.Code
	// LogRetention and LogEncryptionKey govern the log groups of that
	// function's two instances. Default: one month, CloudWatch Logs' own
	// encryption.
	LogRetention     awslogs.RetentionDays
	LogEncryptionKey awskms.IKey
}

// ApiEndpointService is what client stacks need from the service.
type ApiEndpointService interface {
	constructs.Construct
	// ServiceName is the endpoint service's name
	// (com.amazonaws.vpce.{region}.vpce-svc-…): a client's interface
	// endpoint names it, with the service's Region as ServiceRegion.
	ServiceName() *string
	// Service is the endpoint service.
	Service() awsec2.VpcEndpointService
	// LoadBalancer is the internal Network Load Balancer behind it.
	LoadBalancer() awselasticloadbalancingv2.NetworkLoadBalancer
	// EndpointAddresses are the private IPv4 addresses of the API's
	// execute-api endpoint, one per subnet, as deploy-time values.
	EndpointAddresses() *[]*string
}

type apiEndpointService struct {
	constructs.Construct
	name      *string
	addresses []*string
	nlb       awselasticloadbalancingv2.NetworkLoadBalancer
	service   awsec2.VpcEndpointService
}

// NewApiEndpointService builds the address lookup and, under a front whose
// id follows the API's VPC, the load balancer, the endpoint service and
// what rejects the service's connections before it is deleted.
func NewApiEndpointService(scope constructs.Construct, id string, props *ApiEndpointServiceProps) ApiEndpointService {
	if props == nil || props.Api == nil {
		panic(fmt.Sprintf("ApiEndpointService %q: Api is required", id))
	}
	if props.Code == nil {
		panic(fmt.Sprintf("ApiEndpointService %q: Code is required: the bootstrap of ./functions/endpointservice", id))
	}
	if props.AllowedAccounts == nil || len(*props.AllowedAccounts) == 0 {
		panic(fmt.Sprintf("ApiEndpointService %q: AllowedAccounts is required: the service admits named accounts, never everyone", id))
	}
	region := awscdk.Stack_Of(scope).Region()
	if *awscdk.Token_IsUnresolved(region) {
		panic(fmt.Sprintf("ApiEndpointService %q: its stack needs a Region (env), so that clients in other Regions can name the service", id))
	}
	this := constructs.NewConstruct(scope, &id)
	s := &apiEndpointService{Construct: this}
	logs := logging.Settings{Retention: props.LogRetention, Key: props.LogEncryptionKey}

	s.addresses = s.lookUpEndpointAddresses(props.Api, props.Code, logs)
	front := newFront(this, props.Api.Vpc())
	s.nlb = s.newLoadBalancer(front, props.Api)
	s.service = s.newService(front, props)
	rejectConnectionsOnDelete(front, s.service, props.Code, logs)
	s.name = awscdk.Fn_Join(jsii.String("."), jsii.Strings(ServiceNamePrefix(*region), *region, *s.service.VpcEndpointServiceId()))
	return s
}

// ServiceNamePrefix is what an endpoint service's name starts with in
// region: cn.com.amazonaws.vpce in China, com.amazonaws.vpce elsewhere.
// CDK's VpcEndpointServiceName always says com.amazonaws.vpce, and names the
// Region with the AWS::Region of whichever stack reads it, which in a client
// stack is the client's Region; CloudFormation has no attribute for the
// name, so it is built here with the Region written out.
func ServiceNamePrefix(region string) string {
	if p := regioninfo.RegionInfo_Get(jsii.String(region)).Partition(); p != nil && *p == "aws-cn" {
		return "cn.com.amazonaws.vpce"
	}
	return "com.amazonaws.vpce"
}

// lookUpEndpointAddresses reads the private addresses of the execute-api
// endpoint's network interfaces, one per subnet. CloudFormation gives an
// interface endpoint's NetworkInterfaceIds, never their addresses (and
// AWS::EC2::VPCEndpoint cannot fix them), so a custom resource of the
// project's own function asks EC2 (DescribeNetworkInterfaces) at deploy
// time, and retries while the new role's permission propagates (see
// handler.Handler.IAMWait). When the endpoint's subnets change, so may its
// interfaces ("If you update the PrivateDnsEnabled or SubnetIds
// properties, the items in this list might change", Fn::GetAtt of
// AWS::EC2::VPCEndpoint): the ids are the resource's properties, so a
// change of ids is an update of this resource, which asks again, and the
// targets follow in the same stack update. Its physical id is the
// endpoint's id: a new endpoint is a new lookup.
//
// Its function, like the connections resource's, runs outside the VPC:
// the API's VPC reaches neither EC2's API nor the S3 URL CloudFormation
// takes the answer on, and an endpoint for each would cost more than the
// whole service. AWS Control Tower's CT.LAMBDA.PR.3 flags them; the README
// lists it among the trade-offs of this transport.
func (s *apiEndpointService) lookUpEndpointAddresses(api privateapivpc.PrivateApiVpc, code awslambda.Code, logs logging.Settings) []*string {
	endpoint := api.Endpoint().(awsec2.InterfaceVpcEndpoint)
	fn := newHandlerFunction(s.Construct, "EndpointAddresses", &handlerFunctionProps{
		code:        code,
		logs:        logs,
		description: "Reads the private addresses of the execute-api endpoint's network interfaces, and writes its own logs",
		// The handler retries an IAM refusal for 2 minutes.
		timeout: awscdk.Duration_Minutes(jsii.Number(3)),
		statements: []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ec2:DescribeNetworkInterfaces"),
			Resources: jsii.Strings("*"),
		})},
		nagReason: "ec2:DescribeNetworkInterfaces takes no resource narrower than \"*\"; the function reads, and changes nothing.",
	})
	// Not "EndpointAddresses", the id of the Custom::AWS it replaces in
	// stacks deployed before: CloudFormation refuses a template that
	// changes a logical id's type ("Update of resource type is not
	// permitted", panther-labs/panther#1895, a custom resource's type).
	lookup := awscdk.NewCustomResource(s.Construct, jsii.String("AddressLookup"), &awscdk.CustomResourceProps{
		ServiceToken: fn.FunctionArn(),
		ResourceType: jsii.String(resource.TypeEndpointAddresses),
		Properties: &map[string]any{
			resource.PropEndpointID:          endpoint.VpcEndpointId(),
			resource.PropNetworkInterfaceIDs: endpoint.VpcEndpointNetworkInterfaceIds(),
		},
		ServiceTimeout: awscdk.Duration_Minutes(jsii.Number(4)),
	})
	var out []*string
	for i := range len(*api.Vpc().IsolatedSubnets()) {
		out = append(out, lookup.GetAttString(jsii.String(resource.AddressAttribute(i))))
	}
	return out
}

// handlerFunctionProps describe one instance of the endpointservice
// function.
type handlerFunctionProps struct {
	code        awslambda.Code
	logs        logging.Settings
	description string
	timeout     awscdk.Duration
	// statements are all the role may do besides writing its logs.
	statements []awsiam.PolicyStatement
	// nagReason, if set, says why a statement's resource is "*".
	nagReason string
}

// newHandlerFunction adds the endpointservice function with a role and a
// log group of its own, under the ids {id}Function, {id}Role and
// {id}Logs. Its own role instead of Lambda's default, whose managed policy
// AWSLambdaBasicExecutionRole may write to every log group of the
// account: this one writes to its own group only, and does what the
// statements say.
func newHandlerFunction(scope constructs.Construct, id string, p *handlerFunctionProps) awslambda.Function {
	logGroup := logging.NewLogGroup(scope, id+"Logs", p.logs)
	role := awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(p.description),
	})
	logGroup.GrantWrite(role)
	for _, st := range p.statements {
		role.AddToPrincipalPolicy(st)
	}
	if p.nagReason != "" {
		cdknag.NagSuppressions_AddResourceSuppressions(role.Node().FindChild(jsii.String("DefaultPolicy")), &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String(p.nagReason),
			AppliesTo: &[]interface{}{"Resource::*"},
		}}, jsii.Bool(true))
	}
	return awslambda.NewFunction(scope, jsii.String(id+"Function"), &awslambda.FunctionProps{
		Description:   jsii.String(p.description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          p.code,
		MemorySize:    jsii.Number(128),
		Timeout:       p.timeout,
		Role:          role,
		LogGroup:      logGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
	})
}

// newFront is the scope of everything that must be new when the API's
// VPC is: the load balancer, its security group, listener and targets,
// and the endpoint service with its permissions and connections resource.
// Its id carries a fingerprint of the VPC's identity, so a replaced VPC
// gives new logical ids, and CloudFormation creates a new balancer and a
// new service beside the old ones instead of updating the service in
// place, which AWS refuses while endpoints are connected ("You can't
// disassociate a load balancer if there are endpoints connected to your
// endpoint service", AWS PrivateLink Guide, associate or disassociate load
// balancers); the old front goes in the update's cleanup phase.
func newFront(scope constructs.Construct, vpc awsec2.IVpc) constructs.Construct {
	return constructs.NewConstruct(scope, jsii.String("Front"+vpcFingerprint(vpc)))
}

// vpcFingerprint is 8 hex digits of a hash of what identifies the VPC:
// its logical id and its create-only properties (CidrBlock,
// InstanceTenancy, Ipv4IpamPoolId, Ipv4NetmaskLength in the
// AWS::EC2::VPC resource schema), a change of any of which replaces it.
// It reads them when the front is built: set them before building the
// service.
func vpcFingerprint(vpc awsec2.IVpc) string {
	cfnVpc, ok := vpc.Node().DefaultChild().(awsec2.CfnVPC)
	if !ok {
		panic(fmt.Sprintf("ApiEndpointService: the API's VPC %s has no AWS::EC2::VPC of its own to follow", *vpc.Node().Path()))
	}
	stack := awscdk.Stack_Of(cfnVpc)
	identity, err := json.Marshal([]any{
		stack.Resolve(cfnVpc.LogicalId()),
		stack.Resolve(cfnVpc.CidrBlock()),
		stack.Resolve(cfnVpc.InstanceTenancy()),
		stack.Resolve(cfnVpc.Ipv4IpamPoolId()),
		stack.Resolve(cfnVpc.Ipv4NetmaskLength()),
	})
	if err != nil {
		panic(fmt.Sprintf("ApiEndpointService: reading the API's VPC %s: %v", *vpc.Node().Path(), err))
	}
	sum := sha256.Sum256(identity)
	return hex.EncodeToString(sum[:4])
}

// newLoadBalancer adds the internal Network Load Balancer: one TCP listener
// on 443 that passes TLS through to the endpoint's addresses. Its security
// group admits nothing from inside the VPC, and its inbound rules are not
// applied to PrivateLink traffic, which the endpoint service's permissions
// admit instead: the balancer is reachable only through the service. The
// group's one outbound rule (HTTPS to the endpoint's group) carries the
// forwarded calls and the health checks, which the outbound rules govern.
func (s *apiEndpointService) newLoadBalancer(front constructs.Construct, api privateapivpc.PrivateApiVpc) awselasticloadbalancingv2.NetworkLoadBalancer {
	vpc := api.Vpc()
	sg := awsec2.NewSecurityGroup(front, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("PrivateLink front of the private API: no ingress from the VPC; HTTPS to the execute-api endpoint only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	nlb := awselasticloadbalancingv2.NewNetworkLoadBalancer(front, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.NetworkLoadBalancerProps{
		LoadBalancerName: loadBalancerName(front, vpc),
		Vpc:              vpc,
		InternetFacing:   jsii.Bool(false),
		VpcSubnets:       isolatedvpc.Subnets(),
		SecurityGroups:   &[]awsec2.ISecurityGroup{sg},
		EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: jsii.Bool(false),
		// Either node reaches either address, so one zone's addresses
		// serve the other's node if need be.
		CrossZoneEnabled: jsii.Bool(true),
	})
	api.Endpoint().Connections().AllowFrom(nlb, awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS from the PrivateLink load balancer"))

	var targets []awselasticloadbalancingv2.INetworkLoadBalancerTarget
	for _, ip := range s.addresses {
		targets = append(targets, awselasticloadbalancingv2targets.NewIpTarget(ip, jsii.Number(443), nil))
	}
	nlb.AddListener(jsii.String("Https"), &awselasticloadbalancingv2.BaseNetworkListenerProps{
		Port:     jsii.Number(443),
		Protocol: awselasticloadbalancingv2.Protocol_TCP,
		DefaultTargetGroups: &[]awselasticloadbalancingv2.INetworkTargetGroup{
			awselasticloadbalancingv2.NewNetworkTargetGroup(front, jsii.String("EndpointTargets"), &awselasticloadbalancingv2.NetworkTargetGroupProps{
				Vpc:        vpc,
				Port:       jsii.Number(443),
				Protocol:   awselasticloadbalancingv2.Protocol_TCP,
				TargetType: awselasticloadbalancingv2.TargetType_IP,
				Targets:    &targets,
				// Client IP preservation "is not supported when a target
				// group contains AWS PrivateLink network interfaces"
				// (Elastic Load Balancing, target groups for NLBs): the
				// targets are the endpoint's interfaces.
				PreserveClientIp: jsii.Bool(false),
				HealthCheck: &awselasticloadbalancingv2.HealthCheck{
					Protocol: awselasticloadbalancingv2.Protocol_TCP,
					Port:     jsii.String("443"),
				},
			}),
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(nlb, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-ELB2"),
		Reason: jsii.String("The load balancer has one TCP listener that passes TLS through, and Network Load Balancers write access logs " +
			"only for TLS listeners; the API's stage logs every call with its caller instead."),
	}}, jsii.Bool(false))
	return nlb
}

// loadBalancerName names the balancer after its VPC's id and its front:
// "api-{vpc id's hex}-{6 hex}", at most 28 of the 32 characters a name may
// have. A load balancer belongs to the VPC of its subnets; Name is a
// create-only property, so the balancer of a new front (a new VPC) has a
// new name, never one a balancer of the old front still holds.
func loadBalancerName(front constructs.Construct, vpc awsec2.IVpc) *string {
	hex := awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String("-"), vpc.VpcId(), nil))
	return awscdk.Fn_Join(jsii.String(""), jsii.Strings("api-", *hex, "-", (*front.Node().Addr())[:6]))
}

// newService adds the endpoint service on the load balancer: the named
// accounts may connect from the supported Regions, and their connections
// are accepted at once.
func (s *apiEndpointService) newService(front constructs.Construct, props *ApiEndpointServiceProps) awsec2.VpcEndpointService {
	stack := awscdk.Stack_Of(front)
	var principals []awsiam.ArnPrincipal
	for _, account := range *props.AllowedAccounts {
		principals = append(principals, awsiam.NewArnPrincipal(stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""), Account: account, Resource: jsii.String("root"),
		})))
	}
	return awsec2.NewVpcEndpointService(front, jsii.String("Service"), &awsec2.VpcEndpointServiceProps{
		VpcEndpointServiceLoadBalancers: &[]awsec2.IVpcEndpointServiceLoadBalancer{s.nlb},
		AcceptanceRequired:              jsii.Bool(false),
		AllowedPrincipals:               &principals,
		AllowedRegions:                  props.SupportedRegions,
	})
}

// rejectConnectionsOnDelete adds Custom::EndpointServiceConnections:
// when CloudFormation deletes it, its function rejects every connection
// the service still has in the Available or PendingAcceptance state and
// waits until none is left, because "Before you can delete an endpoint
// service configuration, you must reject any Available or
// PendingAcceptance interface endpoint connections that are attached to
// the service" (EC2 API Reference, DeleteVpcEndpointServiceConfigurations):
// the clients' endpoints belong to other stacks, and would otherwise leave
// the old service of a replaced front, or a destroyed stack's, in
// DELETE_FAILED. Its ServiceId refers to the service, so CloudFormation
// deletes it first; its function, role and policy are in the front too,
// so the permission to reject at the old service outlives the update that
// replaces it.
func rejectConnectionsOnDelete(front constructs.Construct, service awsec2.VpcEndpointService, code awslambda.Code, logs logging.Settings) {
	serviceArn := awscdk.Stack_Of(front).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ec2"),
		Resource:     jsii.String("vpc-endpoint-service"),
		ResourceName: service.VpcEndpointServiceId(),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	fn := newHandlerFunction(front, "Connections", &handlerFunctionProps{
		code:        code,
		logs:        logs,
		description: "Rejects the endpoint service's remaining connections before it is deleted, and writes its own logs",
		// The handler retries an IAM refusal for 2 minutes and waits 5
		// for the rejections to show.
		timeout: awscdk.Duration_Minutes(jsii.Number(9)),
		statements: []awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("ec2:DescribeVpcEndpointConnections"),
				Resources: jsii.Strings("*"),
			}),
			// The one resource type of the action: vpc-endpoint-service,
			// arn:${Partition}:ec2:${Region}:${Account}:vpc-endpoint-service/${VpcEndpointServiceId}
			// (Service Authorization Reference, Amazon EC2).
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("ec2:RejectVpcEndpointConnections"),
				Resources: &[]*string{serviceArn},
			}),
		},
		nagReason: "ec2:DescribeVpcEndpointConnections takes no resource narrower than \"*\"; it reads. The rejection is allowed on this service alone.",
	})
	awscdk.NewCustomResource(front, jsii.String("Connections"), &awscdk.CustomResourceProps{
		ServiceToken:   fn.FunctionArn(),
		ResourceType:   jsii.String(resource.TypeEndpointServiceConnections),
		Properties:     &map[string]any{resource.PropServiceID: service.VpcEndpointServiceId()},
		ServiceTimeout: awscdk.Duration_Minutes(jsii.Number(10)),
	})
}

func (s *apiEndpointService) ServiceName() *string               { return s.name }
func (s *apiEndpointService) Service() awsec2.VpcEndpointService { return s.service }
func (s *apiEndpointService) LoadBalancer() awselasticloadbalancingv2.NetworkLoadBalancer {
	return s.nlb
}
func (s *apiEndpointService) EndpointAddresses() *[]*string { return &s.addresses }
