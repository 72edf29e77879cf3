# Sourced by the scripts that build Go programs (the collector, FerretDB).
#
# Modules come from the Go module proxy only (no direct VCS fallback). The
# checksum database host itself cannot be resolved on our machines, so checksums
# are verified against sum.golang.org *through the proxy's own /sumdb/ endpoint*:
# the go command does that when GOPROXY is a proxy; it is stated explicitly so a
# changed environment cannot silently turn verification off (GOSUMDB=off and
# GONOSUMDB are never set here).
export GOPROXY=https://proxy.golang.org
export GOSUMDB=sum.golang.org
export GONOSUMDB= GONOSUMCHECK= GOINSECURE= GOPRIVATE= GONOPROXY=
# Keep the installed toolchain: the pinned modules accept it.
export GOTOOLCHAIN=local
# 2 cores: one package at a time; an unbounded parallel build of the collector's
# dependency graph runs out of memory or thrashes.
export GOFLAGS="-p=1 -buildvcs=false"
