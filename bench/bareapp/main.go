// Command bareapp is the baseline of the synthesis benchmark: the smallest
// CDK Go app worth synthesizing, one stack with one resource, run through
// the same CLI and cdk.json as the real app.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("BareApp"), nil)
	awsssm.NewStringParameter(stack, jsii.String("Parameter"), &awsssm.StringParameterProps{
		StringValue: jsii.String("bare"),
	})
	app.Synth(nil)
}
