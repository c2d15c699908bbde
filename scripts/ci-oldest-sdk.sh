#!/usr/bin/env bash
# The DynamoDB suites (backend, Express and Koa over HTTP, the example app) on
# the OLDEST @aws-sdk/client-dynamodb that packages/dynamodb/package.json
# claims, installed outside the checkout (nothing in it changes) and put in
# place of the workspace's copy through jest's moduleNameMapper. The newest
# version is the one the lockfile holds, which every other step uses.
set -euo pipefail
cd "$(dirname "$0")/.."
range=$(node -p 'require("./packages/dynamodb/package.json").peerDependencies?.["@aws-sdk/client-dynamodb"] ?? require("./packages/dynamodb/package.json").dependencies["@aws-sdk/client-dynamodb"]')
oldest=$(node -e '
  const range = process.argv[1];
  const m = /^\^(\d+\.\d+\.\d+)$/.exec(range);
  if (!m) { console.error(`expected a caret range, got ${range}`); process.exit(1); }
  console.log(m[1]);' "$range")
dir=${TMPDIR:-/tmp}/connect-dynamodb-session-oldest-sdk
rm -rf "$dir"
npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" "@aws-sdk/client-dynamodb@$oldest" >/dev/null
installed=$(node -p "require('$dir/node_modules/@aws-sdk/client-dynamodb/package.json').version")
newest=$(node -p 'require("@aws-sdk/client-dynamodb/package.json").version')
echo "claimed: $range; oldest: $installed (in $dir); newest (the lockfile's): $newest"
AWS_SDK_CLIENT_DYNAMODB_DIR="$dir/node_modules/@aws-sdk/client-dynamodb" npx jest packages/dynamodb packages/express/test/express.int.test.ts packages/koa/test/koa.int.test.ts test/reliability/faults.int.test.ts
