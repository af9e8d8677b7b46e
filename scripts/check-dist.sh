#!/usr/bin/env bash
# Fails when a committed actions/*/dist bundle, or the CLI's dist/cli, differs from what the
# sources build now.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
node scripts/build-actions.mjs --out "$fresh" >/dev/null
status=0
for action in actions/*/; do
  name=$(basename "$action")
  [[ -f "$action/action.yml" ]] || continue
  if ! diff -r -q "$fresh/$name/dist" "$action/dist" >/dev/null 2>&1; then
    echo "check-dist: actions/$name/dist is stale or missing; run 'npm run build' and commit it." >&2
    status=1
  fi
done
if ! diff -r -q "$fresh/.cli/dist" dist/cli >/dev/null 2>&1; then
  echo "check-dist: dist/cli (the CLI bundle) is stale or missing; run 'npm run build' and commit it." >&2
  status=1
fi
# A dist folder whose action is gone is stale too.
for dist in actions/*/dist; do
  [[ -d "$dist" ]] || continue
  name=$(basename "$(dirname "$dist")")
  [[ -d "$fresh/$name/dist" ]] || { echo "check-dist: actions/$name/dist has no action.yml or source" >&2; status=1; }
done
[[ $status -eq 0 ]] && echo "check-dist: every actions/*/dist and dist/cli is fresh"
exit $status
