package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// fakeCloudWatch serves the CloudWatch reads of e2e.AWS.ProbeData
// (ListMetrics, GetMetricData) over the SDK's protocol, Smithy RPC v2 CBOR
// (aws-sdk-go-v2/service/cloudwatch: "POST
// /service/GraniteServiceVersion20100801/operation/{Operation}",
// Content-Type application/cbor), from the datapoints put into it. It
// holds each metric in the Region and account it was written in, as
// CloudWatch does, and tells them by the SigV4 credential scope's Region
// and the access key's account. It answers as CloudWatch documents:
//   - a metric is its namespace, its name and its whole set of dimensions:
//     "Because dimensions are part of the unique identifier for a metric,
//     whenever you add a unique name/value pair to one of your metrics, you
//     are creating a new variation of that metric" (CloudWatch API
//     Reference, Dimension), so a MetricStat returns the datapoints of the
//     metric with exactly its dimensions, and nothing for any other set;
//   - ListMetrics' Dimensions filter: "If you specify one dimension name
//     and a metric has that dimension and also other dimensions, it will be
//     returned" (ListMetricsInput), each filter's value matching exactly.
type fakeCloudWatch struct {
	*httptest.Server
	// accounts maps an access key id to its account.
	accounts map[string]string
	mu       sync.Mutex
	points   map[string][]fakePoint // by fakeMetricKey
	metrics  map[string]fakeMetric
	// requests counts the operations asked for, by name.
	requests map[string]int
}

type fakeMetric struct {
	region, account, namespace, name string
	dims                             map[string]string
}

type fakePoint struct {
	t time.Time
	v float64
}

func fakeMetricKey(m fakeMetric) string {
	var dims []string
	for _, k := range slices.Sorted(maps.Keys(m.dims)) {
		dims = append(dims, k+"="+m.dims[k])
	}
	return strings.Join([]string{m.region, m.account, m.namespace, m.name, strings.Join(dims, ",")}, "|")
}

