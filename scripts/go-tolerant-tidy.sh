#!/usr/bin/env bash
# The go executable the collector builder runs (dist.go in the generated manifest).
# Two of the builder's calls are changed, nothing else:
# - `go mod tidy` gets -e: tidy also resolves the *tests* of every dependency,
#   and a few test-only modules of datadog-agent are refused by the module
#   proxy; -e lets tidy finish. `go build` afterwards still needs, downloads and
#   checksum-verifies every module the collector itself is compiled from, so a
#   missing or tampered module still fails the build.
# - `go mod download` (a pre-fetch of the whole graph, test-only modules
#   included) is skipped; `go build` fetches what it needs.
if [ "${1-}" = mod ] && [ "${2-}" = tidy ]; then shift 2; exec go mod tidy -e "$@"; fi
if [ "${1-}" = mod ] && [ "${2-}" = download ]; then exit 0; fi
exec go "$@"
