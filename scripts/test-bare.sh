#!/usr/bin/env bash
# Runs a command (default: npm test) as on a machine with Node and nothing else of ours: in a private
# mount namespace, ffmpeg, ffprobe, zip and unzip (every copy on PATH) are covered by /dev/null and the
# font folders (/usr/share/fonts, /usr/local/share/fonts, ~/.fonts, ~/.local/share/fonts) by empty
# tmpfs. Nothing changes outside the command. Needs unshare(1); root, or unprivileged user namespaces.
#   scripts/test-bare.sh
#   scripts/test-bare.sh npx vitest run packages/core/src/adapters/node/ffmpeg-video.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${YOLOOPS_TEST_BARE_INSIDE:-}" != 1 ]; then
  flags=(--mount --propagation private)
  [ "$(id -u)" -eq 0 ] || flags+=(--map-root-user)
  YOLOOPS_TEST_BARE_INSIDE=1 exec unshare "${flags[@]}" bash "$0" "$@"
fi
unset YOLOOPS_TEST_BARE_INSIDE

hidden=()
IFS=: read -ra path_dirs <<< "$PATH"
for program in ffmpeg ffprobe zip unzip; do
  for dir in "${path_dirs[@]}"; do
    file="${dir:-.}/$program"
    [ -f "$file" ] || continue # also false once covered through another PATH entry (a /bin -> /usr/bin link)
    mount --bind /dev/null "$(readlink -f "$file")"
    hidden+=("$file")
  done
done
for dir in /usr/share/fonts /usr/local/share/fonts "$HOME/.fonts" "$HOME/.local/share/fonts"; do
  [ -d "$dir" ] || continue
  mount -t tmpfs -o size=1m,mode=755 tmpfs "$dir"
  hidden+=("$dir/")
done

for program in ffmpeg ffprobe zip unzip; do
  for dir in "${path_dirs[@]}"; do
    if [ -f "${dir:-.}/$program" ] && [ -x "${dir:-.}/$program" ]; then
      echo "test-bare: ${dir:-.}/$program is still there" >&2
      exit 1
    fi
  done
done
if [ -n "$(find /usr/share/fonts /usr/local/share/fonts "$HOME/.fonts" "$HOME/.local/share/fonts" -type f 2>/dev/null | head -1)" ]; then
  echo "test-bare: a font file is still visible" >&2
  exit 1
fi
echo "test-bare: hidden ${hidden[*]:-nothing (none of them is installed here)}" >&2

[ $# -gt 0 ] || set -- npm test
exec "$@"
