//! Every string a listener reads, in French (default) and English, from `assets/`.
//! No draw function writes a sentence inline.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::domain::assessment::Situation;
use crate::domain::assessment::{Rud, RudLevel};
use crate::domain::call::{CallType, Outcome};
use crate::domain::callback::{AttemptResult, CallbackStatus, Priority};
use crate::domain::caller_file::{AgeBand, CallerRelation, FileEventKind, FileStatus, Gender};
use crate::domain::emergency::{Channel, Rule};
use crate::domain::listener::Role;

use crate::domain::passphrase::{MIN_CHARS, WeakPassphrase};
use crate::domain::prompt::PromptOutcome;
use crate::keymap::Action;

/// The interface's language: French unless the configuration says `language = "en"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Fr,
    En,
}

macro_rules! strings {
    ($($field:ident),+ $(,)?) => {
        /// The interface's words. Both language files must define every one (a test checks).
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Strings {
            $(pub $field: String,)+
            /// Labels of stored words, by enum: `call_type.listening = "Écoute"`.
            labels: BTreeMap<String, BTreeMap<String, String>>,
            /// Per action: `[short, long]` descriptions for hints and the help.
            actions: BTreeMap<String, [String; 2]>,
            /// What the command line prints, and the errors a person reads wherever they come
            /// from (the store, the configuration, the export writer): the `[cli]` table.
            pub cli: CliStrings,
            /// The yearly activity report's words: the `[report]` table.
            pub report: ReportStrings,
        }
    };
}

macro_rules! section {
    ($(#[$doc:meta])* $name:ident { $($field:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(pub $field: String,)+
        }
    };
}

mod cli;
mod phrase;
mod report;

pub use cli::CliStrings;
pub use phrase::Phrase;
pub use report::ReportStrings;

