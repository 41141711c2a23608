//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"crossregionapi/config"
	"crossregionapi/e2e"
	"crossregionapi/gobundle"
	"crossregionapi/internal/apitest"
	"crossregionapi/internal/cdktest"
	"crossregionapi/stacks"
)

// writtenMetric is one metric an EMF record wrote: its namespace, name and
// dimensions with their values, and the value the record gave it.
type writtenMetric struct {
	namespace, name string
	dims            map[string]string
	value           float64
}

func (m writtenMetric) String() string {
	var dims []string
	for _, k := range slices.Sorted(maps.Keys(m.dims)) {
		dims = append(dims, k+"="+m.dims[k])
	}
	return fmt.Sprintf("%s %s {%s}", m.namespace, m.name, strings.Join(dims, ", "))
}

// metricsOf is every metric rec writes, as CloudWatch reads the record:
// each metric of a directive under each of its dimension sets, with the
// values of the record's members of those names ("Specification: Embedded
// metric format", CloudWatch User Guide).
func metricsOf(t *testing.T, rec apitest.EMF) []writtenMetric {
	t.Helper()
	var out []writtenMetric
	for _, d := range rec.AWS.CloudWatchMetrics {
		for _, set := range d.Dimensions {
			dims := map[string]string{}
			for _, name := range set {
				dims[name], _ = rec.Members[name].(string)
			}
			for _, m := range d.Metrics {
				n, _ := rec.Members[m.Name].(json.Number)
				v, err := n.Float64()
				if err != nil {
					t.Fatalf("metric %s: value %#v is not a number", m.Name, rec.Members[m.Name])
				}
				out = append(out, writtenMetric{namespace: d.Namespace, name: m.Name, dims: dims, value: v})
			}
		}
	}
	return out
}

// find is the metric of ms with exactly namespace, name and dims, if any.
func find(ms []writtenMetric, namespace, name string, dims map[string]string) (writtenMetric, bool) {
	for _, m := range ms {
		if m.namespace == namespace && m.name == name && maps.Equal(m.dims, dims) {
			return m, true
		}
	}
	return writtenMetric{}, false
}

// probedClient is one client stack of a synthesized app, with the event
// its schedule sends and the records the real client wrote for it.
type probedClient struct {
	stack, region, account string
	tmpl                   map[string]any
	pseudo                 map[string]string
	event                  string
	// healthy and failing are its records against APIs answering 200,
	// and APIs answering 403: one record per API Region, in the order of
	// the Regions.
	healthy, failing []apitest.EMF
}

