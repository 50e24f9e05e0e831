#!/usr/bin/env bash
# The pull-request comment: `journey diff --format markdown` for every journey file the
# pull request adds, changes or removes, against the merge base with the base branch.
# Usage: diff_comment.sh OUTPUT.md   (env: JOURNEY_WORKSPACE, JOURNEY_BASE_REF)
set -euo pipefail
out="$1"
cd "${JOURNEY_WORKSPACE:-.}"
base_ref="${JOURNEY_BASE_REF:?the base branch of the pull request}"
git rev-parse --verify -q "origin/$base_ref" >/dev/null || git fetch -q origin "$base_ref"
base="$(git merge-base "origin/$base_ref" HEAD)"
mapfile -t changed < <(git diff --name-only --relative --no-renames "$base" HEAD -- \
  'journeys/*.yaml' 'journeys/*.yml' | grep -v -E '\.test\.ya?ml$' || true)
{
  echo "<!-- journey-diff -->"
  echo "## journey: what this pull request does to contacts in flight"
  echo
  if [ "${#changed[@]}" -eq 0 ]; then
    echo "No journey changed."
  fi
  for path in "${changed[@]}"; do
    if [ ! -e "$path" ]; then
      echo "### \`$path\`: removed"
      echo
      echo "Contacts in it stop where they are; nothing more is sent from this journey."
    elif ! git cat-file -e "$base:./$path" 2>/dev/null; then
      echo "### \`$path\`: new journey"
      echo
      echo "Contacts enter it from its trigger once it is merged and running."
    elif ! journey diff "git:$base" "$path" --format markdown; then
      echo
      echo "\`journey diff\` could not compare \`$path\`: see the validate step."
    fi
    echo
  done
} >"$out"
echo "changed=${#changed[@]}" >>"${GITHUB_OUTPUT:-/dev/null}"
cat "$out" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
