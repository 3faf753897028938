#!/usr/bin/env bash
# Installs every program nepho's tests talk to (Debian 12, as root or with
# sudo): the system packages, then moto and cfn-lint with pip. Safe to run
# again: only what is missing is installed, so a machine that has it all
# (or no network) gets through without fetching anything.
# Under CI (the CI variable set) a test whose tool is missing fails instead of
# skipping (test/fixtures/tools.ts): run this first.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

# git: installs and registries; tmux: terminal tests; openssh-server: formation:ssh;
# vagrant: vagrant validate; chromium: the registry's web listing; postgresql: the
# team server; ruby: reading back rendered Vagrantfile literals; time: peak memory
# of hostile downloads; zsh and fish: shell completion; python3 and pip: moto and cfn-lint below.
packages=(git tmux openssh-server vagrant chromium postgresql ruby time zsh fish python3 python3-pip)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# moto (AWS, with its server) and cfn-lint, from PyPI, only when python3 cannot already run them.
pip_missing=()
python3 -c 'import moto.server' >/dev/null 2>&1 || pip_missing+=('moto[server]>=5.2,<6')
python3 -c 'import cfnlint' >/dev/null 2>&1 || pip_missing+=('cfn-lint')
if [ ${#pip_missing[@]} -gt 0 ]; then
  # Debian's python3 refuses system-wide installs (PEP 668) unless told otherwise.
  flags=()
  if python3 -m pip install --help 2>/dev/null | grep -q -- '--break-system-packages'; then flags+=(--break-system-packages); fi
  $SUDO python3 -m pip install --quiet "${flags[@]}" "${pip_missing[@]}"
fi
# The tests start moto as moto_server, or as python3 -m moto.server; nepho runs cfn-lint from PATH.
python3 -c 'import moto.server' >/dev/null 2>&1 || { echo 'install-test-deps: python3 cannot import moto.server after installing it' >&2; exit 1; }
command -v cfn-lint >/dev/null 2>&1 || { echo 'install-test-deps: cfn-lint is not on PATH after installing it' >&2; exit 1; }

echo "test dependencies installed: ${packages[*]}, moto, cfn-lint"
