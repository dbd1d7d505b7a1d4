#!/usr/bin/env bash
# mailtriage keygen / sign / verify-model / check-config round trip on a copy of the
# default model bundle: the operator's view of model.public_key_file.
# Usage: sign_cli_test.sh MAILTRIAGE_CLI MODEL_DIR
set -euo pipefail
CLI="$1"
MODEL="$2"
T="$(mktemp -d /tmp/mailtriage-sign.XXXXXX)"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_refusal() {  # expect_refusal PUB DIR PATTERN
    local out rc=0
    out=$("$CLI" verify-model --pub "$1" "$2") || rc=$?
    [[ $rc -eq 1 ]] || fail "verify-model $2 with $1: exit $rc, expected 1 ($out)"
    [[ "$out" == *"$3"* ]] || fail "verify-model $2: '$out' does not say '$3'"
}

"$CLI" keygen --out "$T/k" | grep -q "wrote $T/k.key (private) and $T/k.pub (public), key [0-9a-f]\{16\}" ||
    fail "keygen output"
[[ $(stat -c %a "$T/k.key") == 600 ]] || fail "private key mode $(stat -c %a "$T/k.key")"
grep -q -- '-----BEGIN PRIVATE KEY-----' "$T/k.key" || fail "private key is not PEM PKCS#8"
grep -q -- '-----BEGIN PUBLIC KEY-----' "$T/k.pub" || fail "public key is not PEM SPKI"
if "$CLI" keygen --out "$T/k" 2>/dev/null; then fail "keygen overwrote a key"; fi
"$CLI" keygen --out "$T/other" >/dev/null
HAVE_OPENSSL=0
command -v openssl >/dev/null 2>&1 && HAVE_OPENSSL=1

cp -r "$MODEL" "$T/model"
rm -f "$T/model/manifest.sig"
expect_refusal "$T/k.pub" "$T/model" "manifest.sig: missing"
"$CLI" sign --key "$T/k.key" "$T/model" | grep -q "manifest.sig: signed model" || fail "sign output"
[[ $(wc -l <"$T/model/manifest.sig") -eq 1 ]] || fail "manifest.sig is not one line"
"$CLI" verify-model --pub "$T/k.pub" "$T/model" | grep -q ": OK (model " || fail "signed model refused"
expect_refusal "$T/other.pub" "$T/model" "signature does not verify with $T/other.pub"
rc=0
out=$("$CLI" verify-model --pub "$T/k.key" "$T/model" 2>&1) || rc=$?
[[ $rc -ne 0 && "$out" == *"holds a private key"* ]] || fail "a private key was accepted as the public key: $out"
if [[ $HAVE_OPENSSL == 1 ]]; then
    # The signature is plain Ed25519 over manifest.json: openssl(1) checks it, and keys
    # made by openssl(1) work too.
    base64 -d "$T/model/manifest.sig" >"$T/sig.bin"
    openssl pkeyutl -verify -pubin -inkey "$T/k.pub" -rawin -in "$T/model/manifest.json" -sigfile "$T/sig.bin" \
        >/dev/null || fail "openssl does not verify manifest.sig"
    openssl genpkey -algorithm ed25519 -out "$T/ossl.key" 2>/dev/null
    openssl pkey -in "$T/ossl.key" -pubout -out "$T/ossl.pub" 2>/dev/null
    "$CLI" sign --key "$T/ossl.key" "$T/model" >/dev/null
    "$CLI" verify-model --pub "$T/ossl.pub" "$T/model" >/dev/null || fail "openssl-made key refused"
    "$CLI" sign --key "$T/k.key" "$T/model" >/dev/null
fi

# check-config makes the daemon's check.
printf 'model:\n  path: %s\n  public_key_file: %s\n' "$T/model" "$T/k.pub" >"$T/signed.yaml"
"$CLI" check-config "$T/signed.yaml" >/dev/null || fail "check-config refused a signed model"
printf 'model:\n  public_key_file: %s\n' "$T/k.pub" >"$T/builtin.yaml"
rc=0
out=$("$CLI" check-config "$T/builtin.yaml" 2>&1) || rc=$?
[[ $rc -eq 78 && "$out" == *"builtin.yaml:2:"*"model.path is empty"* ]] ||
    fail "public key with the built-in model: exit $rc: $out"

# One byte of the manifest changed: refused by the signature. One byte of the booster
# changed: refused by the manifest's hash, which the signature covers.
cp -r "$T/model" "$T/tampered"
sed -i '0,/"ham"/s//"jam"/' "$T/tampered/manifest.json"
expect_refusal "$T/k.pub" "$T/tampered" "signature does not verify"
rm -rf "$T/tampered" && cp -r "$T/model" "$T/tampered"
printf '\x7f' | dd of="$T/tampered/model.ubj" bs=1 seek=100 conv=notrunc status=none
expect_refusal "$T/k.pub" "$T/tampered" "model.ubj: SHA-256"
# Without a key, only the hashes are checked: an unsigned bundle is accepted.
rm -f "$T/model/manifest.sig"
printf 'model:\n  path: %s\n' "$T/model" >"$T/unsigned.yaml"
"$CLI" check-config "$T/unsigned.yaml" >/dev/null || fail "an unsigned model was refused without a key"
echo "PASS"
