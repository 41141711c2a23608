# Every target installs what it needs first, so a fresh clone needs only
# `make synth` and `make test`.
SHELL := /bin/bash
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
CDK := node_modules/.bin/cdk
GO_FILES = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')

.PHONY: deps synth test vet bench clean

# The pinned CDK CLI (package-lock.json) and the Go modules (go.sum).
deps: node_modules/.installed
	go mod download

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Synthesizes the default app into cdk.out/ without any AWS credentials or
# network lookups.
synth: deps
	$(CDK) synth --no-lookups --quiet
	@ls cdk.out/*.template.json

vet:
	@unformatted=$$(gofmt -l $(GO_FILES)); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...

# The whole suite: formatting, vet, and every test.
test: deps vet
	go test -count=1 ./...

clean:
	rm -rf cdk.out
