//! The two primitives permanence runs for every field and every word it sends to the centre's
//! server: XChaCha20-Poly1305 (a field sealed, and opened, in the terminal) and HMAC-SHA256 (the
//! blind index's tag of each word start), as concrete functions over RustCrypto's generic ones.
//!
//! Why a crate of its own: generic code is compiled where it is instantiated. Called from
//! permanence, RustCrypto's ciphers ran unoptimised in debug builds, tests and the benchmarks
//! (`--profile dev`): 70 µs to open one short note, so that refreshing a callback queue of 124
//! entries spent 9 ms opening their notes. Instantiated here, they are compiled optimised in every
//! profile (permanence's `[profile.dev.package.permanence-fieldcrypto]`), as SQLCipher's C and
//! every dependency already are. What is sealed and how is permanence's (`store::seal`,
//! `store::blind_index`): these functions only run the primitives.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// XChaCha20-Poly1305 of `plain` under `key` and `nonce`, bound to `aad`: the ciphertext and its
/// tag; `None` only for a message too long for the cipher.
pub fn seal(key: &[u8; 32], nonce: &[u8; 24], aad: &[u8], plain: &[u8]) -> Option<Vec<u8>> {
    XChaCha20Poly1305::new(key.into()).encrypt(XNonce::from_slice(nonce), Payload { msg: plain, aad }).ok()
}

/// The plain text of `sealed` (ciphertext and tag), or `None` if it does not open under `key`,
/// `nonce` and `aad` (another key, another row, a changed byte).
pub fn open(key: &[u8; 32], nonce: &[u8; 24], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    XChaCha20Poly1305::new(key.into()).decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad }).ok()
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_sealed_opens_with_its_key_nonce_and_aad_only() {
        let key = [7u8; 32];
        let nonce = [9u8; 24];
        let sealed = seal(&key, &nonce, b"row 1", b"Appelle depuis sa cuisine").unwrap();
        assert_eq!(sealed.len(), 25 + 16);
        assert_eq!(open(&key, &nonce, b"row 1", &sealed).unwrap(), b"Appelle depuis sa cuisine");
        assert_eq!(open(&key, &nonce, b"row 2", &sealed), None);
        assert_eq!(open(&[8u8; 32], &nonce, b"row 1", &sealed), None);
        let mut flipped = sealed.clone();
        flipped[3] ^= 1;
        assert_eq!(open(&key, &nonce, b"row 1", &flipped), None);
    }

    /// RFC 4231, test case 2.
    #[test]
    fn hmac_sha256_is_the_standard_one() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }
}
