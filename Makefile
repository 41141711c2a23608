# Every target installs what it needs first, so a fresh clone needs only
# `make synth` and `make test`.
SHELL := /bin/bash
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
CDK := node_modules/.bin/cdk
# AWS's Lambda Runtime Interface Emulator: the client's tests run the real
# bootstrap under it. A tool, not a module dependency.
RIE := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d
GO_FILES = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')

.PHONY: deps synth test vet bench clean e2e invoke

# The pinned CDK CLI (package-lock.json), the Go modules (go.sum) and the
# emulator.
deps: node_modules/.installed
	go mod download
	go install $(RIE)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Synthesizes the default app into a fresh cdk.out/ without any AWS
# credentials or network lookups.
synth: deps
	@rm -rf cdk.out
	@echo "Synthesizing into cdk.out/. The first time, Go compiles the AWS CDK's bindings first: about 2 minutes on 2 cores, and Go's caches grow to about 1.5 GB."
	$(CDK) synth --no-lookups --quiet
	@ls cdk.out/*.template.json

vet:
	@unformatted=$$(gofmt -l $(GO_FILES)); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...

# The whole suite: formatting, vet, and every test.
test: deps vet
	go test -count=1 ./...

# Figures for the README: the client binary, cold init, warm latency and
# connections (functions/apiclient), cdk synth against a bare app (bench/),
# and the wall time of the whole test suite.
bench: deps
	go test -run '^$$' -bench . -benchtime 1x ./functions/apiclient/ ./bench/
	@start=$$(date +%s.%N); go test -count=1 ./... >/dev/null 2>&1 || { echo "test suite failed"; exit 1; }; \
	  end=$$(date +%s.%N); awk -v s=$$start -v e=$$end 'BEGIN { t = e - s; \
	  printf "| test suite (go test -count=1 ./...) wall time (s) | %.1f | - | - | < 120 | %s |\n", t, (t < 120 ? "yes" : "no") }'

# Deploys a copy of the app under a fresh appName into the account of your
# AWS credentials, invokes it, deploys it again with a new apiVpcCidr and
# invokes it again, destroys it and checks that nothing is left,
# printing each step with its duration. CI never runs it.
# E2E_CLIENT_REGIONS="us-west-2 eu-west-1" proves a client in each Region;
# E2E_ARGS="-c apiRegion=..." changes any other setting; E2E_DRILL=1 also
# breaks a return route until its client's probe alarm fires, then mends it.
e2e: deps
	E2E_ARGS='$(E2E_ARGS)' E2E_CLIENT_REGIONS='$(E2E_CLIENT_REGIONS)' go test -tags e2e -count=1 -timeout 150m -v -run '^TestEndToEnd$$' ./e2e/

# After `npx cdk deploy --all`: invokes the client function once and prints
# its answer, or the failure and where to look. ARGS="-c key=value ..." with
# the values you deployed with.
invoke:
	@go run ./cmd/invoke $(ARGS)

# After a deploy with probes on (probeIntervalMinutes > 0): one line per
# client with its probe alarm's state and its last probe's result, latency
# and time, and where to look when it failed; exits 1 when a client is
# failing. ARGS="-c key=value ..." with the values you deployed with.
.PHONY: status
status:
	@go run ./cmd/status $(ARGS)

clean:
	rm -rf cdk.out