// TestProbeMetricContract proves that every reader of the probe's metrics
// reads what the client writes, for one client and for three in two
// accounts. The real client binary runs under the Lambda Runtime Interface
// Emulator with the very event each client stack's schedule sends (the
// Events::Rule target's Input, resolved for the stack's account and
// Region), once against a healthy stand-in API and once against one that
// refuses (403); its EMF records say which metrics it writes. Then:
//   - each client's alarm reads a metric both records write (a failed probe
//     must feed the alarm too), by namespace, name and every dimension's
//     name and value;
//   - each metric of the API stack's dashboard is one a record writes, read
//     in the client's Region (and account); its SEARCH names a namespace,
//     a dimension set and a MetricName the failed probe writes, and values
//     the record has; every client has its success, latency and failures
//     shown, and its alarm;
//   - e2e.AWS.ProbeData (make status, make e2e), through the AWS SDK against
//     a CloudWatch that holds exactly the records' metrics, finds the
//     success, the latency and the failure kind.
//
// Nothing here takes a name from internal/probe: the records are the
// contract.
func TestProbeMetricContract(t *testing.T) {
	apitest.RIEBinary(t)
	apps := []struct {
		name string
		res  *synthResult
	}{{"one client", defaultApp(t)}, {"three clients in two accounts", hubApp(t)},
		{twoRegionsPeering.name, synthesizedConfig(t, twoRegionsPeering.name, twoRegionsPeering.context).res}}
	var clients [][]*probedClient
	var events [][]string
	// regions are each app's API Regions, as its client functions'
	// environment names them: API_REGION, then FAILOVER_API_REGION.
	var regions [][]string
	for _, app := range apps {
		d := deployedFrom(t, app.res.outdir)
		var cs []*probedClient
		var evs []string
		for _, name := range slices.Sorted(maps.Keys(d.templates)) {
			if !strings.Contains(name, "-"+config.RoleClient) {
				continue
			}
			c := &probedClient{stack: name, region: d.region[name], tmpl: d.templates[name], pseudo: pseudoOf(d, name)}
			c.account = c.pseudo["AWS::AccountId"]
			rules := cdktest.Props(c.tmpl, "AWS::Events::Rule")
			if len(rules) != 1 {
				t.Fatalf("%s: %d rules, want the probe's schedule", name, len(rules))
			}
			input := cdktest.Resolve(rules[0]["Targets"].([]any)[0].(map[string]any)["Input"], c.pseudo)
			event, ok := input.(string)
			if !ok {
				t.Fatalf("%s: the schedule's input %s does not resolve to a string", name, cdktest.JSON(input))
			}
			c.event = event
			evs = append(evs, event)
			cs = append(cs, c)
		}
		clients, events, regions = append(clients, cs), append(events, evs), append(regions, apiRegionsOf(t, cs[0]))
	}

	bootstrap := hostBootstrap(t)
	for a, cs := range clients {
		healthy := probeRecords(t, bootstrap, regions[a], 200, events[a])
		failing := probeRecords(t, bootstrap, regions[a], 403, events[a])
		for i, c := range cs {
			c.healthy, c.failing = healthy[i], failing[i]
		}
	}

	for a, app := range apps {
		t.Run(app.name, func(t *testing.T) {
			cs := clients[a]
			t.Run("each alarm reads what every probe writes", func(t *testing.T) { alarmsReadTheRecords(t, cs) })
			t.Run("the dashboard reads what the probes write", func(t *testing.T) { dashboardReadsTheRecords(t, app.res, cs) })
			t.Run("ProbeData reads what the probes write", func(t *testing.T) { probeDataReadsTheRecords(t, cs) })
		})
	}
}

// apiRegionsOf are the API Regions a client's function calls: API_REGION,
// then FAILOVER_API_REGION when it has one.
func apiRegionsOf(t *testing.T, c *probedClient) []string {
	t.Helper()
	for _, fn := range cdktest.Props(c.tmpl, "AWS::Lambda::Function") {
		env, _ := fn["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		primary, ok := vars["API_REGION"].(string)
		if !ok {
			continue
		}
		if failover, ok := vars["FAILOVER_API_REGION"].(string); ok {
			return []string{primary, failover}
		}
		return []string{primary}
	}
	t.Fatalf("%s: no client function with API_REGION", c.stack)
	return nil
}

// alarmsReadTheRecords checks each metric alarm of each client against the
// records, and that a client's composite alarm, when it has one, reads
// exactly its metric alarms: one per API Region, each reading the records
// of its Region.
func alarmsReadTheRecords(t *testing.T, cs []*probedClient) {
	for _, c := range cs {
		alarms := cdktest.Resources(c.tmpl, "AWS::CloudWatch::Alarm")
		if len(alarms) != len(c.healthy) {
			t.Fatalf("%s: %d alarms, want one per API Region (%d)", c.stack, len(alarms), len(c.healthy))
		}
		composite := cdktest.Props(c.tmpl, "AWS::CloudWatch::CompositeAlarm")
		if len(alarms) > 1 {
			rule := cdktest.JSON(composite[0]["AlarmRule"])
			for id := range alarms {
				if !strings.Contains(rule, `{"Fn::GetAtt":["`+id+`","Arn"]}`) {
					t.Errorf("%s: the composite alarm's rule %s does not read alarm %s", c.stack, rule, id)
				}
			}
			if strings.Count(rule, "ALARM(") != len(alarms) {
				t.Errorf("%s: the composite alarm's rule %s reads other than the %d alarms", c.stack, rule, len(alarms))
			}
		} else if len(composite) != 0 {
			t.Errorf("%s: a composite alarm with one API Region", c.stack)
		}
		for _, r := range alarms {
			alarmReadsTheRecords(t, c, cdktest.Resolve(r["Properties"], c.pseudo).(map[string]any))
		}
	}
}

// alarmReadsTheRecords checks that alarm reads a metric that a probe that
// succeeded and one that failed both write.
func alarmReadsTheRecords(t *testing.T, c *probedClient, alarm map[string]any) {
	dims := map[string]string{}
	for _, d := range asList(alarm["Dimensions"]) {
		d := d.(map[string]any)
		name, _ := d["Name"].(string)
		value, ok := d["Value"].(string)
		if _, dup := dims[name]; dup || !ok {
			t.Errorf("%s: alarm dimension %s", c.stack, cdktest.JSON(d))
		}
		dims[name] = value
	}
	namespace, _ := alarm["Namespace"].(string)
	name, _ := alarm["MetricName"].(string)
	for what, recs := range map[string][]apitest.EMF{"succeeded": c.healthy, "failed": c.failing} {
		var written []writtenMetric
		for _, rec := range recs {
			written = append(written, metricsOf(t, rec)...)
		}
		if _, ok := find(written, namespace, name, dims); !ok {
			t.Errorf("%s: the alarm reads %s, which the probe that %s does not write; it writes:\n  %s",
				c.stack, writtenMetric{namespace: namespace, name: name, dims: dims}, what, strings.Join(strs(written), "\n  "))
		}
	}
}

func strs[T fmt.Stringer](xs []T) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.String())
	}
	return out
}

