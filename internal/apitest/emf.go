package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// EMF is a CloudWatch Embedded Metric Format record, parsed by ParseEMF.
type EMF struct {
	AWS EMFMetadata
	// Members are the root's members other than "_aws": the metric values,
	// the dimension values and anything else the record holds.
	Members map[string]any
}

// EMFMetadata is the root's "_aws" member.
type EMFMetadata struct {
	Timestamp         int64
	CloudWatchMetrics []EMFDirective
}

// EMFDirective is a MetricDirective.
type EMFDirective struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []EMFMetric
}

// EMFMetric is a MetricDefinition.
type EMFMetric struct {
	Name              string
	Unit              string `json:",omitempty"`
	StorageResolution int    `json:",omitempty"`
}

// emfUnits are the units a MetricDefinition may name: CloudWatch's
// StandardUnit.
var emfUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true,
	"Bytes": true, "Kilobytes": true, "Megabytes": true, "Gigabytes": true, "Terabytes": true,
	"Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true, "Terabits": true,
	"Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true, "Terabytes/Second": true,
	"Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true, "Gigabits/Second": true, "Terabits/Second": true,
	"Count/Second": true, "None": true,
}

// ParseEMF parses one log line as an EMF record and checks it against the
// specification (CloudWatch User Guide, "Specification: Embedded metric
// format"): the line is one JSON object and nothing else; "_aws" holds a
// numeric Timestamp and CloudWatchMetrics, and no other member; every
// MetricDirective has a Namespace, Dimensions and Metrics and no other
// member; a dimension set has at most 30 dimensions, each naming a root
// member whose value is a non-empty string; a metric names a root member
// whose value is a number (or an array of at most 100 numbers), with a
// valid unit if any.
func ParseEMF(line string) (EMF, error) {
	if strings.ContainsAny(line, "\r\n") {
		return EMF{}, errors.New("the record spans more than one line")
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var root map[string]json.RawMessage
	if err := dec.Decode(&root); err != nil {
		return EMF{}, fmt.Errorf("not a JSON object: %v", err)
	}
	if dec.More() {
		return EMF{}, errors.New("data after the JSON object")
	}
	raw, ok := root["_aws"]
	if !ok {
		return EMF{}, errors.New(`no "_aws" member`)
	}
	var rec EMF
	meta := json.NewDecoder(bytes.NewReader(raw))
	meta.DisallowUnknownFields()
	if err := meta.Decode(&rec.AWS); err != nil {
		return EMF{}, fmt.Errorf(`"_aws": %v`, err)
	}
	// The keys are case-sensitive; Go's decoder is not.
	var keys struct {
		Timestamp         *json.Number                 `json:"Timestamp"`
		CloudWatchMetrics []map[string]json.RawMessage `json:"CloudWatchMetrics"`
	}
	if err := json.Unmarshal(raw, &keys); err != nil {
		return EMF{}, fmt.Errorf(`"_aws": %v`, err)
	}
	var exact map[string]json.RawMessage
	_ = json.Unmarshal(raw, &exact)
	if _, ok := exact["Timestamp"]; !ok || keys.Timestamp == nil {
		return EMF{}, errors.New(`"_aws" has no numeric "Timestamp"`)
	}
	if _, ok := exact["CloudWatchMetrics"]; !ok || len(rec.AWS.CloudWatchMetrics) == 0 {
		return EMF{}, errors.New(`"_aws" has no "CloudWatchMetrics"`)
	}
	for i, d := range keys.CloudWatchMetrics {
		for _, k := range []string{"Namespace", "Dimensions", "Metrics"} {
			if _, ok := d[k]; !ok {
				return EMF{}, fmt.Errorf("MetricDirective %d has no %q", i, k)
			}
		}
	}

	rec.Members = map[string]any{}
	for k, v := range root {
		if k == "_aws" {
			continue
		}
		var val any
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		if err := d.Decode(&val); err != nil {
			return EMF{}, err
		}
		rec.Members[k] = val
	}

	for i, d := range rec.AWS.CloudWatchMetrics {
		if d.Namespace == "" || len(d.Namespace) > 255 {
			return EMF{}, fmt.Errorf("MetricDirective %d: Namespace %q must be 1 to 255 characters", i, d.Namespace)
		}
		if len(d.Metrics) == 0 || len(d.Metrics) > 100 {
			return EMF{}, fmt.Errorf("MetricDirective %d: %d metrics, want 1 to 100", i, len(d.Metrics))
		}
		for _, set := range d.Dimensions {
			if len(set) > 30 {
				return EMF{}, fmt.Errorf("MetricDirective %d: a dimension set of %d dimensions, at most 30 allowed", i, len(set))
			}
			for _, name := range set {
				s, ok := rec.Members[name].(string)
				if !ok || strings.TrimSpace(s) == "" {
					return EMF{}, fmt.Errorf("MetricDirective %d: dimension %q has no non-empty string member (got %#v)", i, name, rec.Members[name])
				}
			}
		}
		for _, m := range d.Metrics {
			if m.Unit != "" && !emfUnits[m.Unit] {
				return EMF{}, fmt.Errorf("MetricDirective %d: metric %q has unit %q, not a CloudWatch unit", i, m.Name, m.Unit)
			}
			switch v := rec.Members[m.Name].(type) {
			case json.Number:
			case []any:
				if len(v) == 0 || len(v) > 100 {
					return EMF{}, fmt.Errorf("MetricDirective %d: metric %q has %d values, want 1 to 100", i, m.Name, len(v))
				}
				for _, e := range v {
					if _, ok := e.(json.Number); !ok {
						return EMF{}, fmt.Errorf("MetricDirective %d: metric %q has a value %#v that is not a number", i, m.Name, e)
					}
				}
			default:
				return EMF{}, fmt.Errorf("MetricDirective %d: metric %q has no numeric member (got %#v)", i, m.Name, rec.Members[m.Name])
			}
		}
	}
	return rec, nil
}

// FindEMF returns the EMF records among the lines of out, parsed, and an
// error for each line that mentions _aws but is not a record that meets
// the specification: a record broken over lines, or wrapped in another
// object or string, is reported, not missed.
func FindEMF(out string) ([]EMF, []error) {
	var recs []EMF
	var errs []error
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "_aws") {
			continue
		}
		rec, err := ParseEMF(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("%v in %s", err, line))
			continue
		}
		recs = append(recs, rec)
	}
	return recs, errs
}
