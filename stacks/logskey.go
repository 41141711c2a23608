package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/internal/kmsgrants"
)

// logsKeyPendingDays is how long KMS waits before it deletes the key of a
// deleted stack; the key can be restored until then (7 is KMS's minimum).
const logsKeyPendingDays = 7

// newLogsKey is the customer-managed key that encrypts every log group of
// stack: rotated yearly, usable by CloudWatch Logs of the stack's Region for
// this account's log groups only, and scheduled for deletion with the stack.
// logsKeyID is the key's id in its stack.
const logsKeyID = "LogsKey"

func newLogsKey(stack awscdk.Stack) awskms.Key {
	key := awskms.NewKey(stack, jsii.String(logsKeyID), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the CloudWatch Logs log groups of stack " + *stack.StackName()),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(logsKeyPendingDays)),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchLogsOfThisRegionForThisAccountsLogGroups"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*stack.Region()+"."+*stack.UrlSuffix()), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"ArnLike": map[string]any{
				"kms:EncryptionContext:aws:logs:arn": stack.FormatArn(&awscdk.ArnComponents{
					Service:      jsii.String("logs"),
					Resource:     jsii.String("log-group"),
					ResourceName: jsii.String("*"),
					ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
				}),
			},
		},
	}), jsii.Bool(false))
	key.AddToResourcePolicy(kmsgrants.OnlyForAwsServices(), jsii.Bool(false))
	return key
}
