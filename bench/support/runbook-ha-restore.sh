#!/bin/sh
# The runbook's HA restore (PROCEDURES.md section 3, with section 2.1's utility pod), scripted
# literally with kubectl for `npm run bench etcd-restore`: one member after another, the
# snapshot copied in with kubectl cp, `rm -r var/lib/etcd/*` and `cp -r`. One change, as the
# issue found necessary: the members are stopped (kube-etcd scaled to 0) before the swap and
# started after it, instead of `rollout restart` under running members, which never finishes.
# Usage: runbook-ha-restore.sh KUBECONFIG CLUSTER SNAPSHOT GKE_ON_PREM_VERSION WORK_DIR
# Bench-only: it trusts its arguments and stops at the first failing command.
set -eu
export KUBECONFIG="$1"
cluster=$2 snapshot=$3 version=$4 work=$5
k() { kubectl -n "$cluster" "$@"; }
etcdctl_flags="--cacert=/etcd.local.config/certificates/etcdCA.crt --cert=/etcd.local.config/certificates/etcd.crt --key=/etcd.local.config/certificates/etcd.key"

# 3.1 The members and their nodes.
members=$(k get statefulset kube-etcd -o jsonpath='{.spec.replicas}')
api_replicas=$(k get statefulset kube-apiserver -o jsonpath='{.spec.replicas}')
maintenance_replicas=$(k get deployment gke-master-etcd-maintenance -o jsonpath='{.spec.replicas}')
k get pods -o wide
# Each member's node, recorded now: the pods are gone once the members are stopped.
k get pods -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName}{"\n"}{end}' >"$work/nodes.txt"

# 3.2 Save the PDB, then delete it.
k get pdb kube-apiserver-pdb -o yaml >"$work/pdb.yaml"
k delete pdb kube-apiserver-pdb

# 3.3 Nothing may use etcd during the restore.
k scale statefulset kube-apiserver --replicas=0
k scale deployment gke-master-etcd-maintenance --replicas=0

# The members stopped before any swap (not in the runbook; without it the restore never finishes).
k scale statefulset kube-etcd --replicas=0
while k get pods --no-headers 2>/dev/null | grep -q '^kube-etcd-'; do sleep 0.5; done

initial_cluster=""
n=0
while [ "$n" -lt "$members" ]; do
  initial_cluster="${initial_cluster:+$initial_cluster,}kube-etcd-$n=https://kube-etcd-$n.kube-etcd:2380"
  n=$((n + 1))
done

# 3.4 For each member: utility pod, snapshot in, restore, rm -r, cp -r, clean up.
n=0
while [ "$n" -lt "$members" ]; do
  node=$(awk -v pod="kube-etcd-$n" '$1 == pod { print $2 }' "$work/nodes.txt")
  cat >"$work/etcd-utility-$n.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: etcd-utility-$n
  namespace: $cluster
spec:
  containers:
  - command: ["/bin/sh"]
    args: ["-ec", "while :; do echo '.'; sleep 5 ; done"]
    image: gcr.io/gke-on-prem-release/etcd-util:$version
    name: etcd-utility
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: data
    - mountPath: /etcd.local.config/certificates
      name: etcd-certs
  nodeSelector:
    kubernetes.googleapis.com/cluster-name: $cluster
    kubernetes.io/hostname: $node
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  - effect: NoExecute
    key: node.kubernetes.io/unreachable
    operator: Exists
    tolerationSeconds: 300
  - effect: NoSchedule
    key: node.kubernetes.io/unschedulable
    operator: Exists
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data-kube-etcd-$n
  - name: etcd-certs
    secret:
      secretName: kube-etcd-certs
      defaultMode: 420
EOF
  k apply -f "$work/etcd-utility-$n.yaml"
  k wait --for=condition=Ready "pod/etcd-utility-$n" --timeout=300s
  k cp "$snapshot" "etcd-utility-$n:/snapshot.db" -c etcd-utility
  # shellcheck disable=SC2086
  k exec "etcd-utility-$n" -c etcd-utility -- sh -ec "cd / && ETCDCTL_API=3 etcdctl $etcdctl_flags \
    --name=kube-etcd-$n --initial-cluster=$initial_cluster --initial-cluster-token=etcd-cluster-1 \
    --initial-advertise-peer-urls=https://kube-etcd-$n.kube-etcd:2380 snapshot restore snapshot.db >/dev/null"
  k exec "etcd-utility-$n" -c etcd-utility -- sh -ec "rm -r /var/lib/etcd/* && cp -r /kube-etcd-$n.etcd/* /var/lib/etcd/ && rm -rf /kube-etcd-$n.etcd /snapshot.db"
  k delete pod "etcd-utility-$n" --wait=true
  rm -f "$work/etcd-utility-$n.yaml"
  n=$((n + 1))
done

# 3.5 The members back (instead of rollout restart), every one Ready.
k scale statefulset kube-etcd --replicas="$members"
k rollout status statefulset kube-etcd --timeout=300s

# 3.6 The API server and the maintenance job back, Ready.
k scale statefulset kube-apiserver --replicas="$api_replicas"
k scale deployment gke-master-etcd-maintenance --replicas="$maintenance_replicas"
k rollout status statefulset kube-apiserver --timeout=300s
k rollout status deployment gke-master-etcd-maintenance --timeout=300s

# 3.7 Re-create the PDB from the saved manifest (server-set fields a create refuses removed).
sed -e '/^  resourceVersion:/d' -e '/^  uid:/d' -e '/^  creationTimestamp:/d' "$work/pdb.yaml" | k create -f -
