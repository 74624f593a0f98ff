"""An independent client of a permanence store, written from docs/keyslots.md alone.

    python3 keyslots_client.py DATABASE LOGIN < passphrase

Opens LOGIN's slot in DATABASE.keys with the passphrase read from standard input, checks the
file's and the slot's checksums, the slot's keys and its endorsement (against the keys pinned in
the database), unwraps the data key, opens the database with SQLCipher and prints, as JSON, the
data key and the accounts. Needs PyPI's sqlcipher3-binary, argon2-cffi and pynacl.
"""

import hashlib
import json
import struct
import sys
import unicodedata

import argon2.low_level
import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.signing
import sqlcipher3


def u32(n):
    return struct.pack(">I", n)


def i64(n):
    return struct.pack(">q", n)


def b(data):
    return u32(len(data)) + data


def text(s):
    return b(s.encode("utf-8"))


def fail(message):
    sys.exit("keyslots_client: " + message)


def main():
    database, login = sys.argv[1], sys.argv[2]
    passphrase = sys.stdin.readline().rstrip("\n")

    with open(database + ".keys", encoding="utf-8") as f:
        document = json.load(f)
    if document["format"] != "permanence-keyslots" or document["version"] != 2:
        fail("not a version-2 key file")
    database_salt = bytes.fromhex(document["database_salt"])
    h = text("permanence-keyslots v2") + b(database_salt)
    if hashlib.sha256(h).hexdigest() != document["checksum"].lower():
        fail("the header fails its checksum")
    with open(database, "rb") as f:
        if f.read(16) != database_salt:
            fail("the key file names another database file")

    slot = next((s for s in document["slots"] if s["login"] == login), None)
    if slot is None or slot["version"] != 2:
        fail("no version-2 slot for " + login)
    kdf = slot["kdf"]
    box_public = bytes.fromhex(slot["box_public"])
    signing_public = bytes.fromhex(slot["signing_public"])
    p = (
        text("permanence-keyslot v2")
        + i64(slot["listener_id"])
        + text(slot["login"])
        + text(slot["role"])
        + u32(kdf["memory_kib"])
        + u32(kdf["iterations"])
        + u32(kdf["parallelism"])
        + b(box_public)
        + b(signing_public)
    )
    salt = bytes.fromhex(slot["salt"])
    nonce = bytes.fromhex(slot["nonce"])
    sealed_secrets = bytes.fromhex(slot["sealed_secrets"])
    wrapped_key = bytes.fromhex(slot["wrapped_key"])
    c = text("permanence-keyslot-checksum v2") + p + b(salt) + b(nonce) + b(sealed_secrets) + b(wrapped_key)
    endorsement = slot["endorsement"]
    if endorsement is None:
        c += u32(0)
    else:
        signature = bytes.fromhex(endorsement["signature"])
        c += u32(1) + i64(endorsement["signed_by"]) + b(signature)
    if hashlib.sha256(c).hexdigest() != slot["checksum"].lower():
        fail("the slot fails its checksum")

    # 1. NFC, UTF-8.  2. Argon2id v0x13, 32 bytes.
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kek = argon2.low_level.hash_secret_raw(
        secret,
        salt,
        time_cost=kdf["iterations"],
        memory_cost=kdf["memory_kib"],
        parallelism=kdf["parallelism"],
        hash_len=32,
        type=argon2.low_level.Type.ID,
        version=19,
    )
    # 3. XChaCha20-Poly1305 (IETF), associated data P.
    try:
        secrets = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(sealed_secrets, p, nonce, kek)
    except nacl.exceptions.CryptoError:
        fail("wrong passphrase")
    box_secret = nacl.public.PrivateKey(secrets[:32])
    signing = nacl.signing.SigningKey(secrets[32:])
    if bytes(box_secret.public_key) != box_public or bytes(signing.verify_key) != signing_public:
        fail("the slot's secrets are not its public keys")
    # 4. The sealed box.
    data_key = nacl.public.SealedBox(box_secret).decrypt(wrapped_key)

    # 5. SQLCipher 4, raw key.
    conn = sqlcipher3.connect(database)
    conn.execute("PRAGMA key = \"x'" + data_key.hex() + "'\"")
    accounts = conn.execute("SELECT id, login, role, active FROM listener ORDER BY id").fetchall()

    # Who may unlock: pinned keys, and an endorsement by another active supervisor's current key
    # or the root's own.
    def current_keys(listener_id):
        return conn.execute(
            "SELECT signing_key, box_key FROM listener_key"
            " WHERE listener_id = ? AND since IS NOT NULL AND until IS NULL",
            (listener_id,),
        ).fetchone()

    own = current_keys(slot["listener_id"])
    if own is None or (bytes(own[0]), bytes(own[1])) != (signing_public, box_public):
        fail("the slot's keys are not the account's pinned keys")
    if endorsement is None:
        fail("the slot is not endorsed")
    signed_by = endorsement["signed_by"]
    if signed_by == slot["listener_id"]:
        root = conn.execute("SELECT listener_id, signing_key FROM centre_root ORDER BY id DESC LIMIT 1").fetchone()
        if root is None or root[0] != signed_by or bytes(root[1]) != signing_public:
            fail("self-endorsed but not the root")
        signer_key = signing_public
    else:
        signer = next((a for a in accounts if a[0] == signed_by), None)
        if signer is None or signer[2] != "supervisor" or signer[3] != 1:
            fail("endorsed by no active supervisor")
        signer_key = bytes(current_keys(signed_by)[0])
    e = (
        text("permanence-endorsement v2")
        + i64(signed_by)
        + i64(slot["listener_id"])
        + text(slot["login"])
        + text(slot["role"])
        + b(box_public)
        + b(signing_public)
    )
    nacl.signing.VerifyKey(signer_key).verify(e, signature)

    print(
        json.dumps(
            {
                "data_key": data_key.hex(),
                "endorsed_by": signed_by,
                "accounts": [[login, role] for _, login, role, _ in accounts],
            }
        )
    )


if __name__ == "__main__":
    main()
