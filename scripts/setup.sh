#!/usr/bin/env bash
# Installs what vethcap and its tests need on a Debian machine with Node 20 and root:
# the system packages (only those missing), the npm packages (npm ci, which builds
# dist/), and with --docker a Docker engine on 198.18.0.0/15, containerd and Podman's
# API service, each started when none answers.
#
#   sudo scripts/setup.sh            # enough for vethcap and `vethcap demo`
#   sudo scripts/setup.sh --docker   # and a Docker engine, for `npm test`
set -euo pipefail
cd "$(dirname "$0")/.."

want_docker=0
[ "${1:-}" = "--docker" ] && want_docker=1

# tcpdump: the capture; iproute2 + util-linux (nsenter): namespaces and links;
# iputils-ping: demo traffic; iptables/nftables: lab rules and verify's hints;
# tshark (wireshark-common: capinfos, mergecap): checking the files we write, and the
# merge benchmark's peer; netsniff-ng (trafgen), iperf3: load for benchmarks;
# docker.io + busybox-static: the end-to-end tests' engine and image; chromium: the
# browser the HTML report's tests open it in (puppeteer-core drives it, never a download);
# containerd (and its ctr): the containerd: and pod: targets' tests; podman (with its CNI
# plugins, conmon and runc), uidmap and slirp4netns: the podman: targets' tests.
# sudo: the Wireshark extcap's tests (a user capturing through the sudoers rule);
# zsh: the zsh completion script's test.
packages=(tcpdump iproute2 util-linux iputils-ping iptables nftables procps tshark wireshark-common netsniff-ng iperf3 sudo zsh)
[ "$want_docker" = 1 ] && packages+=(docker.io containerd busybox-static tar chromium podman uidmap slirp4netns)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm ci: exactly the committed lock file, which it never rewrites, so a fresh clone
# stays clean after set-up (.ci/run checks). It builds dist/ (the prepare script).
# After changing package.json, run npm install once and commit package-lock.json.
npm ci --no-audit --no-fund

if [ "$want_docker" = 1 ]; then
  # A standalone containerd on its default socket, for containerd:NS/ID and pod:NS/NAME
  # (tests make pods in its k8s.io namespace as kubelet would), and the one dockerd uses,
  # as on a Debian host under systemd. It starts first: dockerd takes any socket file at
  # /run/containerd/containerd.sock for a running containerd, so a socket left by one
  # that was killed makes dockerd wait on it and fail. Without systemd nothing removes
  # such a file or starts containerd, so both are done here. Debian's config is used as is.
  ctr_sock=/run/containerd/containerd.sock
  if ! ctr --address "$ctr_sock" --connect-timeout 3s version >/dev/null 2>&1; then
    echo "setup: starting containerd ($ctr_sock)"
    rm -f "$ctr_sock" "$ctr_sock.ttrpc"
    nohup containerd >/var/log/vethcap-containerd.log 2>&1 &
    for _ in $(seq 1 30); do ctr --address "$ctr_sock" --connect-timeout 1s version >/dev/null 2>&1 && break; sleep 1; done
    ctr --address "$ctr_sock" --connect-timeout 3s version >/dev/null 2>&1 || { echo "setup: containerd did not start; see /var/log/vethcap-containerd.log" >&2; tail -20 /var/log/vethcap-containerd.log >&2; exit 1; }
  fi
  echo "setup: containerd $(ctr --address "$ctr_sock" version 2>/dev/null | awk '/Server:/ {s=1} s && /Version:/ {print $2; exit}') answers"

  if ! docker info >/dev/null 2>&1; then
    echo "setup: starting dockerd (bridge 198.18.0.1/24, networks from 198.19.128.0/17)"
    # Docker's own addresses stay in the benchmarking range: docker0 on 198.18.0.0/24,
    # user-defined networks from 198.19.128.0/17, never the private ranges.
    nohup dockerd --containerd "$ctr_sock" --bip 198.18.0.1/24 --default-address-pool base=198.19.128.0/17,size=24 \
      >/var/log/vethcap-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/vethcap-dockerd.log" >&2; tail -20 /var/log/vethcap-dockerd.log >&2; exit 1; }
  fi
  echo "setup: Docker $(docker info --format '{{.ServerVersion}}') answers"

  # Rootful Podman's API service on its default socket, for podman:NAME and bare names (as
  # systemd's podman.socket would give it). Like containerd's, a socket file left by a
  # killed service is removed first: vethcap reports such a file as Podman stopped.
  pm_sock=/run/podman/podman.sock
  if ! podman --remote --url "unix://$pm_sock" version >/dev/null 2>&1; then
    echo "setup: starting Podman's service ($pm_sock)"
    mkdir -p /run/podman
    rm -f "$pm_sock"
    nohup podman system service --time=0 "unix://$pm_sock" >/var/log/vethcap-podman.log 2>&1 &
    for _ in $(seq 1 30); do podman --remote --url "unix://$pm_sock" version >/dev/null 2>&1 && break; sleep 1; done
    podman --remote --url "unix://$pm_sock" version >/dev/null 2>&1 || { echo "setup: Podman's service did not start; see /var/log/vethcap-podman.log" >&2; tail -20 /var/log/vethcap-podman.log >&2; exit 1; }
  fi
  echo "setup: Podman $(podman --remote --url "unix://$pm_sock" version --format '{{.Server.Version}}' 2>/dev/null) answers"
fi
echo "setup: done"
