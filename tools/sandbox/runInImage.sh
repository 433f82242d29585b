#!/bin/sh
# The sandbox's stand-in, without a Docker engine, for
#   docker run --rm --env-file <env> --env-file <secret env> <image> <program> [<argument>...]
# (app.migrate, a process of app.processes): the program runs in ./app on this machine with only
# the env files' variables, PATH (<node dir> first) and BIND_ADDRESS=127.0.0.1.
#   runInImage.sh <node dir> <env file> <secret env file> <program> [<argument>...]
set -eu
[ $# -ge 4 ] || { echo "usage: $0 <node dir> <env file> <secret env file> <program> [<argument>...]" >&2; exit 2; }
node_dir=$1
shift
cd "$(dirname "$0")/../../app"
exec env -i PATH="$node_dir:/usr/local/bin:/usr/bin:/bin" BIND_ADDRESS=127.0.0.1 sh -c '
  for file in "$1" "$2"; do
    # One NAME=value per line, taken literally as docker --env-file does.
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in "" | "#"*) ;; *) export "$line" ;; esac
    done <"$file"
  done
  shift 2
  exec "$@"' run-in-image "$@"
