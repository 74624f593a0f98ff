//! What a person can ask for: the words a keymap binds keys to.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Help,
    EmergencyCard,
    Lock,
    Quit,
    FocusNext,
    FocusPrevious,
    FocusCall,
    FocusFile,
    FocusEmergency,
    FocusCallbacks,
    SelectNext,
    SelectPrevious,
    StartCall,
    StartWrittenContact,
    EditNotes,
    PickCallType,
    PickThemes,
    PickRud,
    PickOrientations,
    PickOutcome,
    PickSituations,
    AcknowledgePrompts,
    LinkFile,
    NewFile,
    KeepAnonymous,
    EndCall,
    QuickSilent,
    QuickHangUp,
    QuickWrongNumber,
    QuickAbusive,
    QuickTesting,
    SearchFiles,
    EditFile,
    CloseFile,
    ReopenFile,
    LegalHold,
    AmendNotes,
    PerformCallback,
    ReassignCallback,
    RescheduleCallback,
    CancelCallback,
    SupervisorView,
    /// The statistics of a period (supervisors): charts, a period picker.
    Statistics,
    ScheduleCallback,
    EndShift,
    /// The phone: answer the call that rings, hang up the line, link the file of a number
    /// heard before.
    AnswerPhone,
    HangUpPhone,
    LinkKnownFile,
    // In the notes editor.
    StopEditing,
    // In popups (`[popup]`): forms, lists and questions.
    Confirm,
    Cancel,
    /// Closes what only shows something (the help, the supervisor's view).
    Close,
    NextField,
    PreviousField,
    ChoicePrevious,
    ChoiceNext,
    Toggle,
    Yes,
    No,
    /// Saves an editor's text (amended notes, the end of a shift): works while typing.
    Save,
    AttemptReached,
    AttemptNoAnswer,
    AttemptMessageNotLeft,
    AttemptWrongNumber,
    // In the supervisor's view.
    FilterCallbacks,
    /// Closes the shift of someone who left without ending it.
    CloseShift,
    // In the statistics screen.
    /// Type the first and last day of the period shown.
    StatisticsDates,
}

impl Action {
    /// Refused to a listener whatever the moment: neither offered in the hint bar nor listed in
    /// the help to one.
    pub fn is_for_supervisors(self) -> bool {
        matches!(
            self,
            Action::SupervisorView | Action::Statistics | Action::ReassignCallback | Action::LegalHold
        )
    }

    pub fn parse(word: &str) -> Option<Action> {
        Action::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(word)).ok()
    }

    /// The key of its description in the UI strings (`action_<name>`).
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(Action::parse("emergency_card"), Some(Action::EmergencyCard));
        assert_eq!(Action::EmergencyCard.name(), "emergency_card");
        assert_eq!(Action::parse("make_coffee"), None);
    }
}
