#!/bin/sh
# huit/static-site bootstrap: nginx serving a generated static page, on
# Debian/Ubuntu (apt-get) or Amazon Linux/RHEL (dnf, yum).
#
# nepho runs this as root on the machine's first boot (EC2 user data, or a
# Vagrant shell provisioner). Environment:
#   NEPHO_FORMATION, NEPHO_CLOUDLET, NEPHO_SCENARIO
#   NEPHO_SiteTitle (and NEPHO_<Name> for the other non-secret parameters)
# No secrets are expected. The page is only written when the web root has no
# index.html yet, so your own content is never overwritten; running the
# script again is safe.
set -eu

FORMATION="${NEPHO_FORMATION:-static-site}"
CLOUDLET="${NEPHO_CLOUDLET:-huit/static-site}"
SCENARIO="${NEPHO_SCENARIO:-default}"
SITE_TITLE="${NEPHO_SiteTitle:-My Static Site}"
WEB_ROOT=/var/www/static-site
STATUS_DIR=/var/lib/nepho
STATUS_FILE="${STATUS_DIR}/static-site.status"

umask 022
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

log() {
    printf '%s static-site-bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

die() {
    log "ERROR: $*" >&2
    write_status failed || true
    exit 1
}

write_status() {
    mkdir -p "$STATUS_DIR"
    printf 'state=%s\nformation=%s\ncloudlet=%s\nscenario=%s\nweb_root=%s\n' \
        "$1" "$FORMATION" "$CLOUDLET" "$SCENARIO" "$WEB_ROOT" >"$STATUS_FILE"
}

# html_escape TEXT: safe to put in an HTML page.
html_escape() {
    printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}

retry() {
    tries="$1"
    shift
    n=1
    until "$@"; do
        [ "$n" -lt "$tries" ] || return 1
        sleep "$((n * 10))"
        n=$((n + 1))
    done
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
log "formation $FORMATION ($CLOUDLET/$SCENARIO)"
write_status installing

if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    retry 5 apt-get -q -y -o DPkg::Lock::Timeout=600 update
    retry 3 apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends nginx curl
    CONF=/etc/nginx/sites-available/static-site
    ENABLED=/etc/nginx/sites-enabled/static-site
    rm -f /etc/nginx/sites-enabled/default
elif command -v dnf >/dev/null 2>&1; then
    retry 3 dnf install -y nginx
    CONF=/etc/nginx/conf.d/static-site.conf
    ENABLED=
elif command -v yum >/dev/null 2>&1; then
    retry 3 yum install -y nginx
    CONF=/etc/nginx/conf.d/static-site.conf
    ENABLED=
else
    die "unsupported system: no apt-get, dnf or yum"
fi

mkdir -p "$WEB_ROOT"
if [ ! -f "$WEB_ROOT/index.html" ]; then
    title="$(html_escape "$SITE_TITLE")"
    cat >"$WEB_ROOT/index.html" <<HTML
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
<h1>${title}</h1>
<p>Served by nginx on formation $(html_escape "$FORMATION"), made by nepho from ${CLOUDLET}.</p>
</body>
</html>
HTML
fi

cat >"$CONF" <<EOF2
# Written by the nepho huit/static-site bootstrap.
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    root ${WEB_ROOT};
    index index.html;
    location / {
        try_files \$uri \$uri/ =404;
    }
}
EOF2
if [ -n "$ENABLED" ]; then
    ln -sf "$CONF" "$ENABLED"
else
    # RHEL's nginx.conf has its own default server on port 80: drop it.
    sed -i '/^    server {/,/^    }/d' /etc/nginx/nginx.conf
fi
nginx -t

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl enable nginx >/dev/null 2>&1 || log "could not enable nginx at boot"
    systemctl restart nginx
else
    service nginx restart
fi

retry 6 curl -fsS -o /dev/null http://127.0.0.1/ || die "nginx does not answer on port 80"
write_status ready
log "the site is served from $WEB_ROOT on port 80"
