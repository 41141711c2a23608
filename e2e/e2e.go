// Package e2e proves a copy of the app in a real account, start to finish:
// it deploys a copy under a name of its own, invokes the client function,
// checks that the API refuses a call that does not come through its
// endpoint, deploys again with a new apiVpcCidr (which replaces the API's
// VPC and endpoint) and proves every client again, destroys everything
// (also when a step failed) and checks that nothing of the run is left. The steps talk to AWS and to the CDK CLI
// through two small interfaces, so their logic is tested offline with fakes;
// only `make e2e` runs them against an account.
package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"crossregionapi/config"
	"crossregionapi/functions/apiclient/handler"
	"crossregionapi/internal/demo"
)

// Cloud is what the run needs from AWS.
type Cloud interface {
	// Account is the account of the credentials in use; an error means
	// there are none that work.
	Account(ctx context.Context) (string, error)
	// BootstrapVersion is the version of `cdk bootstrap` in region, or ""
	// when the Region is not bootstrapped.
	BootstrapVersion(ctx context.Context, region string) (string, error)
	// StackOutputs returns the outputs of a stack; exists is false when
	// there is no such stack.
	StackOutputs(ctx context.Context, region, stack string) (outputs map[string]string, exists bool, err error)
	// Invoke invokes a function with an empty event and returns its
	// payload, and its error ("" on success).
	Invoke(ctx context.Context, region, function string) (payload []byte, functionError string, err error)
	// SignedGet sends a GET signed for execute-api in region from this
	// machine, outside any VPC, and returns the HTTP status.
	SignedGet(ctx context.Context, region, url string) (int, error)
	// LogGroups lists the log groups of region whose names begin with
	// prefix.
	LogGroups(ctx context.Context, region, prefix string) ([]string, error)
	// Parameters lists the SSM parameters of region under path.
	Parameters(ctx context.Context, region, path string) ([]string, error)
	// CloudWatchRoleArn is API Gateway's account setting in region: the
	// role execution logs are written with, or "".
	CloudWatchRoleArn(ctx context.Context, region string) (string, error)
	// PeeringConnection returns the accepter VPC of a VPC peering
	// connection of region, and its status ("active" once accepted).
	PeeringConnection(ctx context.Context, region, id string) (accepterVpc, status string, err error)
	// VpcExists reports whether a VPC of region exists.
	VpcExists(ctx context.Context, region, id string) (bool, error)
}

// CDK deploys and destroys the app with the given context (-c values).
type CDK interface {
	Deploy(ctx context.Context, context map[string]string) error
	Destroy(ctx context.Context, context map[string]string) error
}

// Plan is one run: the copy's configuration and its -c values, and the
// apiVpcCidr of the update that follows the first deploy.
type Plan struct {
	Config         config.Config
	Context        map[string]string
	NextApiVpcCidr string
}

// NewPlan names a copy of base that cannot collide with an existing one:
// appName "E2e" and a random suffix, which no copy deployed by hand uses.
func NewPlan(base config.Config) (Plan, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Plan{}, err
	}
	cfg := base
	cfg.AppName = fmt.Sprintf("E2e%x", b)
	if len(cfg.ClientAccounts()) > 0 {
		return Plan{}, fmt.Errorf("clients in other accounts (%s): the end-to-end run deploys into the account of its credentials only", strings.Join(cfg.ClientAccounts(), ", "))
	}
	cfg.Account = ""
	for i := range cfg.Clients {
		cfg.Clients[i].Account = ""
	}
	if err := cfg.Validate(); err != nil {
		return Plan{}, fmt.Errorf("the end-to-end copy's configuration is invalid: %w", err)
	}
	next, err := nextApiVpcCidr(cfg)
	if err != nil {
		return Plan{}, err
	}
	ctx := map[string]string{
		"appName":    cfg.AppName,
		"apiRegion":  cfg.ApiRegion,
		"apiVpcCidr": cfg.ApiVpcCidr,
		"stageName":  cfg.StageName,
	}
	if cfg.Clients != nil {
		var list []map[string]string
		for _, cl := range cfg.Clients {
			list = append(list, map[string]string{"region": cl.Region, "cidr": cl.Cidr})
		}
		raw, err := json.Marshal(list)
		if err != nil {
			return Plan{}, err
		}
		ctx["clients"] = string(raw)
	} else {
		ctx["clientRegion"], ctx["clientVpcCidr"] = cfg.ClientRegion, cfg.ClientVpcCidr
	}
	return Plan{Config: cfg, Context: ctx, NextApiVpcCidr: next}, nil
}