var (
	searchRe     = regexp.MustCompile(`^SEARCH\('\{([^}]*)\}\s*(.*?)\s*',\s*'(\w+)',\s*(\d+)\)$`)
	searchTermRe = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

func dashboardReadsTheRecords(t *testing.T, res *synthResult, cs []*probedClient) {
	d := deployedFrom(t, res.outdir)
	var api string
	for name := range d.templates {
		if strings.HasSuffix(name, "-"+config.RoleApi) {
			api = name
		}
	}
	boards := cdktest.Props(d.templates[api], "AWS::CloudWatch::Dashboard")
	if len(boards) != 1 {
		t.Fatalf("%s: %d dashboards, want 1", api, len(boards))
	}
	body, ok := cdktest.Resolve(boards[0]["DashboardBody"], pseudoOf(d, api)).(string)
	if !ok {
		t.Fatalf("the dashboard body %s does not resolve to a string", cdktest.JSON(boards[0]["DashboardBody"]))
	}
	var board struct {
		Widgets []struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &board); err != nil {
		t.Fatalf("the dashboard body is not JSON: %v\n%s", err, body)
	}
	// Every metric the records wrote, by the client that wrote it.
	written := map[*probedClient][]writtenMetric{}
	for _, c := range cs {
		for _, rec := range slices.Concat(c.healthy, c.failing) {
			written[c] = append(written[c], metricsOf(t, rec)...)
		}
	}
	// A metric without an account is read in the dashboard's.
	home := pseudoOf(d, api)["AWS::AccountId"]
	// owner is the client of region and account whose records wrote a
	// metric matching match: CloudWatch holds a metric in the Region and
	// account it was written in.
	owner := func(region, account string, match func(writtenMetric) bool) (*probedClient, writtenMetric) {
		for _, c := range cs {
			if c.region != region || c.account != account {
				continue
			}
			for _, m := range written[c] {
				if match(m) {
					return c, m
				}
			}
		}
		return nil, writtenMetric{}
	}
	shown := map[*probedClient]map[string]bool{}
	show := func(c *probedClient, what string) {
		if shown[c] == nil {
			shown[c] = map[string]bool{}
		}
		shown[c][what] = true
	}
	for _, w := range board.Widgets {
		if w.Type != "metric" {
			continue
		}
		title, _ := w.Properties["title"].(string)
		widgetRegion, _ := w.Properties["region"].(string)
		if alarms, ok := w.Properties["annotations"].(map[string]any); ok {
			for _, arn := range asList(alarms["alarms"]) {
				for _, c := range cs {
					for _, a := range cdktest.Props(c.tmpl, "AWS::CloudWatch::Alarm") {
						if arn == fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", c.pseudo["AWS::Partition"], c.region, c.account, a["AlarmName"]) {
							show(c, fmt.Sprint("alarm ", a["AlarmName"]))
						}
					}
				}
			}
			continue
		}
		metrics := asList(w.Properties["metrics"])
		if len(metrics) == 0 {
			t.Errorf("widget %q shows no metric", title)
		}
		for _, entry := range metrics {
			parts := asList(entry)
			if len(parts) == 0 {
				t.Errorf("widget %q: metric %s", title, cdktest.JSON(entry))
				continue
			}
			options, _ := parts[len(parts)-1].(map[string]any)
			region, account := widgetRegion, home
			if r, ok := options["region"].(string); ok {
				region = r
			}
			if a, ok := options["accountId"].(string); ok {
				account = a
			}
			if expr, ok := options["expression"].(string); ok {
				if r, ok := options["searchRegion"].(string); ok {
					region = r
				}
				if a, ok := options["searchAccount"].(string); ok {
					account = a
				}
				c, m, ok := searchFinds(t, title+" in "+region+" of "+account, expr, func(match func(writtenMetric) bool) (*probedClient, writtenMetric) {
					return owner(region, account, match)
				})
				if ok {
					show(c, "failures"+path(m.dims))
				}
				continue
			}
			// [namespace, name, dimension, value, ..., options]
			if options != nil {
				parts = parts[:len(parts)-1]
			}
			if len(parts) < 2 || len(parts)%2 != 0 {
				t.Errorf("widget %q: metric %s is not [namespace, name, dimension, value, ...]", title, cdktest.JSON(entry))
				continue
			}
			namespace, _ := parts[0].(string)
			name, _ := parts[1].(string)
			dims := map[string]string{}
			for i := 2; i < len(parts); i += 2 {
				k, _ := parts[i].(string)
				v, _ := parts[i+1].(string)
				dims[k] = v
			}
			c, _ := owner(region, account, func(m writtenMetric) bool {
				return m.namespace == namespace && m.name == name && maps.Equal(m.dims, dims)
			})
			if c == nil {
				t.Errorf("widget %q graphs %s in %s of %s, which no probe writes there", title, writtenMetric{namespace: namespace, name: name, dims: dims}, region, account)
				continue
			}
			show(c, name+path(dims))
		}
	}
	// Success and Latency are the names the records give the metric that
	// is 1 or 0 and the one in milliseconds (their units say which).
	// Each path of a client, one per API Region, has its row.
	for _, c := range cs {
		var want []string
		for _, rec := range c.healthy {
			p := ""
			if r, ok := rec.Members["ApiRegion"].(string); ok {
				p = " to " + r
			}
			for _, d := range rec.AWS.CloudWatchMetrics {
				for _, m := range d.Metrics {
					if m.Unit == "Milliseconds" || m.Name == "Success" {
						want = append(want, m.Name+p)
					}
				}
			}
			want = append(want, "failures"+p)
		}
		for _, a := range cdktest.Props(c.tmpl, "AWS::CloudWatch::Alarm") {
			want = append(want, fmt.Sprint("alarm ", a["AlarmName"]))
		}
		for _, what := range want {
			if !shown[c][what] {
				t.Errorf("the dashboard does not show %s of the client in %s (%s)", what, c.region, c.stack)
			}
		}
	}
}

