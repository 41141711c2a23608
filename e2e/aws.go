package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"crossregionapi/internal/probe"
)

// AWS is Cloud over the AWS SDK, with credentials from its default chain.
type AWS struct {
	cfg  aws.Config
	http *http.Client
}

var _ Cloud = (*AWS)(nil)

// NewAWS loads the SDK's default configuration. It does not call AWS: a
// missing credential shows in Account.
func NewAWS(ctx context.Context) (*AWS, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	return NewAWSFromConfig(cfg), nil
}

// NewAWSFromConfig is an AWS on cfg as it is, such as one whose
// BaseEndpoint and credentials point at a local fake.
func NewAWSFromConfig(cfg aws.Config) *AWS {
	return &AWS{cfg: cfg, http: &http.Client{Timeout: 30 * time.Second}}
}

func (a *AWS) in(region string) aws.Config {
	c := a.cfg.Copy()
	c.Region = region
	return c
}

// Account implements Cloud.
func (a *AWS) Account(ctx context.Context) (string, error) {
	region := a.cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	out, err := sts.NewFromConfig(a.in(region)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}

// BootstrapVersion implements Cloud; it reads the parameter the default
// `cdk bootstrap` writes.
func (a *AWS) BootstrapVersion(ctx context.Context, region string) (string, error) {
	out, err := ssm.NewFromConfig(a.in(region)).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/cdk-bootstrap/hnb659fds/version")})
	var missing *ssmtypes.ParameterNotFound
	if errors.As(err, &missing) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Parameter.Value), nil
}

// StackOutputs implements Cloud.
func (a *AWS) StackOutputs(ctx context.Context, region, stack string) (map[string]string, bool, error) {
	s, err := a.describeStack(ctx, region, stack)
	if s == nil || err != nil {
		return nil, false, err
	}
	outputs := map[string]string{}
	for _, o := range s.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return outputs, true, nil
}

// StackStatus is the CloudFormation status of a stack, such as
// ROLLBACK_COMPLETE, or "" when there is no such stack. It is not part of
// Cloud: only make invoke needs it, to tell a failed or unfinished deploy,
// which has no outputs yet, from a stack that was never deployed.
func (a *AWS) StackStatus(ctx context.Context, region, stack string) (string, error) {
	s, err := a.describeStack(ctx, region, stack)
	if s == nil || err != nil {
		return "", err
	}
	return string(s.StackStatus), nil
}

// describeStack returns the stack, or nil when there is no such stack or
// only a deleted one.
func (a *AWS) describeStack(ctx context.Context, region, stack string) (*cfntypes.Stack, error) {
	out, err := cloudformation.NewFromConfig(a.in(region)).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, err
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == cfntypes.StackStatusDeleteComplete {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// Invoke implements Cloud.
func (a *AWS) Invoke(ctx context.Context, region, function string) ([]byte, string, error) {
	out, err := lambda.NewFromConfig(a.in(region)).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: []byte("{}")})
	if err != nil {
		return nil, "", err
	}
	return out.Payload, aws.ToString(out.FunctionError), nil
}

