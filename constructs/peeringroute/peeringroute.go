// Package peeringroute provides PeeringRoute: the return route from a VPC
// to a peered VPC, for route tables known only by the SSM parameters that
// hold their ids.
package peeringroute

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// PeeringRouteProps configures a PeeringRoute.
type PeeringRouteProps struct {
	// PeeringConnectionId is the VPC peering connection to route through.
	// Required.
	PeeringConnectionId *string
	// DestinationCidr is the peer VPC's IPv4 range. Required.
	DestinationCidr *string
	// RouteTableParameterNames are SSM String parameters, in this stack's
	// Region, each holding one route table id. They are read when the stack
	// is deployed, so the tables may belong to another stack. Required, at
	// least one.
	RouteTableParameterNames *[]*string
}

// PeeringRoute is the set of return routes.
type PeeringRoute interface {
	constructs.Construct
	// Routes are the routes, one per route table, in parameter order.
	Routes() *[]awsec2.CfnRoute
}

type peeringRoute struct {
	constructs.Construct
	routes []awsec2.CfnRoute
}

// NewPeeringRoute adds a route to DestinationCidr through the peering
// connection in every route table named by the parameters.
func NewPeeringRoute(scope constructs.Construct, id string, props *PeeringRouteProps) PeeringRoute {
	if props == nil || props.PeeringConnectionId == nil || props.DestinationCidr == nil ||
		props.RouteTableParameterNames == nil || len(*props.RouteTableParameterNames) == 0 {
		panic(fmt.Sprintf("PeeringRoute %q: PeeringConnectionId, DestinationCidr and at least one RouteTableParameterNames entry are required", id))
	}
	this := constructs.NewConstruct(scope, &id)
	var routes []awsec2.CfnRoute
	for i, name := range *props.RouteTableParameterNames {
		// L1: an L2 route exists only on a Subnet built in the same app,
		// and these tables are known only by id.
		routes = append(routes, awsec2.NewCfnRoute(this, jsii.String(fmt.Sprintf("Route%d", i)), &awsec2.CfnRouteProps{
			RouteTableId:           awsssm.StringParameter_ValueForStringParameter(this, name, nil),
			DestinationCidrBlock:   props.DestinationCidr,
			VpcPeeringConnectionId: props.PeeringConnectionId,
		}))
	}
	return &peeringRoute{Construct: this, routes: routes}
}

func (p *peeringRoute) Routes() *[]awsec2.CfnRoute { return &p.routes }
