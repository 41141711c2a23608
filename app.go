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
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"crossregionapi/config"
	"crossregionapi/internal/cdkcontext"
	"crossregionapi/stacks"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// usage is printed for arguments the app does not take.
const usage = `usage: npx cdk synth [-c key=value ...]   (or deploy, diff, destroy)
   or: go run . [-c key=value ...]         (synthesizes into cdk.out with cdk.json applied)`

// run synthesizes the app and returns the process exit status. It exists
// apart from main so that deferred cleanup runs before the process exits.
//
// Run by the CDK CLI (CDK_OUTDIR is set), the app gets its context and
// output directory from the CLI, which passes no arguments. Run on its own
// (go run .), it applies cdk.json, cdk.context.json and ~/.cdk.json as the CLI
// would, takes -c key=value like the CLI, and writes cdk.out, so that what it
// checks and writes is what `npx cdk synth` would.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	defer jsii.Close()
	props := &awscdk.AppProps{
		// CDK's built-in CloudFormation validation runs in the tests, which
		// synthesize the same stacks with it on and fail on any finding;
		// here it would add about 1.7 s of CPU to every `cdk synth` for no
		// new answer.
		BuiltinCloudFormationValidation: jsii.Bool(false),
	}
	underCLI := getenv("CDK_OUTDIR") != ""
	if underCLI && len(args) > 0 {
		fmt.Fprintf(stderr, "unexpected arguments %q: the CDK CLI passes its -c values in the environment\n%s\n", args, usage)
		return 2
	}
	if !underCLI {
		context, ignored, err := standaloneContext(args)
		for _, w := range ignored {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%v\n%s\n", err, usage)
			return 2
		}
		props.Context = &context
		props.Outdir = jsii.String("cdk.out")
	}
	app := awscdk.NewApp(props)
	files := contextFiles()
	cfg, warnings, err := loadConfig(app, files.Sources, nullKeys(files.Merged))
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
	if !underCLI {
		fmt.Fprintf(stderr, "not run by the CDK CLI: applied cdk.json, cdk.context.json, ~/.cdk.json and the -c values, and wrote cdk.out; deploy with npx cdk deploy --all\n")
	}
	return 0
}

// standaloneContext is the context the CDK CLI would give the app: its
// files merged, the context it derives from its settings, then the -c
// values of args. It also returns the CLI's
// warnings for -c values it ignores, which the CLI would have printed.
func standaloneContext(args []string) (map[string]any, []string, error) {
	overrides, ignored, err := cdkcontext.ParseContextArgs(args)
	if err != nil {
		return nil, nil, err
	}
	home, _ := os.UserHomeDir()
	files, err := cdkcontext.Read(".", home)
	if err != nil {
		return nil, ignored, err
	}
	settings, err := cdkcontext.SettingsContext(".", home)
	if err != nil {
		return nil, ignored, err
	}
	for k, v := range settings {
		files.Merged[k] = v
	}
	for k, v := range overrides {
		files.Merged[k] = v
	}
	return files.Merged, ignored, nil
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

// loadConfig reads the configuration from all of the app's context. nulls
// are the keys a context file sets to null: CDK drops a key whose value is
// null from the app's context (whether the CLI or the app itself passed it),
// which would make `"transport": null` quietly mean the default; given back
// as null, the configuration refuses it as it refuses any key without a
// value. A key the app's context does have (a -c value over the file's
// null) is left alone.
func loadConfig(app awscdk.App, src config.Sources, nulls []string) (config.Config, []string, error) {
	ctx, _ := plainJSON(app.Node().GetAllContext(nil)).(map[string]any)
	if ctx == nil {
		ctx = map[string]any{}
	}
	for _, k := range nulls {
		if _, set := ctx[k]; !set {
			ctx[k] = nil
		}
	}
	return config.FromContext(ctx, src)
}

// nullKeys are the keys of merged context whose value is null.
func nullKeys(merged map[string]any) []string {
	var out []string
	for k, v := range merged {
		if v == nil {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// plainJSON undoes how jsii hands over JSON objects nested in context
// values ({"$jsii.map": {...}}), so that the configuration sees the JSON the
// user wrote.
func plainJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if inner, ok := x["$jsii.map"]; ok && len(x) == 1 {
			return plainJSON(inner)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainJSON(e)
		}
		return out
	}
	return v
}

// contextFiles reads the context files the CDK CLI merges, to tell the
// project's keys from those of files it does not own, and to see keys set
// to null. Files that cannot be read contribute nothing: the CLI itself
// reports a broken cdk.json.
func contextFiles() cdkcontext.Files {
	home, _ := os.UserHomeDir()
	files, err := cdkcontext.Read(".", home)
	if err != nil {
		return cdkcontext.Files{}
	}
	return files
}
