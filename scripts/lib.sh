# Shared by the QuorumFS scripts: locations, Java and build checks, pid files, readiness waits.
# shellcheck shell=bash
QFS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QFS_VAR=$(realpath -m "${QFS_VAR:-$QFS_ROOT/var}")
QFS_VERSION=0.1.0-SNAPSHOT
# UTF-8 names whatever LANG says; no Java deserialization of anything from the wire.
QFS_JAVA_OPTS=(-Xss1m -Dfile.encoding=UTF-8 -Dsun.jnu.encoding=UTF-8 '-Djdk.serialFilter=!*' ${QFS_JAVA_OPTS_EXTRA:-})

# The cluster's shared secret: every process proves it on every call (an HMAC per request, see
# ClusterKey). Created (mode 0600) the first time anything is started with this var/; QFS_KEY_FILE
# names another file (copy it to every machine of the cluster), or "none" for no authentication,
# in which case servers bind only loopback addresses. When var/tls/cluster.p12 exists
# (scripts/tls-init), every call also travels in TLS; QFS_TLS_STORE names another store, or
# "none" for plain HTTP. Both reach the processes as --key-file and --tls-store, in
# QFS_CLUSTER_ARGS (appended to every java command's arguments).
QFS_CLUSTER_ARGS=()
cluster_key() {
  local f=${QFS_KEY_FILE:-$QFS_VAR/cluster.key} tls=${QFS_TLS_STORE:-$QFS_VAR/tls/cluster.p12}
  # Absolute: servers start from / (see start_server), where a relative path would name nothing.
  [ "$f" = none ] || f=$(realpath -m "$f")
  [ "$tls" = none ] || tls=$(realpath -m "$tls")
  if [ "$f" != none ]; then
    if [ ! -f "$f" ]; then
      mkdir -p "$(dirname "$f")"
      (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$f.$$" && mv -n "$f.$$" "$f"; rm -f "$f.$$")
    fi
    QFS_CLUSTER_ARGS+=(--key-file "$f")
  fi
  if [ "$tls" != none ]; then
    if [ -f "$tls" ]; then
      QFS_CLUSTER_ARGS+=(--tls-store "$tls")
    elif [ -n "${QFS_TLS_STORE:-}" ]; then
      die "QFS_TLS_STORE=$tls: no such store (scripts/tls-init makes one)"
    fi
  fi
}

# C2 compiles only really hot code (base64, digests, the FUSE and RPC paths): its thresholds ten
# times the default, the long tail of lukewarm methods stays in C1's code. In the mount, C2 was its
# largest CPU user for minutes after every mount (1,200 creates on a fresh mount: 8.3 s of the
# client's 16 s compiling, over 3,800 methods; with these thresholds 1.0 of 7.8 s, creates/s up by
# a third). Data servers take them too: over 2,000 small files created, stat'ed, read and deleted
# on fresh servers C2 took 3.2-4.5 of a data server's 8.5 CPU seconds (single compilations of
# 0.5-1 s: Apache's ReflectiveXmlRpcHandler.execute, 77 kB of code), 1.5 s with these thresholds
# (totals 6.1-7.9 s); over all of fsbench (two alternating pairs) the rows moved within the noise
# and a data server's peak RSS fell from 124-150 to 118-134 MiB (the compiler's arenas). The
# meta-server keeps the defaults: with these thresholds its request threads spent in C1's code
# about what its compiler saved (fsbench: 33.0 and 36.4 CPU seconds against 31.0 and 33.0).
HOT_CODE_ONLY_C2="-XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=6000 -XX:Tier4CompileThreshold=150000 -XX:Tier4BackEdgeThreshold=400000"

# Heap per role: a data server holds only the few requests in flight; the meta-server its SQLite
# page cache and a page of directory entries per call. The serial collector keeps a small heap's
# resident size small (G1's bookkeeping costs tens of MiB); a per-thread cache of temporary direct
# buffers as large as a block (the JDK's default) is not kept. QFS_DATA_HEAP_MB: a data server's
# heap for blocks larger than the default 1 MiB (its requests are served within half of it).
# A data server's young generation keeps the blocks of the requests in flight (-XX:SurvivorRatio=2:
# survivor spaces of 5.3 MiB instead of 1.6) and promotes what survives a second collection
# (-XX:MaxTenuringThreshold=1). With the defaults each young collection during a put moved its
# 1.4 MB body into the old generation, which filled with dead blocks and stayed resident (22-40 of
# 43 MiB used, never collected, after 256 MiB of writes; 3.9 MiB with these): a data server rested
# at 102-119 MiB instead of 75-88. Larger survivors alone cost writes ~10 % in five pairs of six
# (why was not profiled: the same CPU and GC time, more pauses); with the threshold, level.
server_java_opts() {
  local common="-XX:+UseSerialGC -XX:ReservedCodeCacheSize=32m -Djdk.nio.maxCachedBufferSize=262144 ${QFS_NATIVE_TRIM:-}"
  case $1 in
    dataserver) echo "-Xmx${QFS_DATA_HEAP_MB:-64}m -XX:SurvivorRatio=2 -XX:MaxTenuringThreshold=1 $HOT_CODE_ONLY_C2 $common" ;;
    *) echo "-Xmx160m $common" ;;
  esac
}

