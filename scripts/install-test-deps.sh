#!/usr/bin/env bash
# Installs the system packages nepho's tests talk to (Debian 12, as root).
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
packages=(git tmux openssh-server vagrant chromium ruby)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# cfn-lint's CloudFormation-compatible loaders are what the template corpus
# (test/corpus) is compared with; PyPI is only asked when it is missing.
if ! python3 -c 'import cfnlint' >/dev/null 2>&1; then
  python3 -m pip install --quiet cfn-lint 2>/dev/null || python3 -m pip install --quiet --break-system-packages cfn-lint
fi
echo "test dependencies: ${packages[*]} and cfn-lint installed"
