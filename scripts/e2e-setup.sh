#!/usr/bin/env bash
# Installs what the editor end-to-end test (server/test/e2e/vscode.test.ts) needs:
#
#   - Node 24 (code-server 4.139 requires it), from the npm registry's
#     node-linux-<arch> package, into .e2e/node24/ (the machine's node stays);
#   - code-server (real VS Code 1.139 served to a browser) into .e2e/code-server/;
#   - Debian's chromium, which playwright-core (a devDependency) drives, and
#     libkrb5-dev, which code-server's kerberos module links against (plus
#     build-essential and python3 when missing, for node-gyp).
#
# Idempotent: a second run checks the versions and does nothing. When done it
# writes .e2e/setup.json, which the test reads; without it the test is skipped
# (or fails when CI is set). Needs root or sudo for apt-get, and `npm ci` first.
#
# About install scripts: npm 11 runs no dependency's install script unless the
# project allows it (allowScripts), and --prefix installs have no project to
# allow it in. So code-server is installed with --ignore-scripts and its
# postinstall.sh is run here explicitly, under Node 24, as npm would run it (it
# checks the node version in npm_config_user_agent, installs lib/vscode's and
# its extensions' remaining dependencies, whose native modules ship prebuilt,
# and links the bin scripts). argon2's install step only verifies the prebuilt
# binary it ships, which node-gyp-build finds at run time.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE24_VERSION=24.21.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
e2e="$root/.e2e"
mkdir -p "$e2e"
started=$SECONDS

log() { printf 'e2e-setup: %s\n' "$*" >&2; }

# 1. System packages: chromium, libkrb5-dev, and a C++ toolchain with python3
#    for the native modules code-server's postinstall builds with node-gyp.
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
{ command -v make && command -v g++; } >/dev/null 2>&1 || need_apt+=(build-essential)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if ((${#need_apt[@]})); then
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { log "need root (or sudo) to apt-get install ${need_apt[*]}"; exit 1; }
    sudo=(sudo)
  fi
  log "apt-get install ${need_apt[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
chromium_bin="$(command -v chromium)"

# 2. Node 24.
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) log "unsupported machine $(uname -m)"; exit 1 ;;
esac
node24_dir="$e2e/node24/node_modules/node-linux-$arch"
node24="$node24_dir/bin/node"
if [ "$("$node24" --version 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  log "installing node-linux-$arch@$NODE24_VERSION"
  rm -rf "$e2e/node24"
  mkdir -p "$e2e/node24"
  npm install --prefix "$e2e/node24" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
    "node-linux-$arch@$NODE24_VERSION" >&2
fi
"$node24" --version >/dev/null

# 3. code-server, run under Node 24 (npm itself then runs on Node 24 too).
cs_dir="$e2e/code-server/node_modules/code-server"
cs_marker="$e2e/code-server/.installed"
if [ "$(cat "$cs_marker" 2>/dev/null || true)" != "$CODE_SERVER_VERSION" ]; then
  log "installing code-server@$CODE_SERVER_VERSION"
  rm -rf "$e2e/code-server"
  mkdir -p "$e2e/code-server"
  (
    export PATH="$node24_dir/bin:$PATH"
    # headers for node-gyp, should a native module need building: Node 24's, not the machine's
    export npm_config_nodedir="$node24_dir"
    npm install --prefix "$e2e/code-server" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
      "code-server@$CODE_SERVER_VERSION" >&2
    cd "$cs_dir"
    npm_config_user_agent="npm/$(npm --version) node/$(node --version) linux $arch" sh ./postinstall.sh >&2
  )
  echo "$CODE_SERVER_VERSION" > "$cs_marker"
fi
cs_entry="$cs_dir/out/node/entry.js"
# (with XDG folders inside .e2e/: code-server writes a default config file first)
got="$(XDG_CONFIG_HOME="$e2e/setup-xdg/config" XDG_DATA_HOME="$e2e/setup-xdg/data" XDG_CACHE_HOME="$e2e/setup-xdg/cache" \
  "$node24" "$cs_entry" --version 2>/dev/null | grep -m1 -E '^[0-9]+[.][0-9]+[.][0-9]+' || true)"
case "$got" in
  "$CODE_SERVER_VERSION"*) ;;
  *) log "code-server does not run (got '$got')"; exit 1 ;;
esac

# 4. playwright-core comes from the devDependencies (npm ci).
(cd "$root" && node -e "require.resolve('playwright-core')") || { log "playwright-core missing: run npm ci first"; exit 1; }

# The test reads this; paths relative to the repository root.
rel() { printf '%s' "${1#"$root/"}"; }
cat > "$e2e/setup.json" <<EOF
{
  "node": "$(rel "$node24")",
  "codeServer": "$(rel "$cs_entry")",
  "codeServerVersion": "$CODE_SERVER_VERSION",
  "chromium": "$chromium_bin"
}
EOF
chromium_version="$(XDG_CONFIG_HOME="$e2e/setup-xdg/config" XDG_CACHE_HOME="$e2e/setup-xdg/cache" "$chromium_bin" --version 2>/dev/null | head -n1 || true)"
log "ready in $((SECONDS - started)) s: code-server $CODE_SERVER_VERSION, node $("$node24" --version), $chromium_version"
