#!/usr/bin/env bash
# The action's step (action.yml). Builds the gate's argument array from DG_* environment variables, runs
# the gate for SARIF (its exit code is the step's), then renders Markdown and JSON from the same inputs and
# the same --now, so the job summary, the code-scanning upload and the exit code agree.
set -uo pipefail
cli="$GITHUB_ACTION_PATH/../bin/driftgate.js"
args=(gate)
while IFS= read -r p; do [ -n "$p" ] && args+=(--policy "$p"); done <<<"${DG_POLICY:-}"
while IFS= read -r f; do [ -n "$f" ] && args+=(--findings "$f"); done <<<"${DG_FINDINGS:-}"
[ -n "${DG_IMAGE:-}" ] && args+=(--image "$DG_IMAGE")
[ -n "${DG_IMAGE_ARCHIVE:-}" ] && args+=(--image-archive "$DG_IMAGE_ARCHIVE")
[ -n "${DG_OCI_LAYOUT:-}" ] && args+=(--oci-layout "$DG_OCI_LAYOUT")
[ -n "${DG_MANIFEST:-}" ] && args+=(--manifest "$DG_MANIFEST")
[ -n "${DG_REPOSITORY:-}" ] && args+=(--repository "$DG_REPOSITORY")
[ -n "${DG_SINCE:-}" ] && args+=(--since "$DG_SINCE")
[ -n "${DG_MODE:-}" ] && args+=(--mode "$DG_MODE")
# One clock for all three reports, so they describe the same evaluation.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
args+=(--now "$now")

sarif="${DG_SARIF:-driftgate.sarif}"
node "$cli" "${args[@]}" --format sarif --output "$sarif"
status=$?
if [ "$status" -le 1 ]; then
  node "$cli" "${args[@]}" --format markdown --output "${GITHUB_STEP_SUMMARY:-/dev/stdout}" || true
  verdict=$(node "$cli" "${args[@]}" --format json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).verdict))')
  {
    echo "verdict=$verdict"
    echo "sarif=$sarif"
  } >>"${GITHUB_OUTPUT:-/dev/null}"
fi
exit "$status"
