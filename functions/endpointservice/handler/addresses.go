package handler

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// endpointAddresses answers Custom::EndpointAddresses. Create and Update
// read the interfaces' addresses; the physical id is the endpoint's id, so
// a new endpoint is a new resource and CloudFormation deletes the old one,
// which asks nothing.
func (h *Handler) endpointAddresses(ctx context.Context, event cfn.Event) (string, map[string]any, error) {
	if event.RequestType == cfn.RequestDelete {
		return event.PhysicalResourceID, nil, nil
	}
	endpoint, err := stringProp(event.ResourceProperties, PropEndpointID)
	if err != nil {
		return "", nil, err
	}
	ids, err := stringList(event.ResourceProperties, PropNetworkInterfaceIDs)
	if err != nil {
		return "", nil, err
	}
	if len(ids) == 0 {
		return "", nil, fmt.Errorf("property %s is empty: the endpoint has no network interface", PropNetworkInterfaceIDs)
	}
	addresses, err := h.privateAddresses(ctx, ids)
	if err != nil {
		return "", nil, err
	}
	data := make(map[string]any, len(ids))
	for i, id := range ids {
		data[AddressAttribute(i)] = addresses[id]
	}
	h.Log.Info("addresses", "endpoint", endpoint, "interfaces", ids, "data", data)
	return endpoint, data, nil
}

// privateAddresses returns the primary private IPv4 address of each
// interface, by id. DescribeNetworkInterfaces answers in an order of its
// own, and takes no MaxResults with NetworkInterfaceIds ("You cannot
// specify this parameter and the network interface IDs parameter in the
// same request", EC2 API Reference), so one call answers for all. The
// endpoint's interfaces are managed by AWS, and "a value of hidden
// indicates that managed resources are not included in Describe operation
// responses by default" (EC2 API Reference,
// ManagedResourceVisibilitySettings): IncludeManagedResources asks for
// them whatever the account's setting.
func (h *Handler) privateAddresses(ctx context.Context, ids []string) (map[string]string, error) {
	var out *ec2.DescribeNetworkInterfacesOutput
	err := h.call(ctx, "DescribeNetworkInterfaces", func(ctx context.Context) (err error) {
		out, err = h.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
			NetworkInterfaceIds:     ids,
			IncludeManagedResources: aws.Bool(true),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	addresses := map[string]string{}
	for _, ni := range out.NetworkInterfaces {
		if ni.NetworkInterfaceId != nil && ni.PrivateIpAddress != nil {
			addresses[*ni.NetworkInterfaceId] = *ni.PrivateIpAddress
		}
	}
	for _, id := range ids {
		if addresses[id] == "" {
			return nil, fmt.Errorf("EC2 DescribeNetworkInterfaces gave no private IPv4 address for %s", id)
		}
	}
	return addresses, nil
}
