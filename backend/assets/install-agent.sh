#!/bin/sh
# PowerBeacon agent installer, served by the PowerBeacon server at
# /install-agent.sh. It downloads the agent built for this machine from the
# server, checks its SHA-256, installs it as /usr/local/bin/powerbeacon-agent
# and runs it under systemd as the unprivileged system user
# "powerbeacon-agent". Sending a magic packet (UDP with SO_BROADCAST) and
# listening on a port above 1023 need no capability; only a port below 1024
# gets CAP_NET_BIND_SERVICE.
#
#   curl -fsSL http://SERVER/install-agent.sh | sudo sh -s -- \
#       --server http://SERVER --key pbek_...
#
# Options:
#   --server URL        the PowerBeacon server (required)
#   --key KEY           an enrollment key (required unless the server has
#                       open registration; then an admin approves the agent)
#   --port PORT         port the agent listens on (default 18080)
#   --advertise-ip IP   address the server calls the agent on (default: the
#                       local address that routes to the server)
#   --hostname NAME     name shown in PowerBeacon (default: the host name)
#   --root DIR          install under DIR instead of / (no user, no systemd)
#   --no-start          install, but do not enable or start the service
#   --uninstall         stop and remove the agent; its identity is kept for
#                       a reinstall unless --purge is given too
#
# The agent talks plain HTTP to the server, so --server is an http:// address.
#
# Everything runs from main(), called on the last line: a download cut short
# runs nothing.
set -eu

main() {

server=""
key=""
port="18080"
advertise_ip=""
agent_hostname=""
root=""
start="yes"
action="install"
purge="no"

usage() {
    cat <<'USAGE'
Installs the PowerBeacon agent as a systemd service.
  --server URL        the PowerBeacon server (required)
  --key KEY           an enrollment key
  --port PORT         port the agent listens on (default 18080)
  --advertise-ip IP   address the server calls the agent on
  --hostname NAME     name shown in PowerBeacon (default: the host name)
  --root DIR          install under DIR instead of / (no user, no systemd)
  --no-start          install, but do not start the service
  --uninstall         stop and remove the agent (add --purge to forget its identity)
USAGE
}

fail() {
    echo "install-agent: $*" >&2
    exit 1
}

need_value() {
    [ "$#" -ge 2 ] && [ -n "$2" ] || fail "$1 needs a value"
    case "$2" in
        --*) fail "$1 needs a value (got the option $2)" ;;
    esac
}

while [ "$#" -gt 0 ]; do
    case "$1" in
        --server) need_value "$@"; server="$2"; shift 2 ;;
        --key) need_value "$@"; key="$2"; shift 2 ;;
        --port) need_value "$@"; port="$2"; shift 2 ;;
        --advertise-ip) need_value "$@"; advertise_ip="$2"; shift 2 ;;
        --hostname) need_value "$@"; agent_hostname="$2"; shift 2 ;;
        --root) need_value "$@"; root="$2"; shift 2 ;;
        --no-start) start="no"; shift ;;
        --uninstall) action="uninstall"; shift ;;
        --purge) purge="yes"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) fail "unknown option $1 (see --help)" ;;
    esac
done

# Values end up in a systemd environment file: refuse anything that could
# break out of a line or a quoted value.
check_plain() {
    case "$2" in
        *[!]A-Za-z0-9._:/@%+=~[-]*) fail "$1 has characters that are not allowed: $2" ;;
    esac
}

bin="$root/usr/local/bin/powerbeacon-agent"
unit="$root/etc/systemd/system/powerbeacon-agent.service"
envfile="$root/etc/powerbeacon-agent.env"
user="powerbeacon-agent"
use_systemd="no"
if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    use_systemd="yes"
fi

if [ "$action" = "uninstall" ]; then
    if [ "$use_systemd" = "yes" ]; then
        systemctl disable --now powerbeacon-agent.service 2>/dev/null || true
    fi
    rm -f "$bin" "$unit" "$envfile"
    if [ "$purge" = "yes" ]; then
        # The server still knows the agent: delete it there too.
        rm -rf "$root/var/lib/powerbeacon-agent"
    fi
    if [ "$use_systemd" = "yes" ]; then
        systemctl daemon-reload
    fi
    if [ -z "$root" ] && id "$user" >/dev/null 2>&1; then
        userdel "$user" 2>/dev/null || true
    fi
    echo "PowerBeacon agent removed."
    exit 0
fi

[ -n "$server" ] || fail "--server is required, e.g. --server http://powerbeacon.lan:3000"
case "$server" in
    http://*) ;;
    https://*) fail "the agent talks plain HTTP to the server: give its http:// address (TLS for agents is not built yet)" ;;
    *) fail "--server must start with http://" ;;
