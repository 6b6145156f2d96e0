#!/usr/bin/env bash
# The consumer smoke test: meets grantflow the way a stranger does. It builds
# and packs every publishable package (packages/*), checks each tarball,
# installs them with the pinned peers from the npm registry into a new project
# outside the workspace, type-checks a small program under moduleResolution
# NodeNext, bundler and node10 (strict, skipLibCheck off), then runs it under
# plain Node (no source condition, no tsx) against the simulated server on
# loopback, and its property test under vitest. Last, it installs core with
# Effect 4 (forced) and checks that the import fails with a message that says
# which Effect to install, not a missing-file crash.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fixture=$root/scripts/consumer-smoke
# the supported peers (README, Install), and what a consumer adds to compile and test
peers=(effect@3.22.4 @effect/platform@0.97.2 @effect/platform-node@0.108.2)
tools=(@effect/vitest@0.30.0 vitest@3.2.7 typescript@5.9.3 @types/node@20.19.43 @types/ws@8.18.2)

# settings pnpm passes to scripts that npm does not know (and warns about on every call)
unset npm_config_npm_globalconfig npm_config_verify_deps_before_run npm_config__jsr_registry

work=$(mktemp -d "${TMPDIR:-/tmp}/grantflow-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
pnpm() { npx --yes pnpm@10.34.8 "$@"; }
step() { printf '\n--- consumer smoke: %s (at %ss)\n' "$1" "$SECONDS"; }
fail() { printf 'consumer smoke: %s\n' "$1" >&2; exit 1; }

step "build"
pnpm build

step "pack (prepack builds each package)"
mkdir "$work/packs"
for dir in packages/*/; do
  [[ $(node -p "require('./${dir}package.json').private === true") == true ]] && continue
  (cd "$dir" && pnpm pack --pack-destination "$work/packs" >/dev/null)
done
node "$fixture/check-tarballs.mjs" "$work"/packs/*.tgz

step "install the tarballs and ${peers[*]} with npm, outside the workspace"
app=$work/app
mkdir "$app"
cp -R "$fixture/package.json" "$fixture"/tsconfig.*.json "$fixture/src" "$fixture/readme-examples.mjs" "$root/packages/node/test/no-backends.mjs" "$app/"
cd "$app"
npm install --no-audit --no-fund --save-exact "$work"/packs/*.tgz "${peers[@]}" "${tools[@]}"
for name in effect @effect/platform @effect/platform-node; do
  copies=$(npm ls "$name" --all --parseable | sort -u | grep -c .) || true
  [[ $copies == 1 ]] || { npm ls "$name" --all; fail "$copies copies of $name installed: a grantflow package must take it as a peer"; }
done
npm ls effect

# each package README's TypeScript example is type-checked with the program
node readme-examples.mjs

resolutions=(nodenext bundler node10)
step "type-check under moduleResolution ${resolutions[*]} (strict, skipLibCheck false), side by side"
pids=()
for resolution in "${resolutions[@]}"; do
  node_modules/.bin/tsc -p "tsconfig.$resolution.json" >"$work/tsc-$resolution.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!resolutions[@]}"; do
  if wait "${pids[$i]}"; then echo "${resolutions[$i]}: no type errors"
  else echo "${resolutions[$i]}: type errors"; cat "$work/tsc-${resolutions[$i]}.log"; failed=1
  fi
done
[[ $failed == 0 ]] || fail "the consumer program does not type-check"

step "run under plain Node ESM"
# Node takes the root through the "node" condition: the entry that checks for Effect 3 first
entry=$(node --input-type=module -e 'console.log(import.meta.resolve("@grantflow/core"))')
[[ $entry == */node_modules/@grantflow/core/dist/index.node.js ]] || fail "plain Node resolves @grantflow/core to $entry"
echo "consumer: Node resolves @grantflow/core to ${entry#"file://$app/"}"
node dist/main.js
# @grantflow/node's root must not load ioredis nor @effect/sql: the hook fails any resolution of them
node --import ./no-backends.mjs --input-type=module \
  -e 'const { FileTokenStore, RedisTokenStore } = await import("@grantflow/node"); if (!FileTokenStore || !RedisTokenStore) process.exit(1)'
if node --import ./no-backends.mjs --input-type=module -e 'await import("ioredis")' 2>/dev/null; then
  fail "the ioredis guard did not see an import of ioredis"
fi
echo "consumer: importing @grantflow/node did not load ioredis or @effect/sql"
# the installed command runs, and refuses bad input with one line and exit code 2
step "the installed grantflow command"
version=$(node_modules/.bin/grantflow --version)
[[ $version == "$(node -p 'JSON.parse(require("fs").readFileSync("node_modules/@grantflow/cli/package.json", "utf8")).version')" ]] || fail "grantflow --version printed: $version"
status=0
refusal=$(node_modules/.bin/grantflow sim --port 70000 2>&1) || status=$?
[[ $status == 2 && $refusal == "grantflow: --port must be"* && $refusal != *$'\n'* ]] ||
  fail "grantflow sim --port 70000 exited $status with: $refusal"
echo "consumer: $refusal (exit 2)"
# the standalone server, discovered and asked for a token by the installed command
coproc SIM { exec node_modules/.bin/grantflow sim 2>/dev/null; }
read -r -t 30 listen <&"${SIM[0]}" || fail "grantflow sim printed no LISTEN line"
issuer=${listen#LISTEN }
summary=$(GRANTFLOW_CLIENT_SECRET=demo-secret node_modules/.bin/grantflow token "$issuer" --client-id demo-client --raw 2>&1 >/dev/null) ||
  fail "grantflow token against $issuer failed: $summary"
kill "$SIM_PID"
echo "consumer: grantflow token $issuer (from grantflow sim) succeeded"

step "property test under vitest"
node_modules/.bin/vitest run --dir dist

step "Effect 4 (npm --legacy-peer-deps): importing @grantflow/core says which Effect to install"
mkdir "$work/effect4"
cd "$work/effect4"
echo '{ "name": "effect4-consumer", "private": true, "type": "module" }' >package.json
npm install --no-audit --no-fund --legacy-peer-deps "$work"/packs/grantflow-core-*.tgz effect@4 @effect/platform@0.97.2
echo "installed: effect $(node -p 'require("effect/package.json").version')"
status=0
stderr=$(node -e 'import("@grantflow/core")' 2>&1 >/dev/null) || status=$?
# Node prints the throwing line first; the first error line must be ours, not ERR_MODULE_NOT_FOUND
error=$(grep -m1 -E '^[A-Za-z]*Error\b' <<<"$stderr") || true
[[ $status != 0 && $error == "Error: @grantflow/core needs Effect 3 ("*"but found effect 4."* ]] ||
  fail "importing @grantflow/core under Effect 4 exited $status with: $stderr"
echo "consumer (effect 4): exit $status: $error"

step "passed in ${SECONDS}s"
