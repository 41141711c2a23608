package handler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// rejectBatch is how many endpoints one RejectVpcEndpointConnections call
// names. The EC2 API Reference sets no maximum for VpcEndpointId.N; a
// modest batch keeps each request small whatever the number of clients.
const rejectBatch = 50

// serviceNotFound is EC2's error code for a service id that does not (or
// no longer) exist.
const serviceNotFound = "InvalidVpcEndpointServiceId.NotFound"

// serviceConnections answers Custom::EndpointServiceConnections. Its
// physical id is the service's id. Create and Update change nothing; on
// Delete, which CloudFormation runs before it deletes the service (the
// resource refers to it), every connection the service still has in the
// Available or PendingAcceptance state is rejected: "Before you can delete
// an endpoint service configuration, you must reject any Available or
// PendingAcceptance interface endpoint connections that are attached to
// the service" (EC2 API Reference, DeleteVpcEndpointServiceConfigurations).
func (h *Handler) serviceConnections(ctx context.Context, event cfn.Event) (string, error) {
	service, err := stringProp(event.ResourceProperties, PropServiceID)
	if event.RequestType != cfn.RequestDelete {
		return service, err
	}
	if err != nil {
		// A resource whose creation failed on its properties has no
		// service to empty.
		h.Log.Warn("nothing to reject", "reason", err.Error())
		return event.PhysicalResourceID, nil
	}
	return event.PhysicalResourceID, h.rejectAll(ctx, service)
}

// rejectAll rejects the service's open connections and waits, for at most
// RejectWait, until none is open. A service that no longer exists has
// none.
func (h *Handler) rejectAll(ctx context.Context, service string) error {
	open, err := h.openConnections(ctx, service)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		h.Log.Info("no open connection", "service", service)
		return nil
	}
	h.Log.Info("rejecting", "service", service, "endpoints", open)
	var refused []string
	for batch := range slices.Chunk(slices.Sorted(maps.Keys(open)), rejectBatch) {
		gone, failed, err := h.reject(ctx, service, batch)
		if err != nil {
			return err
		}
		if gone {
			h.Log.Info("service is gone", "service", service)
			return nil
		}
		refused = append(refused, failed...)
	}
	if len(refused) > 0 {
		// An endpoint deleted meanwhile is not rejected either; what
		// counts is whether any connection is still open.
		h.Log.Warn("some endpoints were not rejected", "service", service, "unsuccessful", refused)
	}
	end := h.until(ctx, h.RejectWait)
	for {
		open, err = h.openConnections(ctx, service)
		if err != nil {
			return err
		}
		if len(open) == 0 {
			h.Log.Info("all connections rejected", "service", service)
			return nil
		}
		if !h.Now().Add(h.Poll).Before(end) {
			reason := fmt.Sprintf("%d endpoint connections of %s still open %s after their rejection: %s",
				len(open), service, h.RejectWait, describe(open))
			if len(refused) > 0 {
				reason += "; EC2 RejectVpcEndpointConnections did not reject " + strings.Join(refused, ", ")
			}
			return errors.New(reason)
		}
		if err := h.Sleep(ctx, h.Poll); err != nil {
			return fmt.Errorf("waiting for the connections of %s to be rejected: %w", service, err)
		}
	}
}

// openConnections returns the service's connections in the Available or
// PendingAcceptance state, endpoint id to state, reading every page.
func (h *Handler) openConnections(ctx context.Context, service string) (map[string]string, error) {
	open := map[string]string{}
	pages := ec2.NewDescribeVpcEndpointConnectionsPaginator(h.EC2, &ec2.DescribeVpcEndpointConnectionsInput{
		Filters:    []types.Filter{{Name: aws.String("service-id"), Values: []string{service}}},
		MaxResults: aws.Int32(100),
	})
	for pages.HasMorePages() {
		var page *ec2.DescribeVpcEndpointConnectionsOutput
		err := h.call(ctx, "DescribeVpcEndpointConnections", func(ctx context.Context) (err error) {
			page, err = pages.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range page.VpcEndpointConnections {
			if c.VpcEndpointId != nil && isOpen(c.VpcEndpointState) {
				open[*c.VpcEndpointId] = string(c.VpcEndpointState)
			}
		}
	}
	return open, nil
}

// isOpen reports whether a connection in state keeps the service from
// being deleted. The reference spells the states PendingAcceptance and
// Available (VpcEndpointConnection, type State), and pendingAcceptance and
// available (DescribeVpcEndpointConnections, the vpc-endpoint-state
// filter): they are compared without regard to case.
func isOpen(state types.State) bool {
	return strings.EqualFold(string(state), string(types.StateAvailable)) ||
		strings.EqualFold(string(state), string(types.StatePendingAcceptance))
}

// reject rejects one batch of endpoints. It reports whether the service
// is gone, and the endpoints EC2 did not reject, each with EC2's code and
// message.
func (h *Handler) reject(ctx context.Context, service string, endpoints []string) (gone bool, failed []string, err error) {
	var out *ec2.RejectVpcEndpointConnectionsOutput
	err = h.call(ctx, "RejectVpcEndpointConnections", func(ctx context.Context) (err error) {
		out, err = h.EC2.RejectVpcEndpointConnections(ctx, &ec2.RejectVpcEndpointConnectionsInput{
			ServiceId:      aws.String(service),
			VpcEndpointIds: endpoints,
		})
		return err
	})
	if err != nil {
		if errorCode(err) == serviceNotFound {
			return true, nil, nil
		}
		return false, nil, err
	}
	for _, u := range out.Unsuccessful {
		code, message := "", ""
		if u.Error != nil {
			code, message = aws.ToString(u.Error.Code), aws.ToString(u.Error.Message)
		}
		if code == serviceNotFound {
			return true, nil, nil
		}
		failed = append(failed, fmt.Sprintf("%s (%s: %s)", aws.ToString(u.ResourceId), code, message))
	}
	return false, failed, nil
}

// describe lists connections as "vpce-… (state)", sorted.
func describe(open map[string]string) string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(open)) {
		out = append(out, fmt.Sprintf("%s (%s)", id, open[id]))
	}
	return strings.Join(out, ", ")
}
