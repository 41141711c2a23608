// Command crossregionapi is the CDK app: a private REST API in one Region
// and a Lambda client in another that reaches it over VPC peering.
//
// This is the only place that reads CDK context; everything below receives
// one validated config.Config through typed props.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"crossregionapi/config"
	"crossregionapi/internal/cdkcontext"
	"crossregionapi/stacks"
)

func main() {
	os.Exit(run(os.Stderr))
}

// run synthesizes the app and returns the process exit status. It exists
// apart from main so that deferred cleanup runs before the process exits.
func run(stderr io.Writer) int {
	defer jsii.Close()
	// CDK's built-in CloudFormation validation runs in the tests, which
	// synthesize the same stacks with it on and fail on any finding; here it
	// would add about 1.7 s of CPU to every `cdk synth` for no new answer.
	app := awscdk.NewApp(&awscdk.AppProps{BuiltinCloudFormationValidation: jsii.Bool(false)})
	cfg, warnings, err := loadConfig(app, contextSources())
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			fmt.Fprintf(stderr, "invalid configuration (cdk.json \"context\" or -c key=value), nothing was synthesized:\n%v\n", err)
		} else {
			fmt.Fprintf(stderr, "invalid configuration: %v\n", err)
		}
		return 1
	}
	if _, err := build(app, cfg); err != nil {
		fmt.Fprintf(stderr, "nothing was synthesized: %v\n", err)
		return 1
	}
	app.Synth(nil)
	return 0
}

// build adds the stacks to app and checks them against the AWS Solutions
// rules of cdk-nag: an unsuppressed finding is an error annotation, which
// fails `cdk synth` and the tests.
func build(app awscdk.App, cfg config.Config) (*stacks.App, error) {
	built, err := stacks.NewApp(app, &stacks.AppProps{Config: cfg, ModuleRoot: "."})
	if err != nil {
		return nil, err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return built, nil
}

// loadConfig reads the configuration from all of the app's context.
func loadConfig(app awscdk.App, src config.Sources) (config.Config, []string, error) {
	ctx, _ := app.Node().GetAllContext(nil).(map[string]any)
	return config.FromContext(ctx, src)
}

// contextSources reads the context files the CDK CLI merges, to tell the
// project's keys from those of files it does not own. Files that cannot be
// read contribute nothing: the CLI itself reports a broken cdk.json.
func contextSources() config.Sources {
	home, _ := os.UserHomeDir()
	files, err := cdkcontext.Read(".", home)
	if err != nil {
		return config.Sources{}
	}
	return files.Sources
}
