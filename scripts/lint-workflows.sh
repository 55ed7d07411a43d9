#!/usr/bin/env bash
# Checks .github/workflows with actionlint (rhysd/actionlint, pinned): the one on PATH, else the
# one `go install` put in GOPATH/bin, else it is built once from the Go module.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.7.12
bin=$(command -v actionlint || true)
if [[ -z "$bin" ]]; then
  command -v go >/dev/null || { echo "lint:workflows needs actionlint or Go (go install github.com/rhysd/actionlint/cmd/actionlint@$version)" >&2; exit 1; }
  bin="$(go env GOPATH)/bin/actionlint"
  if [[ ! -x "$bin" || "$("$bin" -version | sed -n 1p)" != "$version" ]]; then
    go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
  fi
fi
echo "actionlint $("$bin" -version | sed -n 1p)"
"$bin" .github/workflows/*.yml
echo "actionlint: workflows OK"
