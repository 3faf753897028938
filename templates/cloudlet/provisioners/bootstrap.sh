#!/bin/sh
# __NAME__ bootstrap. nepho runs this as root on the machine's first boot
# (EC2 user data, or a Vagrant shell provisioner) and sends its output to
# /var/log/nepho-bootstrap.log. Environment:
#   NEPHO_FORMATION, NEPHO_CLOUDLET, NEPHO_SCENARIO
#   NEPHO_<Name> for each non-secret parameter, such as NEPHO_AppPort
# Keep it safe to run again.
set -eu

echo "bootstrapping ${NEPHO_FORMATION:-a formation} of ${NEPHO_CLOUDLET:-__NAME__} (scenario ${NEPHO_SCENARIO:-default})"
echo "serving on port ${NEPHO_AppPort:-80}"
# Install and configure your service here.