// path names the path of a metric of a client of several API Regions by
// its ApiRegion, as " to {region}", or "" for the one API's metric.
func path(dims map[string]string) string {
	if r, ok := dims["ApiRegion"]; ok {
		return " to " + r
	}
	return ""
}

// searchFinds checks that expr, a dashboard SEARCH, names a namespace, a
// dimension set and a MetricName some record writes, with the dimension
// values it asks for, and returns the client whose record that is and the
// metric.
func searchFinds(t *testing.T, title, expr string, owner func(func(writtenMetric) bool) (*probedClient, writtenMetric)) (*probedClient, writtenMetric, bool) {
	t.Helper()
	m := searchRe.FindStringSubmatch(expr)
	if m == nil {
		t.Errorf("widget %q: %q is not SEARCH('{namespace,dimension,...} terms', 'stat', period)", title, expr)
		return nil, writtenMetric{}, false
	}
	schema := strings.Split(m[1], ",")
	namespace, dimNames := strings.TrimSpace(schema[0]), map[string]bool{}
	for _, n := range schema[1:] {
		dimNames[strings.TrimSpace(n)] = true
	}
	var name string
	values := map[string]string{}
	for _, term := range searchTermRe.FindAllStringSubmatch(m[2], -1) {
		if term[1] == "MetricName" {
			name = term[2]
		} else {
			values[term[1]] = term[2]
		}
	}
	c, found := owner(func(w writtenMetric) bool {
		if w.namespace != namespace || w.name != name || len(w.dims) != len(dimNames) {
			return false
		}
		for k := range w.dims {
			if !dimNames[k] {
				return false
			}
		}
		for k, v := range values {
			if w.dims[k] != v {
				return false
			}
		}
		return true
	})
	if c == nil {
		t.Errorf("widget %q: %s finds nothing the probes write (namespace %q, dimensions %v, MetricName %q, values %v)",
			title, expr, namespace, slices.Sorted(maps.Keys(dimNames)), name, values)
		return nil, writtenMetric{}, false
	}
	return c, found, true
}