esac
server="${server%/}"
check_plain "--server" "$server"
check_plain "--key" "$key"
check_plain "--advertise-ip" "$advertise_ip"
check_plain "--hostname" "$agent_hostname"
case "$port" in
    ''|*[!0-9]*) fail "--port must be a number" ;;
esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || fail "--port must be 1-65535"
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
    fail "run as root (sudo), or pass --root DIR"
fi

os="$(uname -s | tr 'A-Z' 'a-z')"
arch="$(uname -m)"
case "$arch" in
    amd64) arch="x86_64" ;;
    arm64) arch="aarch64" ;;
esac
platform="$os-$arch"

download() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --proto '=http,https' -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1"
    else
        fail "needs curl or wget"
    fi
}

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT INT TERM
echo "Downloading the agent for $platform from $server ..."
download "$server/agents/$platform" "$workdir/powerbeacon-agent" \
    || fail "the server has no agent for $platform (see $server/agents/$platform)"
download "$server/agents/$platform.sha256" "$workdir/sha256" \
    || fail "could not fetch the agent's checksum"
expected="$(cut -d' ' -f1 < "$workdir/sha256")"
[ -n "$expected" ] || fail "the server sent an empty checksum"
if command -v sha256sum >/dev/null 2>&1; then
    actual="$(sha256sum "$workdir/powerbeacon-agent" | cut -d' ' -f1)"
elif command -v openssl >/dev/null 2>&1; then
    actual="$(openssl dgst -sha256 -r "$workdir/powerbeacon-agent" | cut -d' ' -f1)"
else
    fail "needs sha256sum or openssl to check the download"
fi
[ "$expected" = "$actual" ] || fail "checksum mismatch: expected $expected, got $actual"
chmod 0755 "$workdir/powerbeacon-agent"
"$workdir/powerbeacon-agent" --version >/dev/null \
    || fail "the downloaded agent does not run on this machine"

mkdir -p "$(dirname "$bin")" "$(dirname "$unit")" "$(dirname "$envfile")"
# Replace the binary in one step: a running agent keeps its old file.
install -m 0755 "$workdir/powerbeacon-agent" "$bin.new"
mv -f "$bin.new" "$bin"

if [ "$use_systemd" = "yes" ] && ! id "$user" >/dev/null 2>&1; then
    nologin="$(command -v nologin || echo /usr/sbin/nologin)"
    if command -v useradd >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home \
            --home-dir /var/lib/powerbeacon-agent --shell "$nologin" "$user"
    else
        addgroup -S "$user"
        adduser -S -D -H -h /var/lib/powerbeacon-agent -s "$nologin" -G "$user" "$user"
    fi
fi

# The enrollment key is a secret: the environment file is readable by root
# only (systemd reads it before dropping privileges).
umask 077
{
    echo "BACKEND_URL=$server"
    [ -n "$key" ] && echo "ENROLLMENT_KEY=$key"
    echo "AGENT_PORT=$port"
    [ -n "$advertise_ip" ] && echo "AGENT_ADVERTISE_IP=$advertise_ip"
    [ -n "$agent_hostname" ] && echo "AGENT_HOSTNAME=$agent_hostname"
    echo "AGENT_STATE_FILE=/var/lib/powerbeacon-agent/state.json"
} > "$envfile"
chmod 0600 "$envfile"
umask 022

capabilities=""
if [ "$port" -lt 1024 ]; then
    capabilities="CAP_NET_BIND_SERVICE"
fi

cat > "$unit" <<EOF
[Unit]
Description=PowerBeacon agent (Wake-on-LAN)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=$user
Group=$user
EnvironmentFile=/etc/powerbeacon-agent.env
ExecStart=/usr/local/bin/powerbeacon-agent
Restart=always
RestartSec=5
StateDirectory=powerbeacon-agent
StateDirectoryMode=0700
AmbientCapabilities=$capabilities
CapabilityBoundingSet=$capabilities
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
EOF
chmod 0644 "$unit"

if [ "$use_systemd" = "yes" ] && [ "$start" = "yes" ]; then
    systemctl daemon-reload
    systemctl enable --now powerbeacon-agent.service
    systemctl restart powerbeacon-agent.service
    sleep 3
    if ! systemctl is-active --quiet powerbeacon-agent.service; then
        journalctl -u powerbeacon-agent.service -n 20 --no-pager >&2 || true
        fail "the agent did not stay running; see the log above"
    fi
    echo "PowerBeacon agent installed and running: systemctl status powerbeacon-agent"
elif [ "$use_systemd" = "yes" ]; then
    systemctl daemon-reload
    echo "PowerBeacon agent installed. Start it with: systemctl enable --now powerbeacon-agent"
else
    echo "PowerBeacon agent installed in ${root:-/} (systemd not used)."
    echo "Run it with: env \$(cat $envfile) $bin"
fi
}

main "$@"