strings!(
    language_name,
    summary_offered,
    phone_disconnected,
    perform_dialled,
    phone_disconnected_short,
    phone_rings_locked,
    phone_ringing,
    phone_withheld,
    phone_first_time,
    phone_called_before,
    phone_known_files,
    phone_live,
    phone_line_down,
    phone_refused,
    phone_callback_answered,
    phone_callback_busy,
    phone_callback_no_answer,
    phone_callback_ended,
    phone_missed,
    phone_line_ended,
    phone_answered_elsewhere,
    phone_nothing_rings,
    phone_no_line,
    phone_no_known_file,
    phone_linked,
    phone_dialling,
    answer_while_writing_title,
    answer_while_writing,
    file_history_one,
    callback_attempts_one,
    repeat_calls_one,
    end_call_notes_one,
    supervisor_calls_one,
    supervisor_prompts_one,
    summary_calls_one,
    summary_written,
    summary_written_one,
    count_files_one,
    count_files,
    count_calls_one,
    count_calls,
    too_small,
    tabs_hint,
    hint_editing,
    pane_call,
    pane_file,
    pane_emergency,
    pane_callbacks,
    role_listener,
    role_supervisor,
    status_shift,
    status_callbacks_short,
    status_not_saved_short,
    status_saved_short,
    status_call,
    status_callbacks,
    status_editing,
    status_not_saved,
    status_saved_at,
    status_kept_at,
    status_kept_short,
    key_shift,
    key_space,
    key_enter,
    key_esc,
    key_home,
    key_end,
    key_delete,
    no_call,
    start_call_hint,
    start_written_hint,
    channel_picker_title,
    channel_picker_hint,
    contact_running,
    quick_calls_title,
    no_shift_yet,
    call_running,
    anonymous,
    field_channel,
    field_time_spent,
    time_spent_timed,
    time_spent_typed,
    field_type,
    field_file,
    field_themes,
    field_rud,
    field_orientations,
    field_outcome,
    notes_idle,
    notes_editing,
    call_already_running,
    no_call_running,
    call_kept_anonymous,
    call_saved,
    call_saved_callback_closed,
    rud_title,
    rud_risk,
    rud_urgency,
    rud_danger,
    rud_risk_short,
    rud_urgency_short,
    rud_danger_short,
    rud_not_assessed,
    rud_low,
    rud_medium,
    rud_high,
    rud_hint,
    no_file,
    no_file_hint,
    file_open,
    file_follow_up,
    file_closed,
    file_since,
    file_instructions,
    file_departement,
    file_summary,
    file_history,
    numbers_given,
    channel_no_voice,
    card_hint,
    card_title,
    card_hint_popup,
    number_recorded,
    no_callbacks,
    callback_overdue,
    callback_due_soon,
    callback_anyone,
    callback_attempts,
    pick_call_type,
    pick_outcome,
    pick_themes,
    pick_orientations,
    search_title,
    search_prompt,
    search_nothing,
    search_searching,
    search_failed,
    search_hint,
    new_file_title,
    new_file_give_code,
    press_enter,
    callback_offer_title,
    callback_offer,
    callback_form_title,
    callback_when,
    callback_number,
    reply_by,
    reply_form_title,
    reply_address,
    callback_bad_address,
    callback_consent,
    callback_form_hint,
    callback_needs_consent,
    callback_bad_number,
    preset_in_minutes,
    preset_in_hours,
    preset_tomorrow_at,
    quit_title,
    quit_confirm,
    draft_title,
    draft_found,
    draft_choice,
    draft_recovered,
    shift_title,
    shift_open_found,
    shift_choice,
    handover_title,
    help_title,
    help_global,
    help_main,
    help_call,
    help_editor,
    unlock_title,
    locked_title,
    locked_call_running,
    unlock_who,
    unlock_passphrase,
    unlock_hint,
    unlock_wait,
    unlock_unknown_as,
    unlocking,
    handover_blocked,
    demo_accounts,
    setup_title,
    setup_intro,
    setup_login,
    setup_name,
    setup_passphrase,
    setup_confirmation,
    setup_hint,
    setup_name_missing,
    setup_name_control,
    setup_passphrases_differ,
    setup_creating,
    weak_passphrase_too_short,
    weak_passphrase_contains_login,
    weak_passphrase_guessable,
    weak_passphrase_advice,
    no_prompt_pending,
    end_blocked_by_prompt,
    end_asks_rud,
    ack_needs_note,
    pick_situations,
    field_situations,
    banner_ack_hint,
    ack_title,
    ack_outcome_label,
    ack_note_label,
    ack_hint,
    prompt_waiting,
    history_prompts,
    history_prompt_reason,
    error_wrong_passphrase,
    error_unknown_listener,
    error_deactivated,
    error_damaged,
    error_key_file,
    error_busy,
    error_read_only,
    error_disk_full,
    error_connection_lost,
    error_standby_only,
    error_server_lost,
    error_forbidden,
    error_other,
    error_slot_not_endorsed,
    error_access_revoked,
    error_slot_refused,
    error_too_new,
    error_schema_needs_owner,
    error_server_unreachable,
    error_server_password,
    error_server_certificate,
    error_server_without_tls,
    error_server_requires_tls,
    error_server_not_admitted,
    error_server_no_database,
    error_foreign_database,
    error_database_replaced,
    error_server_privilege,
    slot_problem_legacy,
    slot_problem_not_pinned,
    slot_problem_role,
    slot_problem_endorsement,
    slot_problem_account,
    search_title_open,
    search_status,
    search_departement,
    search_all,
    search_hint_open,
    search_filters_hint,
    repeat_title,
    repeat_calls,
    repeat_rud,
    repeat_rud_older,
    repeat_callbacks,
    repeat_no_rud,
    repeat_no_instructions,
    file_form_title,
    file_status,
    file_age_band,
    file_gender,
    file_relation,
    file_unset,
    file_form_hint,
    file_bad_departement,
    closure_title,
    closure_reason,
    closure_agreed,
    answer_yes,
    answer_no,
    answer_unset,
    closure_hint,
    closure_needs_reason,
    closure_needs_answer,
    reopen_title,
    hold_set_title,
    hold_lift_title,
    reason_label,
    reason_hint,
    reason_needed,
    amend_title,
    amend_hint,
    amend_discard_armed,
    file_saved,
    not_your_call,
    file_not_closed,
    file_already_closed,
    no_file_shown,
    file_still_opening,
    no_call_selected,
    file_callbacks,
    file_legal_hold,
    file_purged,
    file_events,
    file_hint,
    closure_with_agreement,
    closure_without_agreement,
    software,
    purged_at_unlock,
    error_too_soon,
    retention_not_set,
    callback_offer_anonymous,
    end_call_title,
    end_call_will_save,
    field_prompts,
    field_notes,
    end_call_no_notes,
    end_call_notes,
    end_call_still_asked,
    end_call_keys,
    quit_prompt_pending,
    quick_needs_blank_call,
    end_asks_prompt_outcome,
    summary_audit_unrecorded,
    summary_audit_signed,
    summary_audit_unsigned,
    summary_audit_keys,
    summary_audit_key,
    summary_audit_key_retired,
    status_read_only,
    status_read_only_short,
    status_disk_full,
    status_disk_full_short,
    status_unreachable,
    status_unreachable_short,
    status_standby_only,
    status_standby_only_short,
    server_back,
    kept_calls_saved,
    unlock_unreachable,
    file_changed_meanwhile,
    purge_awaiting_supervisor,
    help_file,
    amended,
    access_title,
    access_generated,
    access_closure,
    access_purged,
    access_none,
    access_due,
    callback_bad_when,
    callback_fell_due,
    attempt_flagged,
    attempt_recorded,
    callback_scheduled_saved,
    callback_changed,
    conflict_closed,
    conflict_assigned,
    callback_conflict,
    help_callbacks,
    callback_priority,
    callback_assignee,
    callback_note,
    callback_me,
    perform_title,
    perform_taking,
    perform_earlier,
    perform_hint,
    perform_reply_title,
    perform_reply_hint,
    reassign_title,
    reassign_hint,
    reschedule_title,
    reschedule_label,
    reschedule_hint,
    cancel_callback_title,
    supervisor_title,
    supervisor_hint,
    supervisor_on_shift,
    supervisor_nobody,
    supervisor_since,
    supervisor_calls,
    supervisor_on_call,
    supervisor_free,
    supervisor_left,
    supervisor_left_detail,
    supervisor_left_chosen,
    supervisor_close_pick,
    supervisor_close_still_there,
    supervisor_prompts,
    supervisor_waiting,
    queue_filter_all,
    queue_filter_overdue,
    queue_filter_flagged,
    supervisor_queue,
    supervisor_listener,
    supervisor_filter,
    callback_flagged,
    summary_calls,
    summary_by_channel,
    summary_by_type,
    summary_by_theme,
    summary_prompts,
    summary_callbacks,
    summary_files,
    summary_title_shift,
    summary_title_period,
    summary_notes,
    summary_audit,
    export_times_in,
    end_shift_call_running,
    shift_ended,
    shift_ended_no_export,
    end_shift_title,
    end_shift_loading,
    end_shift_handover,
    end_shift_hint,
    end_shift_closing,
    help_notes,
    help_popup,
    help_supervisor,
    help_statistics,
    statistics_title,
    statistics_hint,
    statistics_this_month,
    statistics_last_month,
    statistics_this_year,
    statistics_last_year,
    statistics_dates,
    statistics_loading,
    statistics_dates_prompt,
    statistics_dates_refused,
    statistics_page,
    statistics_none,
    statistics_overview,
    statistics_calls,
    statistics_listening,
    statistics_coverage,
    statistics_coverage_unknown,
    statistics_coverage_hours,
    statistics_lengths_line,
    statistics_by_day,
    statistics_by_week,
    statistics_by_month,
    statistics_months,
    statistics_heat,
    statistics_weekdays,
    statistics_heat_legend,
    statistics_lengths,
    statistics_lengths_header,
    statistics_all_types,
    statistics_length_bars,
    statistics_themes,
    statistics_profiles,
    statistics_age,
    statistics_gender,
    statistics_relation,
    statistics_unknown,
    statistics_rud,
    statistics_prompts,
    statistics_waiting,
    statistics_callbacks,
    statistics_callbacks_line,
    statistics_cb_created_one,
    statistics_cb_created,
    statistics_cb_done_one,
    statistics_cb_done,
    statistics_cb_cancelled_one,
    statistics_cb_cancelled,
    statistics_cb_flagged_one,
    statistics_cb_flagged,
    statistics_first_attempt,
    statistics_no_attempt,
    statistics_channels,
    statistics_channels_header,
    statistics_written,
    statistics_phone,
    statistics_phone_line,
    statistics_phone_columns,
    statistics_phone_unknown,
    end_shift_of_title,
    shift_of_ended,
    shift_of_ended_no_export,
);

