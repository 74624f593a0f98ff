//! What the store keeps of the phone: a keyed hash of a caller's number (never the number), a
//! call's times from the phone, a call that rang unanswered, and what a number heard before
//! tells the listener.

use serde::{Deserialize, Serialize};

use super::{FileId, ShiftId, Timestamp};

/// HMAC-SHA256 of a normalised number under the store's own secret: the same number gives the
/// same hash in this store, and nothing of the number without the secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NumberHash(pub [u8; 32]);

impl std::fmt::Debug for NumberHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NumberHash(…)")
    }
}

impl Serialize for NumberHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for NumberHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(&text, &mut bytes).map_err(serde::de::Error::custom)?;
        Ok(NumberHash(bytes))
    }
}

/// What the phone said of the call being taken, kept with it (and in its draft).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneCall {
    /// The caller's number, hashed; `None` when withheld.
    #[serde(default)]
    pub caller: Option<NumberHash>,
    /// When the line dropped (either side): the call's end, whenever the listener saves it.
    #[serde(default)]
    pub line_ended_at: Option<Timestamp>,
}

/// A call heard before from the same number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerHistory {
    /// Calls saved with this number's hash.
    pub calls: u32,
    pub last_at: Option<Timestamp>,
    /// The files those calls were linked to (id, code), most recent first.
    pub files: Vec<(FileId, String)>,
}

/// A call that rang and was not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedCall {
    pub shift_id: Option<ShiftId>,
    pub rang_at: Timestamp,
    pub ring_seconds: u32,
}

impl MissedCall {
    pub fn new(shift_id: Option<ShiftId>, rang_at: Timestamp, ended_at: Timestamp) -> MissedCall {
        let seconds = (ended_at - rang_at).num_seconds().clamp(0, i64::from(u32::MAX));
        MissedCall { shift_id, rang_at, ring_seconds: seconds as u32 }
    }
}

/// Calls that reached the line: offered = answered (calls taken, callbacks made aside) +
/// missed (rang unanswered); the answer rate in percent, rounded (none when nothing was
/// offered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offered {
    pub offered: u32,
    pub answered: u32,
    pub missed: u32,
    pub answer_rate: Option<u32>,
}

impl Offered {
    pub fn new(answered: u32, missed: u32) -> Offered {
        let offered = answered + missed;
        let answer_rate = (offered > 0)
            .then(|| ((u64::from(answered) * 100 + u64::from(offered) / 2) / u64::from(offered)) as u32);
        Offered { offered, answered, missed, answer_rate }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_rate_rounds_and_is_none_without_calls() {
        assert_eq!(Offered::new(0, 0).answer_rate, None);
        assert_eq!(Offered::new(2, 1).answer_rate, Some(67));
        assert_eq!(Offered::new(2, 1).offered, 3);
        assert_eq!(Offered::new(3, 0).answer_rate, Some(100));
    }

    #[test]
    fn a_hash_round_trips_through_the_draft_and_never_shows() {
        let call = PhoneCall { caller: Some(NumberHash([7; 32])), line_ended_at: None };
        let json = serde_json::to_string(&call).unwrap();
        assert_eq!(serde_json::from_str::<PhoneCall>(&json).unwrap(), call);
        assert_eq!(format!("{:?}", NumberHash([7; 32])), "NumberHash(…)");
    }
}
