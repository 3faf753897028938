#!/bin/sh
# huit/mediawiki bootstrap: Apache, PHP and MediaWiki with a local SQLite
# database, on Debian/Ubuntu (apt-get) or Amazon Linux/RHEL (dnf, yum).
#
# nepho runs this as root on the machine's first boot (EC2 user data, or a
# Vagrant shell provisioner) and sends its output to
# /var/log/nepho-bootstrap.log. Environment:
#   NEPHO_FORMATION, NEPHO_CLOUDLET, NEPHO_SCENARIO
#   NEPHO_<Name> for each parameter: NEPHO_WikiName, NEPHO_AppPort, and the
#   secret NEPHO_AdminPassword, which nepho delivers apart from this script
#   (read from AWS Secrets Manager at boot, or passed on by Vagrant).
# The wiki's Admin account is created with NEPHO_AdminPassword, which is not
# stored on the machine. Without it (a run it was not given to), the password
# in /root/mediawiki-admin-password (root only) is used, or a random one is
# generated there. The password is set when the wiki is created; later runs
# leave it as it is (change it in the wiki).
#
# Running it again is safe: finished steps are skipped.
set -eu

MW_VERSION=1.43.8
MW_BRANCH=1.43
MW_URL="https://releases.wikimedia.org/mediawiki/${MW_BRANCH}/mediawiki-${MW_VERSION}.tar.gz"
MW_ROOT=/var/www/mediawiki
MW_DATA=/var/lib/mediawiki
MW_ADMIN=Admin
PASSWORD_FILE=/root/mediawiki-admin-password
STATUS_DIR=/var/lib/nepho
STATUS_FILE="${STATUS_DIR}/mediawiki.status"

FORMATION="${NEPHO_FORMATION:-mediawiki}"
CLOUDLET="${NEPHO_CLOUDLET:-huit/mediawiki}"
SCENARIO="${NEPHO_SCENARIO:-default}"
WIKI_NAME="${NEPHO_WikiName:-My Wiki}"
APP_PORT="${NEPHO_AppPort:-80}"

OS_NAME=unknown
# Where the Admin password is kept on this machine: nowhere when it was given as AdminPassword.
ADMIN_PASSWORD_FILE=
# A file holding the given AdminPassword for the install only.
GIVEN_PASSWORD_FILE=
WEB_USER=
WEB_SERVICE=
STEP=start

umask 022
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