impl Strings {
    pub fn get(language: Language) -> &'static Strings {
        static FR: OnceLock<Strings> = OnceLock::new();
        static EN: OnceLock<Strings> = OnceLock::new();
        match language {
            Language::Fr => FR.get_or_init(|| parse(include_str!("../assets/strings.fr.toml"))),
            Language::En => EN.get_or_init(|| parse(include_str!("../assets/strings.en.toml"))),
        }
    }

    pub fn is_english(&self) -> bool {
        self.language_name == "English"
    }

    /// Chooses the French or English text of a directory entry.
    pub fn pick<'a>(&self, fr: &'a str, en: &'a str) -> &'a str {
        if self.is_english() { en } else { fr }
    }

    /// Replaces each `{name}` in `template`.
    pub fn fill(&self, template: &str, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(template.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }

    /// `one` or `many` as `count` asks: French reads 0 and 1 in the singular, English 1 only.
    /// No "appel(s)": a count is read in a glance.
    pub fn plural<'a>(&self, count: u64, one: &'a str, many: &'a str) -> &'a str {
        let singular = if self.is_english() { count == 1 } else { count < 2 };
        if singular { one } else { many }
    }

    /// `{count}` and its noun, in the right number: "1 dossier", "3 dossiers".
    pub fn count(&self, count: u64, one: &str, many: &str) -> String {
        self.fill(self.plural(count, one, many), &[("count", &count.to_string())])
    }

    /// The label of a stored word of `kind` (`age_band`, `gender`…), the word itself if none.
    pub fn label<'a>(&'a self, kind: &str, word: &'a str) -> &'a str {
        self.labels.get(kind).and_then(|words| words.get(word)).map_or(word, String::as_str)
    }

    pub fn call_type(&self, value: CallType) -> &str {
        self.label("call_type", value.as_str())
    }

    pub fn outcome(&self, value: Outcome) -> &str {
        self.label("outcome", value.as_str())
    }

    pub fn role(&self, role: Role) -> &str {
        match role {
            Role::Listener => &self.role_listener,
            Role::Supervisor => &self.role_supervisor,
        }
    }

    pub fn priority(&self, value: Priority) -> &str {
        self.label("priority", value.as_str())
    }

    pub fn age_band(&self, value: AgeBand) -> &str {
        self.label("age_band", value.as_str())
    }

    pub fn gender(&self, value: Gender) -> &str {
        self.label("gender", value.as_str())
    }

    pub fn relation(&self, value: CallerRelation) -> &str {
        self.label("relation", value.as_str())
    }

    pub fn channel(&self, value: Channel) -> &str {
        self.label("channel", value.as_str())
    }

    pub fn situation(&self, value: Situation) -> &str {
        self.label("situation", value.as_str())
    }

    pub fn file_event(&self, value: FileEventKind) -> &str {
        self.label("file_event", value.as_str())
    }

    pub fn file_status(&self, value: FileStatus) -> &str {
        self.label("file_status", value.as_str())
    }

    pub fn prompt_outcome(&self, value: PromptOutcome) -> &str {
        self.label("prompt_outcome", value.as_str())
    }

    /// The advice of a rule in the interface's language.
    pub fn advice<'a>(&self, rule: &'a Rule) -> &'a str {
        self.pick(&rule.advice_fr, &rule.advice_en)
    }

    pub fn rud_level(&self, level: Option<RudLevel>) -> &str {
        match level {
            None => &self.rud_not_assessed,
            Some(RudLevel::Low) => &self.rud_low,
            Some(RudLevel::Medium) => &self.rud_medium,
            Some(RudLevel::High) => &self.rud_high,
        }
    }

    /// The RUD grid's columns in the statistics: low, medium, high, not assessed.
    pub fn rud_columns(&self) -> [&str; 4] {
        [&self.rud_low, &self.rud_medium, &self.rud_high, &self.rud_not_assessed].map(String::as_str)
    }

    /// A breakdown's word of `kind` as the statistics show it (`age_group`, `gender`,
    /// `relation`): its label, "not known" for `statistics::UNKNOWN`.
    pub fn figure_word<'a>(&'a self, kind: &str, word: &'a str) -> &'a str {
        if word == crate::domain::statistics::UNKNOWN {
            &self.statistics_unknown
        } else {
            self.label(kind, word)
        }
    }

    /// What was done with a prompted number, as the statistics say it ("not acknowledged").
    pub fn prompt_outcome_word<'a>(&'a self, outcome: Option<&'a str>) -> &'a str {
        outcome.map_or(&self.statistics_waiting, |o| self.label("prompt_outcome", o))
    }

    /// The grid in one line: "R moyen · U faible · D non évalué".
    pub fn rud_text(&self, rud: &Rud) -> String {
        format!(
            "{} {} · {} {} · {} {}",
            self.rud_risk_short,
            self.rud_level(rud.risk),
            self.rud_urgency_short,
            self.rud_level(rud.urgency),
            self.rud_danger_short,
            self.rud_level(rud.danger)
        )
    }

    pub fn callback_status(&self, value: CallbackStatus) -> &str {
        self.label("callback_status", value.as_str())
    }

    pub fn attempt_result(&self, value: AttemptResult) -> &str {
        self.label("attempt_result", value.as_str())
    }

    /// Why a passphrase is refused, in our words: at most three reasons, then what to do.
    pub fn weak_passphrase(&self, weak: &WeakPassphrase) -> String {
        match weak {
            WeakPassphrase::TooShort => {
                self.fill(&self.weak_passphrase_too_short, &[("min", &MIN_CHARS.to_string())])
            }
            WeakPassphrase::ContainsLogin => self.weak_passphrase_contains_login.clone(),
            WeakPassphrase::Guessable(why) => {
                let reasons: Vec<&str> =
                    why.iter().take(3).map(|w| self.label("passphrase_weakness", w.as_str())).collect();
                if reasons.is_empty() {
                    return format!("{}. {}", self.weak_passphrase_guessable, self.weak_passphrase_advice);
                }
                // French puts a space before the colon and the semicolon.
                let (colon, semicolon) = if self.is_english() { (": ", "; ") } else { (" : ", " ; ") };
                format!(
                    "{}{colon}{}. {}",
                    self.weak_passphrase_guessable,
                    reasons.join(semicolon),
                    self.weak_passphrase_advice
                )
            }
        }
    }

    pub fn action_short(&self, action: Action) -> &str {
        self.actions.get(&action.name()).map_or("?", |texts| texts[0].as_str())
    }

    pub fn action_long(&self, action: Action) -> &str {
        self.actions.get(&action.name()).map_or("?", |texts| texts[1].as_str())
    }
}

fn parse(text: &str) -> Strings {
    toml::from_str(text).unwrap_or_else(|e| panic!("built-in UI strings: {e}"))
}

#[cfg(test)]
mod tests;