# glibc gives every thread that allocates its own malloc arena (64 MiB of address space, some of it
# resident); the JVM's few native allocations do not need more than two.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}

# The client's heap: its write-back and read caches (MiB) plus room for the blocks in flight. G1
# grows a heap to its limit under fsbench, so the limit sets the resident size: with 128 MiB of
# room the client peaked at 379-417 MiB, with 48 at 305-336 (fio: sequential 256 MiB, random
# writes over 64 and over 200 MiB, the latter with a data server stopped, then 2 GiB of dd with it
# stopped), at the same speed and with no OutOfMemoryError. Bytes in flight per put: the block,
# its encoded body (1.4 MiB) and the HTTP connection's copy of the body per replica.
# The young generation is capped at a quarter of the heap (G1's default allows 60 %): in the
# small-file and tree phases, where the caches hold little, G1 widened it and the client peaked at
# 310-321 MiB; capped, 262-285, rows level or better (three alternating pairs of whole fsbench runs).
# The heap starts at 32 MiB: by default it starts at a 64th of the machine's memory, here more than
# the limit, so G1 had the whole heap committed from the start and spread its allocations over all
# of it; starting small, the client peaked at 263-273 MiB against 287-299 (154-193 against 184-204
# on the mounts that ran only sequential and random I/O), rows level (two alternating pairs).
client_java_opts() {
  echo "-Xms32m -Xmx$(($1 + $2 + 48))m -XX:+UseG1GC -XX:+UnlockExperimentalVMOptions -XX:G1MaxNewSizePercent=25" \
    "-Djdk.nio.maxCachedBufferSize=262144 $HOT_CODE_ONLY_C2 ${QFS_NATIVE_TRIM:-}"
}

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

need_java() {
  command -v java >/dev/null 2>&1 || die "java not found: install Java 17 (apt-get install -y openjdk-17-jre-headless)"
  local v trim="-XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=2000"
  # glibc keeps resident what a JVM frees in native memory (the JIT's arenas, temporary I/O
  # buffers): a data server rested at 158-178 MiB after a benchmark on its 64 MiB heap, ~125 MiB
  # when the JVM trims its native heap every 2 s (peaks while busy stay). JDK 17 has the option
  # from 17.0.9, as experimental; a JVM that refuses it runs without.
  if v=$(java $trim -XshowSettings:properties -version 2>&1); then
    QFS_NATIVE_TRIM=$trim
  else
    QFS_NATIVE_TRIM=
    v=$(java -XshowSettings:properties -version 2>&1)
  fi
  v=$(awk -F'= ' '/java.specification.version/ {print $2}' <<<"$v")
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "Java 17 or newer is needed, found $v"
}

# The classpath of a module (metaserver, dataserver, client-fuse), building the project if needed.
module_classpath() {
  local module=$1 jar="$QFS_ROOT/$1/target/quorumfs-$1-$QFS_VERSION.jar"
  if [ ! -f "$jar" ] || [ ! -d "$QFS_ROOT/$module/target/lib" ]; then
    command -v mvn >/dev/null 2>&1 || die "the build is missing and Maven is not installed: apt-get install -y maven"
    echo "building QuorumFS (mvn -q -DskipTests package) ..." >&2
    (cd "$QFS_ROOT" && mvn -B -q -DskipTests package) >&2 || die "the build failed"
  fi
  echo "$jar:$QFS_ROOT/$module/target/lib/*"
}

# Whether a process still runs. A zombie does not: an orphaned client or server is reaped by
# whatever runs as pid 1, which may take seconds, and kill -0 succeeds on it all that time.
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [ "${st%% *}" != Z ]; }

valid_port() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

