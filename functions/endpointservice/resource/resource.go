// Package resource names the custom resources the endpointservice function
// serves and their properties and attributes: the contract between the
// construct that declares them (constructs/apiendpointservice) and the
// handler that answers for them, kept apart from both so that the CDK app
// does not link the handler's AWS SDK.
package resource

import "fmt"

const (
	// TypeEndpointAddresses looks up the private IPv4 addresses of an
	// interface endpoint's network interfaces.
	TypeEndpointAddresses = "Custom::EndpointAddresses"
	// TypeEndpointServiceConnections rejects, when deleted, the
	// connections an endpoint service still has.
	TypeEndpointServiceConnections = "Custom::EndpointServiceConnections"

	// PropEndpointID is the interface endpoint's id: the lookup's
	// physical id, so that a new endpoint is a new lookup.
	PropEndpointID = "EndpointId"
	// PropNetworkInterfaceIDs are the endpoint's network interfaces.
	PropNetworkInterfaceIDs = "NetworkInterfaceIds"
	// PropServiceID is the endpoint service whose connections are
	// rejected on delete.
	PropServiceID = "ServiceId"
)

// AddressAttribute is the attribute (read with Fn::GetAtt) holding the
// address of the i-th interface of NetworkInterfaceIds.
func AddressAttribute(i int) string { return fmt.Sprintf("Address%d", i) }
