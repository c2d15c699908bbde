#!/usr/bin/env bash
# The packages as npm would publish them: each workspace package is packed
# (npm pack, after npm run build), then each tarball is checked by publint
# (--strict: a warning fails) and by @arethetypeswrong/cli (types resolve under
# node10, node16 CJS/ESM and bundler resolution). Then a fresh app installs the
# four tarballs beside express-session and the OLDEST @aws-sdk/client-dynamodb
# the dynamodb package claims, and must end up with ONE copy of the SDK, and
# require() and import() the packages. (The file lists are checked by
# test/infra/package-files.test.ts, in npm test.)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${TMPDIR:-/tmp}/connect-dynamodb-session-packs
rm -rf "$out"
mkdir -p "$out/app"
for ws in core dynamodb express koa; do
  npm pack --workspace "packages/$ws" --pack-destination "$out" --ignore-scripts --silent >/dev/null
done
for tarball in "$out"/*.tgz; do
  echo "--- $(basename "$tarball")"
  npx --no-install publint --strict "$tarball"
  npx --no-install attw --format table-flipped "$tarball"
done

range=$(node -p 'require("./packages/dynamodb/package.json").dependencies["@aws-sdk/client-dynamodb"]')
oldest=${range#^}
cd "$out/app"
npm init -y >/dev/null
npm install --no-audit --no-fund --no-package-lock "@aws-sdk/client-dynamodb@$oldest" express-session "$out"/*.tgz >/dev/null
copies=$(find node_modules -type d -path '*/@aws-sdk/client-dynamodb' | wc -l)
echo "fresh app with @aws-sdk/client-dynamodb@$oldest and the four tarballs: $copies copy of the SDK, node_modules $(du -sh node_modules | cut -f1)"
[ "$copies" -eq 1 ] || { echo "expected one copy of @aws-sdk/client-dynamodb:"; find node_modules -type d -path '*/@aws-sdk/client-dynamodb'; exit 1; }
node -e '
  const connect = require("connect-dynamodb-session");
  const DynamoStore = connect(require("express-session"));
  const store = new DynamoStore({ tableName: "sessions", region: "eu-west-1" });
  require("@connect-dynamodb-session/koa");
  require("@connect-dynamodb-session/core/testing");
  store.close().then(() => console.log("require: ok"));'
node --input-type=module -e '
  const { default: connect, DynamoDBStore } = await import("connect-dynamodb-session");
  const { createKoaStore } = await import("@connect-dynamodb-session/koa");
  const { describeBackendConformance } = await import("@connect-dynamodb-session/core/testing");
  if (typeof connect !== "function" || typeof DynamoDBStore !== "function" || typeof createKoaStore !== "function" || typeof describeBackendConformance !== "function") throw new Error("missing exports");
  console.log("import: ok");'
