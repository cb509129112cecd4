#!/usr/bin/env bash
# Unpacks AWS's DynamoDB Local 1.25 (the jar and its libraries) from the npm package amplify-dynamodb-simulator
# into .cache/dynamodb-local, without installing that package's own dependencies (they pull in a second CDK).
# npm checks the tarball against the registry's integrity hash; the jar is then checked against the hash pinned
# here (the package's own sha256 file is that of AWS's zip, not of the jar). Running it needs Java 17; npm start
# never does.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=2.9.30
JAR_SHA256=454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7
DEST=.cache/dynamodb-local
if [ -f "$DEST/DynamoDBLocal.jar" ]; then
  echo "DynamoDB Local is in $DEST"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm pack "amplify-dynamodb-simulator@$VERSION" --pack-destination "$tmp" --silent >/dev/null
tar xzf "$tmp/amplify-dynamodb-simulator-$VERSION.tgz" -C "$tmp" package/emulator
echo "$JAR_SHA256  $tmp/package/emulator/DynamoDBLocal.jar" | sha256sum -c --quiet -
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST"
mv "$tmp/package/emulator" "$DEST"
echo "DynamoDB Local 1.25 (from amplify-dynamodb-simulator $VERSION) is in $DEST"