// nextApiVpcCidr is a range for the API's VPC, other than its own, that
// the configuration accepts with every client: the update's new apiVpcCidr.
func nextApiVpcCidr(cfg config.Config) (string, error) {
	for i := 200; i < 250; i++ {
		next := cfg
		next.ApiVpcCidr = fmt.Sprintf("10.%d.0.0/16", i)
		if next.ApiVpcCidr != cfg.ApiVpcCidr && next.Validate() == nil {
			return next.ApiVpcCidr, nil
		}
	}
	return "", fmt.Errorf("no range 10.200.0.0/16 to 10.249.0.0/16 fits beside the clients' for the update's apiVpcCidr")
}

// ClientsFor is a `clients` value with one client in each of regions, each
// with a range of its own (10.101.0.0/16, 10.102.0.0/16, ...), for a run that
// proves several spokes.
func ClientsFor(regions []string) string {
	var list []map[string]string
	for i, r := range regions {
		list = append(list, map[string]string{"region": r, "cidr": fmt.Sprintf("10.%d.0.0/16", 101+i)})
	}
	raw, _ := json.Marshal(list)
	return string(raw)
}

// stack is one stack of the copy and its Region.
type stack struct{ name, region string }

func (p Plan) stacks() []stack {
	c := p.Config
	out := []stack{{c.StackName(config.RoleApi), c.ApiRegion}}
	for _, cl := range c.ClientList() {
		out = append(out, stack{c.ClientStackName(config.RoleClient, cl), cl.Region},
			stack{c.ClientStackName(config.RolePeeringRoute, cl), c.ApiRegion})
	}
	return out
}

