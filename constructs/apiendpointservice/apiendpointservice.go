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
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"crossregionapi/constructs/internal/isolatedvpc"
	"crossregionapi/constructs/internal/logging"
	"crossregionapi/constructs/privateapivpc"
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
	// LogRetention and LogEncryptionKey govern the log group of the
	// function that looks up the endpoint's addresses. Default: one month,
	// CloudWatch Logs' own encryption.
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

// NewApiEndpointService builds the address lookup, the load balancer and
// the endpoint service.
func NewApiEndpointService(scope constructs.Construct, id string, props *ApiEndpointServiceProps) ApiEndpointService {
	if props == nil || props.Api == nil {
		panic(fmt.Sprintf("ApiEndpointService %q: Api is required", id))
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

	s.addresses = s.lookUpEndpointAddresses(props.Api, logs)
	s.nlb = s.newLoadBalancer(props.Api)
	s.service = s.newService(props)
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
// AWS::EC2::VPCEndpoint cannot fix them), so CDK's AwsCustomResource asks
// EC2 (DescribeNetworkInterfaces) at deploy time. When the endpoint's
// subnets change, so may its interfaces ("If you update the
// PrivateDnsEnabled or SubnetIds properties, the items in this list might
// change", Fn::GetAtt of AWS::EC2::VPCEndpoint): the ids are the call's
// parameters, so a change of ids is an update of this resource, which asks
// again, and the targets below follow in the same stack update.
//
// Its function runs outside the VPC: the API's VPC reaches neither EC2's
// API nor the S3 URL CloudFormation takes the answer on, and an endpoint
// for each would cost more than the whole service. AWS Control Tower's
// CT.LAMBDA.PR.3 flags it; the README lists it as the one trade-off of this
// transport.
func (s *apiEndpointService) lookUpEndpointAddresses(api privateapivpc.PrivateApiVpc, logs logging.Settings) []*string {
	// One interface per subnet, named one by one: a list token would
	// need CDK's JSON-stringify custom resource, a second function.
	count := len(*api.Vpc().IsolatedSubnets())
	all := api.Endpoint().(awsec2.InterfaceVpcEndpoint).VpcEndpointNetworkInterfaceIds()
	var interfaces []*string
	for i := range count {
		interfaces = append(interfaces, awscdk.Fn_Select(jsii.Number(float64(i)), all))
	}
	logGroup := logging.NewLogGroup(s.Construct, "EndpointAddressesLogs", logs)
	call := &customresources.AwsSdkCall{
		Service:    jsii.String("EC2"),
		Action:     jsii.String("describeNetworkInterfaces"),
		Parameters: map[string]any{"NetworkInterfaceIds": interfaces},
		// The endpoint's id names the answer: a new endpoint is a new
		// lookup.
		PhysicalResourceId: customresources.PhysicalResourceId_Of(api.Endpoint().VpcEndpointId()),
		OutputPaths:        outputPaths(count),
	}
	lookup := customresources.NewAwsCustomResource(s.Construct, jsii.String("EndpointAddresses"), &customresources.AwsCustomResourceProps{
		OnCreate: call,
		OnUpdate: call,
		// DescribeNetworkInterfaces takes no resource narrower than "*".
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("ec2:DescribeNetworkInterfaces"),
				Resources: jsii.Strings("*"),
			}),
		}),
		Role:                lookupRole(s.Construct, logGroup),
		LogGroup:            logGroup,
		InstallLatestAwsSdk: jsii.Bool(false),
		Timeout:             awscdk.Duration_Minutes(jsii.Number(2)),
	})
	suppressLookupFindings(lookup)
	var out []*string
	for _, path := range *outputPaths(count) {
		out = append(out, lookup.GetResponseField(path))
	}
	return out
}

// lookupRole is the lookup function's own role instead of CDK's default,
// whose managed policy AWSLambdaBasicExecutionRole may write to every log
// group of the account: this one writes to its own group only.
// AwsCustomResource adds the EC2 statement to it.
func lookupRole(scope constructs.Construct, logGroup awslogs.ILogGroup) awsiam.Role {
	role := awsiam.NewRole(scope, jsii.String("EndpointAddressesRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Reads the private addresses of the execute-api endpoint's network interfaces, and writes its own logs"),
	})
	logGroup.GrantWrite(role)
	return role
}

