#!/usr/bin/env bash
# Installs the VS Code the end-to-end tests drive, offline, under .vscode-test/ (git-ignored):
# code-server 4.100.3 (VS Code 1.100.3, the newest code-server that runs on Node 20).
# Needs Debian's chromium (and a C toolchain for code-server's native modules), which .ci/run installs:
#   apt-get install -y chromium libkrb5-dev build-essential python3 pkg-config
# Idempotent: does nothing when that version is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.100.3
DIR="$PWD/.vscode-test"
CS="$DIR/code-server"
if [ -f "$CS/node_modules/code-server/package.json" ] && grep -q "\"version\": \"$VERSION\"" "$CS/node_modules/code-server/package.json" \
  && [ -f "$CS/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
  echo "code-server $VERSION is installed in $CS"
  exit 0
fi
command -v chromium >/dev/null || { echo "chromium is missing: apt-get install -y chromium" >&2; exit 1; }
rm -rf "$CS" "$DIR/tmp"
mkdir -p "$CS" "$DIR/tmp"
# Everything npm and the install scripts write to TMPDIR stays under .vscode-test/.
export TMPDIR="$DIR/tmp"

# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache holds the archive:
# fill the cache from the npm package that carries the same binary.
(cd "$TMPDIR" && npm pack --silent @vscode/ripgrep-linux-x64@1.18.0 >/dev/null && tar xzf vscode-ripgrep-linux-x64-1.18.0.tgz)
mkdir -p "$TMPDIR/vscode-ripgrep-cache-1.15.11"
tar czf "$TMPDIR/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$TMPDIR/package/bin" rg

cd "$CS"
# npm 11 runs a dependency's install scripts only when allowed. code-server's own postinstall
# runs `npm install` in lib/vscode, whose native modules are allowed by an .npmrc there; so: install
# with code-server's script held back, write that .npmrc, then run the script (npm rebuild).
echo '{ "private": true, "allowScripts": { "argon2": true, "code-server": false } }' > package.json
npm_config_yes=true npm install --no-audit --no-fund --save-exact "code-server@$VERSION"
echo "allow-scripts=@parcel/watcher,@vscode/deviceid,@vscode/ripgrep,@vscode/spdlog,kerberos,native-watchdog,node-pty" > node_modules/code-server/lib/vscode/.npmrc
echo "{ \"private\": true, \"allowScripts\": { \"argon2\": true, \"code-server\": true }, \"dependencies\": { \"code-server\": \"$VERSION\" } }" > package.json
# As root, code-server's postinstall insists on unsafe-perm; node-pty's runs `npx node-gyp` (yes).
npm_config_yes=true npm_config_unsafe_perm=true npm rebuild code-server
test -f node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg
rm -rf "$DIR/tmp"
echo "code-server $VERSION installed in $CS"
