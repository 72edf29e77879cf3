# Sourced by the scripts that install test servers from Debian's packages.
#
# apt_install_stopped WHO "SERVICES" PACKAGE...
#   Installs PACKAGEs without leaving anything running: the tests start their own
#   servers on free ports with temporary directories. While apt runs, a
#   policy-rc.d refuses every service start (exit 101 = "action forbidden", see
#   /usr/share/doc/init-system-helpers/README.policy-rc.d); an existing one (e.g.
#   a container's) is left as it is, and then SERVICES are stopped afterwards in
#   case the install started them. WHO names the calling script in messages.
apt_install_stopped() {
  local who=$1 services=$2
  shift 2
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "$who: need root (or sudo) to install $*" >&2; return 1; }
    sudo=(sudo -n)
  fi
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by otel-xray-datadog %s while apt runs\nexit 101\n' "$who" | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=1
  fi
  echo "$who: installing $*" >&2
  local start status=0
  start=$(date +%s)
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2 &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null >&2
  } || status=$?
  if [ "$own_policy" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi
  [ "$status" -eq 0 ] || { echo "$who: apt-get failed ($status) installing $*" >&2; return "$status"; }
  local svc
  for svc in $services; do
    if command -v service >/dev/null; then "${sudo[@]}" service "$svc" stop </dev/null >/dev/null 2>&1 || true; fi
  done
  echo "$who: installed $* in $(($(date +%s) - start))s" >&2
}
