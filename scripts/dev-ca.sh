#!/usr/bin/env bash
# Development CA for MQTT over TLS (8883) and HTTPS (8443): a CA, one server certificate for
# both, and device client certificates (CN = device id, the X.509 alternative to a secret).
#   scripts/dev-ca.sh DIR [HOSTNAME|IP …]       → DIR/ca.pem, ca.key, server.pem, server.key
#     (SANs: localhost, 127.0.0.1, ::1 and every name or address given; CN = the first one)
#   scripts/dev-ca.sh DIR --device DEVICE_ID    → DIR/devices/DEVICE_ID.pem, .key
# Then: SHANSHUI_TLS_CERT=DIR/server.pem SHANSHUI_TLS_KEY=DIR/server.key SHANSHUI_TLS_CA=DIR/ca.pem npm start
# Devices, gateways (`shanshui-agent provision --ca DIR/ca.pem`) and API clients
# (`curl --cacert DIR/ca.pem https://localhost:8443/…`) verify the platform against DIR/ca.pem.
# Keys are EC P-256, certificates SHA-256, valid 825 days (the limit clients accept for servers).
# For production use your organisation's CA; never ship ca.key to a gateway.
set -euo pipefail
usage='usage: scripts/dev-ca.sh DIR [HOSTNAME|IP …]      a CA and a server certificate in DIR (SANs localhost, 127.0.0.1, ::1 and those given)
       scripts/dev-ca.sh DIR --device DEVICE_ID   a device client certificate, CN=DEVICE_ID, in DIR/devices/'
case "${1:-}" in
  -h | --help) echo "$usage"; exit 0 ;;
  '' | -*) echo "$usage" >&2; exit 2 ;;
esac
dir=$1
shift
mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 3650 \
    -subj "/O=Shanshui development/CN=Shanshui dev CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  echo "CA: $dir/ca.pem"
fi
if [ "${1:-}" = "--device" ]; then
  id=${2:?--device needs a device id}
  mkdir -p "$dir/devices"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=Shanshui device/CN=$id" \
    -keyout "$dir/devices/$id.key" -out "$dir/devices/$id.csr" 2>/dev/null
  openssl x509 -req -in "$dir/devices/$id.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -sha256 -days 825 \
    -extfile <(printf 'extendedKeyUsage=clientAuth\n') -out "$dir/devices/$id.pem" 2>/dev/null
  rm -f "$dir/devices/$id.csr"
  echo "device certificate: $dir/devices/$id.pem (key $dir/devices/$id.key)"
  exit 0
fi
san="DNS:localhost,IP:127.0.0.1,IP:::1"
for h in "$@"; do
  # IPv4 or IPv6 literals are IP SANs (clients match an address only against those).
  if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then san="$san,IP:$h"; else san="$san,DNS:$h"; fi
done
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=Shanshui/CN=${1:-localhost}" \
  -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -sha256 -days 825 \
  -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' "$san") \
  -out "$dir/server.pem" 2>/dev/null
rm -f "$dir/server.csr"
echo "server certificate: $dir/server.pem (key $dir/server.key) for $san"
echo "check: openssl s_client -connect localhost:8443 -CAfile $dir/ca.pem -verify_return_error </dev/null"