// Run carries out the plan and prints each step with its duration to out.
// Once it has started to deploy, it destroys the copy whatever happens, and
// then checks that nothing of it remains.
func Run(ctx context.Context, p Plan, cloud Cloud, cdk CDK, out io.Writer) (err error) {
	r := &runner{out: out}
	c := p.Config
	var account string
	if err := r.step("credentials", func() (e error) {
		account, e = cloud.Account(ctx)
		if e != nil {
			return fmt.Errorf("no usable AWS credentials (%v); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for one account and run again", e)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := r.step("every Region bootstrapped", func() error {
		for _, region := range regions(c) {
			v, err := cloud.BootstrapVersion(ctx, region)
			if err != nil {
				return err
			}
			if v == "" {
				return fmt.Errorf("%s is not bootstrapped: run npx cdk bootstrap aws://%s/%s", region, account, region)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := r.step("no stack of this name exists", func() error {
		for _, s := range p.stacks() {
			_, exists, err := cloud.StackOutputs(ctx, s.region, s.name)
			if err != nil {
				return err
			}
			if exists {
				return fmt.Errorf("stack %s already exists in %s; the run never touches a copy it did not create", s.name, s.region)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := r.step("API Gateway's CloudWatch role", func() error {
		arn, err := cloud.CloudWatchRoleArn(ctx, c.ApiRegion)
		if err != nil {
			return err
		}
		if arn != "" {
			p.Context["apiGatewayCloudWatchRole"] = config.CloudWatchRoleExisting
			fmt.Fprintf(out, "    the account has one (%s): apiGatewayCloudWatchRole=existing\n", arn)
		} else {
			p.Context["apiGatewayCloudWatchRole"] = config.CloudWatchRoleCreate
			fmt.Fprintf(out, "    the account has none: the copy creates one and keeps it (apiGatewayCloudWatchRole=create)\n")
		}
		return nil
	}); err != nil {
		return err
	}

	var seen inventory
	defer func() {
		destroyErr := r.step("destroy", func() error { return cdk.Destroy(ctx, p.Context) })
		var left []string
		leftErr := r.step("nothing left", func() (e error) {
			left, e = leftovers(ctx, cloud, p, seen)
			if e != nil {
				return e
			}
			if len(left) > 0 {
				return fmt.Errorf("left behind: %s", strings.Join(left, ", "))
			}
			return nil
		})
		if p.Context["apiGatewayCloudWatchRole"] == config.CloudWatchRoleCreate {
			if arn, e := cloud.CloudWatchRoleArn(ctx, c.ApiRegion); e == nil && arn != "" {
				fmt.Fprintf(out, "    kept by design: API Gateway's CloudWatch role %s, which the Region's setting points at (see the README)\n", arn)
			}
		}
		err = errors.Join(err, destroyErr, leftErr)
	}()

	if err := r.step("deploy", func() error { return cdk.Deploy(ctx, p.Context) }); err != nil {
		return err
	}
	first, err := r.prove(ctx, p, cloud, &seen, "")
	if err != nil {
		return err
	}
	if err := r.step("a call from outside the endpoint is refused", func() error {
		url := strings.TrimSuffix(first.apiURL, "/") + "/" + demo.ResourcePath
		status, err := cloud.SignedGet(ctx, c.ApiRegion, url)
		if err != nil {
			// No answer at all (no such host from outside) is a refusal too.
			fmt.Fprintf(out, "    no answer from outside: %v\n", err)
			return nil
		}
		if status != 403 {
			return fmt.Errorf("GET %s from outside the VPCs answered %d, want 403", url, status)
		}
		fmt.Fprintf(out, "    GET %s from outside the VPCs: 403\n", url)
		return nil
	}); err != nil {
		return err
	}

	// An update that replaces the API's VPC and endpoint: one deploy must
	// carry the new VPC and endpoint to every client and return route.
	update := fmt.Sprintf("update: apiVpcCidr %s -> %s", c.ApiVpcCidr, p.NextApiVpcCidr)
	if err := r.step(update, func() error {
		p.Context["apiVpcCidr"] = p.NextApiVpcCidr
		return cdk.Deploy(ctx, p.Context)
	}); err != nil {
		return err
	}
	second, err := r.prove(ctx, p, cloud, &seen, " after the update")
	if err != nil {
		return err
	}
	if second.vpcID == first.vpcID {
		return fmt.Errorf("the update kept the API's VPC %s: a new apiVpcCidr must replace it", first.vpcID)
	}
	for _, cl := range c.ClientList() {
		if err := r.step("the client in "+cl.Region+" peers with the new API VPC", func() error {
			id := second.peerings[cl.Region]
			accepter, status, err := cloud.PeeringConnection(ctx, cl.Region, id)
			if err != nil {
				return err
			}
			if accepter != second.vpcID || status != "active" {
				return fmt.Errorf("peering connection %s: accepter VPC %s (%s), want %s (active); the old API VPC was %s", id, accepter, status, second.vpcID, first.vpcID)
			}
			fmt.Fprintf(out, "    %s: %s, %s (was %s)\n", id, accepter, status, first.peerings[cl.Region])
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// inventory is what of the copy the run has met, for the leftovers check.
type inventory struct {
	apiIDs, vpcIDs []string
}

// deployed is what one deploy gave: the API's id, URL and VPC, and each
// client's function and peering connection, by client Region.
type deployed struct {
	apiURL, vpcID       string
	functions, peerings map[string]string
}

// prove reads the stacks' outputs and invokes every client, which must
// reach the API in its Region.
func (r *runner) prove(ctx context.Context, p Plan, cloud Cloud, s *inventory, phase string) (deployed, error) {
	c := p.Config
	d := deployed{functions: map[string]string{}, peerings: map[string]string{}}
	if err := r.step("read outputs"+phase, func() error {
		apiOut, _, err := cloud.StackOutputs(ctx, c.ApiRegion, c.StackName(config.RoleApi))
		if err != nil {
			return err
		}
		apiID := apiOut["ApiId"]
		d.apiURL, d.vpcID = apiOut["ApiUrl"], apiOut["VpcId"]
		if apiID == "" || d.apiURL == "" || d.vpcID == "" {
			return fmt.Errorf("outputs ApiId, ApiUrl and VpcId of %s: %q, %q, %q", c.StackName(config.RoleApi), apiID, d.apiURL, d.vpcID)
		}
		s.apiIDs = appendNew(s.apiIDs, apiID)
		s.vpcIDs = appendNew(s.vpcIDs, d.vpcID)
		for _, cl := range c.ClientList() {
			name := c.ClientStackName(config.RoleClient, cl)
			clientOut, _, err := cloud.StackOutputs(ctx, cl.Region, name)
			if err != nil {
				return err
			}
			if clientOut["FunctionName"] == "" || clientOut["PeeringConnectionId"] == "" {
				return fmt.Errorf("outputs FunctionName and PeeringConnectionId of %s: %q, %q", name, clientOut["FunctionName"], clientOut["PeeringConnectionId"])
			}
			d.functions[cl.Region], d.peerings[cl.Region] = clientOut["FunctionName"], clientOut["PeeringConnectionId"]
		}
		return nil
	}); err != nil {
		return d, err
	}
	for _, cl := range c.ClientList() {
		if err := r.step("invoke the client in "+cl.Region+phase, func() error {
			res, err := InvokeClient(ctx, cloud, cl.Region, d.functions[cl.Region])
			if err != nil {
				return err
			}
			fmt.Fprintf(r.out, "    %s\n", res.Summary())
			return res.Check(c.ApiRegion)
		}); err != nil {
			return d, err
		}
	}
	return d, nil
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// leftovers lists what of the copy still exists: stacks, log groups and SSM
// parameters under its names, in every Region, and the API VPCs it had
// (the one the update replaced included).
func leftovers(ctx context.Context, cloud Cloud, p Plan, s inventory) ([]string, error) {
	c := p.Config
	var left []string
	for _, s := range p.stacks() {
		_, exists, err := cloud.StackOutputs(ctx, s.region, s.name)
		if err != nil {
			return nil, err
		}
		if exists {
			left = append(left, "stack "+s.name+" ("+s.region+")")
		}
	}
	for _, id := range s.vpcIDs {
		exists, err := cloud.VpcExists(ctx, c.ApiRegion, id)
		if err != nil {
			return nil, err
		}
		if exists {
			left = append(left, "vpc "+id+" ("+c.ApiRegion+")")
		}
	}
	prefixes := []string{c.AppName + "-", "/aws/lambda/" + c.AppName + "-"}
	for _, id := range s.apiIDs {
		prefixes = append(prefixes, "API-Gateway-Execution-Logs_"+id+"/")
	}
	for _, region := range regions(c) {
		for _, prefix := range prefixes {
			groups, err := cloud.LogGroups(ctx, region, prefix)
			if err != nil {
				return nil, err
			}
			for _, g := range groups {
				left = append(left, "log group "+g+" ("+region+")")
			}
		}
		params, err := cloud.Parameters(ctx, region, c.SSMPrefix())
		if err != nil {
			return nil, err
		}
		for _, name := range params {
			left = append(left, "parameter "+name+" ("+region+")")
		}
	}
	slices.Sort(left)
	return left, nil
}

// regions are the API's Region and every client's, once each.
func regions(c config.Config) []string {
	out := []string{c.ApiRegion}
	for _, cl := range c.ClientList() {
		if !slices.Contains(out, cl.Region) {
			out = append(out, cl.Region)
		}
	}
	return out
}

// Result is what the client function answered: its result, or Lambda's
// report of its error.
type Result struct {
	handler.Result
	FunctionError string `json:"-"`
	ErrorMessage  string `json:"errorMessage"`
}

// InvokeClient invokes the client function and decodes its answer.
func InvokeClient(ctx context.Context, cloud Cloud, region, function string) (Result, error) {
	payload, fnErr, err := cloud.Invoke(ctx, region, function)
	if err != nil {
		return Result{}, fmt.Errorf("invoking %s in %s: %w", function, region, err)
	}
	var res Result
	if err := json.Unmarshal(payload, &res); err != nil {
		return Result{}, fmt.Errorf("%s answered %q, not JSON: %w", function, payload, err)
	}
	res.FunctionError = fnErr
	return res, nil
}

// Summary is one line for people.
func (r Result) Summary() string {
	if r.FunctionError != "" {
		return fmt.Sprintf("the function failed (%s): %s", r.FunctionError, r.ErrorMessage)
	}
	return fmt.Sprintf("HTTP %d after %d attempt(s), %d ms, from %s: %s", r.StatusCode, r.Attempts, r.LatencyMs, r.URL, r.Body)
}

// Check reports whether the call reached the API in apiRegion.
func (r Result) Check(apiRegion string) error {
	if r.FunctionError != "" {
		return fmt.Errorf("the client function failed: %s", r.ErrorMessage)
	}
	if r.StatusCode != 200 {
		return fmt.Errorf("the API answered %d, want 200: %s", r.StatusCode, r.Body)
	}
	var body struct {
		Region string `json:"region"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Region != apiRegion {
		return fmt.Errorf("the API's answer %s does not name its Region %s", r.Body, apiRegion)
	}
	return nil
}

// runner prints the steps.
type runner struct {
	out io.Writer
	now func() time.Time
}

func (r *runner) step(name string, f func() error) error {
	now := r.now
	if now == nil {
		now = time.Now
	}
	fmt.Fprintf(r.out, "==> %s\n", name)
	start := now()
	err := f()
	d := now().Sub(start).Round(100 * time.Millisecond)
	if err != nil {
		fmt.Fprintf(r.out, "FAIL %s (%s): %v\n", name, d, err)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(r.out, "ok   %s (%s)\n", name, d)
	return nil
}
