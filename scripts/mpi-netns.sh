#!/usr/bin/env bash
# Two MPI ranks as two machines would be: each in its own network namespace, joined by a veth
# pair, so Open MPI has to use TCP (btl tcp) between them, not shared memory. Runs the command
# given (default: the W3 scaling worker) as rank 0 in one namespace and rank 1 in the other, then
# removes the namespaces and the veth pair again. Needs root (ip netns).
# Run: sudo bash scripts/mpi-netns.sh [node script args...]
set -euo pipefail
cd "$(dirname "$0")/.."
ns0=oxnet-mpi0
ns1=oxnet-mpi1
agent="$(mktemp /tmp/oxnet-netns-agent.XXXXXX)"
cleanup() {
  ip netns del "$ns0" 2>/dev/null || true
  ip netns del "$ns1" 2>/dev/null || true
  rm -f "$agent"
}
trap cleanup EXIT
ip netns add "$ns0"
ip netns add "$ns1"
ip link add oxveth0 type veth peer name oxveth1
ip link set oxveth0 netns "$ns0"
ip link set oxveth1 netns "$ns1"
ip -n "$ns0" addr add 10.77.0.1/24 dev oxveth0
ip -n "$ns1" addr add 10.77.0.2/24 dev oxveth1
for ns in "$ns0" "$ns1"; do
  ip -n "$ns" link set lo up
done
ip -n "$ns0" link set oxveth0 up
ip -n "$ns1" link set oxveth1 up
# mpirun starts its daemon on the "remote" host through this agent (in place of ssh): it enters
# the second namespace instead of logging in to a second machine. Each "machine" thinks it has
# every core, so Open MPI's binding would put both ranks on core 0 (measured: a tenth of the
# speed): binding is off and each namespace's processes are pinned to a core of their own.
cat >"$agent" <<AGENT
#!/bin/sh
shift
exec ip netns exec $ns1 taskset -c 1 sh -c "\$*"
AGENT
chmod +x "$agent"
cmd=("$@")
if [[ ${#cmd[@]} -eq 0 ]]; then cmd=(scripts/mpi-scaling.mjs --worker); fi
ip netns exec "$ns0" taskset -c 0 env OXNET_THREADS=1 mpirun --allow-run-as-root --mca plm_rsh_agent "$agent" \
  --host 10.77.0.1:1,10.77.0.2:1 -np 2 --bind-to none \
  --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  -x OXNET_THREADS ${OXNET_MPIRUN_EXTRA:-} node "${cmd[@]}"
