#!/bin/sh
# __NAME__ bootstrap. nepho runs this as root on the machine's first boot
# (EC2 user data, or a Vagrant shell provisioner) and sends its output to
# /var/log/nepho-bootstrap.log. Environment:
#   NEPHO_FORMATION, NEPHO_CLOUDLET, NEPHO_SCENARIO
#   NEPHO_<Name> for each parameter, such as NEPHO_AppPort, and for each secret
#   one, NEPHO_AppSecret, which nepho delivers apart from this script (read
#   from AWS Secrets Manager at boot, or passed on by Vagrant)
# Keep it safe to run again.
set -eu

echo "bootstrapping ${NEPHO_FORMATION:-a formation} of ${NEPHO_CLOUDLET:-__NAME__} (scenario ${NEPHO_SCENARIO:-default})"
echo "serving on port ${NEPHO_AppPort:-80}"
# Never print a secret, nor put it on a command line (anyone on the machine
# can read those): hand it to your service in a root-only file or through
# its environment.
if [ -n "${NEPHO_AppSecret:-}" ]; then
    echo "AppSecret received (${#NEPHO_AppSecret} characters)"
else
    echo "no AppSecret was given" >&2
    exit 1
fi
# Install and configure your service here.
