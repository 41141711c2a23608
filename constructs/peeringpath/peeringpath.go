// Package peeringpath provides PeeringPath: one client VPC's path to a
// private API's VPC in another Region over VPC peering, a peering
// connection with a route to the API's range from every subnet, and DNS
// that sends the API's hostname to that API's interface endpoint across
// the connection. A ClientVpc (constructs/clientvpc) takes one per API
// Region.
package peeringpath

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/clientvpc"
	"crossregionapi/constructs/internal/apicaller"
)

// PeeringPathProps configures a PeeringPath. The peer and API values are
// usually references to another stack's resources; within one app, CDK
// carries them across Regions.
type PeeringPathProps struct {
	// Vpc is the client VPC; the routes go into its isolated subnets.
	// Required.
	Vpc awsec2.IVpc
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
	// PeerCidr is the IPv4 range of the API's VPC; it must not overlap
	// the client VPC's. Required.
	PeerCidr *string
	// ApiId is the id of the private REST API. Required.
	ApiId *string
	// EndpointDnsName is the Regional DNS name of the API's execute-api
	// interface endpoint. Required.
	EndpointDnsName *string
	// EndpointHostedZoneId is the Route 53 hosted zone id of
	// EndpointDnsName. Required.
	EndpointHostedZoneId *string
	// StageName of the API. Default: "v1".
	StageName *string
	// ResourcePath is the path of the API resource the client GETs.
	// Default: "hello" (demo.ResourcePath).
	ResourcePath *string
}

// PeeringPath is what other constructs and stacks need from the path.
type PeeringPath interface {
	constructs.Construct
	clientvpc.Path
	// PeeringConnectionId is the id of the peering connection to the API's
	// VPC; the API side needs it for its return route.
	PeeringConnectionId() *string
	// HostedZone makes the API's hostname resolve to the endpoint.
	HostedZone() awsroute53.IHostedZone
}

type peeringPath struct {
	constructs.Construct
	api       apicaller.Api
	peerCidr  *string
	peeringId *string
	zone      awsroute53.IHostedZone
	alias     awsroute53.CfnRecordSetGroup
}

// NewPeeringPath builds the path in a construct of its own.
func NewPeeringPath(scope constructs.Construct, id string, props *PeeringPathProps) PeeringPath {
	requireProps(id, props)
	return build(constructs.NewConstruct(scope, &id), props)
}

// Build builds the path as a ClientVpc's path, in a construct of its own,
// id, for a path added to a client VPC.
func Build(id string, props *PeeringPathProps) clientvpc.BuildPath {
	return func(scope constructs.Construct, vpc awsec2.IVpc) clientvpc.Path {
		return NewPeeringPath(scope, id, withVpc(props, vpc))
	}
}

// BuildInClient builds the path as a ClientVpc's path, in the ClientVpc
// itself, with no construct of its own: for the one path of a client
// construct that predates paths (PeeredClientVpc), whose resources keep
// the ids and construct paths deployed stacks have. At most one path of a
// ClientVpc can be built so.
func BuildInClient(props *PeeringPathProps) clientvpc.BuildPath {
	return func(scope constructs.Construct, vpc awsec2.IVpc) clientvpc.Path {
		p := withVpc(props, vpc)
		requireProps(*scope.Node().Id(), p)
		return build(scope, p)
	}
}

// withVpc is a copy of props with Vpc set.
func withVpc(props *PeeringPathProps, vpc awsec2.IVpc) *PeeringPathProps {
	if props == nil {
		return nil
	}
	p := *props
	p.Vpc = vpc
	return &p
}

// build adds the path's resources to scope.
func build(scope constructs.Construct, props *PeeringPathProps) PeeringPath {
	p := &peeringPath{Construct: scope, peerCidr: props.PeerCidr,
		api: apicaller.Api{Id: props.ApiId, Region: props.PeerRegion, Account: props.PeerAccount,
			StageName: props.StageName, ResourcePath: props.ResourcePath}}
	p.peeringId = p.peerWithApi(props)
	p.resolveApiHost(props)
	return p
}

// peerWithApi requests the peering connection to the API's VPC and routes
// the API's range through it from every subnet.
func (p *peeringPath) peerWithApi(props *PeeringPathProps) *string {
	// L1: there is no L2 construct for VPC peering. In one account the
	// cross-Region request is accepted without a role; from another, the
	// API account's accepter role accepts it.
	peering := awsec2.NewCfnVPCPeeringConnection(p.Construct, jsii.String("Peering"), &awsec2.CfnVPCPeeringConnectionProps{
		VpcId:       props.Vpc.VpcId(),
		PeerVpcId:   props.PeerVpcId,
		PeerRegion:  props.PeerRegion,
		PeerOwnerId: props.PeerAccount,
		PeerRoleArn: props.PeerRoleArn,
	})
	for i, subnet := range *props.Vpc.IsolatedSubnets() {
		// L1: the L2 subnet's AddRoute is not reachable through ISubnet.
		awsec2.NewCfnRoute(p.Construct, jsii.String(fmt.Sprintf("PeerRoute%d", i)), &awsec2.CfnRouteProps{
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
func (p *peeringPath) resolveApiHost(props *PeeringPathProps) {
	p.zone, p.alias = apicaller.NewHostedZone(p.Construct, props.Vpc, p.api,
		&awsroute53.AliasRecordTargetConfig{DnsName: props.EndpointDnsName, HostedZoneId: props.EndpointHostedZoneId},
		"Resolves one private API's hostname to its execute-api endpoint across the peering connection")
}

func requireProps(id string, p *PeeringPathProps) {
	if p == nil {
		panic(fmt.Sprintf("PeeringPath %q: props are required", id))
	}
	for name, v := range map[string]*string{
		"PeerVpcId": p.PeerVpcId, "PeerRegion": p.PeerRegion, "PeerCidr": p.PeerCidr,
		"ApiId": p.ApiId, "EndpointDnsName": p.EndpointDnsName, "EndpointHostedZoneId": p.EndpointHostedZoneId,
	} {
		if v == nil {
			panic(fmt.Sprintf("PeeringPath %q: %s is required", id, name))
		}
	}
	if p.Vpc == nil {
		panic(fmt.Sprintf("PeeringPath %q: Vpc is required", id))
	}
	if p.PeerAccount != nil && p.PeerRoleArn == nil {
		panic(fmt.Sprintf("PeeringPath %q: PeerRoleArn is required with PeerAccount", id))
	}
}

// AllowFrom implements clientvpc.Path: HTTPS to the API's VPC.
func (p *peeringPath) AllowFrom(sg awsec2.SecurityGroup) {
	sg.AddEgressRule(awsec2.Peer_Ipv4(p.peerCidr), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to the private API endpoint"), jsii.Bool(false))
}

func (p *peeringPath) Api() clientvpc.Api { return p.api }
func (p *peeringPath) Ready() []constructs.IDependable {
	return []constructs.IDependable{p.zone, p.alias}
}
func (p *peeringPath) Transport() string                  { return clientvpc.TransportPeering }
func (p *peeringPath) PeeringConnectionId() *string       { return p.peeringId }
func (p *peeringPath) HostedZone() awsroute53.IHostedZone { return p.zone }
