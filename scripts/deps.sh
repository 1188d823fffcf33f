#!/bin/sh
# deps.sh - installs the Debian packages faultline needs to build and test.
# Idempotent and non-interactive: does nothing when everything is present.
#   scripts/deps.sh          install what is missing
#   scripts/deps.sh --check  exit 1 if anything is missing, install nothing
set -eu

# build: compiler driver and pkg-config; the four core libraries,
#        libmicrohttpd (the consumer's /metrics endpoint) and libyaml
#        (the configuration file)
# test:  zstd (compresses fixtures), python3 (scenario generator and
#        scorer), clang (libFuzzer targets)
#        kcat (an independent Kafka client producing into the mock cluster),
#        prometheus (promtool validates the /metrics exposition)
# bench: libjson-c-dev (the JSON library the decoder is measured against)
PKGS="gcc make pkg-config librdkafka-dev libpcre2-dev libzstd-dev libmsgpack-dev
libmicrohttpd-dev libyaml-dev zstd python3 clang libjson-c-dev kcat prometheus"

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0
if [ "${1:-}" = "--check" ]; then
    echo "missing Debian packages:$missing" >&2
    exit 1
fi

echo "deps.sh: installing missing Debian packages:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "deps.sh: not root and no sudo: install$missing by hand" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2 || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
