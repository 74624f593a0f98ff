//! The canonical byte encoding of everything in a version-2 key file that is hashed, signed or
//! bound as associated data (docs/keyslots.md, "Canonical encoding"). Never Rust's `Debug` and
//! never JSON bytes: the same values give the same bytes with any toolchain and in any
//! language, so an independent client can recompute every checksum and signature.
//!
//! Each value is written as: an integer as fixed-width big-endian (`u32` or `i64`); a byte
//! string or a UTF-8 text as its length (`u32` big-endian) then its bytes. Every encoding starts
//! with a text tag naming what it is, so no two kinds of message share bytes.

/// Builds one canonical message.
#[derive(Default)]
pub struct Canonical(Vec<u8>);

impl Canonical {
    /// A message that starts with its tag (written as a text).
    pub fn tagged(tag: &str) -> Canonical {
        Canonical::default().text(tag)
    }

    pub fn u32(mut self, value: u32) -> Canonical {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn i64(mut self, value: i64) -> Canonical {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn bytes(self, value: &[u8]) -> Canonical {
        let len = u32::try_from(value.len()).expect("a key-file field is far below 4 GiB");
        let mut this = self.u32(len);
        this.0.extend_from_slice(value);
        this
    }

    pub fn text(self, value: &str) -> Canonical {
        self.bytes(value.as_bytes())
    }

    /// Appends an already encoded message as it is (not length-prefixed: its own fields are).
    pub fn raw(mut self, encoded: &[u8]) -> Canonical {
        self.0.extend_from_slice(encoded);
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_is_its_length_then_its_bytes_integers_big_endian() {
        let bytes = Canonical::tagged("t").u32(2).i64(-1).bytes(&[0xaa]).text("é").finish();
        assert_eq!(
            hex::encode(bytes),
            concat!(
                "00000001",
                "74",               // "t"
                "00000002",         // u32 2
                "ffffffffffffffff", // i64 -1
                "00000001",
                "aa", // one byte
                "00000002",
                "c3a9", // "é" in UTF-8
            )
        );
    }
}