// outputPaths are the response fields holding the endpoint's addresses, one
// per network interface.
func outputPaths(count int) *[]*string {
	var paths []*string
	for i := range count {
		paths = append(paths, jsii.String(fmt.Sprintf("NetworkInterfaces.%d.PrivateIpAddress", i)))
	}
	return &paths
}

// newLoadBalancer adds the internal Network Load Balancer: one TCP listener
// on 443 that passes TLS through to the endpoint's addresses. Its security
// group admits nothing from inside the VPC, and its inbound rules are not
// applied to PrivateLink traffic, which the endpoint service's permissions
// admit instead: the balancer is reachable only through the service. The
// group's one outbound rule (HTTPS to the endpoint's group) carries the
// forwarded calls and the health checks, which the outbound rules govern.
func (s *apiEndpointService) newLoadBalancer(api privateapivpc.PrivateApiVpc) awselasticloadbalancingv2.NetworkLoadBalancer {
	vpc := api.Vpc()
	sg := awsec2.NewSecurityGroup(s.Construct, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("PrivateLink front of the private API: no ingress from the VPC; HTTPS to the execute-api endpoint only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	nlb := awselasticloadbalancingv2.NewNetworkLoadBalancer(s.Construct, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.NetworkLoadBalancerProps{
		LoadBalancerName: s.loadBalancerName(vpc),
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
			awselasticloadbalancingv2.NewNetworkTargetGroup(s.Construct, jsii.String("EndpointTargets"), &awselasticloadbalancingv2.NetworkTargetGroupProps{
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

// loadBalancerName names the balancer after its VPC's id (and this
// construct, should a VPC hold two): "api-{vpc id's hex}-{6 hex}", at most
// 28 of the 32 characters a name may have. A load balancer belongs to the
// VPC of its subnets, and the app's VPC is replaced when its range
// changes; Name is a create-only property, so a new VPC's id gives a new
// name, and CloudFormation replaces the balancer instead of trying to move
// it into subnets of another VPC. The endpoint service, updated in place,
// then points at the new balancer, and keeps its name and its clients.
func (s *apiEndpointService) loadBalancerName(vpc awsec2.IVpc) *string {
	hex := awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String("-"), vpc.VpcId(), nil))
	return awscdk.Fn_Join(jsii.String(""), jsii.Strings("api-", *hex, "-", (*s.Node().Addr())[:6]))
}

// newService adds the endpoint service on the load balancer: the named
// accounts may connect from the supported Regions, and their connections
// are accepted at once.
func (s *apiEndpointService) newService(props *ApiEndpointServiceProps) awsec2.VpcEndpointService {
	stack := awscdk.Stack_Of(s.Construct)
	var principals []awsiam.ArnPrincipal
	for _, account := range *props.AllowedAccounts {
		principals = append(principals, awsiam.NewArnPrincipal(stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""), Account: account, Resource: jsii.String("root"),
		})))
	}
	return awsec2.NewVpcEndpointService(s.Construct, jsii.String("Service"), &awsec2.VpcEndpointServiceProps{
		VpcEndpointServiceLoadBalancers: &[]awsec2.IVpcEndpointServiceLoadBalancer{s.nlb},
		AcceptanceRequired:              jsii.Bool(false),
		AllowedPrincipals:               &principals,
		AllowedRegions:                  props.SupportedRegions,
	})
}

// suppressLookupFindings records, on the lookup's policy alone, why its
// finding has no fix.
func suppressLookupFindings(lookup customresources.AwsCustomResource) {
	policy := lookup.Node().FindChild(jsii.String("CustomResourcePolicy"))
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("ec2:DescribeNetworkInterfaces takes no resource narrower than \"*\"; the function reads, and changes nothing."),
		AppliesTo: &[]interface{}{"Resource::*"},
	}}, jsii.Bool(true))
}

func (s *apiEndpointService) ServiceName() *string               { return s.name }
func (s *apiEndpointService) Service() awsec2.VpcEndpointService { return s.service }
func (s *apiEndpointService) LoadBalancer() awselasticloadbalancingv2.NetworkLoadBalancer {
	return s.nlb
}
func (s *apiEndpointService) EndpointAddresses() *[]*string { return &s.addresses }