func newFakeCloudWatch(t *testing.T, accounts map[string]string) *fakeCloudWatch {
	t.Helper()
	f := &fakeCloudWatch{accounts: accounts, points: map[string][]fakePoint{}, metrics: map[string]fakeMetric{}, requests: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// put stores a datapoint of m.
func (f *fakeCloudWatch) put(m fakeMetric, at time.Time, v float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := fakeMetricKey(m)
	f.metrics[k] = m
	f.points[k] = append(f.points[k], fakePoint{at, v})
}

var scopeRe = regexp.MustCompile(`Credential=([A-Z0-9]+)/\d{8}/([a-z0-9-]+)/monitoring/aws4_request`)

func (f *fakeCloudWatch) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, typ, msg string) {
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		w.WriteHeader(status)
		_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(typ), "message": cbor.String(msg)}))
	}
	op, ok := strings.CutPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/")
	scope := scopeRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if !ok || r.Method != http.MethodPost || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		fail(http.StatusBadRequest, "UnknownOperationException", "not a CloudWatch RPC v2 CBOR request: "+r.Method+" "+r.URL.Path)
		return
	}
	account, known := "", false
	if scope != nil {
		account, known = f.accounts[scope[1]]
	}
	if !known {
		fail(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid")
		return
	}
	region := scope[2]
	body, _ := io.ReadAll(r.Body)
	v, err := cbor.Decode(body)
	if err != nil {
		fail(http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	in, _ := fromCBOR(v).(map[string]any)
	f.mu.Lock()
	f.requests[op]++
	f.mu.Unlock()
	var out cbor.Map
	switch op {
	case "ListMetrics":
		out, err = f.listMetrics(region, account, in)
	case "GetMetricData":
		out, err = f.getMetricData(region, account, in)
	default:
		err = fmt.Errorf("the fake serves ListMetrics and GetMetricData, not %s", op)
	}
	if err != nil {
		fail(http.StatusBadRequest, "InvalidParameterValueException", err.Error())
		return
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(cbor.Encode(out))
}

func (f *fakeCloudWatch) listMetrics(region, account string, in map[string]any) (cbor.Map, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var list cbor.List
	for _, k := range slices.Sorted(maps.Keys(f.metrics)) {
		m := f.metrics[k]
		if m.region != region || m.account != account || in["Namespace"] != nil && in["Namespace"] != m.namespace || in["MetricName"] != nil && in["MetricName"] != m.name {
			continue
		}
		match := true
		for _, d := range asList(in["Dimensions"]) {
			d, _ := d.(map[string]any)
			value, has := m.dims[fmt.Sprint(d["Name"])]
			if !has || d["Value"] != nil && d["Value"] != value {
				match = false
			}
		}
		if match {
			list = append(list, cbor.Map{"Namespace": cbor.String(m.namespace), "MetricName": cbor.String(m.name), "Dimensions": dimsCBOR(m.dims)})
		}
	}
	return cbor.Map{"Metrics": list}, nil
}

func (f *fakeCloudWatch) getMetricData(region, account string, in map[string]any) (cbor.Map, error) {
	start, okStart := in["StartTime"].(time.Time)
	end, okEnd := in["EndTime"].(time.Time)
	if !okStart || !okEnd {
		return nil, fmt.Errorf("StartTime and EndTime are required")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var results cbor.List
	for _, q := range asList(in["MetricDataQueries"]) {
		q, _ := q.(map[string]any)
		stat, _ := q["MetricStat"].(map[string]any)
		metric, _ := stat["Metric"].(map[string]any)
		if stat == nil || metric == nil {
			return nil, fmt.Errorf("query %v: the fake answers MetricStat queries only", q["Id"])
		}
		period, _ := stat["Period"].(float64)
		if period < 60 || int(period)%60 != 0 {
			return nil, fmt.Errorf("query %v: Period %v must be a multiple of 60", q["Id"], stat["Period"])
		}
		dims := map[string]string{}
		for _, d := range asList(metric["Dimensions"]) {
			d, _ := d.(map[string]any)
			dims[fmt.Sprint(d["Name"])] = fmt.Sprint(d["Value"])
		}
		key := fakeMetricKey(fakeMetric{region: region, account: account, namespace: fmt.Sprint(metric["Namespace"]), name: fmt.Sprint(metric["MetricName"]), dims: dims})
		buckets := map[time.Time][]float64{}
		for _, p := range f.points[key] {
			if !p.t.Before(start) && p.t.Before(end) {
				b := p.t.Truncate(time.Duration(period) * time.Second)
				buckets[b] = append(buckets[b], p.v)
			}
		}
		var times, values cbor.List
		for _, b := range slices.SortedFunc(maps.Keys(buckets), func(a, b time.Time) int { return b.Compare(a) }) {
			v, err := statistic(fmt.Sprint(stat["Stat"]), buckets[b])
			if err != nil {
				return nil, err
			}
			times = append(times, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(b.UnixMilli()) / 1e3)})
			values = append(values, cbor.Float64(v))
		}
		results = append(results, cbor.Map{"Id": cbor.String(fmt.Sprint(q["Id"])), "Timestamps": times, "Values": values, "StatusCode": cbor.String("Complete")})
	}
	return cbor.Map{"MetricDataResults": results}, nil
}

// statistic is stat of one period's values.
func statistic(stat string, vs []float64) (float64, error) {
	var sum float64
	for _, v := range vs {
		sum += v
	}
	switch stat {
	case "Sum":
		return sum, nil
	case "Average":
		return sum / float64(len(vs)), nil
	case "Minimum":
		return slices.Min(vs), nil
	case "Maximum":
		return slices.Max(vs), nil
	case "SampleCount":
		return float64(len(vs)), nil
	}
	return 0, fmt.Errorf("the fake computes Sum, Average, Minimum, Maximum and SampleCount, not %q", stat)
}

func dimsCBOR(dims map[string]string) cbor.List {
	var l cbor.List
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		l = append(l, cbor.Map{"Name": cbor.String(k), "Value": cbor.String(dims[k])})
	}
	return l
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// fromCBOR turns a decoded CBOR value into Go's: maps, lists, strings,
// float64 numbers, bools and, for an epoch-seconds tag, time.Time.
func fromCBOR(v cbor.Value) any {
	switch x := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = fromCBOR(e)
		}
		return m
	case cbor.List:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = fromCBOR(e)
		}
		return l
	case cbor.String:
		return string(x)
	case cbor.Uint:
		return float64(x)
	case cbor.NegInt:
		return -float64(x)
	case cbor.Float32:
		return float64(x)
	case cbor.Float64:
		return float64(x)
	case cbor.Bool:
		return bool(x)
	case *cbor.Tag:
		if t, err := cbor.AsTime(x); err == nil {
			return t
		}
	}
	return nil
}