func probeDataReadsTheRecords(t *testing.T, cs []*probedClient) {
	keys := map[string]string{}
	for _, c := range cs {
		keys["AKID"+c.account] = c.account
	}
	cw := newFakeCloudWatch(t, keys)
	now := time.Now().UTC().Truncate(time.Minute)
	okAt, failedAt := now.Add(-4*time.Minute), now.Add(-2*time.Minute)
	for _, c := range cs {
		for at, recs := range map[time.Time][]apitest.EMF{okAt: c.healthy, failedAt: c.failing} {
			for _, rec := range recs {
				for _, m := range metricsOf(t, rec) {
					cw.put(fakeMetric{region: c.region, account: c.account, namespace: m.namespace, name: m.name, dims: m.dims}, at.Add(time.Duration(rec.AWS.Timestamp%1000)*time.Millisecond), m.value)
				}
			}
		}
	}
	app, _ := cdkJSONContext(t)["appName"].(string)
	for _, c := range cs {
		cloud := e2e.NewAWSFromConfig(aws.Config{
			Region:           "us-east-1",
			Credentials:      credentials.NewStaticCredentialsProvider("AKID"+c.account, "secret", ""),
			BaseEndpoint:     aws.String(cw.URL),
			RetryMaxAttempts: 1,
		})
		for i := range c.healthy {
			// make status and make e2e key a client's probe by the app's
			// name, the client's Region and its account, and a path of a
			// client of several API Regions by its API Region.
			key := e2e.ProbeKey{App: app, ClientRegion: c.region, ClientAccount: c.account}
			key.ApiRegion, _ = c.healthy[i].Members["ApiRegion"].(string)
			probeDataReadsPath(t, cloud, c.stack+" "+key.String(), c.region, key, c.healthy[i], c.failing[i], now, okAt, failedAt)
		}
	}
	if cw.requests["GetMetricData"] == 0 || cw.requests["ListMetrics"] == 0 {
		t.Errorf("requests %v, want ListMetrics and GetMetricData", cw.requests)
	}
}

// probeDataReadsPath checks what ProbeData reads of one path's records:
// the failed probe at failedAt last, with its kind and latency, and the
// good one at okAt; and nothing in another Region.
func probeDataReadsPath(t *testing.T, cloud *e2e.AWS, what, region string, key e2e.ProbeKey, healthy, failing apitest.EMF, now, okAt, failedAt time.Time) {
	t.Helper()
	data, err := cloud.ProbeData(context.Background(), region, key, now.Add(-10*time.Minute), now.Add(time.Minute))
	if err != nil {
		t.Fatalf("%s: ProbeData: %v", what, err)
	}
	latest, ok := data.Latest()
	wantKind, _ := failing.Members["FailureKind"].(string)
	wantMs, _ := failing.Members["Latency"].(json.Number).Float64()
	if !ok || latest.Success || !latest.Time.Equal(failedAt) || !slices.Equal(latest.Kinds, []string{wantKind}) || !latest.HasLatency || latest.LatencyMs != wantMs {
		t.Errorf("%s: ProbeData's latest probe %+v (found %v), want the failed one at %s: FAILED (%s) in %v ms; data %+v",
			what, latest, ok, failedAt, wantKind, wantMs, data)
	}
	okMs, _ := healthy.Members["Latency"].(json.Number).Float64()
	has := func(pts []e2e.Point, v float64) bool {
		return slices.ContainsFunc(pts, func(p e2e.Point) bool { return p.Time.Equal(okAt) && p.Value == v })
	}
	if !has(data.Success, 1) || !has(data.Latency, okMs) {
		t.Errorf("%s: ProbeData success %v, latency %v; want the good probe at %s, 1 in %v ms", what, data.Success, data.Latency, okAt, okMs)
	}
	// The fake holds a metric in its Region only: the same key read in
	// another Region finds nothing, as in CloudWatch.
	other := "eu-central-1"
	if data, err := cloud.ProbeData(context.Background(), other, key, now.Add(-10*time.Minute), now.Add(time.Minute)); err != nil || len(data.Success) > 0 {
		t.Errorf("%s: ProbeData in %s: %+v, %v; want nothing there", what, other, data, err)
	}
}

