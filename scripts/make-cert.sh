#!/usr/bin/env bash
# Makes a self-signed TLS certificate and key for confab-server (--tls-cert / --tls-key):
# EC P-256, valid for about two years, with subject alternative names for HOSTNAME, localhost and
# 127.0.0.1. Prints the two paths and the certificate's SHA-256 fingerprint, which clients show on
# first use: give it to your users so they can check it (docs/SECURITY.md §5).
#
#   scripts/make-cert.sh [DIR] [HOSTNAME]     DIR defaults to ./tls, HOSTNAME to this host's name
#
# An existing certificate or key in DIR is not overwritten.
set -euo pipefail

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}
case "${1:-}" in
    -h|--help) usage; exit 0 ;;
esac
[ $# -le 2 ] || { usage >&2; exit 2; }

dir=${1:-tls}
host=${2:-$(hostname -f 2>/dev/null || hostname)}
command -v openssl >/dev/null || { echo "make-cert.sh: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
[[ "$host" =~ ^[A-Za-z0-9.:-]+$ ]] || { echo "make-cert.sh: not a host name or address: $host" >&2; exit 2; }

cert="$dir/confab-server.crt"
key="$dir/confab-server.key"
for f in "$cert" "$key"; do
    [ ! -e "$f" ] || { echo "make-cert.sh: $f exists; remove it first, or choose another directory" >&2; exit 1; }
done
mkdir -p "$dir"

# An address goes in as IP:, a name as DNS:; localhost and 127.0.0.1 always.
if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then san="IP:$host"; else san="DNS:$host"; fi
[ "$host" = localhost ] || san="$san,DNS:localhost"
[ "$host" = 127.0.0.1 ] || san="$san,IP:127.0.0.1"

(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$key" -out "$cert" -days 730 -subj "/CN=$host" \
    -addext "subjectAltName=$san" -addext "keyUsage=digitalSignature" -addext "extendedKeyUsage=serverAuth" \
    2>/dev/null) || { echo "make-cert.sh: openssl could not make the certificate" >&2; rm -f "$key" "$cert"; exit 1; }
chmod 600 "$key"
chmod 644 "$cert"

fingerprint=$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | sed 's/^.*=//')
echo "certificate: $cert"
echo "key:         $key"
echo "names:       $san"
echo "expires:     $(openssl x509 -in "$cert" -noout -enddate | sed 's/^notAfter=//')"
echo "SHA-256:     $fingerprint"
echo
echo "Start the server with:  confab-server --tls-cert $cert --tls-key $key"
