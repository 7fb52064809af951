#!/bin/sh
# Posts an order to a Waygate hub with a complete signed request, using only openssl and curl.
#
#   WAYGATE_URL=http://127.0.0.1:8080 WAYGATE_KEY_ID=wk_… WAYGATE_KEY_SECRET=… \
#     sh examples/post-order.sh [order.json]
#
# The key needs the orders:write scope (`waygate apikey create --name me --scopes orders:write`).
# Without a file the example order beside this script is sent. The answer is printed as is:
# 202 for a new order, 200 with "duplicate": true when the same source + externalId was sent
# before with the same contents, 409 order_conflict when the contents differ.
set -eu

: "${WAYGATE_URL:?set WAYGATE_URL, e.g. http://127.0.0.1:8080}"
: "${WAYGATE_KEY_ID:?set WAYGATE_KEY_ID (the key id printed by waygate apikey create)}"
: "${WAYGATE_KEY_SECRET:?set WAYGATE_KEY_SECRET (the secret printed once by waygate apikey create)}"

file=${1:-$(dirname "$0")/order.json}
path=/v1/orders

# The signature covers these exact bytes, so the body is sent from the file unchanged.
timestamp=$(date +%s)
nonce=$(openssl rand -hex 16)
body_hash=$(openssl dgst -sha256 -hex <"$file" | sed 's/^.*= //')
signature=$(printf '%s\n%s\n%s\n%s\n%s' "$timestamp" "$nonce" POST "$path" "$body_hash" |
  openssl dgst -sha256 -hmac "$WAYGATE_KEY_SECRET" -hex | sed 's/^.*= //')

curl --silent --show-error --include \
  --request POST "${WAYGATE_URL%/}$path" \
  --header 'Content-Type: application/json' \
  --header "X-Api-Key: $WAYGATE_KEY_ID" \
  --header "X-Waygate-Timestamp: $timestamp" \
  --header "X-Waygate-Nonce: $nonce" \
  --header "X-Waygate-Signature: $signature" \
  --data-binary "@$file"
echo