# Whether something listens on a TCP port, read from the kernel's socket tables. (Connecting to
# find out misleads: a connect to a free port in the ephemeral range can be answered by the very
# socket that connects, a TCP self-connect, and the free port then looks taken.)
port_in_use() {
  local hex; hex=$(printf '%04X' "$1")
  awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

pid_file() { echo "$QFS_VAR/run/$1.pid"; }

# The pid recorded for a port, if that process still runs and is the QuorumFS server on it.
running_pid() {
  local f pid
  f=$(pid_file "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep "org.quorumfs.*[[:space:]]$1\b" >/dev/null || return 1
  echo "$pid"
}

# Waits until a log file says "ready on port" after byte OFFSET (logs are appended across
# restarts: an earlier run's line must not count), or the process dies, or 30 s pass.
await_ready() {
  local pid=$1 log=$2 what=$3 offset=$4
  for _ in $(seq 1 300); do
    tail -c +$((offset + 1)) "$log" 2>/dev/null | grep "ready on port" >/dev/null && return 0
    # What this run logged; a refused option's line comes before the usage text, which is cut.
    kill -0 "$pid" 2>/dev/null || {
      echo "$what failed to start:" >&2
      tail -c +$((offset + 1)) "$log" | sed '/^Usage: /,$d' | tail -n 5 >&2
      return 1
    }
    sleep 0.1
  done
  echo "$what not ready after 30 s, see $log" >&2
  return 1
}

# Starts one server: start_server ROLE MAINCLASS PORT MODE [ARGS...]; MODE is foreground|background.
start_server() {
  local role=$1 main=$2 port=$3 mode=$4; shift 4
  local cp log dir="$QFS_VAR/$role-$port" args=()
  # A --data-dir of the caller's replaces the default (the server takes the option once), made
  # absolute because a detached server runs from /.
  while [ $# -gt 0 ]; do
    if [ "$1" = --data-dir ]; then dir=$(realpath -m "$2"); shift 2; else args+=("$1"); shift; fi
  done
  valid_port "$port" || die "invalid port '$port' (1..65535)"
  if port_in_use "$port"; then
    die "port $port is already in use$(running_pid "$port" >/dev/null && echo " by a QuorumFS server (pid $(running_pid "$port"))")"
  fi
  need_java
  cp=$(module_classpath "$role") || exit 1
  mkdir -p "$QFS_VAR/run" "$QFS_VAR/log"
  cluster_key
  log="$QFS_VAR/log/$role-$port.log"
  # SQLite's JDBC driver copies its native library into a new file of the temp directory at every
  # start and deletes it at a clean exit only: each meta-server killed (kill-server, chaos, a
  # crash) left 1.1 MB in /tmp, and a lock file that keeps the driver's own sweep from it. The
  # copy goes beside the store instead, and the previous one is removed first: one store has one
  # meta-server, and a running one keeps its mapped copy even when the file is gone.
  local own=()
  if [ "$role" = metaserver ]; then
    rm -rf "$dir/native" && mkdir -p "$dir/native" || die "cannot prepare $dir/native"
    own=("-Dorg.sqlite.tmpdir=$dir/native")
  fi
  if [ "$mode" = foreground ]; then
    echo $$ >"$(pid_file "$port")"
    # shellcheck disable=SC2046
    exec java $(server_java_opts "$role") "${own[@]}" "${QFS_JAVA_OPTS[@]}" -cp "$cp" "$main" "$port" --data-dir "$dir" "${QFS_CLUSTER_ARGS[@]}" "${args[@]}"
  fi
  local offset
  offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
  # Started from / : a server whose working directory is on a QuorumFS mount (a user restarting
  # the meta-server from inside it) would block at start on the mount, which waits for the server.
  # shellcheck disable=SC2046
  (cd / && exec setsid java $(server_java_opts "$role") "${own[@]}" "${QFS_JAVA_OPTS[@]}" -cp "$cp" "$main" "$port" \
    --data-dir "$dir" "${QFS_CLUSTER_ARGS[@]}" "${args[@]}" >>"$log" 2>&1 </dev/null) &
  local pid=$!
  echo "$pid" >"$(pid_file "$port")"
  await_ready "$pid" "$log" "$role $port" "$offset" || { kill -9 "$pid" 2>/dev/null; rm -f "$(pid_file "$port")"; return 1; }
  echo "$role on port $port: pid $pid, log $log"
}

have_libfuse2() { ldconfig -p 2>/dev/null | grep 'libfuse\.so\.2' >/dev/null; }  # no -q: an early exit would SIGPIPE ldconfig, and pipefail report it

# The canonical path of a mountpoint and the name its pid and log files use.
mount_key() { realpath -m "$1" | sed 's#[^A-Za-z0-9._-]#_#g'; }

is_mounted() { grep -q " $(realpath -m "$1") fuse" /proc/mounts; }

fuse_unmount() {
  if command -v fusermount >/dev/null 2>&1; then fusermount -u "$1"; else fusermount3 -u "$1"; fi
}
