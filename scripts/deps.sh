#!/usr/bin/env bash
# Installs what the demo and the tests need on a Debian 12 machine (as root):
# systemd-nspawn for the throwaway testbed systemd, HAProxy, OpenSSH, and
# staticcheck. Safe to run again: it installs only what is missing.
set -euo pipefail

need=()
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v haproxy >/dev/null || need+=(haproxy)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ip >/dev/null || need+=(iproute2)
command -v nsenter >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${need[*]} — run as root, or: sudo apt-get install -y ${need[*]}" >&2
    exit 2
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# HAProxy and sshd come with services the package tries to start; we run our own.
if command -v go >/dev/null; then :; elif [ -x /usr/local/go/bin/go ]; then :; else
  echo "Go 1.26+ is required (https://go.dev/dl/); not found in PATH or /usr/local/go" >&2
  exit 2
fi
