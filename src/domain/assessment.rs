//! What a listener assesses during a call, that the emergency rules read: the RUD grid and
//! the situations learnt. Its own module so that the call (which records them) and the
//! emergency rules (which read them) need not know each other.

use serde::{Deserialize, Serialize};

use super::stored_enum;

stored_enum! {
    /// One level of the RUD grid (faible / moyen / élevé).
    RudLevel {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

/// The French suicide-crisis grid: Risque, Urgence, Dangerosité. `None` is "not assessed".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rud {
    pub risk: Option<RudLevel>,
    pub urgency: Option<RudLevel>,
    pub danger: Option<RudLevel>,
}

stored_enum! {
    /// What the listener learns during a call that may call for a number.
    Situation {
        ActInProgress = "act_in_progress",
        ViolenceNow = "violence_now",
        FireGasAccident = "fire_gas_accident",
        CannotSpeak = "cannot_speak",
        SuicidalIdeation = "suicidal_ideation",
        ChildInDanger = "child_in_danger",
        ViolenceAgainstWoman = "violence_against_woman",
        ElderAbuse = "elder_abuse",
    }
}
