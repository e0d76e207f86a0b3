#!/usr/bin/env bash
# Records `ip -j -d addr` from a throwaway topology into fixtures/ip/, for the unit
# tests of parsing and pairing. Needs root and iproute2. Everything it creates carries
# a random prefix and is removed on exit, even on failure. Addresses: 198.19.7.0/24.
#
#   box: eth0 (veth, peer on the host, port of a bridge) + macvlan0 (its parent: the bridge itself)
#   web: eth0 (veth, peer on the host, port of the same bridge)
#   solo: two ends of one veth pair inside the namespace (no host peer)
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/fixtures/ip"
id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
br="fx${id}br"
ns() { echo "fx-${id}-$1"; }
cleanup() {
  for n in box web solo; do ip netns del "$(ns $n)" 2>/dev/null || true; done
  ip link del "$br" 2>/dev/null || true
}
trap cleanup EXIT
ip link add "$br" type bridge && ip link set "$br" up
i=0
for n in box web; do
  ip netns add "$(ns $n)"
  ip link add "fx${id}h$i" type veth peer name eth0 netns "$(ns $n)"
  ip link set "fx${id}h$i" master "$br" up
  ip -n "$(ns $n)" link set eth0 address "02:f1:00:00:00:0$((i + 2))" up
  ip -n "$(ns $n)" addr add "198.19.7.$((i + 2))/24" dev eth0
  i=$((i + 1))
done
ip link add "fx${id}mv" link "$br" type macvlan mode bridge
ip link set "fx${id}mv" netns "$(ns box)"
ip -n "$(ns box)" link set "fx${id}mv" name macvlan0 up
ip netns add "$(ns solo)"
ip -n "$(ns solo)" link add a0 type veth peer name b0
ip -n "$(ns solo)" link set a0 up
ip -n "$(ns solo)" link set b0 up
mkdir -p "$out"
# Names carry the random id; replace it so the fixtures are stable across recordings.
norm() { sed "s/${id}/0a0a0a/g"; }
# The host's own interfaces stay out of the fixture: only lo and what this script made.
ip -j -d addr show | norm | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(s).filter(l=>l.ifname==="lo"||l.ifname.startsWith("fx")))))' >"$out/host.json"
for n in box web solo; do ip netns exec "$(ns $n)" ip -j -d addr show | norm >"$out/$n.json"; done
echo "recorded into $out: host.json box.json web.json solo.json (id $id)"
