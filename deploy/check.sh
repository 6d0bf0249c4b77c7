#!/usr/bin/env bash
# Syntax checks of the deployment files (part of the test suite when the tools exist).
set -euo pipefail
cd "$(dirname "$0")"
ok=0
if command -v systemd-analyze >/dev/null 2>&1; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  # verify needs the ExecStart binary to exist: point it at a stand-in.
  sed "s#/usr/local/bin/atalaya#$(command -v true)#" atalaya.service > "$tmp/atalaya.service"
  out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$tmp/atalaya.service" 2>&1 | grep -v -e 'Failed to open' -e 'No such file' -e 'ProtectHostname' || true)
  if echo "$out" | grep -qi -e 'unknown' -e 'invalid' -e 'failed to parse' -e 'bad'; then echo "$out"; exit 1; fi
  echo "systemd unit: ok"; ok=1
else
  echo "systemd-analyze not installed: unit not checked"
fi
if command -v nginx >/dev/null 2>&1; then
  tmp2=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=test -keyout "$tmp2/k.pem" -out "$tmp2/c.pem" -days 1 2>/dev/null
  sed -e "s#/etc/ssl/certs/atalaya.pem#$tmp2/c.pem#" -e "s#/etc/ssl/private/atalaya.key#$tmp2/k.pem#" nginx-atalaya.conf > "$tmp2/site.conf"
  printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { access_log off; include %s/site.conf; }\n' "$tmp2" "$tmp2" > "$tmp2/nginx.conf"
  nginx -t -c "$tmp2/nginx.conf" -p "$tmp2"
  rm -rf "$tmp2"
  echo "nginx config: ok"; ok=1
else
  echo "nginx not installed: proxy config not checked"
fi
exit 0
