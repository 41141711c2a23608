package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/config"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // config's Region check starts the jsii runtime
	os.Exit(code)
}

// fakeCloud is an account in memory. The fake CDK below deploys into it.
type fakeCloud struct {
	noCredentials   bool
	notBootstrapped string
	stacks          map[string]map[string]string // "region/name" -> outputs
	logGroups       map[string][]string          // region -> names
	params          map[string][]string          // region -> names
	roleArn         string
	invokePayload   string
	invokeError     string
	outsideStatus   int
	vpcs            map[string]bool   // API VPC ids that exist
	peerings        map[string]string // peering connection id -> accepter VPC
	calls           []string
}

func newFakeCloud() *fakeCloud {
	return &fakeCloud{
		stacks: map[string]map[string]string{}, logGroups: map[string][]string{}, params: map[string][]string{},
		outsideStatus: 403, vpcs: map[string]bool{}, peerings: map[string]string{},
	}
}

func (f *fakeCloud) PeeringConnection(_ context.Context, region, id string) (string, string, error) {
	f.calls = append(f.calls, "PeeringConnection "+region+" "+id)
	accepter, ok := f.peerings[id]
	if !ok {
		return "", "", fmt.Errorf("InvalidVpcPeeringConnectionID.NotFound: %s", id)
	}
	return accepter, "active", nil
}

func (f *fakeCloud) VpcExists(_ context.Context, _, id string) (bool, error) { return f.vpcs[id], nil }

func (f *fakeCloud) Account(context.Context) (string, error) {
	f.calls = append(f.calls, "Account")
	if f.noCredentials {
		return "", errors.New("no EC2 IMDS role found")
	}
	return "123456789012", nil
}

func (f *fakeCloud) BootstrapVersion(_ context.Context, region string) (string, error) {
	if region == f.notBootstrapped {
		return "", nil
	}
	return "30", nil
}

func (f *fakeCloud) StackOutputs(_ context.Context, region, stack string) (map[string]string, bool, error) {
	out, ok := f.stacks[region+"/"+stack]
	return out, ok, nil
}

func (f *fakeCloud) Invoke(_ context.Context, region, function string) ([]byte, string, error) {
	f.calls = append(f.calls, "Invoke "+region+" "+function)
	return []byte(f.invokePayload), f.invokeError, nil
}

func (f *fakeCloud) SignedGet(_ context.Context, region, url string) (int, error) {
	f.calls = append(f.calls, "SignedGet "+region+" "+url)
	return f.outsideStatus, nil
}

