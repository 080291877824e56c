#!/usr/bin/env bash
# Installs the system packages uvs needs, once: libpcap headers for the `cap`/`pcap` addons,
# iproute2/nftables/ethtool for the lab, tcpdump for capture tests, wrk and haproxy as bench peers.
# Idempotent: asks apt only for what dpkg says is missing.
set -euo pipefail
wanted=(libpcap-dev tcpdump iproute2 nftables ethtool wrk haproxy curl iputils-ping procps psmisc kmod)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: all system packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: missing ${missing[*]}; run as root (or install them yourself)" >&2
  exit 1
fi
echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-system: done"
