// Package privatelinkpath provides PrivateLinkPath: one client VPC's path
// to a private API in another Region through an interface endpoint to the
// API's endpoint service (cross-Region AWS PrivateLink), and DNS that sends
// the API's hostname to that local endpoint. Nothing routes to the API's
// VPC, so the client's address range may overlap the API's. A ClientVpc
// (constructs/clientvpc) takes one per API Region.
package privatelinkpath

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/clientvpc"
	"crossregionapi/constructs/internal/apicaller"
	"crossregionapi/constructs/internal/isolatedvpc"
)

// PrivateLinkPathProps configures a PrivateLinkPath. The service and API
// values are usually references to another stack's resources; within one
// app, CDK carries them across Regions.
type PrivateLinkPathProps struct {
	// Vpc is the client VPC that gets the endpoint. Required.
	Vpc awsec2.IVpc
	// VpcCidr is the range the endpoint admits HTTPS from.
	// Default: the VPC's primary range (Vpc.VpcCidrBlock).
	VpcCidr *string
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
	// StageName of the API. Default: "v1".
	StageName *string
	// ResourcePath is the path of the API resource the client GETs.
	// Default: "hello" (demo.ResourcePath).
	ResourcePath *string
}

// PrivateLinkPath is what other constructs and stacks need from the path.
type PrivateLinkPath interface {
	constructs.Construct
	clientvpc.Path
	// Endpoint is the interface endpoint to the API's endpoint service.
	Endpoint() awsec2.InterfaceVpcEndpoint
	// HostedZone makes the API's hostname resolve to the endpoint.
	HostedZone() awsroute53.IHostedZone
}

type privateLinkPath struct {
	constructs.Construct
	api      apicaller.Api
	endpoint awsec2.InterfaceVpcEndpoint
	zone     awsroute53.IHostedZone
	alias    awsroute53.CfnRecordSetGroup
}

// NewPrivateLinkPath builds the path in a construct of its own.
func NewPrivateLinkPath(scope constructs.Construct, id string, props *PrivateLinkPathProps) PrivateLinkPath {
	requireProps(id, props)
	return build(constructs.NewConstruct(scope, &id), props)
}

// Build builds the path as a ClientVpc's path, in a construct of its own,
// id, for a path added to a client VPC.
func Build(id string, props *PrivateLinkPathProps) clientvpc.BuildPath {
	return func(scope constructs.Construct, vpc awsec2.IVpc) clientvpc.Path {
		return NewPrivateLinkPath(scope, id, withVpc(props, vpc))
	}
}

// BuildInClient builds the path as a ClientVpc's path, in the ClientVpc
// itself, with no construct of its own: for the one path of a client
// construct that predates paths (PrivateLinkClientVpc), whose resources
// keep the ids and construct paths deployed stacks have. At most one path
// of a ClientVpc can be built so.
func BuildInClient(props *PrivateLinkPathProps) clientvpc.BuildPath {
	return func(scope constructs.Construct, vpc awsec2.IVpc) clientvpc.Path {
		p := withVpc(props, vpc)
		requireProps(*scope.Node().Id(), p)
		return build(scope, p)
	}
}

// withVpc is a copy of props with Vpc set.
func withVpc(props *PrivateLinkPathProps, vpc awsec2.IVpc) *PrivateLinkPathProps {
	if props == nil {
		return nil
	}
	p := *props
	p.Vpc = vpc
	return &p
}

// build adds the path's resources to scope.
func build(scope constructs.Construct, props *PrivateLinkPathProps) PrivateLinkPath {
	p := &privateLinkPath{Construct: scope, api: apicaller.Api{Id: props.ApiId, Region: props.ApiRegion, Account: props.ApiAccount,
		StageName: props.StageName, ResourcePath: props.ResourcePath}}
	p.endpoint = p.newEndpoint(props)
	p.zone, p.alias = apicaller.NewHostedZone(scope, props.Vpc, p.api, apicaller.EndpointAlias(p.endpoint),
		"Resolves one private API's hostname to the local PrivateLink endpoint of its endpoint service")
	return p
}

// newEndpoint adds the interface endpoint to the API's endpoint service in
// the API's Region. Its security group admits HTTPS from this VPC and
// nothing else. The service has no private DNS name of its own: the
// hosted zone answers for the API's hostname instead.
func (p *privateLinkPath) newEndpoint(props *PrivateLinkPathProps) awsec2.InterfaceVpcEndpoint {
	sg := awsec2.NewSecurityGroup(p.Construct, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("PrivateLink endpoint to the private API: HTTPS from this VPC only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	cidr := props.VpcCidr
	if cidr == nil {
		cidr = props.Vpc.VpcCidrBlock()
	}
	sg.AddIngressRule(awsec2.Peer_Ipv4(cidr), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS from this VPC"), jsii.Bool(false))
	var serviceRegion *string
	if *props.ApiRegion != *awscdk.Stack_Of(p.Construct).Region() {
		serviceRegion = props.ApiRegion
	}
	return awsec2.NewInterfaceVpcEndpoint(p.Construct, jsii.String("ApiEndpoint"), &awsec2.InterfaceVpcEndpointProps{
		Vpc:               props.Vpc,
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

func requireProps(id string, p *PrivateLinkPathProps) {
	if p == nil {
		panic(fmt.Sprintf("PrivateLinkPath %q: props are required", id))
	}
	for name, v := range map[string]*string{"ServiceName": p.ServiceName, "ApiRegion": p.ApiRegion, "ApiId": p.ApiId} {
		if v == nil {
			panic(fmt.Sprintf("PrivateLinkPath %q: %s is required", id, name))
		}
	}
	if p.Vpc == nil {
		panic(fmt.Sprintf("PrivateLinkPath %q: Vpc is required", id))
	}
}

// AllowFrom implements clientvpc.Path: HTTPS to the local endpoint.
func (p *privateLinkPath) AllowFrom(sg awsec2.SecurityGroup) {
	p.endpoint.Connections().AllowFrom(sg, awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS from the API client"))
}

func (p *privateLinkPath) Api() clientvpc.Api { return p.api }
func (p *privateLinkPath) Ready() []constructs.IDependable {
	return []constructs.IDependable{p.zone, p.alias}
}
func (p *privateLinkPath) Transport() string                     { return clientvpc.TransportPrivateLink }
func (p *privateLinkPath) Endpoint() awsec2.InterfaceVpcEndpoint { return p.endpoint }
func (p *privateLinkPath) HostedZone() awsroute53.IHostedZone    { return p.zone }