log() {
    printf '%s mediawiki-bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

die() {
    log "ERROR: $*" >&2
    exit 1
}

step() {
    STEP="$1"
    log "$1"
}

write_status() {
    mkdir -p "$STATUS_DIR"
    {
        printf 'state=%s\n' "$1"
        printf 'step=%s\n' "$STEP"
        printf 'formation=%s\n' "$FORMATION"
        printf 'cloudlet=%s\n' "$CLOUDLET"
        printf 'scenario=%s\n' "$SCENARIO"
        printf 'wiki_name=%s\n' "$WIKI_NAME"
        printf 'app_port=%s\n' "$APP_PORT"
        printf 'mediawiki_version=%s\n' "$MW_VERSION"
        printf 'mediawiki_root=%s\n' "$MW_ROOT"
        printf 'admin_user=%s\n' "$MW_ADMIN"
        printf 'admin_password_file=%s\n' "$ADMIN_PASSWORD_FILE"
        printf 'os=%s\n' "$OS_NAME"
        printf 'updated=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"${STATUS_FILE}.tmp"
    mv -f "${STATUS_FILE}.tmp" "$STATUS_FILE"
}

on_exit() {
    rc=$?
    [ -z "$GIVEN_PASSWORD_FILE" ] || rm -f "$GIVEN_PASSWORD_FILE"
    if [ "$rc" -ne 0 ]; then
        write_status failed || true
        log "failed during: $STEP (exit status $rc)" >&2
    fi
}
trap on_exit EXIT

# retry N COMMAND...: package mirrors and first-boot locks are flaky.
retry() {
    tries="$1"
    shift
    n=1
    until "$@"; do
        if [ "$n" -ge "$tries" ]; then
            return 1
        fi
        log "retrying in $((n * 10))s: $*"
        sleep "$((n * 10))"
        n=$((n + 1))
    done
}

# service_up NAME: enable at boot and (re)start now.
service_up() {
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl enable "$1" >/dev/null 2>&1 || log "could not enable $1 at boot"
        systemctl restart "$1"
    elif command -v service >/dev/null 2>&1; then
        service "$1" restart
    else
        die "no systemctl or service command to start $1"
    fi
}

# ---------------------------------------------------------------- checks
step "checking parameters"
[ "$(id -u)" -eq 0 ] || die "must run as root"
case "$APP_PORT" in
    '' | *[!0-9]*) die "AppPort must be a whole number, got '$APP_PORT'" ;;
esac
if [ "$APP_PORT" -lt 1 ] || [ "$APP_PORT" -gt 65535 ]; then
    die "AppPort must be between 1 and 65535, got $APP_PORT"
fi
[ -n "$WIKI_NAME" ] || die "WikiName must not be empty"
if [ -r /etc/os-release ]; then
    OS_NAME="$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')"
fi
log "formation $FORMATION ($CLOUDLET/$SCENARIO) on ${OS_NAME:-unknown}"
write_status installing

# ---------------------------------------------------------------- packages
install_debian() {
    export DEBIAN_FRONTEND=noninteractive
    apt_opts="-q -y -o DPkg::Lock::Timeout=600"
    # shellcheck disable=SC2086 # apt_opts is a list of options
    retry 5 apt-get $apt_opts update
    # shellcheck disable=SC2086
    retry 3 apt-get $apt_opts install --no-install-recommends \
        apache2 libapache2-mod-php php-cli php-mbstring php-xml php-intl \
        php-sqlite3 php-gd php-curl php-apcu \
        ca-certificates curl tar gzip
    WEB_USER=www-data
    WEB_SERVICE=apache2
}

install_rhel() {
    pkg="$1"
    retry 3 "$pkg" install -y httpd php php-cli php-fpm php-mbstring php-xml \
        php-intl php-pdo php-gd tar gzip
    # Amazon Linux 2023 ships curl-minimal, which conflicts with curl.
    if ! command -v curl >/dev/null 2>&1; then
        retry 3 "$pkg" install -y curl
    fi
    WEB_USER=apache
    WEB_SERVICE=httpd
}

step "installing Apache and PHP"
if command -v apt-get >/dev/null 2>&1; then
    install_debian
elif command -v dnf >/dev/null 2>&1; then
    install_rhel dnf
elif command -v yum >/dev/null 2>&1; then
    install_rhel yum
else
    die "unsupported system: no apt-get, dnf or yum"
fi

php -r 'exit(version_compare(PHP_VERSION, "8.1.0", ">=") ? 0 : 1);' ||
    die "MediaWiki $MW_VERSION needs PHP 8.1 or newer, this system has $(php -r 'echo PHP_VERSION;')"

# ---------------------------------------------------------------- mediawiki
step "installing MediaWiki $MW_VERSION"
if [ ! -f "$MW_ROOT/index.php" ]; then
    tmp="$(mktemp -d)"
    retry 3 curl -fsSL --proto '=https' --tlsv1.2 -o "$tmp/mediawiki.tar.gz" "$MW_URL"
    tar -xzf "$tmp/mediawiki.tar.gz" -C "$tmp"
    mkdir -p "$(dirname "$MW_ROOT")"
    rm -rf "$MW_ROOT"
    mv "$tmp/mediawiki-$MW_VERSION" "$MW_ROOT"
    rm -rf "$tmp"
fi
chown -R root:root "$MW_ROOT"
mkdir -p "$MW_ROOT/images" "$MW_ROOT/cache"
chown -R "$WEB_USER" "$MW_ROOT/images" "$MW_ROOT/cache"
mkdir -p "$MW_DATA"
chmod 750 "$MW_DATA"

step "choosing the admin password"
# install.php reads the password from a file, never from its command line
# (which every user of the machine can see): a given AdminPassword goes into
# a file of its own for the install, removed as soon as it is done.
if [ -f "$MW_ROOT/LocalSettings.php" ]; then
    log "the wiki exists: its $MW_ADMIN password stays as it is (change it in the wiki)"
elif [ -n "${NEPHO_AdminPassword:-}" ]; then
    GIVEN_PASSWORD_FILE="$(umask 077 && mktemp)"
    printf '%s' "$NEPHO_AdminPassword" >"$GIVEN_PASSWORD_FILE"
    log "the $MW_ADMIN password is the AdminPassword given"
else
    if [ ! -s "$PASSWORD_FILE" ]; then
        password="$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')"
        [ "${#password}" -ge 32 ] || die "could not generate a password"
        (umask 077 && printf '%s' "$password" >"$PASSWORD_FILE")
        unset password
        log "no AdminPassword was given: generated the $MW_ADMIN password into $PASSWORD_FILE"
    else
        log "no AdminPassword was given: using the $MW_ADMIN password already in $PASSWORD_FILE"
    fi
    chown root "$PASSWORD_FILE"
    chmod 600 "$PASSWORD_FILE"
    ADMIN_PASSWORD_FILE="$PASSWORD_FILE"
fi
unset NEPHO_AdminPassword

step "creating the wiki"
if [ ! -f "$MW_ROOT/LocalSettings.php" ]; then
    php "$MW_ROOT/maintenance/run.php" install \
        --dbtype=sqlite \
        --dbpath="$MW_DATA" \
        --dbname=mediawiki \
        --server="http://localhost" \
        --scriptpath="" \
        --lang=en \
        --passfile="${GIVEN_PASSWORD_FILE:-$PASSWORD_FILE}" \
        "$WIKI_NAME" "$MW_ADMIN"
    if [ -n "$GIVEN_PASSWORD_FILE" ]; then
        rm -f "$GIVEN_PASSWORD_FILE"
        GIVEN_PASSWORD_FILE=
    fi
    cat >>"$MW_ROOT/LocalSettings.php" <<'PHP'

# Added by the nepho huit/mediawiki bootstrap: answer under whatever name the
# wiki is reached by (public DNS, load balancer, a forwarded port).
$wgServer = WebRequest::detectServer();
PHP
fi
chown -R "$WEB_USER" "$MW_DATA"
chown "root:$WEB_USER" "$MW_ROOT/LocalSettings.php"
chmod 640 "$MW_ROOT/LocalSettings.php"

# ---------------------------------------------------------------- apache
step "configuring Apache on port $APP_PORT"
vhost() {
    cat <<EOF
# Written by the nepho huit/mediawiki bootstrap.
<VirtualHost *:${APP_PORT}>
    DocumentRoot ${MW_ROOT}
    <Directory ${MW_ROOT}>
        Options FollowSymLinks
        AllowOverride None
        Require all granted
        DirectoryIndex index.php
    </Directory>
    <Directory ${MW_ROOT}/images>
        <FilesMatch "\.(php|phtml|phar)$">
            Require all denied
        </FilesMatch>
    </Directory>
    <Directory ${MW_ROOT}/cache>
        Require all denied
    </Directory>
</VirtualHost>
EOF
}

if [ "$WEB_SERVICE" = apache2 ]; then
    printf '# Written by the nepho huit/mediawiki bootstrap.\nListen %s\n' "$APP_PORT" \
        >/etc/apache2/ports.conf
    vhost >/etc/apache2/sites-available/mediawiki.conf
    a2dissite -q 000-default >/dev/null 2>&1 || true
    a2ensite -q mediawiki
    apache2ctl configtest
else
    sed -i "s/^Listen .*/Listen ${APP_PORT}/" /etc/httpd/conf/httpd.conf
    vhost >/etc/httpd/conf.d/mediawiki.conf
    if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" != Disabled ]; then
        if command -v chcon >/dev/null 2>&1; then
            chcon -R -t httpd_sys_rw_content_t "$MW_DATA" "$MW_ROOT/images" "$MW_ROOT/cache" ||
                log "could not label the wiki's data for SELinux"
        fi
        if [ "$APP_PORT" != 80 ] && command -v semanage >/dev/null 2>&1; then
            semanage port -a -t http_port_t -p tcp "$APP_PORT" 2>/dev/null ||
                semanage port -m -t http_port_t -p tcp "$APP_PORT" ||
                log "could not allow port $APP_PORT for httpd in SELinux"
        fi
    fi
    if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then
        if firewall-cmd --permanent --add-port="${APP_PORT}/tcp"; then
            firewall-cmd --reload || log "could not reload firewalld"
        else
            log "could not open port $APP_PORT in firewalld"
        fi
    fi
    apachectl configtest
    service_up php-fpm
fi
service_up "$WEB_SERVICE"

# ---------------------------------------------------------------- check
step "checking the wiki answers on port $APP_PORT"
retry 6 curl -fsS -o /dev/null "http://127.0.0.1:${APP_PORT}/index.php" ||
    die "the wiki does not answer on http://127.0.0.1:${APP_PORT}/"

STEP=finished
write_status ready
if [ -n "$ADMIN_PASSWORD_FILE" ]; then
    log "MediaWiki $MW_VERSION is ready on port $APP_PORT; the $MW_ADMIN password is in $ADMIN_PASSWORD_FILE"
else
    log "MediaWiki $MW_VERSION is ready on port $APP_PORT; log in as $MW_ADMIN"
fi
