#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver (TLS with
# certificates made here, token auth, RBAC, the default admission plugins, which
# include ResourceQuota) and kube-controller-manager (deployment, replicaset,
# endpoints, garbage collector, namespace, resource quota and service account
# controllers; quota admission refuses pods until the quota controller has
# written a quota's status). No scheduler and no kubelet run; tests bind pods and
# write their status themselves.
#
#   tests/realk8s/cluster.sh start [DIR]   # DIR defaults to a new temp dir
#   tests/realk8s/cluster.sh stop DIR
#
# `start` prints DIR on stdout; DIR/kubeconfig reaches the API server as an
# admin (system:masters), DIR/env holds KUBECONFIG and the ports. `stop` ends
# only the processes whose PIDs `start` wrote to DIR/pids, then removes DIR.
# With MSV_K8S_OWNER_PID set, a watcher stops the cluster once that process
# is gone, so a test run that dies leaves nothing behind.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SERVICE_RANGE=10.0.0.0/24
SERVICE_IP=10.0.0.1
STARTUP_TIMEOUT=${MSV_K8S_STARTUP_TIMEOUT:-120}

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 2; }

# A free loopback TCP port, or nothing. The components take fixed ports, so
# this picks one nobody listens on; a clash makes the start fail loudly.
free_port() {
  local p used
  used=$(ss -Hltn 2>/dev/null | awk '{print $4}' | sed -E 's/.*:([0-9]+)$/\1/' | sort -u)
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    grep -qx "$p" <<<"$used" || { echo "$p"; return; }
  done
  die "no free port found"
}

is_ours() { # PID DIR: the process is alive and was started for DIR
  [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}

stop() {
  local dir=${1:?usage: cluster.sh stop DIR}
  [[ -f $dir/pids ]] || { log "no cluster in $dir"; return 0; }
  local pids=() p
  mapfile -t pids < <(tac "$dir/pids")
  for p in "${pids[@]}"; do is_ours "$p" "$dir" && kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${pids[@]}"; do is_ours "$p" "$dir" && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for p in "${pids[@]}"; do is_ours "$p" "$dir" && kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$dir"
  log "stopped"
}

certs() {
  local d=$1/pki
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
      -subj /CN=msv-test-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
      -subj /CN=kube-apiserver 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:%s,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' \
      "$SERVICE_IP" >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out apiserver.crt -days 2 -extfile apiserver.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

kubeconfig() { # FILE PORT TOKEN USER
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: msv-real
  cluster:
    server: https://127.0.0.1:$2
    certificate-authority-data: $(base64 -w0 <"$DIR/pki/ca.crt")
users:
- name: $4
  user:
    token: $3
contexts:
- name: msv-real
  context: {cluster: msv-real, user: $4, namespace: default}
current-context: msv-real
KC
}

spawn() { # NAME CMD...: runs in the background, logs to DIR/NAME.log
  local name=$1; shift
  "$@" >"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >>"$DIR/pids"
}

wait_for() { # WHAT CMD...: retries until CMD succeeds or the timeout passes
  local what=$1; shift
  local deadline=$((SECONDS + STARTUP_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      log "$what not ready after ${STARTUP_TIMEOUT}s; last log lines:"
      tail -n 20 "$DIR"/*.log >&2 || true
      stop "$DIR"
      exit 1
    fi
    sleep 0.3
  done
}

start() {
  DIR=${1:-$(mktemp -d /tmp/msv-k8s.XXXXXX)}
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  [[ ! -s $DIR/pids ]] || die "$DIR already has a running cluster; stop it first"
  local bin
  bin=$("$HERE/build.sh") || die "the control plane could not be built (see above)"
  command -v etcd >/dev/null || die "etcd not found: apt-get install etcd-server"
  command -v openssl >/dev/null || die "openssl not found: apt-get install openssl"
  : >"$DIR/pids"
  certs "$DIR"

  local etcd_port peer_port api_port admin_token cm_token
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
  admin_token=$(openssl rand -hex 16); cm_token=$(openssl rand -hex 16)
  printf '%s,admin,admin-uid,"system:masters"\n%s,system:kube-controller-manager,kcm-uid\n' \
    "$admin_token" "$cm_token" >"$DIR/pki/tokens.csv"

  spawn etcd etcd --name msv --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "msv=http://127.0.0.1:$peer_port"
  wait_for etcd curl -fsS "http://127.0.0.1:$etcd_port/health"

  spawn kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$api_port" --insecure-port 0 --cert-dir "$DIR/pki" \
    --tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
    --client-ca-file "$DIR/pki/ca.crt" \
    --token-auth-file "$DIR/pki/tokens.csv" --authorization-mode RBAC \
    --service-cluster-ip-range "$SERVICE_RANGE" \
    --service-account-key-file "$DIR/pki/sa.pub" \
    --service-account-signing-key-file "$DIR/pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --profiling=false --logtostderr --v=1
  kubeconfig "$DIR/kubeconfig" "$api_port" "$admin_token" admin
  wait_for kube-apiserver curl -fsS --cacert "$DIR/pki/ca.crt" \
    -H "Authorization: Bearer $admin_token" "https://127.0.0.1:$api_port/readyz"

  kubeconfig "$DIR/controller-manager.kubeconfig" "$api_port" "$cm_token" system:kube-controller-manager
  spawn kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$DIR/controller-manager.kubeconfig" \
    --controllers deployment,replicaset,endpoint,garbagecollector,namespace,resourcequota,serviceaccount,serviceaccount-token \
    --use-service-account-credentials \
    --service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \
    --leader-elect=false --port 0 --secure-port 0 --cert-dir "$DIR/pki" \
    --profiling=false --logtostderr --v=1
  # Pods can be created once the default service account and its token exist.
  wait_for kube-controller-manager bash -c \
    "kubectl --kubeconfig '$DIR/kubeconfig' -n default get serviceaccount default -o jsonpath='{.secrets[0].name}' | grep -q ."

  if [[ -n ${MSV_K8S_OWNER_PID:-} ]]; then
    (
      trap '' HUP
      while kill -0 "$MSV_K8S_OWNER_PID" 2>/dev/null && [[ -s $DIR/pids ]]; do sleep 1; done
      [[ -d $DIR ]] && stop "$DIR"
    ) >/dev/null 2>&1 </dev/null &
    disown
  fi
  cat >"$DIR/env" <<ENV
KUBECONFIG=$DIR/kubeconfig
MSV_K8S_API_PORT=$api_port
MSV_K8S_ETCD_PORT=$etcd_port
MSV_K8S_ADMIN_TOKEN=$admin_token
ENV
  log "ready: KUBECONFIG=$DIR/kubeconfig (https://127.0.0.1:$api_port)"
  echo "$DIR"
}

case ${1:-} in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage: cluster.sh start [DIR] | stop DIR" ;;
esac
