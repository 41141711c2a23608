package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// AWS is Cloud over the AWS SDK, with credentials from its default chain.
type AWS struct {
	cfg  aws.Config
	http *http.Client
}

// NewAWS loads the SDK's default configuration. It does not call AWS: a
// missing credential shows in Account.
func NewAWS(ctx context.Context) (*AWS, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	return &AWS{cfg: cfg, http: &http.Client{Timeout: 30 * time.Second}}, nil
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
