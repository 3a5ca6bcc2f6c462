#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Make a throwaway CA, a server certificate for 127.0.0.1 and a client
# certificate in DIR, for the HTTPS source tests.  Valid for two days.
set -eu
dir=$1
cd "$dir"
quiet() { "$@" >/dev/null 2>&1; }

quiet openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fleet test CA" \
  -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign

for who in server client; do
  quiet openssl req -newkey rsa:2048 -nodes -subj "/CN=fleet test $who" \
    -keyout "$who.key" -out "$who.csr"
done
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
for who in server client; do
  quiet openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile "$who.ext" -out "$who.pem"
done
