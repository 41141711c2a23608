// Package kmsgrants holds the key-policy statement every customer-managed
// key of the app carries, so the log keys and the probe topics' keys cannot
// drift apart on it.
package kmsgrants

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// OnlyForAwsServices denies kms:CreateGrant unless the grant is for an AWS
// service acting on an AWS resource (AWS Control Tower's CT.KMS.PR.3):
// nobody can hand the key on.
func OnlyForAwsServices() awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("GrantsOnlyForAwsServices"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"BoolIfExists": map[string]any{"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"},
		},
	})
}