// hostBootstrap builds the client function for this machine, with the
// release build's flags.
func hostBootstrap(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := gobundle.Build(".", stacks.ClientPackage, runtime.GOARCH, dir); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, gobundle.BinaryName)
}

// finalLogs are the log records that end an invocation, one each.
var finalLogs = regexp.MustCompile(`"msg":"API call (succeeded|failed)"`)

// probeRecords runs bootstrap under the emulator against stand-in APIs
// answering status, one per API Region of regions (API_REGION, then
// FAILOVER_API_REGION and FAILOVER_API_URL), invokes it with each event in
// turn and returns the records each wrote: one per API Region.
func probeRecords(t *testing.T, bootstrap string, regions []string, status int, events []string) [][]apitest.EMF {
	t.Helper()
	api := apitest.NewServer(t, status)
	trust := filepath.Join(t.TempDir(), "trust.pem")
	// Every httptest server has the same certificate (apitest).
	if err := os.WriteFile(trust, api.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
		"AWS_REGION": "us-west-2", "AWS_EC2_METADATA_DISABLED": "true", "AWS_LAMBDA_FUNCTION_TIMEOUT": "5",
		"SSL_CERT_FILE": trust, "API_URL": api.URL + "/v1", "API_REGION": regions[0],
		"ATTEMPT_TIMEOUT_MS": "1000", "MAX_ATTEMPTS": "1",
	}
	if len(regions) > 1 {
		env["FAILOVER_API_URL"], env["FAILOVER_API_REGION"] = apitest.NewServer(t, status).URL+"/v1", regions[1]
	}
	e := apitest.StartEmulator(t, bootstrap, env)
	// The first invocation starts the function: a {}, which writes no
	// record, retried if the emulator drops its connection (seen once under
	// load), so that each probe event below is invoked exactly once.
	for try := 1; ; try++ {
		status, _, err := e.TryCall(`{}`)
		if err == nil && status == 200 {
			break
		}
		if try == 3 {
			t.Fatalf("starting the function: HTTP %d, %v\nemulator output:\n%s", status, err, e.Output())
		}
	}
	e.WaitForOutput(`"msg":"API call`, 10*time.Second)
	base := len(finalLogs.FindAllString(e.Output(), -1))
	// A last {} is the fence: the function writes to one stdout in order,
	// so once its final log line is out, every record before it is too.
	for _, event := range append(slices.Clone(events), `{}`) {
		status, body := e.Call(t, event)
		if status != 200 || !json.Valid(body) {
			t.Fatalf("invoking with %s: HTTP %d %s\nemulator output:\n%s", event, status, body, e.Output())
		}
	}
	// A probe logs the end of its call to each Region.
	want := base + len(regions)*len(events) + 1
	deadline := time.Now().Add(10 * time.Second)
	out := e.Output()
	for len(finalLogs.FindAllString(out, -1)) < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		out = e.Output()
	}
	recs, errs := apitest.FindEMF(out)
	for _, err := range errs {
		t.Errorf("not an EMF record: %v", err)
	}
	if len(recs) != len(regions)*len(events) {
		t.Fatalf("%d EMF records for %d probe events to %d API Regions\nemulator output:\n%s", len(recs), len(events), len(regions), out)
	}
	// Written in the Regions' order, each event's after the previous's.
	var out2 [][]apitest.EMF
	for i := range events {
		out2 = append(out2, recs[i*len(regions):(i+1)*len(regions)])
	}
	return out2
}
