#!/bin/sh
# Redis 7 of the trevor-dev images (scripts/images.java): an in-memory cache and queue for
# development, nothing saved to disk. Arguments are passed on to redis-server (as with the
# official image); REDIS_PASSWORD, when set, becomes requirepass.
set -eu
if [ -n "${REDIS_PASSWORD:-}" ]; then
  set -- "$@" --requirepass "$REDIS_PASSWORD"
fi
exec redis-server --port 6379 --bind '* -::*' --protected-mode no --dir /data --save '' --appendonly no "$@"
