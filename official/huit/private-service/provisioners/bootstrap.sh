#!/bin/sh
# huit/private-service bootstrap: a small HTTP service on ServicePort, run by
# systemd with the system's python3. It installs no packages, so the service
# host (in a private subnet, with no route to the internet) needs none.
#
# nepho runs this as root on the machine's first boot (EC2 user data).
# Environment:
#   NEPHO_FORMATION, NEPHO_CLOUDLET, NEPHO_SCENARIO
#   NEPHO_ServicePort (and NEPHO_<Name> for the other non-secret parameters)
# No secrets are expected. Running it again is safe.
set -eu

FORMATION="${NEPHO_FORMATION:-private-service}"
CLOUDLET="${NEPHO_CLOUDLET:-huit/private-service}"
SCENARIO="${NEPHO_SCENARIO:-default}"
PORT="${NEPHO_ServicePort:-8080}"
SERVICE=nepho-private-service
SERVICE_ROOT=/srv/private-service
STATUS_DIR=/var/lib/nepho
STATUS_FILE="${STATUS_DIR}/private-service.status"

umask 022
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

log() {
    printf '%s private-service-bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

write_status() {
    mkdir -p "$STATUS_DIR"
    printf 'state=%s\nformation=%s\ncloudlet=%s\nscenario=%s\nport=%s\n' \
        "$1" "$FORMATION" "$CLOUDLET" "$SCENARIO" "$PORT" >"$STATUS_FILE"
}

die() {
    log "ERROR: $*" >&2
    write_status failed || true
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
case "$PORT" in
    '' | *[!0-9]*) die "ServicePort must be a whole number, got '$PORT'" ;;
esac
if [ "$PORT" -lt 1024 ] || [ "$PORT" -gt 65535 ]; then
    die "ServicePort must be between 1024 and 65535, got $PORT"
fi
command -v python3 >/dev/null 2>&1 || die "python3 is needed (Amazon Linux 2023 has it)"
command -v systemctl >/dev/null 2>&1 || die "systemd is needed"
log "formation $FORMATION ($CLOUDLET/$SCENARIO), service on port $PORT"
write_status installing

id "$SERVICE" >/dev/null 2>&1 ||
    useradd --system --home-dir "$SERVICE_ROOT" --shell /sbin/nologin "$SERVICE"
mkdir -p "$SERVICE_ROOT"
printf '{"service": "private-service", "formation": "%s"}\n' "$FORMATION" >"$SERVICE_ROOT/index.json"
printf '<!doctype html><title>private service</title><p>private service of %s</p>\n' "$FORMATION" \
    >"$SERVICE_ROOT/index.html"

python="$(command -v python3)"
cat >"/etc/systemd/system/${SERVICE}.service" <<UNIT
# Written by the nepho huit/private-service bootstrap.
[Unit]
Description=nepho huit/private-service on port ${PORT}
After=network-online.target
Wants=network-online.target

[Service]
User=${SERVICE}
WorkingDirectory=${SERVICE_ROOT}
ExecStart=${python} -m http.server ${PORT} --directory ${SERVICE_ROOT}
Restart=on-failure
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable "$SERVICE" >/dev/null 2>&1 || log "could not enable $SERVICE at boot"
systemctl restart "$SERVICE"

n=0
until python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:${PORT}/', timeout=5)" 2>/dev/null; do
    n=$((n + 1))
    [ "$n" -lt 10 ] || die "the service does not answer on port $PORT"
    sleep 2
done
write_status ready
log "the service answers on port $PORT"