// SignedGet implements Cloud.
func (a *AWS) SignedGet(ctx context.Context, region, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	creds, err := a.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, err
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(empty[:]), "execute-api", region, time.Now()); err != nil {
		return 0, err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// LogGroups implements Cloud.
func (a *AWS) LogGroups(ctx context.Context, region, prefix string) ([]string, error) {
	var names []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(cloudwatchlogs.NewFromConfig(a.in(region)),
		&cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
	}
	return names, nil
}

// Parameters implements Cloud.
func (a *AWS) Parameters(ctx context.Context, region, path string) ([]string, error) {
	var names []string
	p := ssm.NewGetParametersByPathPaginator(ssm.NewFromConfig(a.in(region)),
		&ssm.GetParametersByPathInput{Path: aws.String(path), Recursive: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, prm := range page.Parameters {
			names = append(names, aws.ToString(prm.Name))
		}
	}
	return names, nil
}

// CloudWatchRoleArn implements Cloud.
func (a *AWS) CloudWatchRoleArn(ctx context.Context, region string) (string, error) {
	out, err := apigateway.NewFromConfig(a.in(region)).GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.CloudwatchRoleArn), nil
}

// PeeringConnection implements Cloud.
func (a *AWS) PeeringConnection(ctx context.Context, region, id string) (string, string, error) {
	out, err := ec2.NewFromConfig(a.in(region)).DescribeVpcPeeringConnections(ctx, &ec2.DescribeVpcPeeringConnectionsInput{
		VpcPeeringConnectionIds: []string{id},
	})
	if err != nil {
		return "", "", fmt.Errorf("describing peering connection %s in %s: %w", id, region, err)
	}
	if len(out.VpcPeeringConnections) != 1 {
		return "", "", fmt.Errorf("peering connection %s in %s: %d found", id, region, len(out.VpcPeeringConnections))
	}
	pc := out.VpcPeeringConnections[0]
	var accepter, status string
	if pc.AccepterVpcInfo != nil {
		accepter = aws.ToString(pc.AccepterVpcInfo.VpcId)
	}
	if pc.Status != nil {
		status = string(pc.Status.Code)
	}
	return accepter, status, nil
}

// VpcExists implements Cloud.
func (a *AWS) VpcExists(ctx context.Context, region, id string) (bool, error) {
	_, err := ec2.NewFromConfig(a.in(region)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidVpcID.NotFound" {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describing VPC %s in %s: %w", id, region, err)
	}
	return true, nil
}

// AlarmState implements Cloud.
func (a *AWS) AlarmState(ctx context.Context, region, name string) (string, bool, error) {
	out, err := cloudwatch.NewFromConfig(a.in(region)).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: []string{name},
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	if err != nil {
		return "", false, fmt.Errorf("describing alarm %s in %s: %w", name, region, err)
	}
	for _, m := range out.MetricAlarms {
		if aws.ToString(m.AlarmName) == name {
			return string(m.StateValue), true, nil
		}
	}
	for _, m := range out.CompositeAlarms {
		if aws.ToString(m.AlarmName) == name {
			return string(m.StateValue), true, nil
		}
	}
	return "", false, nil
}

// ProbeData implements Cloud: Success and Latency (average) and Failure
// (sum) for each FailureKind that ListMetrics knows, a datapoint a minute,
// in one GetMetricData.
func (a *AWS) ProbeData(ctx context.Context, region string, key ProbeKey, start, end time.Time) (ProbeData, error) {
	cw := cloudwatch.NewFromConfig(a.in(region))
	dims := []cwtypes.Dimension{
		{Name: aws.String(probe.DimensionApp), Value: aws.String(key.App)},
		{Name: aws.String(probe.DimensionClientRegion), Value: aws.String(key.ClientRegion)},
		{Name: aws.String(probe.DimensionClientAccount), Value: aws.String(key.ClientAccount)},
	}
	if key.ApiRegion != "" {
		dims = append(dims, cwtypes.Dimension{Name: aws.String(probe.DimensionAPIRegion), Value: aws.String(key.ApiRegion)})
	}
	var filters []cwtypes.DimensionFilter
	for _, d := range dims {
		filters = append(filters, cwtypes.DimensionFilter{Name: d.Name, Value: d.Value})
	}
	var kinds []string
	lp := cloudwatch.NewListMetricsPaginator(cw, &cloudwatch.ListMetricsInput{
		Namespace: aws.String(probe.Namespace), MetricName: aws.String(probe.MetricFailure), Dimensions: filters,
	})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return ProbeData{}, fmt.Errorf("listing the probe's %s metrics in %s: %w", probe.MetricFailure, region, err)
		}
		for _, m := range page.Metrics {
			for _, d := range m.Dimensions {
				if aws.ToString(d.Name) == probe.DimensionFailureKind && !slices.Contains(kinds, aws.ToString(d.Value)) {
					kinds = append(kinds, aws.ToString(d.Value))
				}
			}
		}
	}
	query := func(id, metric, stat string, dims []cwtypes.Dimension) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(probe.Namespace), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(60), Stat: aws.String(stat),
		}}
	}
	queries := []cwtypes.MetricDataQuery{
		query("success", probe.MetricSuccess, "Average", dims),
		query("latency", probe.MetricLatency, "Average", dims),
	}
	for i, k := range kinds {
		kindDims := append(slices.Clone(dims), cwtypes.Dimension{Name: aws.String(probe.DimensionFailureKind), Value: aws.String(k)})
		queries = append(queries, query(fmt.Sprintf("failure%d", i), probe.MetricFailure, "Sum", kindDims))
	}
	d := ProbeData{Failures: map[string][]Point{}}
	gp := cloudwatch.NewGetMetricDataPaginator(cw, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(end), MetricDataQueries: queries,
	})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return ProbeData{}, fmt.Errorf("reading the probe's metrics in %s: %w", region, err)
		}
		for _, res := range page.MetricDataResults {
			var pts []Point
			for i := range min(len(res.Timestamps), len(res.Values)) {
				pts = append(pts, Point{Time: res.Timestamps[i], Value: res.Values[i]})
			}
			switch id := aws.ToString(res.Id); id {
			case "success":
				d.Success = append(d.Success, pts...)
			case "latency":
				d.Latency = append(d.Latency, pts...)
			default:
				var i int
				if _, err := fmt.Sscanf(id, "failure%d", &i); err == nil && i < len(kinds) && len(pts) > 0 {
					d.Failures[kinds[i]] = append(d.Failures[kinds[i]], pts...)
				}
			}
		}
	}
	return d, nil
}