func (f *fakeCloud) LogGroups(_ context.Context, region, prefix string) ([]string, error) {
	var out []string
	for _, g := range f.logGroups[region] {
		if strings.HasPrefix(g, prefix) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (f *fakeCloud) Parameters(_ context.Context, region, path string) ([]string, error) {
	var out []string
	for _, p := range f.params[region] {
		if strings.HasPrefix(p, path+"/") {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeCloud) CloudWatchRoleArn(context.Context, string) (string, error) { return f.roleArn, nil }

// fakeCDK deploys the copy's three stacks, its log groups and parameters
// into the fake account, and destroys them.
type fakeCDK struct {
	cloud        *fakeCloud
	deployErr    error
	updateErr    error    // the second deploy's error
	keepPeering  bool     // the update leaves the clients' peering connections alone
	keepOldVpc   bool     // the update's cleanup fails to delete the old API VPC
	destroyLeaks []string // log groups the destroy leaves
	deploys      int
	deployed     map[string]string
	destroyed    map[string]string
}

func (d *fakeCDK) Deploy(_ context.Context, c map[string]string) error {
	d.deployed = maps.Clone(c)
	d.deploys++
	app, api, client := c["appName"], c["apiRegion"], c["clientRegion"]
	f := d.cloud
	// The API's VPC id follows its range, as a replacement would.
	vpc := "vpc-" + strings.NewReplacer(".", "", "/", "").Replace(c["apiVpcCidr"])
	old := f.stacks[api+"/"+app+"-Api"]["VpcId"]
	f.vpcs[vpc] = true
	if old != "" && old != vpc && !d.keepOldVpc {
		delete(f.vpcs, old)
	}
	f.stacks[api+"/"+app+"-Api"] = map[string]string{"ApiId": "a1b2c3", "ApiUrl": "https://a1b2c3.execute-api." + api + ".amazonaws.com/v1/", "VpcId": vpc}
	if d.deployErr != nil {
		return d.deployErr
	}
	if d.deploys > 1 && d.updateErr != nil {
		return d.updateErr
	}
	type spoke struct{ region, suffix string }
	spokes := []spoke{{client, ""}}
	if c["clients"] != "" {
		var list []map[string]string
		if err := json.Unmarshal([]byte(c["clients"]), &list); err != nil {
			return err
		}
		spokes = nil
		for _, cl := range list {
			spokes = append(spokes, spoke{cl["region"], "-" + cl["region"]})
		}
	}
	f.logGroups[api] = append(f.logGroups[api], "API-Gateway-Execution-Logs_a1b2c3/v1", app+"-Api-PrivateApiAccessLogs-1")
	f.params[api] = append(f.params[api], "/"+app+"/api/route-table-0")
	for _, sp := range spokes {
		key := sp.region + "/" + app + "-Client" + sp.suffix
		peering := "pcx-" + sp.region + "-" + vpc
		if prev := f.stacks[key]["PeeringConnectionId"]; prev != "" && d.keepPeering {
			peering = prev
		} else {
			f.peerings[peering] = vpc
		}
		f.stacks[key] = map[string]string{"FunctionName": app + "-Client" + sp.suffix + "-Function-XYZ", "PeeringConnectionId": peering}
		f.stacks[api+"/"+app+"-PeeringRoute"+sp.suffix] = map[string]string{}
		f.logGroups[sp.region] = append(f.logGroups[sp.region], app+"-Client"+sp.suffix+"-ClientFunctionLogs-1")
	}
	if c["apiGatewayCloudWatchRole"] == config.CloudWatchRoleCreate {
		f.roleArn = "arn:aws:iam::123456789012:role/" + app + "-Api-PrivateApiCloudWatchRole-1"
	}
	return nil
}

func (d *fakeCDK) Destroy(_ context.Context, c map[string]string) error {
	d.destroyed = c
	f := d.cloud
	app := c["appName"]
	delete(f.vpcs, f.stacks[c["apiRegion"]+"/"+app+"-Api"]["VpcId"])
	for k := range f.stacks {
		if strings.Contains(k, "/"+app+"-") {
			delete(f.stacks, k)
		}
	}
	for region := range f.logGroups {
		f.logGroups[region] = nil
	}
	for region := range f.params {
		f.params[region] = nil
	}
	f.logGroups[c["apiRegion"]] = append(f.logGroups[c["apiRegion"]], d.destroyLeaks...)
	return nil
}

func plan(t *testing.T) Plan {
	t.Helper()
	p, err := NewPlan(config.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const goodPayload = `{"statusCode":200,"body":"{\"message\": \"hello from the private API\", \"region\": \"us-east-1\"}","attempts":1,"latencyMs":40,"url":"https://a1b2c3.execute-api.us-east-1.amazonaws.com/v1/hello"}`

func TestPlanNamesAFreshValidCopy(t *testing.T) {
	base := config.Defaults()
	base.Account = "123456789012"
	a, b := plan(t), plan(t)
	if a.Config.AppName == b.Config.AppName {
		t.Errorf("two plans share the app name %s", a.Config.AppName)
	}
	if !regexp.MustCompile(`^E2e[0-9a-f]{10}$`).MatchString(a.Config.AppName) {
		t.Errorf("app name %q, want E2e and 10 hex digits", a.Config.AppName)
	}
	if a.Config.AppName == base.AppName || a.Context["appName"] != a.Config.AppName {
		t.Errorf("context appName %q for config %q", a.Context["appName"], a.Config.AppName)
	}
	if err := a.Config.Validate(); err != nil {
		t.Errorf("the plan's config is invalid: %v", err)
	}
	p, err := NewPlan(base)
	if err != nil || p.Config.Account != "" {
		t.Errorf("account %q, %v: the run deploys to the account of its credentials", p.Config.Account, err)
	}
}

func TestRunProvesACopyAndLeavesNothing(t *testing.T) {
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cdk := &fakeCDK{cloud: cloud}
	p := plan(t)
	var out bytes.Buffer
	if err := Run(context.Background(), p, cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	steps := regexp.MustCompile(`(?m)^ok   (.*) \(\d`).FindAllStringSubmatch(out.String(), -1)
	var names []string
	for _, s := range steps {
		names = append(names, s[1])
	}
	want := []string{"credentials", "every Region bootstrapped", "no stack of this name exists", "API Gateway's CloudWatch role",
		"deploy", "read outputs", "invoke the client in us-west-2", "a call from outside the endpoint is refused",
		"update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16", "read outputs after the update", "invoke the client in us-west-2 after the update",
		"the client in us-west-2 peers with the new API VPC", "destroy", "nothing left"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("steps (-want +got):\n%s\n%s", diff, out.String())
	}
	if cdk.deployed["apiGatewayCloudWatchRole"] != config.CloudWatchRoleCreate {
		t.Errorf("account without a role: deployed with %v, want create", cdk.deployed)
	}
	if cdk.deploys != 2 || cdk.deployed["apiVpcCidr"] != "10.200.0.0/16" || cdk.destroyed["apiVpcCidr"] != "10.200.0.0/16" {
		t.Errorf("%d deploys, the last with apiVpcCidr %s, destroyed with %s: want 2, the update's range for both",
			cdk.deploys, cdk.deployed["apiVpcCidr"], cdk.destroyed["apiVpcCidr"])
	}
	if !strings.Contains(out.String(), "pcx-us-west-2-vpc-102000016: vpc-102000016, active (was pcx-us-west-2-vpc-1000016)") {
		t.Errorf("the peering check does not show the new and the old connection:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "kept by design: API Gateway's CloudWatch role arn:aws:iam::123456789012:role/"+p.Config.AppName) {
		t.Errorf("the kept role is not named:\n%s", out.String())
	}
	fn := "Invoke us-west-2 " + p.Config.AppName + "-Client-Function-XYZ"
	wantCalls := []string{"Account", fn, "SignedGet us-east-1 https://a1b2c3.execute-api.us-east-1.amazonaws.com/v1/hello",
		fn, "PeeringConnection us-west-2 pcx-us-west-2-vpc-102000016"}
	if diff := cmp.Diff(wantCalls, cloud.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// With clients, the run proves every spoke: one invocation per client
// Region, leftovers looked for in every Region.
func TestRunProvesEverySpoke(t *testing.T) {
	base := config.Defaults()
	base.Clients = []config.Client{{Region: "us-west-2", Cidr: "192.168.0.0/16"}, {Region: "eu-west-1", Cidr: "172.20.0.0/16"}}
	p, err := NewPlan(base)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Context["clients"]; got != `[{"cidr":"192.168.0.0/16","region":"us-west-2"},{"cidr":"172.20.0.0/16","region":"eu-west-1"}]` {
		t.Errorf("-c clients=%s", got)
	}
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cdk := &fakeCDK{cloud: cloud}
	var out bytes.Buffer
	if err := Run(context.Background(), p, cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	app := p.Config.AppName
	var invoked []string
	for _, c := range cloud.calls {
		if strings.HasPrefix(c, "Invoke ") {
			invoked = append(invoked, c)
		}
	}
	once := []string{"Invoke us-west-2 " + app + "-Client-us-west-2-Function-XYZ", "Invoke eu-west-1 " + app + "-Client-eu-west-1-Function-XYZ"}
	want := append(once, once...) // after the first deploy, and after the update
	if diff := cmp.Diff(want, invoked); diff != "" {
		t.Errorf("invocations (-want +got):\n%s", diff)
	}
	for _, region := range []string{"us-west-2", "eu-west-1"} {
		if !slices.Contains(cloud.calls, "PeeringConnection "+region+" pcx-"+region+"-vpc-102000016") {
			t.Errorf("the peering connection in %s is not checked against the new API VPC: %v", region, cloud.calls)
		}
	}
	if len(cloud.stacks) != 0 {
		t.Errorf("stacks left: %v", cloud.stacks)
	}
	base.Clients[1].Account = "222222222222"
	base.Account = "111111111111"
	if _, err := NewPlan(base); err == nil || !strings.Contains(err.Error(), "222222222222") {
		t.Errorf("a client in another account: got %v, want an error naming it", err)
	}
}

func TestRunUsesTheAccountsRoleWhenItHasOne(t *testing.T) {
	cloud := newFakeCloud()
	cloud.invokePayload = goodPayload
	cloud.roleArn = "arn:aws:iam::123456789012:role/TeamApiGatewayLogs"
	cdk := &fakeCDK{cloud: cloud}
	var out bytes.Buffer
	if err := Run(context.Background(), plan(t), cloud, cdk, &out); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if cdk.deployed["apiGatewayCloudWatchRole"] != config.CloudWatchRoleExisting {
		t.Errorf("deployed with %v, want apiGatewayCloudWatchRole=existing", cdk.deployed)
	}
	if strings.Contains(out.String(), "kept by design") {
		t.Errorf("reports a kept role it did not create:\n%s", out.String())
	}
}

// Before it deploys, the run stops on anything that would make it fail
// later or touch what is not its own, and then it destroys nothing.
func TestRunStopsBeforeDeploying(t *testing.T) {
	p := plan(t)
	cases := []struct {
		name  string
		setup func(*fakeCloud)
		want  string
	}{
		{"no credentials", func(f *fakeCloud) { f.noCredentials = true }, "no usable AWS credentials"},
		{"a Region not bootstrapped", func(f *fakeCloud) { f.notBootstrapped = "us-west-2" }, "npx cdk bootstrap aws://123456789012/us-west-2"},
		{"a stack of the name exists", func(f *fakeCloud) { f.stacks["us-west-2/"+p.Config.AppName+"-Client"] = map[string]string{} }, "already exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newFakeCloud()
			tc.setup(cloud)
			cdk := &fakeCDK{cloud: cloud}
			var out bytes.Buffer
			err := Run(context.Background(), p, cloud, cdk, &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
			if cdk.deployed != nil || cdk.destroyed != nil {
				t.Errorf("deployed %v, destroyed %v: want neither", cdk.deployed, cdk.destroyed)
			}
		})
	}
}

// Once it has deployed anything, the run destroys it whatever failed, and
// still checks what is left.
func TestRunAlwaysDestroys(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*fakeCloud, *fakeCDK)
		want  []string
	}{
		{"deploy fails half-way", func(_ *fakeCloud, d *fakeCDK) { d.deployErr = errors.New("CREATE_FAILED") }, []string{"deploy: CREATE_FAILED"}},
		{"the function fails", func(f *fakeCloud, _ *fakeCDK) {
			f.invokeError = "Unhandled"
			f.invokePayload = `{"errorMessage":"GET https://x/v1/hello failed after 1 attempt: HTTP 403 (forbidden)","errorType":"errorString"}`
		}, []string{"invoke the client in us-west-2: the client function failed: GET https://x/v1/hello failed after 1 attempt: HTTP 403"}},
		{"the API answers from another Region", func(f *fakeCloud, _ *fakeCDK) {
			f.invokePayload = strings.Replace(goodPayload, `\"region\": \"us-east-1\"`, `\"region\": \"eu-west-1\"`, 1)
		}, []string{"does not name its Region us-east-1"}},
		{"the API answers outside the endpoint", func(f *fakeCloud, _ *fakeCDK) {
			f.invokePayload = goodPayload
			f.outsideStatus = 200
		}, []string{"from outside the VPCs answered 200, want 403"}},
		{"the update fails", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.updateErr = errors.New("UPDATE_ROLLBACK_COMPLETE")
		}, []string{"update: apiVpcCidr 10.0.0.0/16 -> 10.200.0.0/16: UPDATE_ROLLBACK_COMPLETE"}},
		{"the update leaves a client peered with the old VPC", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.keepPeering = true
		}, []string{"the client in us-west-2 peers with the new API VPC: peering connection pcx-us-west-2-vpc-1000016: accepter VPC vpc-1000016 (active), want vpc-102000016"}},
		{"the update leaves the old API VPC behind", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.keepOldVpc = true
		}, []string{"nothing left: left behind: vpc vpc-1000016 (us-east-1)"}},
		{"destroy leaves a log group", func(f *fakeCloud, d *fakeCDK) {
			f.invokePayload = goodPayload
			d.destroyLeaks = []string{"API-Gateway-Execution-Logs_a1b2c3/v1"}
		}, []string{"nothing left: left behind: log group API-Gateway-Execution-Logs_a1b2c3/v1 (us-east-1)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cloud := newFakeCloud()
			cdk := &fakeCDK{cloud: cloud}
			tc.setup(cloud, cdk)
			var out bytes.Buffer
			err := Run(context.Background(), plan(t), cloud, cdk, &out)
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, want an error with %q", err, want)
				}
			}
			if cdk.destroyed == nil {
				t.Error("the copy was not destroyed")
			}
			if !strings.Contains(out.String(), "==> nothing left") {
				t.Errorf("no leftovers check:\n%s", out.String())
			}
		})
	}
}

func TestLeftoversLooksEverywhere(t *testing.T) {
	p := plan(t)
	app := p.Config.AppName
	cloud := newFakeCloud()
	cloud.stacks["us-east-1/"+app+"-PeeringRoute"] = map[string]string{}
	cloud.logGroups["us-west-2"] = []string{"/aws/lambda/" + app + "-Client-CustomVpcRestrictDefaultSG-1", "OtherApp-Client-Logs"}
	cloud.logGroups["us-east-1"] = []string{"API-Gateway-Execution-Logs_a1b2c3/v1", "API-Gateway-Execution-Logs_zzz/v1"}
	cloud.params["us-east-1"] = []string{"/" + app + "/api/route-table-0", "/" + app + "x/other"}
	cloud.vpcs["vpc-old"] = true
	got, err := leftovers(context.Background(), cloud, p, inventory{apiIDs: []string{"a1b2c3"}, vpcIDs: []string{"vpc-old", "vpc-gone"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"log group /aws/lambda/" + app + "-Client-CustomVpcRestrictDefaultSG-1 (us-west-2)",
		"log group API-Gateway-Execution-Logs_a1b2c3/v1 (us-east-1)",
		"parameter /" + app + "/api/route-table-0 (us-east-1)",
		"stack " + app + "-PeeringRoute (us-east-1)",
		"vpc vpc-old (us-east-1)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leftovers (-want +got):\n%s", diff)
	}
}

func TestArgs(t *testing.T) {
	got := Args("deploy", map[string]string{"b": "2", "a": "1"})
	want := []string{"deploy", "--all", "--require-approval", "never", "--concurrency", "3", "-c", "a=1", "-c", "b=2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deploy args (-want +got):\n%s", diff)
	}
	if got := fmt.Sprint(Args("destroy", nil)); got != "[destroy --all --force]" {
		t.Errorf("destroy args: %s", got)
	}
}

func TestClientsFor(t *testing.T) {
	got := ClientsFor([]string{"us-west-2", "eu-west-1"})
	want := `[{"cidr":"10.101.0.0/16","region":"us-west-2"},{"cidr":"10.102.0.0/16","region":"eu-west-1"}]`
	if got != want {
		t.Errorf("ClientsFor: got %s, want %s", got, want)
	}
	c, _, err := config.FromContext(map[string]any{"clients": got}, config.Sources{})
	if err != nil || len(c.ClientList()) != 2 {
		t.Errorf("the clients do not pass validation: %v", err)
	}
}
