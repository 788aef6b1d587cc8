#!/bin/sh
# Starts one Redis Sentinel of compose.yaml. Its config is written once, into its own volume: a sentinel
# rewrites it as it learns (which server is master after a failover), and must find that again after a
# restart, or it would name the old master again.
set -eu
data=${SENTINEL_DATA:-/data}
conf=$data/sentinel.conf
if [ ! -f "$conf" ]; then
    cat > "$conf" <<CONF
port ${SENTINEL_PORT:-26379}
dir $data
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip ${SENTINEL_NAME}
sentinel monitor hotline ${REDIS_FIRST_MASTER:-redis-1 6379} 2
sentinel down-after-milliseconds hotline 5000
sentinel failover-timeout hotline 60000
sentinel parallel-syncs hotline 1
sentinel auth-pass hotline ${HOTLINE_REDIS_PASSWORD}
CONF
fi
exec redis-server "$conf" --sentinel