// ReturnRoutes implements Cloud.
func (a *AWS) ReturnRoutes(ctx context.Context, region, vpc, cidr string) ([]Route, error) {
	var routes []Route
	p := ec2.NewDescribeRouteTablesPaginator(ec2.NewFromConfig(a.in(region)), &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}},
		{Name: aws.String("route.destination-cidr-block"), Values: []string{cidr}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing the route tables of %s in %s: %w", vpc, region, err)
		}
		for _, t := range page.RouteTables {
			for _, r := range t.Routes {
				if aws.ToString(r.DestinationCidrBlock) != cidr {
					continue
				}
				if r.VpcPeeringConnectionId == nil {
					return nil, fmt.Errorf("the route to %s in %s does not go through a VPC peering connection", cidr, aws.ToString(t.RouteTableId))
				}
				routes = append(routes, Route{RouteTableID: aws.ToString(t.RouteTableId), DestinationCidr: cidr, PeeringConnectionID: aws.ToString(r.VpcPeeringConnectionId)})
			}
		}
	}
	return routes, nil
}

// DeleteRoute implements Cloud.
func (a *AWS) DeleteRoute(ctx context.Context, region string, r Route) error {
	_, err := ec2.NewFromConfig(a.in(region)).DeleteRoute(ctx, &ec2.DeleteRouteInput{
		RouteTableId: aws.String(r.RouteTableID), DestinationCidrBlock: aws.String(r.DestinationCidr),
	})
	return err
}

// CreateRoute implements Cloud.
func (a *AWS) CreateRoute(ctx context.Context, region string, r Route) error {
	_, err := ec2.NewFromConfig(a.in(region)).CreateRoute(ctx, &ec2.CreateRouteInput{
		RouteTableId: aws.String(r.RouteTableID), DestinationCidrBlock: aws.String(r.DestinationCidr),
		VpcPeeringConnectionId: aws.String(r.PeeringConnectionID),
	})
	return err
}

// VpcEndpoint implements Cloud. EC2 spells an endpoint's state in camel
// case ("available", "pendingAcceptance"), not as the SDK's State constants
// ("Available"): aws/aws-sdk-go-v2#2496 and #2864, and the PrivateLink
// guide's describe-vpc-endpoint-connections example
// (docs.aws.amazon.com/vpc/latest/privatelink/accept-reject-endpoint-requests.html).
// So the state is passed on as EC2 says it and compared without regard to
// case. A deleted endpoint stays visible for a while in state "deleted";
// it counts as gone, as hashicorp/terraform-provider-aws
// (internal/service/ec2, findVPCEndpointByID) counts it, and so does the
// error InvalidVpcEndpointId.NotFound.
func (a *AWS) VpcEndpoint(ctx context.Context, region, id string) (Endpoint, bool, error) {
	out, err := ec2.NewFromConfig(a.in(region)).DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidVpcEndpointId.NotFound" {
		return Endpoint{}, false, nil
	}
	if err != nil {
		return Endpoint{}, false, fmt.Errorf("describing VPC endpoint %s in %s: %w", id, region, err)
	}
	for _, e := range out.VpcEndpoints {
		if aws.ToString(e.VpcEndpointId) != id || strings.EqualFold(string(e.State), "deleted") {
			continue
		}
		return Endpoint{ServiceName: aws.ToString(e.ServiceName), ServiceRegion: aws.ToString(e.ServiceRegion), State: string(e.State)}, true, nil
	}
	return Endpoint{}, false, nil
}

