#!/bin/sh
# Starts one Redis server of compose.yaml (redis-1 starts as master, redis-2 as its replica). Its config is
# written once, into its own volume: after a failover the sentinels rewrite it (CONFIG REWRITE), so a
# restarted server comes back in the role it has now, not the one it started with.
set -eu
data=${REDIS_DATA:-/data}
conf=$data/redis.conf
if [ ! -f "$conf" ]; then
    cat > "$conf" <<CONF
port ${REDIS_PORT:-6379}
dir $data
appendonly yes
requirepass ${HOTLINE_REDIS_PASSWORD}
masterauth ${HOTLINE_REDIS_PASSWORD}
replica-announce-ip ${REDIS_NAME}
CONF
    if [ -n "${REDIS_REPLICA_OF:-}" ]; then
        echo "replicaof ${REDIS_REPLICA_OF}" >> "$conf"
    fi
fi
exec redis-server "$conf"
