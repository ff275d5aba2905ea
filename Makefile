# crosstrace front door. Everything runs on the Node that deploy/tools/ensure-node.sh
# chooses (Node 24 from the npm registry when the system one is older than 22.18).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
ROOT := $(abspath .)
NODE_BIN := $(shell $(ROOT)/deploy/tools/ensure-node.sh)
export PATH := $(NODE_BIN):$(ROOT)/node_modules/.bin:$(PATH)
export KAFKAJS_NO_PARTITIONER_WARNING := 1

.PHONY: setup deps jars stack-up stack-down stack-status stack-env up down status \
        demo chaos test test-unit test-integration typecheck lint bench bench-profile podman-setup images clean

## setup: Node, npm packages and the Maven-fetched jars
setup: deps jars

deps: node_modules/.package-lock.json
# npm ci from the committed lock file, never `npm install`: a checkout stays clean, and a lock
# file out of sync with package.json fails here with npm's own message (fix: `npm install`, commit).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

jars:
	deploy/local/fetch-jars.sh

## local-process stack (Kafka KRaft + Apicurio + redis-server on loopback)
stack-up: jars
	deploy/local/stack.sh up
stack-down:
	deploy/local/stack.sh down
stack-status:
	deploy/local/stack.sh status
stack-env:
	@deploy/local/stack.sh env

## the stack plus every service, in the background
up: setup stack-up
	deploy/local/services.sh up
down:
	-deploy/local/services.sh down
	deploy/local/stack.sh down
status: stack-status
	deploy/local/services.sh status

## the live demo
demo: setup
	deploy/local/demo.sh

## chaos: faults injected one at a time into the local stack under simulated load, checked
## against the simulator's ground truth (deploy/chaos/main.ts: CHAOS_RATE, CHAOS_CHAINS, ...)
chaos: setup jars
	deploy/chaos/chaos.sh

## tests: typecheck, lint, unit, integration (testcontainers where a container runtime answers)
test: setup typecheck lint test-unit test-integration

typecheck: deps
	tsc -p tsconfig.json
lint: deps
	eslint --max-warnings=0 .
test-unit: deps
	vitest run --project unit
test-integration: deps
	deploy/test/integration.sh

## podman + locally built images for testcontainers (machines with no Docker engine)
podman-setup:
	deploy/podman/setup.sh
images: jars podman-setup
	deploy/podman/build-images.sh

bench: setup
	deploy/local/bench.sh

## bench-profile: ingest and the correlator under --cpu-prof next to their ceilings; .cpuprofile files in bench/results/
bench-profile: setup stack-up
	set -a; eval "$$(deploy/local/stack.sh env)"; set +a; node bench/profile.ts $(or $(EVENTS),200000)

clean:
	rm -rf node_modules .stack