// EndpointService implements Cloud: DescribeVpcEndpointServiceConfigurations
// with its service-name filter, which lists this account's own services
// with their NetworkLoadBalancerArns. A service in state Deleted counts as
// gone, as hashicorp/terraform-provider-aws (internal/service/ec2,
// findVPCEndpointServiceConfigurationByID) counts it, and so does the
// error InvalidVpcEndpointServiceId.NotFound.
func (a *AWS) EndpointService(ctx context.Context, region, name string) (EndpointService, bool, error) {
	p := ec2.NewDescribeVpcEndpointServiceConfigurationsPaginator(ec2.NewFromConfig(a.in(region)), &ec2.DescribeVpcEndpointServiceConfigurationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("service-name"), Values: []string{name}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidVpcEndpointServiceId.NotFound" {
			return EndpointService{}, false, nil
		}
		if err != nil {
			return EndpointService{}, false, fmt.Errorf("describing endpoint service %s in %s: %w", name, region, err)
		}
		for _, sc := range page.ServiceConfigurations {
			if aws.ToString(sc.ServiceName) != name || strings.EqualFold(string(sc.ServiceState), string(ec2types.ServiceStateDeleted)) {
				continue
			}
			return EndpointService{ID: aws.ToString(sc.ServiceId), State: string(sc.ServiceState), LoadBalancers: sc.NetworkLoadBalancerArns}, true, nil
		}
	}
	return EndpointService{}, false, nil
}

// LoadBalancerVpc implements Cloud: Elastic Load Balancing's
// DescribeLoadBalancers, which answers LoadBalancerNotFound for a load
// balancer that does not exist (Elastic Load Balancing API Reference,
// DescribeLoadBalancers, Errors).
func (a *AWS) LoadBalancerVpc(ctx context.Context, region, arn string) (string, bool, error) {
	out, err := elbv2.NewFromConfig(a.in(region)).DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	var missing *elbv2types.LoadBalancerNotFoundException
	if errors.As(err, &missing) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("describing load balancer %s in %s: %w", arn, region, err)
	}
	for _, lb := range out.LoadBalancers {
		if aws.ToString(lb.LoadBalancerArn) == arn {
			return aws.ToString(lb.VpcId), true, nil
		}
	}
	return "", false, nil
}

// EndpointConnections implements Cloud: EC2's
// DescribeVpcEndpointConnections filtered by service-id, paginated, as the
// service's owner sees them. The state is passed on as EC2 spells it
// ("available" in the PrivateLink guide's describe-vpc-endpoint-connections
// example, docs.aws.amazon.com/vpc/latest/privatelink/accept-reject-endpoint-requests.html;
// the SDK's constants say "Available"), for comparison without regard to
// case.
func (a *AWS) EndpointConnections(ctx context.Context, region, serviceID string) (map[string]string, error) {
	conns := map[string]string{}
	p := ec2.NewDescribeVpcEndpointConnectionsPaginator(ec2.NewFromConfig(a.in(region)), &ec2.DescribeVpcEndpointConnectionsInput{
		Filters: []ec2types.Filter{{Name: aws.String("service-id"), Values: []string{serviceID}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing the connections of endpoint service %s in %s: %w", serviceID, region, err)
		}
		for _, conn := range page.VpcEndpointConnections {
			if aws.ToString(conn.ServiceId) == serviceID {
				conns[aws.ToString(conn.VpcEndpointId)] = string(conn.VpcEndpointState)
			}
		}
	}
	return conns, nil
}
